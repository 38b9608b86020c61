"""Page-number, limit/offset and cursor pagination through real endpoints on the catalog models."""

from __future__ import annotations

import base64
import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from asgiref.sync import async_to_sync
from catalog.models import Author, Book
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db.models import F
from django.test import override_settings
from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from django_fastapi.application import get_application
from django_fastapi.conf import api_settings
from django_fastapi.orm.keyset import Keyset, parse_ordering
from django_fastapi.orm.pagination import (
    CursorPage,
    CursorPagination,
    LimitOffsetPagination,
    Page,
    PageNumberPagination,
    Paging,
)
from django_fastapi.testing.client import AsyncClient, Client
from django_fastapi.testing.live_server import LiveServer


class AuthorItem(BaseModel):
    id: int
    name: str


class BookItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    format: str
    rating: Decimal | None
    author: AuthorItem


router = APIRouter()
pages = PageNumberPagination()
small_pages = PageNumberPagination(page_size=2, max_page_size=5)
offsets = LimitOffsetPagination()
newest_first = CursorPagination(ordering="-created_at", page_size=3)
by_format_rating = CursorPagination(ordering=["format", "-rating", "title"], page_size=2)
oldest_first = CursorPagination(ordering="pk", page_size=2)


def books(format: str | None = None):
    found = Book.objects.select_related("author")
    return found.filter(format=format) if format else found


@router.get("/books", response_model=pages.response_model(BookItem))
def list_books(paging: Annotated[Paging, Depends(pages)], format: str | None = None):
    return paging.paginate(books(format), BookItem)


@router.get("/async/books", response_model=pages.response_model(BookItem))
async def alist_books(paging: Annotated[Paging, Depends(pages)], format: str | None = None):
    return await paging.apaginate(books(format), BookItem)


@router.get("/small/books", response_model=small_pages.response_model(BookItem))
def list_books_small(paging: Annotated[Paging, Depends(small_pages)]):
    return paging.paginate(books(), BookItem)


@router.get("/raw/books")
def list_book_classes(paging: Annotated[Paging, Depends(pages)]):
    page = paging.paginate(books())
    return {"count": page.count, "classes": [type(row).__name__ for row in page.results]}


@router.get("/offset/books", response_model=offsets.response_model(BookItem))
def list_books_by_offset(paging: Annotated[Paging, Depends(offsets)], format: str | None = None):
    return paging.paginate(books(format), BookItem)


@router.get("/async/offset/books", response_model=offsets.response_model(BookItem))
async def alist_books_by_offset(paging: Annotated[Paging, Depends(offsets)]):
    return await paging.apaginate(books(), BookItem)


@router.get("/cursor/books", response_model=newest_first.response_model(BookItem))
def list_books_by_cursor(paging: Annotated[Paging, Depends(newest_first)], format: str | None = None):
    return paging.paginate(books(format), BookItem)


@router.get("/async/cursor/books", response_model=newest_first.response_model(BookItem))
async def alist_books_by_cursor(paging: Annotated[Paging, Depends(newest_first)]):
    return await paging.apaginate(books(), BookItem)


@router.get("/cursor/by-format", response_model=by_format_rating.response_model(BookItem))
def list_books_by_format(paging: Annotated[Paging, Depends(by_format_rating)]):
    return paging.paginate(books(), BookItem)


@router.get("/cursor/oldest", response_model=oldest_first.response_model(BookItem))
def list_books_oldest_first(paging: Annotated[Paging, Depends(oldest_first)]):
    return paging.paginate(books(), BookItem)


ROUTER = {"router": "tests.orm.test_pagination.router", "prefix": "/x"}
pytestmark = pytest.mark.usefixtures("mounted")


@pytest.fixture
def mounted():
    with override_settings(FASTAPI_ROUTERS=[ROUTER]):
        yield


def make_books(count: int, **fields) -> list[Book]:
    author, _ = Author.objects.get_or_create(name="Ursula")
    start = Book.objects.count()
    return Book.objects.bulk_create(
        Book(title=f"Book {start + n:03}", author=author, **fields) for n in range(count)
    )


