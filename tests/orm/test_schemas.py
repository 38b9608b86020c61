import datetime
import decimal
from typing import Literal

import pytest
from catalog.models import Author, Book, Tag
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import F
from django.test import override_settings
from django.test.utils import isolate_apps
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from django_fastapi.orm.schemas import ModelSchemas, model_schema, model_schemas, query_plan
from django_fastapi.testing.client import Client

# Named: the catalog app (installed in the tests) already owns the default names "Book", "BookCreate"...
BOOKS = model_schemas(Book, fields="__all__", name="PlainBook")
AuthorBrief = model_schema(Author, fields=["id", "name"], name="AuthorBrief")
TagBrief = model_schema(Tag, fields=["id", "name"], name="TagBrief")
BookDetail = model_schema(Book, fields="__all__", nested={"author": AuthorBrief, "tags": TagBrief}, name="BookDetail")
AuthorWithBooks = model_schema(
    Author, fields=["id", "name", "books"], nested={"books": BookDetail}, name="AuthorWithBooks"
)
WRITABLE = ["title", "author", "published", "pages", "in_stock", "format", "rating", "isbn", "tags"]
EVERY_FIELD = ["id", *WRITABLE, "created_at", "updated_at"]

router = APIRouter()


def planned(queryset, schema):
    select, prefetch = query_plan(schema)
    # select_related() without arguments would join every foreign key.
    return (queryset.select_related(*select) if select else queryset).prefetch_related(*prefetch)


@router.post("/books", response_model=BOOKS.read, status_code=201)
def create_book(body: BOOKS.create):  # returns a model instance
    data = body.model_dump()
    tags, author = data.pop("tags"), data.pop("author")
    book = Book.objects.create(**data, author_id=author)
    book.tags.set(tags)
    # FastAPI validates the response on the event loop, where a query is refused: load what it reads.
    return planned(Book.objects, BOOKS.read).get(pk=book.pk)


@router.put("/books/{pk}", response_model=BOOKS.read)
def replace_book(pk: int, body: BOOKS.update):  # returns a schema instance
    return BOOKS.read.model_validate(Book.objects.get(pk=pk))


@router.patch("/books/{pk}")
def patch_book(pk: int, body: BOOKS.patch) -> dict:
    return {"sent": body.model_dump(mode="json")}


@router.get("/books/{pk}", response_model=BookDetail)
def read_book(pk: int):
    return planned(Book.objects, BookDetail).get(pk=pk)


# Only this module's routes, so the document's components are the ones built here.
ROUTED = override_settings(
    FASTAPI_AUTODISCOVER=False, FASTAPI_ROUTERS=[{"router": "tests.orm.test_schemas.router", "prefix": "/s"}]
)


def openapi() -> dict:
    with ROUTED:
        response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()["components"]["schemas"]


@pytest.fixture
def book(db) -> Book:
    author = Author.objects.create(name="Ursula K. Le Guin")
    book = Book.objects.create(title="The Dispossessed", author=author, rating=decimal.Decimal("4.5"))
    book.tags.set([Tag.objects.create(name="utopia", slug="utopia"), Tag.objects.create(name="sf", slug="sf")])
    return book


def fill(count: int) -> None:
    tags = [Tag.objects.create(name=f"tag{n}", slug=f"tag{n}") for n in range(3)]
    for n in range(count):
        author = Author.objects.create(name=f"Author {n}")
        for title in ("One", "Two"):
            Book.objects.create(title=title, author=author).tags.set(tags[:2])


# Which fields


def test_model_schema_read_has_concrete_and_many_to_many_fields_in_declaration_order():
    assert list(BOOKS.read.model_fields) == EVERY_FIELD


def test_model_schema_fields_keeps_the_named_fields_in_their_order():
    schema = model_schema(Book, fields=["title", "id"], name="TitleFirst")
    assert list(schema.model_fields) == ["title", "id"]


def test_model_schema_exclude_leaves_fields_out():
    schema = model_schema(Book, exclude=["isbn", "tags"], name="BookWithoutIsbn")
    assert "isbn" not in schema.model_fields and "tags" not in schema.model_fields


def test_model_schema_reverse_relation_only_when_listed():
    assert "books" not in model_schemas(Author, fields="__all__").read.model_fields
    schema = model_schema(Author, fields=["id", "books"], name="AuthorBookKeys")
    assert schema.model_fields["books"].annotation == list[int]


