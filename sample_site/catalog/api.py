"""Catalog API: authors through sync endpoints, books through async ones.

Both halves are deliberately the same CRUD shape so the sync (thread pool) and async
(Django async ORM) paths of django_fastapi can be compared side by side.

Authors are open to anyone. Writing books needs Django's model permissions (``catalog.add_book``
and so on: the ``demo`` superuser has them all), from an API token or an admin session, and is
throttled per user. ``/books/{id}/card`` renders a Django template with the request, so the
template sees ``user`` and ``perms`` as a Django view's would.
"""
from typing import Annotated, Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import HTMLResponse

from django_fastapi.auth import require_perms
from django_fastapi.requests import DjangoRequest
from django_fastapi.throttling import throttle

from .models import Author, Book
from .schemas import AuthorIn, AuthorOut, AuthorPatch, BookIn, BookOut, BookPatch

router = APIRouter()

Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0)]
BOOK_WRITES = throttle("120/min", scope="catalog-book-writes")


def book_writes(permission: str) -> list:
    return [Depends(require_perms(f"catalog.{permission}_book")), Depends(BOOK_WRITES)]


def _author_not_found(author_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"Author {author_id} not found")


def _book_not_found(book_id: int) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"Book {book_id} not found")


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


async def _get_book(book_id: int) -> Book:
    book = await Book.objects.select_related("author").filter(pk=book_id).afirst()
    if book is None:
        raise _book_not_found(book_id)
    return book


async def _get_book_author(author_id: int) -> Author:
    author = await Author.objects.filter(pk=author_id).afirst()
    if author is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"Author {author_id} does not exist."
        )
    return author


async def _save_book(book: Book, changes: dict[str, Any]) -> Book:
    if "author_id" in changes:
        book.author = await _get_book_author(changes.pop("author_id"))
    for field, value in changes.items():
        setattr(book, field, value)
    try:
        await book.asave()
    except IntegrityError:
        # The author was deleted between the lookup and the write.
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"Author {book.author_id} does not exist."
        ) from None
    return book


@router.get("/books", response_model=list[BookOut])
async def list_books(
    author_id: int | None = None,
    in_stock: bool | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[BookOut]:
    books = Book.objects.select_related("author")
    if author_id is not None:
        books = books.filter(author_id=author_id)
    if in_stock is not None:
        books = books.filter(in_stock=in_stock)
    return [BookOut.model_validate(b) async for b in books[offset : offset + limit]]


@router.post("/books", response_model=BookOut, status_code=status.HTTP_201_CREATED, dependencies=book_writes("add"))
async def create_book(body: BookIn) -> BookOut:
    return BookOut.model_validate(await _save_book(Book(), body.model_dump()))


@router.get("/books/{book_id}", response_model=BookOut)
async def get_book(book_id: int) -> BookOut:
    return BookOut.model_validate(await _get_book(book_id))


@router.put("/books/{book_id}", response_model=BookOut, dependencies=book_writes("change"))
async def replace_book(book_id: int, body: BookIn) -> BookOut:
    book = await _get_book(book_id)
    return BookOut.model_validate(await _save_book(book, body.model_dump()))


@router.patch("/books/{book_id}", response_model=BookOut, dependencies=book_writes("change"))
async def update_book(book_id: int, body: BookPatch) -> BookOut:
    book = await _get_book(book_id)
    return BookOut.model_validate(
        await _save_book(book, body.model_dump(exclude_unset=True))
    )


@router.delete("/books/{book_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=book_writes("delete"))
async def delete_book(book_id: int) -> None:
    deleted, _ = await Book.objects.filter(pk=book_id).adelete()
    if not deleted:
        raise _book_not_found(book_id)


@router.get("/books/{book_id}/card", response_class=HTMLResponse)
def book_card(book_id: int, request: DjangoRequest) -> str:
    book = Book.objects.select_related("author").filter(pk=book_id).first()
    if book is None:
        raise _book_not_found(book_id)
    return render_to_string("catalog/book_card.html", {"book": book}, request=request)