def titles(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [row["title"] for row in response.json()["results"]]


def query(url: str | None) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def flat(pages_seen: list[list[str]]) -> list[str]:
    return [title for page in pages_seen for title in page]


def titles_of(body: dict) -> list[str]:
    return [row["title"] for row in body["results"]]


def walk(client: Any, url: str, direction: str = "next") -> list[list[str]]:
    """Titles of each page, following ``direction`` links from ``url`` to the end."""
    seen = []
    while url:
        response = client.get(url)
        seen.append(titles(response))
        url = response.json()[direction]
    return seen


# Page number


def test_page_number_first_page_has_count_and_next(db):
    make_books(5)
    body = Client().get("/api/x/books?page_size=2").json()
    assert body["count"] == 5
    assert [row["title"] for row in body["results"]] == ["Book 000", "Book 001"]
    assert body["next"] == "http://testserver/api/x/books?page_size=2&page=2"
    assert body["previous"] is None


def test_page_number_results_use_the_schema(db):
    make_books(1)
    assert Client().get("/api/x/books").json()["results"][0]["author"]["name"] == "Ursula"


def test_page_number_without_schema_gives_model_instances(db):
    make_books(2)
    assert Client().get("/api/x/raw/books").json() == {"count": 2, "classes": ["Book", "Book"]}


def test_page_number_links_keep_other_query_parameters(db):
    make_books(5, format="ebook")
    make_books(2, format="hardcover")
    body = Client().get("/api/x/books?format=ebook&page_size=2&page=2").json()
    assert body["count"] == 5
    assert query(body["next"]) == {"format": ["ebook"], "page_size": ["2"], "page": ["3"]}
    assert query(body["previous"]) == {"format": ["ebook"], "page_size": ["2"]}


def test_page_number_previous_of_page_3_names_page_2(db):
    make_books(7)
    body = Client().get("/api/x/books?page_size=2&page=3").json()
    assert query(body["previous"]) == {"page_size": ["2"], "page": ["2"]}


def test_page_number_last_page_has_no_next(db):
    make_books(5)
    body = Client().get("/api/x/books?page_size=2&page=3").json()
    assert [row["title"] for row in body["results"]] == ["Book 004"]
    assert body["next"] is None


def test_page_number_past_the_last_page_is_404_with_djangos_message(db):
    make_books(5)
    response = Client().get("/api/x/books?page_size=2&page=4")
    assert response.status_code == 404
    assert response.json() == {"detail": "That page contains no results"}


def test_page_number_empty_list_has_an_empty_first_page(db):
    body = Client().get("/api/x/books").json()
    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_page_number_empty_list_second_page_is_404(db):
    assert Client().get("/api/x/books?page=2").status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5"])
def test_page_number_bad_page_is_422_naming_the_parameter(db, page):
    response = Client().get(f"/api/x/books?page={page}")
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", "page"]]


@pytest.mark.parametrize("size", ["0", "101", "abc"])
def test_page_number_bad_page_size_is_422_naming_the_parameter(db, size):
    response = Client().get(f"/api/x/books?page_size={size}")
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", "page_size"]]


def test_page_number_page_size_at_the_maximum_is_allowed(db):
    make_books(3)
    assert Client().get("/api/x/books?page_size=100").json()["count"] == 3


def test_page_number_instance_sizes_override_settings(db):
    make_books(3)
    assert len(titles(Client().get("/api/x/small/books"))) == 2
    assert Client().get("/api/x/small/books?page_size=6").status_code == 422


@pytest.mark.parametrize("size", [1, 50])
def test_page_number_runs_two_queries_whatever_the_page_size(db, django_assert_num_queries, size):
    make_books(120)
    client = Client()
    with django_assert_num_queries(2):
        response = client.get(f"/api/x/books?page_size={size}&page=2")
    assert len(titles(response)) == size


@pytest.mark.parametrize("size", [1, 50])
def test_page_number_async_runs_two_queries_whatever_the_page_size(db, django_assert_num_queries, size):
    make_books(120)
    client = Client()
    with django_assert_num_queries(2):
        response = client.get(f"/api/x/async/books?page_size={size}&page=2")
    assert len(titles(response)) == size


def test_page_number_async_endpoint_matches_sync(db):
    make_books(5, format="ebook")
    sync = Client().get("/api/x/books?format=ebook&page_size=2&page=2").json()
    async_ = Client().get("/api/x/async/books?format=ebook&page_size=2&page=2").json()
    assert async_ == {**sync, "next": sync["next"].replace("/x/", "/x/async/"),
                      "previous": sync["previous"].replace("/x/", "/x/async/")}


def test_page_number_async_past_the_last_page_is_404(db):
    assert Client().get("/api/x/async/books?page=2").json() == {"detail": "That page contains no results"}


def test_page_number_async_client_pages_an_async_endpoint(db):
    make_books(3)

    async def fetch():
        async with AsyncClient() as client:
            return await client.get("/api/x/async/books?page_size=2&page=2")

    body = async_to_sync(fetch)().json()
    assert body["count"] == 3 and [row["title"] for row in body["results"]] == ["Book 002"]


@pytest.mark.server
def test_page_number_async_endpoint_on_a_live_server(transactional_db):
    make_books(5)
    with LiveServer() as server:
        pages_seen = walk(httpx, f"{server.url}/api/x/async/books?page_size=2")
    assert pages_seen == [["Book 000", "Book 001"], ["Book 002", "Book 003"], ["Book 004"]]


# Limit/offset


def test_limit_offset_gives_count_and_the_slice(db):
    make_books(5)
    body = Client().get("/api/x/offset/books?limit=2&offset=1").json()
    assert body["count"] == 5
    assert [row["title"] for row in body["results"]] == ["Book 001", "Book 002"]


def test_limit_offset_links_keep_other_query_parameters(db):
    make_books(6, format="ebook")
    body = Client().get("/api/x/offset/books?format=ebook&limit=2&offset=3").json()
    assert query(body["next"]) == {"format": ["ebook"], "limit": ["2"], "offset": ["5"]}
    assert query(body["previous"]) == {"format": ["ebook"], "limit": ["2"], "offset": ["1"]}


def test_limit_offset_previous_to_the_start_drops_the_offset(db):
    make_books(6)
    body = Client().get("/api/x/offset/books?limit=2&offset=1").json()
    assert query(body["previous"]) == {"limit": ["2"]}


def test_limit_offset_end_has_no_next(db):
    make_books(4)
    assert Client().get("/api/x/offset/books?limit=2&offset=2").json()["next"] is None


def test_limit_offset_past_the_end_gives_no_rows_and_the_count(db):
    make_books(3)
    body = Client().get("/api/x/offset/books?offset=10").json()
    assert (body["count"], body["results"], body["next"]) == (3, [], None)


def test_limit_offset_default_limit_is_the_page_size_setting(db):
    make_books(25)
    assert len(titles(Client().get("/api/x/offset/books"))) == 20


@pytest.mark.parametrize("params, name", [("limit=101", "limit"), ("limit=0", "limit"), ("offset=-1", "offset")])
def test_limit_offset_bad_parameter_is_422_naming_it(db, params, name):
    response = Client().get(f"/api/x/offset/books?{params}")
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", name]]


@pytest.mark.parametrize("size", [1, 50])
def test_limit_offset_runs_two_queries_whatever_the_limit(db, django_assert_num_queries, size):
    make_books(60)
    client = Client()
    with django_assert_num_queries(2):
        response = client.get(f"/api/x/offset/books?limit={size}&offset=3")
    assert len(titles(response)) == size


@pytest.mark.parametrize("size", [1, 50])
def test_limit_offset_async_runs_two_queries_whatever_the_limit(db, django_assert_num_queries, size):
    make_books(60)
    client = Client()
    with django_assert_num_queries(2):
        response = client.get(f"/api/x/async/offset/books?limit={size}&offset=3")
    assert len(titles(response)) == size


# Cursor


def test_cursor_first_page_has_no_count_and_no_previous(db):
    make_books(5)
    body = Client().get("/api/x/cursor/books").json()
    assert set(body) == {"next", "previous", "results"}
    assert [row["title"] for row in body["results"]] == ["Book 004", "Book 003", "Book 002"]
    assert body["previous"] is None


def test_cursor_forward_walk_gives_every_row_once_in_order(db):
    make_books(8)
    pages_seen = walk(Client(), "/api/x/cursor/books")
    assert pages_seen == [
        ["Book 007", "Book 006", "Book 005"],
        ["Book 004", "Book 003", "Book 002"],
        ["Book 001", "Book 000"],
    ]


def test_cursor_backward_walk_from_the_last_page_gives_every_page(db):
    make_books(8)
    client = Client()
    url = "/api/x/cursor/books"
    while (next_url := client.get(url).json()["next"]) is not None:
        url = next_url
    assert walk(client, url, "previous") == [
        ["Book 001", "Book 000"],
        ["Book 004", "Book 003", "Book 002"],
        ["Book 007", "Book 006", "Book 005"],
    ]


def test_cursor_previous_of_the_second_page_is_the_first_page(db):
    make_books(5)
    client = Client()
    second = client.get(client.get("/api/x/cursor/books").json()["next"]).json()
    first = client.get(second["previous"]).json()
    assert [row["title"] for row in first["results"]] == ["Book 004", "Book 003", "Book 002"]
    assert first["previous"] is None and first["next"] is not None


def test_cursor_equal_timestamps_are_ordered_by_pk(db):
    created = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    make_books(7)
    Book.objects.update(created_at=created)
    assert flat(walk(Client(), "/api/x/cursor/books")) == [f"Book {n:03}" for n in reversed(range(7))]


def test_cursor_rows_inserted_between_requests_cause_no_duplicates_or_gaps(db):
    make_books(6)
    client = Client()
    url = "/api/x/cursor/oldest"
    seen = []
    while url:
        body = client.get(url).json()
        seen += [row["title"] for row in body["results"]]
        if len(seen) == 2:
            make_books(3)  # after the current position: they must appear, once each
        url = body["next"]
    assert seen == [f"Book {n:03}" for n in range(9)]


def test_cursor_backward_walk_with_rows_inserted_between_requests(db):
    make_books(8)
    client = Client()
    url = "/api/x/cursor/books"
    while (next_url := client.get(url).json()["next"]) is not None:
        url = next_url
    seen = []
    while url:
        body = client.get(url).json()
        seen = [row["title"] for row in body["results"]] + seen
        if len(seen) == 2:
            make_books(2)  # newest: at the start of the list, which the walk reaches last
        url = body["previous"]
    assert seen == [f"Book {n:03}" for n in reversed(range(10))]


def test_cursor_rows_inserted_before_the_position_are_not_repeated(db):
    make_books(6)
    client = Client()
    first = client.get("/api/x/cursor/books").json()
    make_books(2)  # newer: before the position in newest-first order
    second = client.get(first["next"]).json()
    assert [row["title"] for row in second["results"]] == ["Book 002", "Book 001", "Book 000"]


def test_cursor_several_fields_with_nulls_walk_forward_and_back(db):
    author = Author.objects.create(name="Ursula")
    specs = [("ebook", "4.5"), ("ebook", None), ("ebook", "4.5"), ("hardcover", "1.0"),
             ("ebook", "3.0"), ("hardcover", None), ("paperback", "5.0"), ("ebook", None)]
    for n, (format, rating) in enumerate(specs):
        Book.objects.create(title=f"Book {n}", author=author, format=format,
                            rating=None if rating is None else Decimal(rating))
    expected = [row.title for row in Book.objects.order_by("format", F("rating").desc(nulls_first=True), "title")]
    client = Client()
    forward = walk(client, "/api/x/cursor/by-format")
    assert flat(forward) == expected
    last_page = client.get("/api/x/cursor/by-format").json()
    while last_page["next"]:
        last_page = client.get(last_page["next"]).json()
    backward = walk(client, last_page["previous"], "previous")
    assert flat([*reversed(backward), titles_of(last_page)]) == expected


def test_cursor_links_keep_other_query_parameters(db):
    make_books(5, format="ebook")
    body = Client().get("/api/x/cursor/books?format=ebook&page_size=2").json()
    assert query(body["next"])["format"] == ["ebook"]
    assert query(body["next"])["page_size"] == ["2"]


@pytest.mark.parametrize("size", [1, 50])
def test_cursor_runs_one_query_whatever_the_page_size(db, django_assert_num_queries, size):
    make_books(60)
    client = Client()
    cursor = client.get("/api/x/cursor/books?page_size=2").json()["next"]
    with django_assert_num_queries(1):
        response = client.get(f"{cursor.replace('page_size=2', f'page_size={size}')}")
    assert len(titles(response)) == size


@pytest.mark.parametrize("size", [1, 50])
def test_cursor_async_runs_one_query_whatever_the_page_size(db, django_assert_num_queries, size):
    make_books(60)
    client = Client()
    with django_assert_num_queries(1):
        response = client.get(f"/api/x/async/cursor/books?page_size={size}")
    assert len(titles(response)) == size


def test_cursor_async_walk_matches_sync(db):
    make_books(7)
    client = Client()
    assert walk(client, "/api/x/async/cursor/books") == walk(client, "/api/x/cursor/books")


@pytest.mark.server
def test_cursor_async_endpoint_on_a_live_server(transactional_db):
    make_books(5)
    with LiveServer() as server:
        pages_seen = walk(httpx, f"{server.url}/api/x/async/cursor/books?page_size=2")
    assert pages_seen == [["Book 004", "Book 003"], ["Book 002", "Book 001"], ["Book 000"]]


@pytest.mark.parametrize("published, rating", [(datetime.date(2001, 2, 3), Decimal("4.5")), (None, None)])
def test_cursor_position_survives_each_value_type(db, published, rating):
    author = Author.objects.create(name="Ursula")
    book = Book.objects.create(title="Été", author=author, published=published, rating=rating, in_stock=False)
    created = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC)
    Book.objects.filter(pk=book.pk).update(created_at=created)
    book.refresh_from_db()
    ordering = ["title", "-published", "rating", "created_at", "pages", "in_stock", "author"]
    keyset = Keyset.for_model(Book, parse_ordering(ordering))
    position = keyset.position(book)
    assert position[:4] == ["Été", published, rating, created]
    assert keyset.decode(keyset.encode(position, True)) == (position, True)


