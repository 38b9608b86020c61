"""Integers a client sends are held to the range of the column they reach: a 422, never a 500.

On SQLite a many-to-many id below -2**63 raised OverflowError (a 500); so did an offset past
2**63 - 1. Django's ModelForm answers an out-of-range id with a 400 ("Select a valid choice").
"""

from __future__ import annotations

import pytest
from catalog.models import Author, Book, Tag
from django.test import override_settings

from django_fastapi.orm import FilterSet
from django_fastapi.orm.pagination import LimitOffsetPagination, PageNumberPagination
from django_fastapi.orm.router import ModelRouter
from django_fastapi.orm.schemas import model_schemas
from django_fastapi.testing.client import Client

books = ModelRouter(
    Book,
    prefix="/books",
    schemas=model_schemas(Book, fields=["id", "title", "author", "tags"], name="RangeBook"),
    filters=FilterSet(Book, {"pages": ["gte"], "author": ["exact", "in"]}),
    permissions=None,
)
offset_tags = ModelRouter(Tag, schemas=model_schemas(Tag, fields="__all__", name="RangeTag"), prefix="/offset-tags", pagination=LimitOffsetPagination(), permissions=None)
page_tags = ModelRouter(Tag, schemas=model_schemas(Tag, fields="__all__", name="RangeTag"), prefix="/page-tags", pagination=PageNumberPagination(), permissions=None)

ROUTERS = [{"router": f"tests.orm.test_integer_ranges.{name}", "prefix": "/r"} for name in ("books", "offset_tags", "page_tags")]
TOO_SMALL = -(2**63) - 1
TOO_LARGE = 2**63


@pytest.fixture(autouse=True)
def routers(db):
    with override_settings(FASTAPI_ROUTERS=ROUTERS):
        yield


@pytest.fixture
def author(db) -> Author:
    return Author.objects.create(name="Ursula K. Le Guin")


def locs(response):
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


@pytest.mark.parametrize("key", [TOO_SMALL, TOO_LARGE])
def test_many_to_many_id_out_of_range_is_422(author, key):
    response = Client().post("/api/r/books", json={"title": "Earthsea", "author": author.pk, "tags": [key]})
    assert locs(response) == [["body", "tags", 0]]


@pytest.mark.parametrize("key", [TOO_SMALL, TOO_LARGE])
def test_foreign_key_out_of_range_is_422(key):
    response = Client().post("/api/r/books", json={"title": "Earthsea", "author": key, "tags": []})
    assert response.status_code == 422


def test_offset_past_64_bits_is_422():
    assert locs(Client().get(f"/api/r/offset-tags?offset={TOO_LARGE}")) == [["query", "offset"]]


def test_page_past_64_bits_is_422():
    assert locs(Client().get(f"/api/r/page-tags?page={TOO_LARGE}")) == [["query", "page"]]


@pytest.mark.parametrize("query", [f"pages__gte={TOO_LARGE}", f"author={TOO_SMALL}", f"author__in=1,{TOO_LARGE}"])
def test_filter_value_past_64_bits_is_422(query):
    name = query.split("=")[0]
    assert locs(Client().get(f"/api/r/books?{query}"))[0][:2] == ["query", name]


def test_sample_site_hand_written_offset_past_64_bits_is_422():
    assert locs(Client().get("/api/catalog/authors?offset=99999999999999999999")) == [["query", "offset"]]