@pytest.mark.parametrize("argument", ["fields", "exclude", "read_only", "nested"])
def test_model_schema_unknown_name_raises_naming_model_and_valid_names(argument):
    value = {"titel": TagBrief} if argument == "nested" else ["titel"]
    with pytest.raises(ImproperlyConfigured) as raised:
        model_schema(Book, **{"fields": "__all__", argument: value}, name="Misspelt")
    message = str(raised.value)
    assert f"{argument}= names 'titel'" in message
    assert "catalog.Book" in message
    assert "Choose from: id, title, author," in message


def test_model_schema_fields_as_a_string_raises():
    with pytest.raises(ImproperlyConfigured, match=r"fields=\['title'\]"):
        model_schema(Book, fields="title", name="StringFields")


def test_model_schema_nested_on_a_plain_field_raises():
    with pytest.raises(ImproperlyConfigured, match="'title' is no relation"):
        model_schema(Book, fields="__all__", nested={"title": TagBrief}, name="NestedTitle")


def test_model_schema_nested_schema_that_cannot_read_instances_raises():
    class Plain(BaseModel):
        id: int

    with pytest.raises(ImproperlyConfigured, match="from_attributes=True"):
        model_schema(Book, fields="__all__", nested={"author": Plain}, name="NestedPlain")


def test_model_schema_nested_in_a_write_mode_raises():
    with pytest.raises(ImproperlyConfigured, match="nested schemas are for reading"):
        model_schema(Book, fields="__all__", mode="create", nested={"author": AuthorBrief}, name="NestedCreate")


# Reading


def test_model_schema_read_foreign_key_is_its_key_read_without_a_query(book, django_assert_num_queries):
    book = Book.objects.prefetch_related("tags").get(pk=book.pk)
    with django_assert_num_queries(0):
        data = BOOKS.read.model_validate(book)
    assert data.author == book.author_id
    assert data.tags == [tag.pk for tag in book.tags.all()]


def test_model_schema_read_round_trips_through_its_own_dump(book):
    data = BOOKS.read.model_validate(book)
    assert BOOKS.read.model_validate(data.model_dump()) == data


def test_model_schema_read_nested_relations_are_objects(book):
    data = BookDetail.model_validate(book)
    assert data.author.model_dump() == {"id": book.author_id, "name": "Ursula K. Le Guin"}
    assert [tag.name for tag in data.tags] == ["sf", "utopia"]


def test_model_schema_read_choices_are_a_literal():
    assert BOOKS.read.model_fields["format"].annotation == Literal["hardcover", "paperback", "ebook"]


def test_model_schema_read_nullable_field_is_optional():
    assert BOOKS.read.model_fields["published"].annotation == datetime.date | None


def test_model_schema_read_does_not_apply_model_constraints():
    stored = {
        "id": 1, "title": "x" * 300, "author": 1, "published": None, "pages": -1, "in_stock": True,
        "format": "ebook", "rating": "9.5", "isbn": "1" * 20, "tags": [], "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
    }
    assert BOOKS.read.model_validate(stored).rating == decimal.Decimal("9.5")


@isolate_apps("catalog")
def test_model_schema_read_file_field_is_its_url_or_none():
    class Leaflet(models.Model):
        scan = models.FileField(blank=True)

        class Meta:
            app_label = "catalog"

    schema = model_schema(Leaflet, fields="__all__", name="LeafletRead")
    with override_settings(MEDIA_URL="/media/"):
        assert schema.model_validate(Leaflet(id=1, scan="scans/a.pdf")).scan == "/media/scans/a.pdf"
    assert schema.model_validate(Leaflet(id=2, scan="")).scan is None
    assert "scan" not in model_schema(Leaflet, fields="__all__", mode="create", name="LeafletCreate").model_fields


@isolate_apps("catalog")
def test_model_schema_read_reverse_one_to_one_is_key_or_none_and_selected():
    class Person(models.Model):
        class Meta:
            app_label = "catalog"

    class Passport(models.Model):
        person = models.OneToOneField(Person, models.CASCADE, related_name="passport")

        class Meta:
            app_label = "catalog"

    schema = model_schema(Person, fields=["passport"], name="PersonWithPassport")
    person = Person()
    assert schema.model_validate(person).passport is None
    person.passport = Passport(id=7, person=person)
    assert schema.model_validate(person).passport == 7
    assert query_plan(schema) == (("passport",), ())


# Writing


def test_model_schema_create_leaves_out_read_only_fields():
    assert list(BOOKS.create.model_fields) == WRITABLE


def test_model_schema_create_leaves_out_read_only_argument_fields():
    schema = model_schema(Book, fields="__all__", mode="create", read_only=["isbn"], name="BookCreateWithoutIsbn")
    assert "isbn" not in schema.model_fields


def test_model_schema_create_requires_fields_without_default_null_or_blank():
    assert [name for name, info in BOOKS.create.model_fields.items() if info.is_required()] == ["title", "author"]


