"""create_instance and update_instance on the catalog's books: called directly and through endpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pytest
from asgiref.sync import async_to_sync
from catalog.models import Author, Book, Tag
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ForeignKey
from django.db.models.signals import pre_save
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from fastapi import APIRouter
from pydantic import BaseModel

from django_fastapi.orm.saving import (
    Conflict,
    acreate_instance,
    aupdate_instance,
    create_instance,
    update_instance,
)
from django_fastapi.testing.client import Client
from tests.serverproc import SAMPLE_SITE

ISBN_TAKEN = "Book with this ISBN already exists."


class BookIn(BaseModel):
    title: str
    author: int
    pages: int | None = None
    format: str | None = None
    rating: Decimal | None = None
    isbn: str | None = None
    tags: list[int] = []


class BookPut(BaseModel):
    title: str
    author: int
    pages: int = 0


class BookPatch(BaseModel):
    title: str | None = None
    author: int | None = None
    rating: Decimal | None = None
    isbn: str | None = None
    tags: list[int] | None = None


@pytest.fixture
def author(db):
    return Author.objects.create(name="Ursula K. Le Guin")


@pytest.fixture
def tags(db):
    return [Tag.objects.create(name=name, slug=name) for name in ("fantasy", "classic")]


def errors(exc_info) -> dict[str, list[str]]:
    error_dict = exc_info.value.error_dict
    return {field: [error.code for error in found] for field, found in error_dict.items()}


# Create and update


def test_create_instance_saves_mapping_data(author):
    book = create_instance(Book, {"title": "Earthsea", "author": author.pk, "pages": 183})
    saved = Book.objects.get(pk=book.pk)
    assert (saved.title, saved.author_id, saved.pages) == ("Earthsea", author.pk, 183)


def test_create_instance_applies_model_defaults_for_unset_fields(author):
    book = create_instance(Book, BookIn(title="Earthsea", author=author.pk))
    book.refresh_from_db()
    assert (book.pages, book.format, book.in_stock, book.isbn) == (0, "paperback", True, None)


def test_create_instance_foreign_key_pk_is_not_fetched(author, django_assert_num_queries):
    # author exists, unique constraint, savepoint, insert, release: the author row is never read.
    with django_assert_num_queries(5) as captured:
        book = create_instance(Book, {"title": "Earthsea", "author": author.pk})
    assert book.author_id == author.pk
    assert not Book.author.is_cached(book)
    assert not any('"catalog_author"."name"' in query["sql"] for query in captured.captured_queries)


def test_create_instance_accepts_instances_for_relations(author, tags):
    book = create_instance(Book, {"title": "Earthsea", "author": author, "tags": tags})
    assert book.author is author
    assert set(book.tags.all()) == set(tags)


def test_create_instance_sets_many_to_many_from_pks(author, tags):
    pks = [tag.pk for tag in tags]
    book = create_instance(Book, BookIn(title="Earthsea", author=author.pk, tags=pks))
    assert set(Book.objects.get(pk=book.pk).tags.values_list("pk", flat=True)) == set(pks)


def test_create_instance_unknown_many_to_many_pks_are_422_in_one_query_without_writes(author, tags):
    with CaptureQueriesContext(connection) as captured, pytest.raises(ValidationError) as exc_info:
        create_instance(Book, {"title": "Earthsea", "author": author, "tags": [tags[0].pk, 998, 999]})
    assert [(error.code, error.params["value"]) for error in exc_info.value.error_dict["tags"]] == [
        ("invalid", 998),
        ("invalid", 999),
    ]
    assert sum('"catalog_tag"' in query["sql"] for query in captured.captured_queries) == 1
    assert not any(query["sql"].startswith(("INSERT", "UPDATE")) for query in captured.captured_queries)
    assert not Book.objects.exists()


def test_update_instance_null_many_to_many_is_422(author):
    book = Book.objects.create(title="Earthsea", author=author)
    with pytest.raises(ValidationError) as exc_info:
        update_instance(book, BookPatch(tags=None), partial=True)
    assert errors(exc_info) == {"tags": ["list_type"]}


def test_create_instance_malformed_many_to_many_pk_is_422(author):
    with pytest.raises(ValidationError) as exc_info:
        create_instance(Book, {"title": "Earthsea", "author": author, "tags": ["fantasy"]})
    assert errors(exc_info) == {"tags": ["invalid"]}


def test_create_instance_rating_above_five_is_422_on_rating(author):
    with pytest.raises(ValidationError) as exc_info:
        create_instance(Book, {"title": "Earthsea", "author": author.pk, "rating": 6})
    assert errors(exc_info) == {"rating": ["max_value"]}


def test_create_instance_blank_title_is_422_on_title(author):
    with pytest.raises(ValidationError) as exc_info:
        create_instance(Book, {"title": "", "author": author.pk})
    assert errors(exc_info) == {"title": ["blank"]}


def test_create_instance_missing_author_is_422_on_author(db):
    with pytest.raises(ValidationError) as exc_info:
        create_instance(Book, {"title": "Earthsea", "author": 404})
    assert errors(exc_info) == {"author": ["invalid"]}


def test_create_instance_clean_non_field_error_is_422(author, monkeypatch):
    def clean(self):
        if self.pages == 0:
            raise ValidationError("A book needs pages.", code="no_pages")

    monkeypatch.setattr(Book, "clean", clean)
    with pytest.raises(ValidationError) as exc_info:
        create_instance(Book, {"title": "Earthsea", "author": author.pk})
    assert errors(exc_info) == {"__all__": ["no_pages"]}


def test_update_instance_full_uses_every_schema_field(author):
    book = Book.objects.create(title="Earthsea", author=author, pages=183)
    update_instance(book, BookPut(title="A Wizard of Earthsea", author=author.pk))
    book.refresh_from_db()
    assert (book.title, book.pages) == ("A Wizard of Earthsea", 0)


def test_update_instance_partial_changes_only_fields_sent(author):
    book = Book.objects.create(title="Earthsea", author=author, pages=183, isbn="111")
    update_instance(book, BookPatch(title="A Wizard of Earthsea"), partial=True)
    book.refresh_from_db()
    assert (book.title, book.pages, book.isbn) == ("A Wizard of Earthsea", 183, "111")


def test_update_instance_partial_ignores_invalid_stored_values_of_other_fields(author):
    book = Book.objects.create(title="Earthsea", author=author)
    Book.objects.filter(pk=book.pk).update(rating=Decimal("9.0"))  # a legacy row
    book.refresh_from_db()
    update_instance(book, {"title": "A Wizard of Earthsea"}, partial=True)
    assert Book.objects.get(pk=book.pk).title == "A Wizard of Earthsea"


def test_update_instance_partial_validates_fields_sent(author):
    book = Book.objects.create(title="Earthsea", author=author)
    with pytest.raises(ValidationError) as exc_info:
        update_instance(book, BookPatch(rating=Decimal(6)), partial=True)
    assert errors(exc_info) == {"rating": ["max_value"]}


def test_update_instance_sets_many_to_many(author, tags):
    book = Book.objects.create(title="Earthsea", author=author)
    book.tags.set([tags[0]])
    update_instance(book, {"tags": [tags[1].pk]}, partial=True)
    assert list(book.tags.all()) == [tags[1]]


def test_create_instance_server_values_override_data(author):
    other = Author.objects.create(name="Tolkien")
    book = create_instance(Book, {"title": "Earthsea", "author": author.pk}, author=other)
    assert Book.objects.get(pk=book.pk).author_id == other.pk


def test_async_helpers_save_on_the_callers_connection(author):
    book = async_to_sync(acreate_instance)(Book, {"title": "Earthsea", "author": author.pk})
    async_to_sync(aupdate_instance)(book, {"pages": 183}, partial=True)
    assert Book.objects.get(pk=book.pk).pages == 183


# Programming errors


def test_create_instance_unknown_key_raises_type_error_naming_key_and_model(author):
    with pytest.raises(TypeError, match=r"Book has no field 'titel'; its fields are: title, author, "):
        create_instance(Book, {"titel": "Earthsea", "author": author.pk})


def test_create_instance_read_only_field_in_data_raises_value_error(author):
    with pytest.raises(ValueError, match=r"Book.created_at is read-only"):
        create_instance(Book, {"title": "Earthsea", "author": author, "created_at": "2020-01-01T00:00Z"})


def test_create_instance_auto_primary_key_in_data_raises_value_error(author):
    with pytest.raises(ValueError, match=r"Book.id is read-only"):
        create_instance(Book, {"id": 5, "title": "Earthsea", "author": author.pk})


def test_update_instance_primary_key_raises_value_error(author):
    book = Book.objects.create(title="Earthsea", author=author)
    with pytest.raises(ValueError, match=r"Book.id is the primary key and cannot change on update"):
        update_instance(book, {}, id=5)


def test_create_instance_reverse_relation_raises_type_error(db):
    with pytest.raises(TypeError, match=r"Author.books is a reverse relation; set it on Book"):
        create_instance(Author, {"name": "Tolkien", "books": []})


# Uniqueness


def test_create_instance_duplicate_isbn_is_409_naming_isbn(author):
    Book.objects.create(title="Earthsea", author=author, isbn="9780141354910")
    with pytest.raises(Conflict) as exc_info:
        create_instance(Book, {"title": "Tehanu", "author": author.pk, "isbn": "9780141354910"})
    assert exc_info.value.status_code == 409
    assert exc_info.value.detail == [
        {
            "type": "unique",
            "loc": ["body", "isbn"],
            "msg": "Book with this ISBN already exists.",
            "input": "9780141354910",
        }
    ]


def test_create_instance_duplicate_author_and_title_is_409_naming_both_fields(author):
    Book.objects.create(title="Earthsea", author=author)
    with pytest.raises(Conflict) as exc_info:
        create_instance(Book, {"title": "Earthsea", "author": author.pk})
    message = "Book with this Author and Title already exists."
    assert exc_info.value.detail == [
        {"type": "unique_together", "loc": ["body", "author"], "msg": message, "input": author.pk},
        {"type": "unique_together", "loc": ["body", "title"], "msg": message, "input": "Earthsea"},
    ]


def test_update_instance_partial_title_meets_author_title_constraint(author):
    Book.objects.create(title="Earthsea", author=author)
    book = Book.objects.create(title="Tehanu", author=author)
    with pytest.raises(Conflict) as exc_info:
        update_instance(book, BookPatch(title="Earthsea"), partial=True)
    assert [error["loc"] for error in exc_info.value.detail] == [["body", "author"], ["body", "title"]]


def test_update_instance_keeping_own_unique_values_is_not_a_conflict(author):
    book = Book.objects.create(title="Earthsea", author=author, isbn="111")
    update_instance(book, {"title": "Earthsea", "author": author.pk, "isbn": "111", "pages": 5})
    assert Book.objects.get(pk=book.pk).pages == 5


def test_create_instance_duplicate_with_other_errors_is_422_with_all(author):
    Book.objects.create(title="Earthsea", author=author, isbn="111")
    with pytest.raises(ValidationError) as exc_info:
        create_instance(Book, {"title": "Tehanu", "author": author.pk, "isbn": "111", "rating": 6})
    assert errors(exc_info) == {"rating": ["max_value"], "isbn": ["unique"]}


def test_create_instance_unnamed_unique_violation_is_409_and_outer_transaction_stays_usable(author):
    # A unique index Django does not know of: validation cannot see the duplicate, the database can.
    with connection.cursor() as cursor:
        cursor.execute("CREATE UNIQUE INDEX test_saving_pages ON catalog_book (pages)")
    with transaction.atomic():
        kept = Author.objects.create(name="Tolkien")
        create_instance(Book, {"title": "Earthsea", "author": author.pk, "pages": 183})
        with pytest.raises(Conflict) as exc_info:
            create_instance(Book, {"title": "Tehanu", "author": author.pk, "pages": 183})
        assert not connection.needs_rollback
        create_instance(Book, {"title": "Tehanu", "author": kept.pk, "pages": 252})
    assert exc_info.value.detail == [
        {"type": "unique", "loc": ["body"], "msg": "UNIQUE constraint failed: catalog_book.pages", "input": None},
    ]
    assert sorted(Book.objects.values_list("title", "pages")) == [("Earthsea", 183), ("Tehanu", 252)]
    assert Author.objects.filter(pk=kept.pk).exists()


def test_create_instance_other_integrity_error_is_reraised(author):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TRIGGER test_saving_no_drafts BEFORE INSERT ON catalog_book WHEN NEW.pages = 0 "
            "BEGIN SELECT RAISE(ABORT, 'drafts are not books'); END"
        )
    with pytest.raises(IntegrityError, match="drafts are not books"):
        create_instance(Book, {"title": "Earthsea", "author": author.pk})
    assert not Book.objects.exists()


# Races: another connection changes the table between the checks and the save.


def _in_another_thread(work) -> None:
    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


@pytest.fixture
def before_book_save():
    """Run a function on another connection once, when the next Book is about to be saved."""
    works = []

    def receiver(sender, instance, **kwargs):
        while works:
            _in_another_thread(works.pop())

    pre_save.connect(receiver, sender=Book, dispatch_uid="test_saving_race")
    yield works.append
    pre_save.disconnect(sender=Book, dispatch_uid="test_saving_race")


@pytest.mark.django_db(transaction=True)
def test_create_instance_duplicate_inserted_after_validation_is_409_naming_isbn(before_book_save):
    author = Author.objects.create(name="Ursula K. Le Guin")
    before_book_save(lambda: Book.objects.create(title="Earthsea", author_id=author.pk, isbn="111"))
    with pytest.raises(Conflict) as exc_info:
        create_instance(Book, {"title": "Tehanu", "author": author.pk, "isbn": "111"})
    assert exc_info.value.detail == [
        {"type": "unique", "loc": ["body", "isbn"], "msg": ISBN_TAKEN, "input": "111"}
    ]
    assert list(Book.objects.values_list("title", flat=True)) == ["Earthsea"]


@pytest.mark.django_db(transaction=True)
def test_update_instance_duplicate_inserted_after_validation_is_409_naming_fields(before_book_save):
    author = Author.objects.create(name="Ursula K. Le Guin")
    book = Book.objects.create(title="Tehanu", author=author)
    before_book_save(lambda: Book.objects.create(title="Earthsea", author_id=author.pk))
    with pytest.raises(Conflict) as exc_info:
        update_instance(book, {"title": "Earthsea"}, partial=True)
    assert [error["loc"] for error in exc_info.value.detail] == [["body", "author"], ["body", "title"]]
    assert Book.objects.get(pk=book.pk).title == "Tehanu"


@pytest.mark.django_db(transaction=True)
def test_create_instance_author_deleted_after_validation_is_422_on_author(before_book_save):
    author = Author.objects.create(name="Ursula K. Le Guin")
    before_book_save(lambda: Author.objects.filter(pk=author.pk).delete())
    with pytest.raises(ValidationError) as exc_info:
        create_instance(Book, {"title": "Earthsea", "author": author.pk})
    assert errors(exc_info) == {"author": ["invalid"]}
    assert not Book.objects.exists()


# On PostgreSQL an error aborts the whole transaction unless it is rolled back to a savepoint: the race
# inside a caller's transaction (ATOMIC_REQUESTS) must leave that transaction usable.

PG_RACE = """
import json, threading
import django
django.setup()
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.signals import pre_save
from catalog.models import Author, Book
from django_fastapi.orm.saving import Conflict, create_instance

