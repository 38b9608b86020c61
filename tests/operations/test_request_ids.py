"""Request ids: kept or made, returned, and on every log record of the request."""

import json
import logging

import pytest
from django.test import override_settings
from fastapi import APIRouter

from django_fastapi.application import get_asgi_application
from django_fastapi.operations import JsonLinesFormatter, RequestIdFilter, request_id
from django_fastapi.server.access_log import LOGGER
from django_fastapi.testing.client import Client
from tests.operations.logs import collected

pytestmark = pytest.mark.django_db

router = APIRouter()
project_logger = logging.getLogger("tests.operations.project")


@router.get("/logs")
def logs_something():
    project_logger.info("inside the endpoint")
    return {"seen": request_id()}


@router.get("/fails")
def fails():
    raise RuntimeError("boom")


ROUTERS = {"FASTAPI_ROUTERS": [{"router": "tests.operations.test_request_ids.router", "prefix": "/ops"}]}


def client(**kwargs) -> Client:
    return Client(get_asgi_application(serve_static=False), **kwargs)


def test_a_request_without_an_id_gets_a_new_one_on_the_response():
    first, second = client().get("/api/health"), client().get("/api/health")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_valid_incoming_id_is_returned():
    response = client().get("/api/health", headers={"X-Request-ID": "lb-7f3a:42"})
    assert response.headers["X-Request-ID"] == "lb-7f3a:42"


@pytest.mark.parametrize("value", ["x" * 129, "two words", "<script>", "é"])
def test_an_invalid_incoming_id_is_replaced(value):
    response = client().get("/api/health", headers={"X-Request-ID": value.encode("utf-8")})
    assert response.headers["X-Request-ID"] != value
    assert len(response.headers["X-Request-ID"]) == 32


@override_settings(**ROUTERS)
def test_sync_endpoint_code_sees_the_request_id():
    response = client().get("/api/ops/logs", headers={"X-Request-ID": "abc"})
    assert response.json() == {"seen": "abc"}


@override_settings(**ROUTERS)
def test_access_log_and_project_log_records_carry_the_id():
    logging_client = client()
    with collected(LOGGER) as access, collected("tests.operations.project") as project:
        logging_client.get("/api/ops/logs", headers={"X-Request-ID": "abc"})
    assert [record.request_id for record in access] == ["abc"]
    assert [record.request_id for record in project] == ["abc"]


@override_settings(**ROUTERS)
def test_a_django_request_error_record_carries_the_id():
    failing = client(raise_app_exceptions=False)  # before collecting: building it configures logging
    with collected("django.request") as errors:
        response = failing.get("/api/ops/fails", headers={"X-Request-ID": "err-1"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "err-1"
    assert [record.request_id for record in errors] == ["err-1"]


def test_the_filter_marks_records_outside_requests():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    assert RequestIdFilter().filter(record) and record.request_id == "-"


@override_settings(FASTAPI_REQUEST_ID_HEADER=None)
def test_request_ids_turn_off():
    assert "X-Request-ID" not in client().get("/api/health").headers


@override_settings(FASTAPI_REQUEST_ID_HEADER=None)
def test_without_request_ids_health_successes_are_still_logged_at_debug():
    probing = client()
    with collected(LOGGER) as access:
        probing.get("/api/health")
    assert [record.levelno for record in access] == [logging.DEBUG]


def test_json_lines_access_record_has_the_request_fields():
    json_client = client()
    with collected(LOGGER) as access:
        json_client.get("/api/health?probe=1", headers={"X-Request-ID": "j-1"})
    line = json.loads(JsonLinesFormatter().format(access[0]))
    assert {key: line[key] for key in ("method", "path", "status_code", "request_id", "logger")} == {
        "method": "GET", "path": "/api/health?probe=1", "status_code": 200, "request_id": "j-1",
        "logger": LOGGER,
    }
    assert line["duration"] > 0 and line["size"] > 0
