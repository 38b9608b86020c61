"""ModelRouter on the sample site's catalog: its books (async) and tags (sync) routers, and routers
declared here for what the catalog does not configure (default permissions, scoping, overrides)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from catalog.models import Author, Book, Tag
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from fastapi import Depends, HTTPException
from pydantic import BaseModel, ConfigDict

from django_fastapi.application import get_application
from django_fastapi.orm.pagination import CursorPagination
from django_fastapi.orm.router import ModelRouter
from django_fastapi.orm.schemas import ModelSchemas, model_schemas
from django_fastapi.routing.routes import route_table
from django_fastapi.testing.client import AsyncClient, Client
from django_fastapi.tokens.models import Token

BOOKS = "/api/catalog/books"
TAGS = "/api/catalog/tags"

TAG_FIELDS = ["id", "name", "slug"]  # as the catalog's TAGS, whose schema names ("Tag", ...) these share

# Declared routers, mounted by the ``declared`` fixture under /api/m.
authors = ModelRouter(Author, prefix="/authors", schemas=model_schemas(Author, fields="__all__", name="ManagedAuthor"))
in_stock = ModelRouter(
    Book,
    prefix="/in-stock",
    schemas=model_schemas(Book, fields=["id", "title", "in_stock"], name="StockedBook"),
    queryset=lambda books, request, user: books.filter(in_stock=True),
    permissions=None,
)
read_only = ModelRouter(Tag, fields=TAG_FIELDS, prefix="/read-only-tags", actions=["list", "retrieve"], permissions=None)
overridden = ModelRouter(Tag, fields=TAG_FIELDS, prefix="/overridden-tags", permissions=None)


@overridden.get("")
def list_tag_names() -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True))


def refuse_on_friday() -> None:
    raise HTTPException(418, "Not today.")


guarded = ModelRouter(
    Tag,
    fields=TAG_FIELDS,
    prefix="/guarded-tags",
    permissions={"list": None},
    action_dependencies={"list": [Depends(refuse_on_friday)]},
)
sync_books = ModelRouter(
    Book,
    prefix="/sync-books",
    schemas=model_schemas(Book, fields=["id", "title", "author", "tags"], name="SyncBook"),
    permissions=None,
)


class OwnBooksBackend:
    """Grants catalog.change_book on a book whose title starts with the user's name."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user, perm, obj=None):
        return perm == "catalog.change_book" and obj is not None and obj.title.startswith(user.username)


owned = ModelRouter(
    Book,
    prefix="/owned",
    schemas=model_schemas(Book, fields=["id", "title"], name="OwnedBook"),
    permissions={"list": None, "retrieve": None},
    object_permissions=True,
)



class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class TagIn(BaseModel):
    name: str
    slug: str


handmade = ModelRouter(
    Tag,
    prefix="/handmade-tags",
    schemas=ModelSchemas(read=TagOut, create=TagIn, update=TagIn, patch=TagIn),
    permissions=None,
)

cursor_tags = ModelRouter(Tag, fields=TAG_FIELDS, prefix="/cursor-tags", pagination=CursorPagination(ordering="name"), permissions=None)

DECLARED = [
    {"router": f"tests.orm.test_router.{name}", "prefix": "/m"}
    for name in ("authors", "in_stock", "read_only", "overridden", "guarded", "sync_books", "owned", "handmade", "cursor_tags")
]


@pytest.fixture
def declared(db):
    with override_settings(
        FASTAPI_ROUTERS=DECLARED,
        AUTHENTICATION_BACKENDS=[
            "django.contrib.auth.backends.ModelBackend",
            "tests.orm.test_router.OwnBooksBackend",
        ],
    ):
        yield


@pytest.fixture
def author(db) -> Author:
    return Author.objects.create(name="Ursula K. Le Guin")


@pytest.fixture
def tags(db) -> list[Tag]:
    return [Tag.objects.create(name=name, slug=name.lower()) for name in ("Fantasy", "Classic")]


@pytest.fixture
def books(author, tags) -> list[Book]:
    created = []
    for number in range(1, 8):
        book = Book.objects.create(title=f"Book {number}", author=author, pages=100 * number,
                                   in_stock=number % 2 == 1)
        book.tags.set(tags[: 1 + number % 2])
        created.append(book)
    return created


def bearer(username: str, *perms: str) -> dict[str, str]:
    user = User.objects.create_user(username)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    _, raw = Token.objects.create_token(user, "tests")
    return {"Authorization": f"Bearer {raw}"}


# List


