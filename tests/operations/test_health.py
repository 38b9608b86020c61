"""``/api/health`` and ``/api/ready`` through the combined application, as a load balancer sees them."""

import logging

import pytest
from django.test import override_settings

from django_fastapi.application import get_application, get_asgi_application
from django_fastapi.server.access_log import LOGGER
from django_fastapi.testing.client import Client
from tests.operations.logs import collected

pytestmark = pytest.mark.django_db


def client() -> Client:
    return Client(get_asgi_application(serve_static=False))


def test_health_answers_ok_without_touching_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client().get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_names_each_check_as_ok():
    response = client().get("/api/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"lanes": "ok", "database:default": "ok", "cache": "ok", "migrations": "ok"},
    }


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": "redis://127.0.0.1:1/0"}})
def test_ready_is_503_naming_the_unreachable_cache_without_detail():
    response = client().get("/api/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["cache"] == "failing"
    assert "errors" not in response.json()


@override_settings(DEBUG=True, CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                   "LOCATION": "redis://127.0.0.1:1/0"}})
def test_ready_under_debug_says_why_a_check_failed():
    response = client().get("/api/ready")
    assert response.status_code == 503
    assert "ConnectionError" in response.json()["errors"]["cache"]


def test_ready_is_503_while_migrations_are_unapplied():
    from django.db.migrations.recorder import MigrationRecorder

    get_application.cache_clear()  # a new process: readiness remembers migrations once applied
    MigrationRecorder.Migration.objects.filter(app="notes").delete()
    response = client().get("/api/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "failing"


@override_settings(FASTAPI_HEALTH_URL="/live", FASTAPI_READY_URL=None)
def test_health_urls_move_and_turn_off():
    assert client().get("/api/live").status_code == 200
    assert client().get("/api/ready").status_code == 404


def test_health_routes_are_not_in_the_openapi_document():
    paths = get_application().openapi()["paths"]
    assert "/api/health" not in paths and "/api/ready" not in paths


@override_settings(FASTAPI_HEALTH_IN_SCHEMA=True)
def test_health_routes_are_in_the_openapi_document_when_asked():
    paths = get_application().openapi()["paths"]
    assert "/api/health" in paths and "/api/ready" in paths


def test_health_success_is_logged_at_debug_not_info():
    probing = client()
    with collected(LOGGER) as records:
        probing.get("/api/health")
        probing.get("/api/notes/notes")
    assert [(record.levelno, record.path) for record in records] == [
        (logging.DEBUG, "/api/health"), (logging.INFO, "/api/notes/notes"),
    ]
