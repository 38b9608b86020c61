"""Shared fixtures: real services (skipped, or failed under CI, when absent) and real servers."""

from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get("DJANGO_FASTAPI_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("DJANGO_FASTAPI_TEST_REDIS", "redis://127.0.0.1:6379/0")
# .ci/run sets this: a missing service must fail the run, not skip tests.
REQUIRE_SERVICES = os.environ.get("DJANGO_FASTAPI_REQUIRE_SERVICES") == "1"


def _unavailable(service: str, url: str, error: Exception) -> None:
    message = f"{service} is not reachable at {url} ({error}); set {'DJANGO_FASTAPI_TEST_POSTGRES' if service == 'PostgreSQL' else 'DJANGO_FASTAPI_TEST_REDIS'} to a server you can use"
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a PostgreSQL maintenance database (tests create their own databases from it)."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except Exception as exc:  # ImportError or any connection failure
        _unavailable("PostgreSQL", POSTGRES_URL, exc)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        _unavailable("Redis", REDIS_URL, exc)
    return REDIS_URL


@pytest.fixture(scope="session", autouse=True)
def _database_features_known(django_db_setup, django_db_blocker) -> None:
    """Django 6 runs the system checks against every database by default, and a JSONField's check
    asks SQLite whether it supports JSON (a query, once per connection). Asked here once the test
    databases exist, so the tests of system checks need no database access of their own, whichever
    test a pytest-xdist worker happens to run first."""
    from django.db import connections

    with django_db_blocker.unblock():
        for alias in connections:
            connections[alias].features.supports_json_field  # noqa: B018