def test_model_router_list_is_a_page_with_nested_author_and_tags(books):
    page = Client().get(BOOKS, params={"page_size": 2}).json()
    assert page["count"] == 7
    assert page["next"] == "http://testserver/api/catalog/books?page_size=2&page=2"
    assert page["previous"] is None
    first = page["results"][0]
    assert first["author"] == {"id": books[0].author_id, "name": "Ursula K. Le Guin"}
    assert [tag["slug"] for tag in first["tags"]] == ["classic", "fantasy"]


@pytest.mark.parametrize("page_size", [1, 7])
def test_model_router_list_query_count_does_not_grow_with_page_size(books, django_assert_num_queries, page_size):
    # count, page, tags prefetch (the author comes in the page query's join)
    with django_assert_num_queries(3):
        response = Client().get(BOOKS, params={"page_size": page_size})
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [1, 7])
def test_model_router_sync_list_query_count_does_not_grow_with_page_size(
    books, declared, django_assert_num_queries, page_size
):
    # count, page, tags prefetch: the author is read as its key, from the book row
    with django_assert_num_queries(3):
        response = Client().get("/api/m/sync-books", params={"page_size": page_size})
    assert len(response.json()["results"]) == page_size


def test_model_router_list_filters_searches_and_orders(books):
    response = Client().get(BOOKS, params={"in_stock": "true", "search": "book", "ordering": "-pages"})
    assert [book["title"] for book in response.json()["results"]] == ["Book 7", "Book 5", "Book 3", "Book 1"]


def test_model_router_list_unknown_parameter_is_422_listing_allowed(books):
    response = Client().get(BOOKS, params={"titel": "x"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "titel"]
    assert "page_size" in error["msg"] and "ordering" in error["msg"]


def test_model_router_list_out_of_range_page_is_404(books):
    response = Client().get(BOOKS, params={"page": 9})
    assert (response.status_code, response.json()) == (404, {"detail": "That page contains no results"})


def test_model_router_sync_router_lists(tags):
    response = Client().get(TAGS)
    assert [tag["slug"] for tag in response.json()["results"]] == ["classic", "fantasy"]


# Retrieve


def test_model_router_retrieve_returns_the_read_schema(books):
    response = Client().get(f"{BOOKS}/{books[0].pk}")
    assert response.status_code == 200
    assert response.json()["title"] == "Book 1"
    assert response.json()["format"] == "paperback"


def test_model_router_retrieve_missing_is_404(db):
    response = Client().get(f"{BOOKS}/999")
    assert (response.status_code, response.json()) == (404, {"detail": "No book matches the given query."})


def test_model_router_retrieve_non_integer_key_is_422(db):
    assert Client().get(f"{BOOKS}/abc").status_code == 422


# Create


def test_model_router_create_anonymous_is_401(author):
    response = Client().post(BOOKS, json={"title": "Kindred", "author": author.pk})
    assert response.status_code == 401


def test_model_router_create_without_add_permission_is_403(author):
    response = Client().post(BOOKS, json={"title": "Kindred", "author": author.pk},
                             headers=bearer("reader", "catalog.view_book"))
    assert response.status_code == 403


def test_model_router_create_with_add_permission_is_201_with_relations(author, tags):
    response = Client().post(
        BOOKS,
        json={"title": "Kindred", "author": author.pk, "tags": [tags[0].pk], "rating": "4.5"},
        headers=bearer("editor", "catalog.add_book"),
    )
    assert response.status_code == 201
    body = response.json()
    book = Book.objects.get(pk=body["id"])
    assert (book.title, book.author_id, list(book.tags.all()), str(book.rating)) == (
        "Kindred", author.pk, [tags[0]], "4.5"
    )
    assert body["author"]["name"] == author.name and body["tags"][0]["slug"] == "fantasy"


def test_model_router_create_applies_model_defaults(author):
    response = Client().post(BOOKS, json={"title": "Kindred", "author": author.pk},
                             headers=bearer("editor", "catalog.add_book"))
    assert {key: response.json()[key] for key in ("pages", "in_stock", "format", "tags")} == {
        "pages": 0, "in_stock": True, "format": "paperback", "tags": []
    }


def test_model_router_create_model_validation_is_422_per_field(author):
    response = Client().post(BOOKS, json={"title": "Kindred", "author": 999},
                             headers=bearer("editor", "catalog.add_book"))
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "author"]]