def test_model_schema_create_uses_model_defaults():
    data = BOOKS.create(title="Lathe", author=1)
    assert (data.pages, data.in_stock, data.format, data.published, data.rating, data.isbn, data.tags) == (
        0, True, "paperback", None, None, None, []
    )


def test_model_schema_create_blank_text_defaults_to_empty_string():
    assert model_schemas(Author, fields="__all__").create(name="Ursula").bio == ""


@isolate_apps("catalog")
def test_model_schema_create_callable_default_is_optional_and_left_unset():
    class Shelf(models.Model):
        labels = models.JSONField(default=dict)

        class Meta:
            app_label = "catalog"

    schema = model_schema(Shelf, fields="__all__", mode="create", name="ShelfCreate")
    assert not schema.model_fields["labels"].is_required()
    assert schema().model_dump() == {}
    assert schema(labels={"a": 1}).model_dump() == {"labels": {"a": 1}}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": "   "}, "title"),
        ({"pages": -1}, "pages"),
        ({"rating": "5.5"}, "rating"),
        ({"rating": "4.55"}, "rating"),
        ({"format": "scroll"}, "format"),
        ({"isbn": "1" * 14}, "isbn"),
    ],
)
def test_model_schema_create_applies_model_constraints(changes, field):
    with pytest.raises(ValidationError) as raised:
        BOOKS.create(**{"title": "Lathe", "author": 1, **changes})
    assert [error["loc"] for error in raised.value.errors()] == [(field,)]


def test_model_schema_create_strips_surrounding_whitespace():
    assert BOOKS.create(title="  Lathe of Heaven ", author=1).title == "Lathe of Heaven"


def test_model_schema_create_and_update_have_same_fields_but_are_distinct_classes():
    assert BOOKS.update is not BOOKS.create
    assert BOOKS.update.model_json_schema()["properties"] == BOOKS.create.model_json_schema()["properties"]
    assert BOOKS.update.model_json_schema()["required"] == BOOKS.create.model_json_schema()["required"]


@isolate_apps("catalog")
def test_model_schema_natural_primary_key_is_written_on_create_only():
    class Country(models.Model):
        code = models.CharField(max_length=2, primary_key=True)

        class Meta:
            app_label = "catalog"

    schemas = model_schemas(Country, fields="__all__", name="NaturalKeyCountry")
    assert schemas.create.model_fields["code"].is_required()
    assert "code" not in schemas.update.model_fields and "code" not in schemas.patch.model_fields


@isolate_apps("catalog")
def test_model_schema_blank_choices_accept_an_empty_string():
    class Sticker(models.Model):
        colour = models.CharField(max_length=5, choices=[("red", "Red")], blank=True)

        class Meta:
            app_label = "catalog"

    schema = model_schema(Sticker, fields="__all__", mode="create", name="StickerCreate")
    assert schema().colour == ""
    with pytest.raises(ValidationError):
        schema(colour="blue")


@isolate_apps("catalog")
def test_model_schema_many_to_many_without_blank_needs_one_key():
    class Topic(models.Model):
        class Meta:
            app_label = "catalog"

    class Essay(models.Model):
        topics = models.ManyToManyField(Topic)

        class Meta:
            app_label = "catalog"

    schema = model_schema(Essay, fields="__all__", mode="create", name="EssayCreate")
    assert schema(topics=[1]).topics == [1]
    with pytest.raises(ValidationError):
        schema(topics=[])


# PATCH


def test_model_schema_patch_makes_every_writable_field_optional():
    assert list(BOOKS.patch.model_fields) == WRITABLE
    assert not any(info.is_required() for info in BOOKS.patch.model_fields.values())


def test_model_schema_patch_dump_holds_only_the_sent_fields():
    data = BOOKS.patch(title="Lathe")
    assert data.model_dump(exclude_unset=True) == {"title": "Lathe"}
    assert data.model_dump() == {"title": "Lathe"}


def test_model_schema_patch_refuses_null_for_non_nullable_field():
    with pytest.raises(ValidationError) as raised:
        BOOKS.patch(title=None)
    assert raised.value.errors()[0]["loc"] == ("title",)


def test_model_schema_patch_accepts_null_for_nullable_field():
    assert BOOKS.patch(rating=None).model_dump() == {"rating": None}


def test_model_schema_patch_keeps_model_constraints():
    with pytest.raises(ValidationError):
        BOOKS.patch(pages=-1)


# extra=