call_command("migrate", verbosity=0)
author = Author.objects.create(name="Ursula K. Le Guin")

def insert_duplicate():
    Book.objects.create(title="Earthsea", author_id=author.pk, isbn="111")
    connection.close()

def race(sender, **kwargs):
    pre_save.disconnect(race, sender=Book)
    thread = threading.Thread(target=insert_duplicate)
    thread.start()
    thread.join()

pre_save.connect(race, sender=Book)
with transaction.atomic():
    Book.objects.create(title="Kept", author=author)
    try:
        create_instance(Book, {"title": "Tehanu", "author": author.pk, "isbn": "111"})
    except Conflict as exc:
        detail = exc.detail
    create_instance(Book, {"title": "Tehanu", "author": author.pk, "isbn": "222"})
print(json.dumps({"detail": detail, "titles": sorted(Book.objects.values_list("title", flat=True))}))
"""


@pytest.mark.postgres
def test_create_instance_race_on_postgresql_is_409_and_outer_transaction_commits(postgres_url):
    import psycopg

    name = f"dfb_saving_{os.getpid()}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sample_site.settings",
            "DATABASE_URL": urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}")),
            "DATABASE_POOL": "0",
        }
        result = subprocess.run(
            [sys.executable, "-c", PG_RACE], check=False, cwd=SAMPLE_SITE, env=environment,
            capture_output=True, text=True, timeout=120,
        )
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout) == {
        "detail": [{"type": "unique", "loc": ["body", "isbn"], "msg": ISBN_TAKEN, "input": "111"}],
        "titles": ["Earthsea", "Kept", "Tehanu"],
    }


# Through endpoints

router = APIRouter()


def _read(book: Book) -> dict:
    tags = sorted(book.tags.values_list("pk", flat=True))
    return {"id": book.pk, "title": book.title, "author": book.author_id, "tags": tags}


@router.post("/books", status_code=201)
def create_book(body: BookIn) -> dict:
    return _read(create_instance(Book, body))


@router.patch("/books/{pk}")
def patch_book(pk: int, body: BookPatch) -> dict:
    return _read(update_instance(Book.objects.get(pk=pk), body, partial=True))


@router.post("/async/books", status_code=201)
async def acreate_book(body: BookIn) -> dict:
    book = await acreate_instance(Book, body)
    return {"id": book.pk, "title": book.title}


@router.patch("/async/books/{pk}")
async def apatch_book(pk: int, body: BookPatch) -> dict:
    book = await aupdate_instance(await Book.objects.aget(pk=pk), body, partial=True)
    return {"id": book.pk, "title": book.title}


endpoints = override_settings(
    FASTAPI_ROUTERS=[{"router": "tests.orm.test_saving.router", "prefix": "/saving"}]
)


@endpoints
def test_create_endpoint_is_201_with_the_saved_book(author, tags):
    body = {"title": "Earthsea", "author": author.pk, "tags": [tags[0].pk]}
    response = Client().post("/api/saving/books", json=body)
    assert response.status_code == 201
    assert response.json() == {"id": Book.objects.get().pk, **body}


@endpoints
def test_create_endpoint_rating_above_five_is_422(author):
    body = {"title": "Earthsea", "author": author.pk, "rating": "6"}
    response = Client().post("/api/saving/books", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "max_value",
                "loc": ["body", "rating"],
                "msg": "Ensure this value is less than or equal to 5.",
                "input": 6,
            }
        ]
    }


@endpoints
def test_create_endpoint_duplicate_isbn_is_409(author):
    Book.objects.create(title="Earthsea", author=author, isbn="111")
    body = {"title": "Tehanu", "author": author.pk, "isbn": "111"}
    response = Client().post("/api/saving/books", json=body)
    assert response.status_code == 409
    assert response.json() == {
        "detail": [{"type": "unique", "loc": ["body", "isbn"], "msg": ISBN_TAKEN, "input": "111"}]
    }


@endpoints
def test_patch_endpoint_unknown_tag_is_422(author):
    book = Book.objects.create(title="Earthsea", author=author)
    response = Client().patch(f"/api/saving/books/{book.pk}", json={"tags": [999]})
    assert response.status_code == 422
    # Worded as Django words a missing foreign key (its wording changed in Django 5.2).
    message = ForeignKey.default_error_messages["invalid"] % {"model": "tag", "field": "id", "value": 999}
    detail = [{"type": "invalid", "loc": ["body", "tags"], "msg": message, "input": 999}]
    assert response.json() == {"detail": detail}


@endpoints
def test_async_create_endpoint_is_201(author):
    response = Client().post("/api/saving/async/books", json={"title": "Earthsea", "author": author.pk})
    assert response.status_code == 201
    assert response.json() == {"id": Book.objects.get().pk, "title": "Earthsea"}


@endpoints
def test_async_patch_endpoint_title_conflict_is_409(author):
    Book.objects.create(title="Earthsea", author=author)
    book = Book.objects.create(title="Tehanu", author=author)
    response = Client().patch(f"/api/saving/async/books/{book.pk}", json={"title": "Earthsea"})
    assert response.status_code == 409
    message = "Book with this Author and Title already exists."
    assert response.json() == {
        "detail": [
            {"type": "unique_together", "loc": ["body", "author"], "msg": message, "input": author.pk},
            {"type": "unique_together", "loc": ["body", "title"], "msg": message, "input": "Earthsea"},
        ]
    }


@endpoints
def test_async_create_endpoint_missing_author_is_422(db):
    response = Client().post("/api/saving/async/books", json={"title": "Earthsea", "author": 404})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "author"]