def test_model_router_create_schema_validation_is_422(author):
    response = Client().post(BOOKS, json={"title": "Kindred", "author": author.pk, "format": "scroll"},
                             headers=bearer("editor", "catalog.add_book"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "format"]


def test_model_router_create_duplicate_unique_field_is_409_naming_it(books):
    Book.objects.filter(pk=books[0].pk).update(isbn="9780441478125")
    response = Client().post(BOOKS, json={"title": "Copy", "author": books[0].author_id, "isbn": "9780441478125"},
                             headers=bearer("editor", "catalog.add_book"))
    assert response.status_code == 409
    assert response.json()["detail"][0]["loc"] == ["body", "isbn"]


def test_model_router_create_is_throttled_by_its_action_dependency(author):
    headers = bearer("editor", "catalog.add_book")
    cache.clear()  # counts of earlier tests' users (the same primary keys after their rollback)
    with override_settings(FASTAPI_THROTTLE_RATES={"catalog-book-writes": "2/min"}):
        statuses = [
            Client().post(BOOKS, json={"title": f"T{n}", "author": author.pk}, headers=headers).status_code
            for n in range(3)
        ]
    assert statuses == [201, 201, 429]


# Update and partial update


def test_model_router_put_replaces_every_field(books):
    book = books[0]
    Book.objects.filter(pk=book.pk).update(pages=321)
    response = Client().put(f"{BOOKS}/{book.pk}", json={"title": "Renamed", "author": book.author_id},
                            headers=bearer("editor", "catalog.change_book"))
    assert response.status_code == 200
    book.refresh_from_db()
    assert (book.title, book.pages, list(book.tags.all())) == ("Renamed", 0, [])


def test_model_router_patch_changes_only_the_fields_sent(books):
    book = books[1]
    response = Client().patch(f"{BOOKS}/{book.pk}", json={"pages": 5},
                              headers=bearer("editor", "catalog.change_book"))
    assert response.status_code == 200
    book.refresh_from_db()
    assert (book.title, book.pages, book.tags.count()) == ("Book 2", 5, 1)


def test_model_router_patch_null_for_a_non_nullable_field_is_422(books):
    response = Client().patch(f"{BOOKS}/{books[0].pk}", json={"title": None},
                              headers=bearer("editor", "catalog.change_book"))
    assert response.status_code == 422


def test_model_router_patch_without_change_permission_is_403(books):
    response = Client().patch(f"{BOOKS}/{books[0].pk}", json={"pages": 5}, headers=bearer("adder", "catalog.add_book"))
    assert response.status_code == 403


def test_model_router_patch_missing_is_404(db):
    response = Client().patch(f"{BOOKS}/999", json={"pages": 5}, headers=bearer("editor", "catalog.change_book"))
    assert response.status_code == 404


def test_model_router_patch_into_a_unique_constraint_is_409(books, author):
    Book.objects.create(title="Taken", author=author)
    response = Client().patch(f"{BOOKS}/{books[0].pk}", json={"title": "Taken"},
                              headers=bearer("editor", "catalog.change_book"))
    assert response.status_code == 409
    assert {tuple(error["loc"]) for error in response.json()["detail"]} == {("body", "author"), ("body", "title")}


# Delete


def test_model_router_delete_is_204_and_removes_the_row(books):
    response = Client().delete(f"{BOOKS}/{books[0].pk}", headers=bearer("remover", "catalog.delete_book"))
    assert (response.status_code, response.content) == (204, b"")
    assert not Book.objects.filter(pk=books[0].pk).exists()


def test_model_router_delete_without_permission_is_403(books):
    response = Client().delete(f"{BOOKS}/{books[0].pk}", headers=bearer("editor", "catalog.change_book"))
    assert response.status_code == 403
    assert Book.objects.filter(pk=books[0].pk).exists()


def test_model_router_delete_protected_row_is_409(books, declared):
    response = Client().delete(f"/api/m/authors/{books[0].author_id}", headers=bearer("remover", "catalog.delete_author"))
    assert response.status_code == 409
    assert "7 related books still refer to it" in response.json()["detail"]
    assert Author.objects.filter(pk=books[0].author_id).exists()


# Defaults and options of declared routers


def test_model_router_default_permissions_require_view_to_list(author, declared):
    assert Client().get("/api/m/authors").status_code == 401
    assert Client().get("/api/m/authors", headers=bearer("nobody")).status_code == 403
    response = Client().get("/api/m/authors", headers=bearer("viewer", "catalog.view_author"))
    assert [row["name"] for row in response.json()["results"]] == [author.name]


def test_model_router_default_permissions_require_view_to_retrieve(author, declared):
    assert Client().get(f"/api/m/authors/{author.pk}", headers=bearer("nobody")).status_code == 403


def test_model_router_queryset_hook_scopes_the_list(books, declared):
    response = Client().get("/api/m/in-stock")
    assert [row["title"] for row in response.json()["results"]] == ["Book 1", "Book 3", "Book 5", "Book 7"]


def test_model_router_queryset_hook_scopes_retrieve(books, declared):
    assert Client().get(f"/api/m/in-stock/{books[1].pk}").status_code == 404
    assert Client().get(f"/api/m/in-stock/{books[0].pk}").status_code == 200


def test_model_router_queryset_hook_scopes_delete(books, declared):
    assert Client().delete(f"/api/m/in-stock/{books[1].pk}").status_code == 404
    assert Book.objects.filter(pk=books[1].pk).exists()


def test_model_router_switched_off_action_has_no_route(tags, declared):
    assert Client().post("/api/m/read-only-tags", json={"name": "New", "slug": "new"}).status_code == 405
    assert Client().delete(f"/api/m/read-only-tags/{tags[0].pk}").status_code == 405


def test_model_router_declared_route_replaces_the_generated_one(tags, declared):
    assert Client().get("/api/m/overridden-tags").json() == ["Classic", "Fantasy"]
    assert Client().get(f"/api/m/overridden-tags/{tags[0].pk}").json()["slug"] == "fantasy"


def test_model_router_action_dependency_runs_for_its_action_only(tags, declared):
    assert Client().get("/api/m/guarded-tags").status_code == 418
    assert Client().get(f"/api/m/guarded-tags/{tags[0].pk}", headers=bearer("viewer", "catalog.view_tag")).status_code == 200


def test_model_router_object_permissions_ask_the_backends_about_the_object(author, declared):
    mine = Book.objects.create(title="editor's notes", author=author)
    theirs = Book.objects.create(title="someone else's", author=author)
    headers = bearer("editor", "catalog.change_book")  # the model permission, as DRF's DjangoObjectPermissions
    assert Client().patch(f"/api/m/owned/{mine.pk}", json={"title": "editor's draft"}, headers=headers).status_code == 200
    assert Client().patch(f"/api/m/owned/{theirs.pk}", json={"title": "stolen"}, headers=headers).status_code == 403


def test_model_router_takes_hand_written_schemas(tags, declared):
    created = Client().post("/api/m/handmade-tags", json={"name": "Poetry", "slug": "poetry"})
    assert (created.status_code, created.json()) == (201, {"id": Tag.objects.get(slug="poetry").pk, "name": "Poetry"})
    listed = Client().get("/api/m/handmade-tags")
    assert [row["name"] for row in listed.json()["results"]] == ["Classic", "Fantasy", "Poetry"]


def test_model_router_lists_with_cursor_pagination(tags, declared):
    first = Client().get("/api/m/cursor-tags", params={"page_size": 1}).json()
    second = get_link(first["next"])
    assert [row["name"] for row in first["results"] + second["results"]] == ["Classic", "Fantasy"]
    assert "count" not in first and second["next"] is None


def get_link(url: str) -> dict:
    return Client().get(url.removeprefix("http://testserver")).json()


def test_model_router_cursor_pagination_ordering_is_checked_against_the_model():
    with pytest.raises(ImproperlyConfigured, match="titel"):
        ModelRouter(Book, pagination=CursorPagination(ordering="titel"), schemas=model_schemas(Book, fields="__all__", name="CursorBook"))


def test_model_router_unknown_action_is_an_error():
    with pytest.raises(ValueError, match="Unknown ModelRouter actions \\['remove'\\]"):
        ModelRouter(Tag, fields=TAG_FIELDS, actions=["list", "remove"])


def test_model_router_unknown_permission_key_is_an_error():
    with pytest.raises(ValueError, match="permissions must be 'model', None or a dict keyed by"):
        ModelRouter(Tag, fields=TAG_FIELDS, permissions={"lists": None})


def test_model_router_async_client_lists(books):
    async def fetch():
        async with AsyncClient() as client:
            return await client.get(BOOKS, params={"author": books[0].author_id})

    assert async_to_sync(fetch)().json()["count"] == 7


# OpenAPI


@pytest.fixture
def openapi(db) -> dict:
    return Client().get("/api/openapi.json").json()


def test_model_router_openapi_names_operations_and_schemas(openapi):
    path = openapi["paths"][BOOKS]
    assert path["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Page_Book_")
    assert path["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/BookCreate")
    assert "201" in path["post"]["responses"]
    detail = openapi["paths"][f"{BOOKS}/{{pk}}"]
    assert detail["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/BookPatch")
    assert detail["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/BookUpdate")
    assert "204" in detail["delete"]["responses"]


def test_model_router_openapi_list_parameters_are_typed(openapi):
    parameters = {p["name"]: p["schema"] for p in openapi["paths"][BOOKS]["get"]["parameters"]}
    assert parameters["page_size"]["maximum"] == 100
    assert parameters["in_stock"]["type"] == "boolean"
    assert parameters["format"]["enum"] == ["hardcover", "paperback", "ebook"]


def test_model_router_routes_are_listed_with_names(db):
    names = {route.name for route in route_table(get_application()) if route.path.startswith(BOOKS)}
    assert {"book_list", "book_retrieve", "book_create", "book_update", "book_partial_update", "book_destroy"} <= names