def test_model_schema_extra_adds_a_field_read_from_the_instance(book):
    schema = model_schema(Book, fields=["id", "author_name"], extra={"author_name": str}, name="BookByline")
    row = Book.objects.annotate(author_name=F("author__name")).get(pk=book.pk)
    assert schema.model_validate(row).author_name == "Ursula K. Le Guin"


def test_model_schema_extra_overrides_a_generated_field():
    schema = model_schema(Book, fields="__all__", extra={"rating": (float | None, Field(ge=0))}, name="BookFloatRating")
    assert schema.model_fields["rating"].annotation == float | None
    assert list(schema.model_fields) == EVERY_FIELD


def test_model_schemas_extra_override_reaches_writes_and_addition_stays_on_read():
    schemas = model_schemas(
        Book, fields="__all__", extra={"pages": (int, Field(ge=1)), "summary": (str, "")}, name="BookWithSummary"
    )
    assert "summary" in schemas.read.model_fields and "summary" not in schemas.create.model_fields
    with pytest.raises(ValidationError):
        schemas.create(title="Lathe", author=1, pages=0)
    assert not schemas.patch.model_fields["pages"].is_required()


def test_model_schema_extra_entry_of_wrong_shape_raises():
    with pytest.raises(ImproperlyConfigured, match=r"\(annotation, default\)"):
        model_schema(Book, fields="__all__", extra={"summary": (str, "", "x")}, name="BadExtra")


# Names and the cache


def test_model_schemas_default_names():
    schemas = model_schemas(Tag, fields=["id", "name", "slug"])  # as the catalog's TAGS
    assert isinstance(schemas, ModelSchemas)
    assert [schema.__name__ for schema in (schemas.read, schemas.create, schemas.update, schemas.patch)] == [
        "Tag", "TagCreate", "TagUpdate", "TagPatch"
    ]


def test_model_schemas_name_is_the_base_of_every_variant():
    schemas = model_schemas(Tag, fields="__all__", name="Label")
    assert [s.__name__ for s in (schemas.read, schemas.create, schemas.update, schemas.patch)] == [
        "Label", "LabelCreate", "LabelUpdate", "LabelPatch"
    ]


def test_model_schema_same_arguments_return_the_same_class():
    assert model_schema(Book, fields="__all__", name="PlainBook") is BOOKS.read
    assert model_schema(Book, fields="__all__", mode="patch", name="PlainBookPatch") is BOOKS.patch
    assert model_schema(Author, fields=["id", "name"], name="AuthorBrief") is AuthorBrief


def test_model_schema_name_taken_by_another_spec_raises_asking_for_name():
    with pytest.raises(ImproperlyConfigured) as raised:
        model_schema(Book, fields=["id", "title"], name="PlainBook")
    message = str(raised.value)
    assert "would be named 'PlainBook'" in message and "Pass name=" in message


def test_model_schema_name_must_be_an_identifier():
    with pytest.raises(ImproperlyConfigured, match="identifier"):
        model_schema(Book, fields="__all__", name="Book Detail")


def test_model_schema_labels_from_verbose_name_and_help_text():
    fields = BOOKS.read.model_fields
    assert (fields["isbn"].title, fields["in_stock"].title, fields["id"].title) == ("ISBN", "In stock", "ID")
    assert fields["rating"].description == "Average review score, 0 to 5."


# Query plan


def test_query_plan_foreign_key_as_key_needs_no_join():
    assert query_plan(BOOKS.read) == ((), ("tags",))


def test_query_plan_nested_foreign_key_is_selected_and_many_to_many_prefetched():
    assert query_plan(BookDetail) == (("author",), ("tags",))


def test_query_plan_recurses_into_nested_schemas_of_to_many_relations():
    assert query_plan(AuthorWithBooks) == ((), ("books", "books__author", "books__tags"))


@isolate_apps("catalog")
def test_query_plan_recurses_into_nested_foreign_keys():
    class Publisher(models.Model):
        class Meta:
            app_label = "catalog"

    class Writer(models.Model):
        publisher = models.ForeignKey(Publisher, models.CASCADE)

        class Meta:
            app_label = "catalog"

    class Novel(models.Model):
        writer = models.ForeignKey(Writer, models.CASCADE)

        class Meta:
            app_label = "catalog"

    writer = model_schema(Writer, fields="__all__", nested={"publisher": model_schema(Publisher, fields="__all__", name="PublisherRead")}, name="WriterRead")
    novel = model_schema(Novel, fields="__all__", nested={"writer": writer}, name="NovelRead")
    assert query_plan(novel) == (("writer", "writer__publisher"), ())


