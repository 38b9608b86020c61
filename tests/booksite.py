"""Book list endpoints of the catalog app under ``/api/f``, with a FilterSet, a SearchFilter and an
OrderingFilter, for test_filtering, test_search, test_ordering and test_query_params.

A test module imports ``routers`` (autouse: mounts the endpoints), ``catalog_fixture`` (the
``catalog`` fixture: five books) and ``parameters_fixture`` (``parameters``: the list endpoint's
OpenAPI parameters); the ``_fixture`` names keep the imports from shadowing test arguments.
"""

import datetime
from decimal import Decimal
from typing import Annotated

import pytest
from catalog.models import Author, Book, Tag
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from django_fastapi.application import get_application
from django_fastapi.orm.filtering import Filters, FilterSet
from django_fastapi.orm.ordering import Ordering, OrderingFilter
from django_fastapi.orm.search import Search, SearchFilter
from django_fastapi.testing.client import Client

BOOK_FILTERS = FilterSet(
    Book,
    {
        "title": ["exact", "icontains", "istartswith", "in"],
        "pages": ["gte", "lte", "range"],
        "author": ["exact", "in"],
        "author__name": ["icontains"],
        "published": ["year", "gte", "isnull", "month__in"],
        "tags": ["exact", "in"],
        "tags__slug": ["exact"],
        "format": ["exact", "in"],
        "in_stock": ["exact"],
        "rating": ["gte"],
        "created_at": ["gte"],
    },
)
BOOK_SEARCH = SearchFilter(Book, ["title", "^author__name", "tags__name", "=isbn"])
BOOK_ORDERING = OrderingFilter(
    Book, ["title", "pages", "published", "author__name"], default="-pages"
)
BookFilters = Annotated[Filters, Depends(BOOK_FILTERS)]
BookSearch = Annotated[Search, Depends(BOOK_SEARCH)]
BookOrdering = Annotated[Ordering, Depends(BOOK_ORDERING)]
TitleFilter = Annotated[Filters, Depends(FilterSet(Book, ["title"]))]


def paging(page: int = 1, page_size: int = 50) -> slice:
    return slice((page - 1) * page_size, page * page_size)


Window = Annotated[slice, Depends(paging)]


def books(filters: Filters, search: Search, ordering: Ordering):
    return ordering.apply(search.apply(filters.apply(Book.objects.all())))


router = APIRouter()


@router.get("/books")
def list_books(
    filters: BookFilters, search: BookSearch, ordering: BookOrdering, window: Window
) -> list[str]:
    return [book.title for book in books(filters, search, ordering)[window]]


@router.get("/async-books")
async def list_books_async(
    filters: BookFilters, search: BookSearch, ordering: BookOrdering, window: Window
) -> list[str]:
    return [book.title async for book in books(filters, search, ordering)[window]]


@router.get("/books/sql")
def books_sql(filters: BookFilters, search: BookSearch, ordering: BookOrdering) -> str:
    return str(books(filters, search, ordering).query)


@router.get("/lenient-books")
def lenient_books(
    filters: Annotated[Filters, Depends(FilterSet(Book, ["title"], strict=False))],
) -> list[str]:
    return [book.title for book in filters.apply(Book.objects.order_by("pk"))]


class PageParams(BaseModel):
    offset: int = 0
    limit: int = 10


@router.get("/model-params-books")
def model_params_books(window: Annotated[PageParams, Query()], filters: TitleFilter) -> list[str]:
    queryset = filters.apply(Book.objects.order_by("pk"))
    return [book.title for book in queryset[window.offset : window.offset + window.limit]]


@router.get("/tags/sql")
def tags_sql(ordering: Annotated[Ordering, Depends(OrderingFilter(Tag, ["slug"]))]) -> str:
    return str(ordering.apply(Tag.objects.all()).query)


def api_version(api_version: int = 1) -> int:
    return api_version


inner = APIRouter()


@inner.get("/books")
def nested_books(filters: TitleFilter) -> list[str]:
    return [book.title for book in filters.apply(Book.objects.order_by("pk"))]


outer = APIRouter()
outer.include_router(inner, prefix="/inner", dependencies=[Depends(api_version)])


@pytest.fixture(autouse=True)
def routers(settings):
    settings.FASTAPI_ROUTERS = [
        {"router": "tests.booksite.router", "prefix": "/f"},
        {"router": "tests.booksite.outer", "prefix": "/nested"},
    ]


@pytest.fixture(name="catalog")
def catalog_fixture(db):
    le_guin = Author.objects.create(name="Ursula K. Le Guin")
    herbert = Author.objects.create(name="Frank Herbert")
    banks = Author.objects.create(name="Iain Banks")
    sf = Tag.objects.create(name="Science fiction", slug="sf")
    classic = Tag.objects.create(name="Classic", slug="classic")
    rows = [
        ("The Dispossessed", le_guin, datetime.date(1974, 5, 1), 387, "paperback", [sf, classic]),
        ("The Left Hand of Darkness", le_guin, datetime.date(1969, 3, 1), 304, "hardcover", [sf, classic]),
        ("Dune", herbert, datetime.date(1965, 8, 1), 412, "paperback", [sf, classic]),
        ("Dune Messiah", herbert, datetime.date(1969, 10, 15), 256, "ebook", [sf]),
        ("Consider Phlebas", banks, None, 471, "ebook", []),
    ]
    for title, author, published, pages, format, tags in rows:
        book = Book.objects.create(
            title=title, author=author, published=published, pages=pages, format=format
        )
        book.tags.set(tags)
    Book.objects.filter(title="The Dispossessed").update(isbn="9780061054884", rating=Decimal("4.5"))
    Book.objects.filter(title="Consider Phlebas").update(in_stock=False)
    return {"le_guin": le_guin, "herbert": herbert, "banks": banks, "sf": sf, "classic": classic}


def get(path: str, **params):
    return Client().get(f"/api/f{path}", params=params)


def titles(**params) -> list[str]:
    response = get("/books", **params)
    assert response.status_code == 200, response.json()
    return response.json()


def errors(response) -> list[dict]:
    assert response.status_code == 422, response.json()
    return response.json()["detail"]


@pytest.fixture(name="parameters")
def parameters_fixture(db) -> dict[str, dict]:
    operation = get_application().openapi()["paths"]["/api/f/books"]["get"]
    return {parameter["name"]: parameter["schema"] for parameter in operation["parameters"]}


LE_GUIN = {"The Dispossessed", "The Left Hand of Darkness"}
DUNES = {"Dune", "Dune Messiah"}
ALL = LE_GUIN | DUNES | {"Consider Phlebas"}
