"""The sample site's one Django page, served by runfastapi on the API's port."""
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Author, Book


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "catalog/home.html",
        {"authors": Author.objects.count(), "books": Book.objects.count()},
    )


def live(request: HttpRequest) -> HttpResponse:
    """New books as they are created, pushed by server-sent events from /api/catalog/books/live."""
    return render(request, "catalog/live.html", {"stream_url": "/api/catalog/books/live"})