@pytest.mark.parametrize("authors", [1, 10])
def test_query_plan_bounds_queries_whatever_the_number_of_books(db, django_assert_num_queries, authors):
    fill(authors)
    with django_assert_num_queries(2):  # books joined with authors, then tags
        rows = [BookDetail.model_validate(row) for row in planned(Book.objects.all(), BookDetail)]
    assert len(rows) == 2 * authors and all(len(row.tags) == 2 for row in rows)


def test_query_plan_bounds_queries_for_nested_reverse_relations(db, django_assert_num_queries):
    fill(10)
    # Authors, books, tags: prefetching "books" already sets each book's author.
    with django_assert_num_queries(3):
        rows = [AuthorWithBooks.model_validate(row) for row in planned(Author.objects.all(), AuthorWithBooks)]
    assert {len(row.books) for row in rows} == {2}


def test_query_plan_of_a_schema_not_built_here_raises():
    class Handmade(BaseModel):
        model_config = ConfigDict(from_attributes=True)

    with pytest.raises(TypeError, match="not built by model_schema"):
        query_plan(Handmade)


def test_model_schema_generated_class_keeps_model_and_mode_outside_its_fields():
    assert (BOOKS.patch.__django_model__, BOOKS.patch.__django_mode__) == (Book, "patch")
    assert "__query_plan__" not in BOOKS.read.model_fields


# Through FastAPI


def test_openapi_component_names_are_stable():
    assert {"PlainBook", "PlainBookCreate", "PlainBookUpdate", "PlainBookPatch", "BookDetail", "AuthorBrief", "TagBrief"} <= set(openapi())


def test_openapi_create_shows_model_constraints():
    properties = openapi()["PlainBookCreate"]["properties"]
    assert (properties["title"]["maxLength"], properties["title"]["minLength"]) == (200, 1)
    assert (properties["pages"]["minimum"], properties["pages"]["maximum"]) == (0, 2147483647)
    assert properties["format"]["enum"] == ["hardcover", "paperback", "ebook"]
    assert {"maxLength": 13, "type": "string"} in properties["isbn"]["anyOf"]
    assert {"type": "null"} in properties["isbn"]["anyOf"]
    number = next(option for option in properties["rating"]["anyOf"] if option.get("type") == "number")
    assert (number["minimum"], number["maximum"]) == (0, 5)


def test_openapi_create_lists_required_fields_and_leaves_out_read_only_ones():
    create = openapi()["PlainBookCreate"]
    assert create["required"] == ["title", "author"]
    assert not {"id", "created_at", "updated_at"} & set(create["properties"])
    assert create["additionalProperties"] is False


def test_openapi_read_requires_every_field():
    assert openapi()["PlainBook"]["required"] == EVERY_FIELD


def test_openapi_patch_requires_nothing():
    assert "required" not in openapi()["PlainBookPatch"]


def test_openapi_shows_verbose_name_as_title_and_help_text_as_description():
    rating = openapi()["PlainBookCreate"]["properties"]["rating"]
    assert (rating["title"], rating["description"]) == ("Rating", "Average review score, 0 to 5.")


def test_response_from_a_model_instance_has_the_foreign_key_as_its_key(db):
    author = Author.objects.create(name="Ursula")
    with ROUTED:
        response = Client().post("/api/s/books", json={"title": "Lathe", "author": author.pk})
    assert response.status_code == 201
    assert (response.json()["author"], response.json()["tags"], response.json()["format"]) == (author.pk, [], "paperback")


def test_response_from_a_schema_instance_is_revalidated(book):
    body = {"title": "The Dispossessed", "author": book.author_id}
    with ROUTED:
        response = Client().put(f"/api/s/books/{book.pk}", json=body)
    assert response.status_code == 200
    assert (response.json()["author"], response.json()["rating"]) == (book.author_id, "4.5")


def test_response_with_nested_schema_from_a_model_instance(book):
    with ROUTED:
        response = Client().get(f"/api/s/books/{book.pk}")
    assert response.json()["author"] == {"id": book.author_id, "name": "Ursula K. Le Guin"}


def test_request_with_unknown_key_is_refused_naming_it(db):
    with ROUTED:
        response = Client().post("/api/s/books", json={"title": "Lathe", "author": 1, "colour": "red"})
    assert response.status_code == 422
    assert [(e["type"], e["loc"]) for e in response.json()["detail"]] == [("extra_forbidden", ["body", "colour"])]


def test_request_patch_null_for_non_nullable_field_is_422(db):
    with ROUTED:
        response = Client().patch("/api/s/books/1", json={"title": None})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


def test_request_patch_null_for_nullable_field_is_sent(db):
    with ROUTED:
        response = Client().patch("/api/s/books/1", json={"rating": None})
    assert response.json() == {"sent": {"rating": None}}
