"""A "books" event for every new book, however it was created (the API, the admin, a command).

``publish`` inside the save's transaction is sent when it commits, and never for a rollback.
"""
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from django_fastapi.events import publish

from .models import Book


@receiver(post_save, sender=Book, dispatch_uid="catalog.book_created")
def book_created(sender: type[Book], instance: Book, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        publish("books", {"id": instance.pk, "title": instance.title, "author_id": instance.author_id})