def tampered(cursor: str) -> str:
    payload, signature = cursor.split(":", 1)
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).replace(b'"r":false', b'"r":true')
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode() + ":" + signature


@pytest.mark.parametrize("make_cursor", [
    lambda cursor: tampered(cursor),
    lambda cursor: cursor[:-3],
    lambda cursor: "not-a-cursor",
    lambda cursor: "",
], ids=["edited", "truncated", "garbage", "empty"])
def test_cursor_malformed_or_tampered_is_422_naming_the_cursor(db, make_cursor):
    make_books(5)
    client = Client()
    cursor = query(client.get("/api/x/cursor/books").json()["next"])["cursor"][0]
    response = client.get("/api/x/cursor/books", params={"cursor": make_cursor(cursor)})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["query", "cursor"]
    assert error["msg"].startswith("Invalid cursor")


def test_cursor_of_another_list_is_422(db):
    make_books(5)
    client = Client()
    cursor = query(client.get("/api/x/cursor/oldest").json()["next"])["cursor"][0]
    response = client.get("/api/x/cursor/books", params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_cursor_empty_list_has_no_links(db):
    assert Client().get("/api/x/cursor/books").json() == {"next": None, "previous": None, "results": []}


@pytest.mark.parametrize("ordering, fragment", [
    ([], "at least one field"),
    ("", "the model's own fields"),
    (["title", "title"], "each once"),
    ("author__name", "the model's own fields"),
    ("?", "the model's own fields"),
    ([3], "the model's own fields"),
])
def test_cursor_bad_ordering_refused_at_construction(ordering, fragment):
    with pytest.raises(ImproperlyConfigured, match=fragment):
        CursorPagination(ordering=ordering)


@pytest.mark.parametrize("ordering, fragment", [
    ("nope", "'nope', which is not a field of catalog.Book"),
    ("tags", "cannot order catalog.Book by 'tags'"),
])
def test_cursor_ordering_unknown_to_the_model_refused(ordering, fragment):
    paging = Paging(CursorPagination(ordering=ordering), None, {"cursor": None, "page_size": 2})
    with pytest.raises(ImproperlyConfigured, match=fragment):
        paging.paginate(Book.objects.all())


# Response models and OpenAPI


def test_response_model_is_page_or_cursor_page_of_the_schema():
    assert PageNumberPagination.response_model(BookItem) is Page[BookItem]
    assert LimitOffsetPagination().response_model(BookItem) is Page[BookItem]
    assert CursorPagination.response_model(BookItem) is CursorPage[BookItem]


def openapi() -> dict:
    return get_application().openapi()


def parameters(path: str) -> dict[str, dict]:
    operation = openapi()["paths"][path]["get"]
    return {parameter["name"]: parameter for parameter in operation["parameters"]}


def test_openapi_page_parameters_are_bounded_integers():
    found = parameters("/api/x/books")
    assert found["page"]["in"] == "query"
    assert found["page"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1, "default": 1, "title": "Page",
                                       "description": found["page"]["schema"]["description"]}
    assert {key: found["page_size"]["schema"][key] for key in ("type", "minimum", "maximum", "default")} == {
        "type": "integer", "minimum": 1, "maximum": 100, "default": 20}


def test_openapi_limit_offset_parameters_are_bounded_integers():
    found = parameters("/api/x/offset/books")
    assert (found["limit"]["schema"]["maximum"], found["limit"]["schema"]["default"]) == (100, 20)
    assert (found["offset"]["schema"]["type"], found["offset"]["schema"]["minimum"]) == ("integer", 0)


def test_openapi_response_is_a_named_page_schema():
    document = openapi()
    response = document["paths"]["/api/x/books"]["get"]["responses"]["200"]["content"]["application/json"]
    assert response["schema"] == {"$ref": "#/components/schemas/Page_BookItem_"}
    page = document["components"]["schemas"]["Page_BookItem_"]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    assert page["properties"]["results"]["items"] == {"$ref": "#/components/schemas/BookItem"}


def test_openapi_cursor_response_is_a_named_cursor_page_schema():
    schemas = openapi()["components"]["schemas"]
    assert set(schemas["CursorPage_BookItem_"]["properties"]) == {"next", "previous", "results"}


def test_openapi_follows_the_max_page_size_setting():
    with override_settings(FASTAPI_MAX_PAGE_SIZE=30, FASTAPI_PAGE_SIZE=10):
        schema = parameters("/api/x/books")["page_size"]["schema"]
    assert (schema["maximum"], schema["default"]) == (30, 10)


# Settings


def test_settings_page_size_defaults():
    assert (api_settings.PAGE_SIZE, api_settings.MAX_PAGE_SIZE) == (20, 100)


def test_settings_default_page_size_applies(db):
    make_books(25)
    body = Client().get("/api/x/books").json()
    assert len(body["results"]) == 20


@override_settings(FASTAPI_PAGE_SIZE=3)
def test_settings_page_size_override_applies(db):
    make_books(5)
    assert len(titles(Client().get("/api/x/books"))) == 3


@override_settings(FASTAPI_MAX_PAGE_SIZE=4)
def test_settings_max_page_size_override_applies(db):
    assert Client().get("/api/x/books?page_size=5").status_code == 422
    assert Client().get("/api/x/books?page_size=4").status_code == 200


def test_settings_default_page_size_capped_by_an_instance_maximum():
    assert PageNumberPagination(max_page_size=5).sizes() == (5, 5)


@override_settings(FASTAPI_MAX_PAGE_SIZE=10)
def test_settings_default_page_size_follows_a_lower_max_page_size():
    assert api_settings.PAGE_SIZE == 10


@pytest.mark.parametrize("name, value", [("PAGE_SIZE", 0), ("PAGE_SIZE", "20"), ("MAX_PAGE_SIZE", True),
                                         ("MAX_PAGE_SIZE", -1)])
def test_settings_wrong_shape_raises_naming_the_setting(name, value):
    with override_settings(**{f"FASTAPI_{name}": value}), pytest.raises(
        ImproperlyConfigured, match=f"FASTAPI_{name} must be"
    ):
        getattr(api_settings, name)


def test_settings_page_size_above_max_names_both():
    with override_settings(FASTAPI_PAGE_SIZE=200), pytest.raises(ImproperlyConfigured) as excinfo:
        _ = api_settings.PAGE_SIZE
    message = str(excinfo.value)
    assert "FASTAPI_PAGE_SIZE" in message and "FASTAPI_MAX_PAGE_SIZE (100)" in message and "200" in message


def test_settings_page_size_above_max_reported_by_check_command():
    with override_settings(FASTAPI_PAGE_SIZE=200), pytest.raises(SystemCheckError) as excinfo:
        call_command("check")
    assert "django_fastapi.E001" in str(excinfo.value)
    assert "FASTAPI_MAX_PAGE_SIZE" in str(excinfo.value)


def test_settings_page_size_above_max_fails_building_the_app():
    with override_settings(FASTAPI_PAGE_SIZE=200), pytest.raises(ImproperlyConfigured, match="FASTAPI_PAGE"):
        get_application()


def test_pagination_page_size_above_max_refused_at_construction():
    with pytest.raises(ImproperlyConfigured, match=r"page_size=10\) is above max_page_size=5"):
        PageNumberPagination(page_size=10, max_page_size=5)


def test_pagination_limit_above_max_refused_at_construction():
    with pytest.raises(ImproperlyConfigured, match=r"default_limit=10\) is above max_limit=5"):
        LimitOffsetPagination(default_limit=10, max_limit=5)


@pytest.mark.parametrize("value", [0, "10", True])
def test_pagination_page_size_must_be_a_positive_integer(value):
    with pytest.raises(ImproperlyConfigured, match="page_size=...\\) must be a positive integer"):
        PageNumberPagination(page_size=value)


def test_pagination_page_size_above_the_max_setting_refused_when_the_app_is_built():
    with pytest.raises(ImproperlyConfigured, match=r"page_size=500\) is above FASTAPI_MAX_PAGE_SIZE \(100\)"):
        PageNumberPagination(page_size=500).sizes()
