"""Catalog API: authors written out by hand (sync endpoints), books and tags from model routers.

Authors show what a hand-written CRUD looks like with the bridge; ``books`` (async handlers) and
``tags`` (sync) get the same routes from ``ModelRouter``: schemas generated from the models,
pagination, filters, search and ordering, Django's model permissions.

Authors are open to anyone. Books and tags are readable by anyone; writing them needs Django's
model permissions (``catalog.add_book`` and so on: the ``demo`` superuser has them all), from an
API token or an admin session, and book writes are throttled per user. ``/books/{id}/card``
renders a Django template with the request, so the template sees ``user`` and ``perms`` as a
Django view's would.
"""
from typing import Annotated, Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, StreamingResponse

from django_fastapi.events import (
    EVENT_STREAM,
    authorize,
    channel_access,
    event_stream,
    wait_for_events,
)
from django_fastapi.orm import FilterSet, ModelRouter, OrderingFilter, SearchFilter
from django_fastapi.security import DjangoRequest, OptionalUser, throttle
from django_fastapi.shortcuts import get_object_or_404

from .models import Author, Book, Tag
from .schemas import BOOKS, TAGS, AuthorIn, AuthorOut, AuthorPatch

router = APIRouter()

Limit = Annotated[int, Query(ge=1, le=100)]
# Bounded: past 2**63 - 1 a database OFFSET overflows (SQLite's OverflowError, a 500), not a 422.
Offset = Annotated[int, Query(ge=0, le=2**63 - 1)]
BOOK_WRITES = [Depends(throttle("120/min", scope="catalog-book-writes"))]
PUBLIC_READS = {"list": None, "retrieve": None}

books = ModelRouter(
    Book,
    prefix="/books",
    schemas=BOOKS,
    permissions=PUBLIC_READS,
    action_dependencies=dict.fromkeys(["create", "update", "partial_update", "destroy"], BOOK_WRITES),
    filters=FilterSet(
        Book,
        {
            "author": ["exact", "in"],
            "tags": ["exact"],
            "format": ["exact", "in"],
            "in_stock": ["exact"],
            "pages": ["gte", "lte"],
            "published": ["year", "gte", "lte", "isnull"],
        },
    ),
    search=SearchFilter(Book, ["title", "author__name"]),
    ordering=OrderingFilter(Book, ["title", "pages", "published", "created_at"]),
    is_async=True,
)
tags = ModelRouter(Tag, prefix="/tags", schemas=TAGS, permissions=PUBLIC_READS)


def _author_not_found(author_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"Author {author_id} not found")


def _name_taken(name: str) -> HTTPException:
    return HTTPException(
        status.HTTP_409_CONFLICT, f"An author with name {name!r} already exists."
    )


def _save_author(author_id: int, changes: dict[str, Any]) -> Author:
    # The row lock keeps a concurrent PUT/PATCH from interleaving between read and write.
    try:
        with transaction.atomic():
            author = Author.objects.select_for_update().filter(pk=author_id).first()
            if author is None:
                raise _author_not_found(author_id)
            for field, value in changes.items():
                setattr(author, field, value)
            author.save()
    except IntegrityError:
        if "name" not in changes:
            raise
        raise _name_taken(changes["name"]) from None
    return author


@router.get("/authors", response_model=list[AuthorOut])
def list_authors(
    search: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[AuthorOut]:
    authors = Author.objects.all()
    if search:
        authors = authors.filter(name__icontains=search)
    return [AuthorOut.model_validate(a) for a in authors[offset : offset + limit]]


@router.post("/authors", response_model=AuthorOut, status_code=status.HTTP_201_CREATED)
def create_author(body: AuthorIn) -> AuthorOut:
    # atomic() so the IntegrityError rolls back only this insert, even inside an outer transaction.
    try:
        with transaction.atomic():
            author = Author.objects.create(**body.model_dump())
    except IntegrityError:
        raise _name_taken(body.name) from None
    return AuthorOut.model_validate(author)


@router.get("/authors/{author_id}", response_model=AuthorOut)
def get_author(author_id: int) -> AuthorOut:
    author = Author.objects.filter(pk=author_id).first()
    if author is None:
        raise _author_not_found(author_id)
    return AuthorOut.model_validate(author)


@router.put("/authors/{author_id}", response_model=AuthorOut)
def replace_author(author_id: int, body: AuthorIn) -> AuthorOut:
    return AuthorOut.model_validate(_save_author(author_id, body.model_dump()))


@router.patch("/authors/{author_id}", response_model=AuthorOut)
def update_author(author_id: int, body: AuthorPatch) -> AuthorOut:
    return AuthorOut.model_validate(
        _save_author(author_id, body.model_dump(exclude_unset=True))
    )


@router.delete("/authors/{author_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_author(author_id: int) -> None:
    # PROTECT is enforced by Django's collector (ProtectedError) and, if a book is added
    # concurrently, by the database foreign key (IntegrityError).
    try:
        with transaction.atomic():
            author = Author.objects.select_for_update().filter(pk=author_id).first()
            if author is None:
                raise _author_not_found(author_id)
            author.delete()
    except (ProtectedError, IntegrityError):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"Author {author_id} still has books; delete or reassign them first.",
        ) from None


@books.get("/{book_id}/card", response_class=HTMLResponse)
def book_card(book_id: int, request: DjangoRequest) -> str:
    book = get_object_or_404(Book.objects.select_related("author"), pk=book_id)
    return render_to_string("catalog/book_card.html", {"book": book}, request=request)


@channel_access("books")
def anyone_sees_new_books(user: Any, channel: str) -> bool:
    return True


@router.get("/books/live", response_class=StreamingResponse, responses=EVENT_STREAM)
async def live_books(request: Request, user: OptionalUser) -> StreamingResponse:
    """New books as server-sent events (the page at /live/ shows them); resumes after Last-Event-ID."""
    return await event_stream(request, "books", user=user)


@router.get("/books/poll")
async def poll_books(
    user: OptionalUser,
    after: Annotated[str | None, Query(max_length=200)] = None,
    timeout: Annotated[float, Query(ge=0, le=60)] = 25,
) -> dict[str, Any]:
    """Long polling: the books created after event ``after``, or the next ones within ``timeout``
    seconds (an empty list then). Pass the last ``id`` you got as ``after`` to miss none."""
    await authorize(user, ["books"])
    events = await wait_for_events("books", after=after, timeout=timeout)
    return {"events": [{"id": event.id, "book": event.data} for event in events]}


router.include_router(books)
router.include_router(tags)
