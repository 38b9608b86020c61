"""A NUL character headed for the database is a 422 naming the value, before any query.

Run here on SQLite (which would store it) and, by test_request_values_postgres.py, on PostgreSQL
(which refuses it with DataError, a 500 before). Django's forms answer the same values with a 400,
"Null characters are not allowed." (ProhibitNullCharactersValidator).
"""

from __future__ import annotations

import pytest
from catalog.models import Tag
from django.contrib.auth.models import User
from django.test import override_settings

from django_fastapi.orm import FilterSet, ModelRouter, SearchFilter, model_schemas
from django_fastapi.testing.client import Client

tags = ModelRouter(
    Tag,
    schemas=model_schemas(Tag, fields="__all__", name="ValuesTag"),
    prefix="/tags",
    filters=FilterSet(Tag, {"name": ["exact", "icontains"]}),
    search=SearchFilter(Tag, ["name"]),
    permissions=None,
)
ROUTERS = [
    {"router": "tests.core.test_request_values_db.tags", "prefix": "/n"},
    {"router": "django_fastapi.security.endpoints.router", "prefix": "/auth"},
]


@pytest.fixture(autouse=True)
def routers(db):
    Tag.objects.create(name="fantasy", slug="fantasy")
    with override_settings(FASTAPI_ROUTERS=ROUTERS):
        yield


def detail(response):
    assert response.status_code == 422, response.text
    return [(error["type"], error["loc"]) for error in response.json()["detail"]]


def test_nul_in_a_filter_value_is_422():
    assert detail(Client().get("/api/n/tags?name__icontains=a%00b")) == [
        ("null_character", ["query", "name__icontains"])
    ]


def test_nul_in_a_search_is_422():
    assert detail(Client().get("/api/n/tags?search=a%00b")) == [("null_character", ["query", "search"])]


def test_nul_in_a_body_field_is_422():
    response = Client().post("/api/n/tags", json={"name": "a\x00b", "slug": "ab"})
    assert detail(response) == [("null_character", ["body", "name"])]
    assert Tag.objects.count() == 1


def test_nul_in_a_path_key_is_422():
    assert detail(Client().get("/api/n/tags/1%00")) == [("null_character", ["path", "pk"])]


def test_nul_in_the_login_username_is_422():
    User.objects.create_user("ged", password="earthsea")
    response = Client().post("/api/auth/login", json={"username": "ged\x00", "password": "earthsea"})
    assert detail(response) == [("null_character", ["body", "username"])]


def test_clean_filter_value_still_filters():
    assert Client().get("/api/n/tags?name__icontains=fan").json()["count"] == 1
