"""Django's exceptions raised by endpoints and dependencies, as HTTP responses.

In-process through the bridge's test client against tests/apps/errors, whose endpoints and
dependencies raise each exception the way project code meets it (the ORM for DoesNotExist and
MultipleObjectsReturned, ``full_clean()`` for ValidationError); then against a real runfastapi
server for what DEBUG shows, and what it never shows without DEBUG.
"""

import logging
import sys
import time

import pytest
from django.core.signals import got_request_exception

from django_fastapi.testing.client import Client
from tests.apps.notes.models import Note
from tests.projects import one_server_project
from tests.serverproc import ServerProcess

# Where the raise happens: sync or async endpoint, sync or async dependency.
PLACES = ["sync", "async", "sync-dependency", "async-dependency"]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def errors_app(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.errors"]


def get(place: str, kind: str, **kwargs):
    return Client(raise_app_exceptions=False).get(f"/api/errors/{place}/{kind}", **kwargs)


@pytest.mark.parametrize("place", PLACES)
def test_http404_is_404_with_its_message(place):
    response = get(place, "http404")
    assert response.status_code == 404
    assert response.json() == {"detail": "No note 7."}


@pytest.mark.parametrize("place", PLACES)
def test_object_does_not_exist_is_404(place, db):
    response = get(place, "does-not-exist")
    assert response.status_code == 404
    assert response.json() == {"detail": "Note matching query does not exist."}


@pytest.mark.parametrize("place", PLACES)
def test_permission_denied_is_403_with_its_message(place):
    response = get(place, "permission-denied")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only editors may do that."}


@pytest.mark.parametrize("place", PLACES)
def test_bad_request_is_400_with_its_message(place):
    response = get(place, "bad-request")
    assert response.status_code == 400
    assert response.json() == {"detail": "The page parameter is required."}


@pytest.mark.parametrize("place", PLACES)
def test_suspicious_operation_is_400_without_its_message(place):
    response = get(place, "suspicious")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad Request"}


def test_suspicious_operation_message_shown_under_debug(settings):
    settings.DEBUG = True
    assert get("sync", "suspicious").json() == {"detail": "Bad Request: Tampered signature."}


def test_suspicious_operation_logged_to_django_security(caplog):
    get("async", "suspicious")
    (record,) = [r for r in caplog.records if r.name == "django.security.SuspiciousOperation"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Tampered signature."
    assert record.request.path == "/api/errors/async/suspicious"


@pytest.mark.parametrize("place", PLACES)
def test_validation_error_is_422_per_field_in_fastapis_shape(place):
    response = get(place, "validation")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "max_length",
                "loc": ["body", "title"],
                "msg": "Ensure this value has at most 100 characters (it has 101).",
                "input": "x" * 101,
            }
        ]
    }


def test_validation_error_without_field_located_at_body():
    response = get("sync", "validation-non-field")
    assert response.json() == {
        "detail": [{"type": "closed", "loc": ["body"], "msg": "Notes are read-only on Sundays.", "input": None}]
    }


def test_validation_error_entries_have_the_keys_of_fastapis_own(db):
    fastapi_error = Client().post("/api/notes/notes", json={}).json()["detail"][0]
    django_error = get("sync", "validation").json()["detail"][0]
    assert set(django_error) <= set(fastapi_error)
    assert {"type", "loc", "msg", "input"} == set(django_error)


@pytest.mark.parametrize("place", PLACES)
def test_multiple_objects_returned_is_500(place, db):
    Note.objects.bulk_create([Note(title="twin"), Note(title="twin")])
    response = get(place, "multiple-objects")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}


def test_multiple_objects_returned_logged_with_traceback(db, caplog):
    Note.objects.bulk_create([Note(title="twin"), Note(title="twin")])
    get("sync", "multiple-objects")
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info[0] is Note.MultipleObjectsReturned


@pytest.mark.parametrize("place", PLACES)
def test_other_exception_is_500_without_details(place):
    response = get(place, "error", headers=BROWSER)
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}


def test_other_exception_logged_to_django_request_with_traceback(caplog):
    get("async", "error")
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Internal Server Error: /api/errors/async/error"
    assert record.exc_info[0] is ZeroDivisionError
    assert record.status_code == 500
    assert record.request.path == "/api/errors/async/error"


def test_other_exception_sends_got_request_exception_while_handled():
    seen = []

    def receiver(sender, request, **kwargs):
        seen.append((request.path, sys.exc_info()[0]))

    got_request_exception.connect(receiver)
    try:
        get("sync", "error")
    finally:
        got_request_exception.disconnect(receiver)
    assert seen == [("/api/errors/sync/error", ZeroDivisionError)]


def test_other_exception_raised_in_test_client_by_default():
    with pytest.raises(ZeroDivisionError):
        Client().get("/api/errors/sync/error")


@pytest.mark.parametrize("place", PLACES)
def test_debug_browser_gets_djangos_technical_500_page(place, settings):
    settings.DEBUG = True
    response = get(place, "error", headers=BROWSER)
    assert response.status_code == 500
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>ZeroDivisionError" in response.text
    assert "Request information" in response.text


@pytest.mark.parametrize("place", PLACES)
def test_debug_api_client_gets_json_traceback(place, settings):
    settings.DEBUG = True
    body = get(place, "error", headers=JSON).json()
    assert body["detail"] == "Internal Server Error"
    assert body["exception"]["type"] == "ZeroDivisionError"
    assert body["exception"]["message"] == "division by zero"
    assert body["exception"]["traceback"][0] == "Traceback (most recent call last):"
    assert body["exception"]["traceback"][-1] == "ZeroDivisionError: division by zero"


def test_debug_client_accepting_anything_gets_json(settings):
    settings.DEBUG = True
    response = get("sync", "error", headers={"Accept": "*/*"})
    assert response.json()["exception"]["type"] == "ZeroDivisionError"


def test_debug_json_names_a_projects_exception_with_its_module(settings):
    settings.DEBUG = True
    settings.FASTAPI_ROUTERS = [{"router": "tests.apps.hooks.routers.router", "prefix": "/hooks"}]
    body = Client(raise_app_exceptions=False).get("/api/hooks/teapot", headers=JSON).json()
    assert body["exception"]["type"] == "tests.apps.hooks.handlers.Teapot"


def test_project_exception_handler_replaces_the_mapping(settings):
    settings.FASTAPI_EXCEPTION_HANDLERS = {"django.http.Http404": "tests.apps.hooks.handlers.not_found"}
    response = get("sync", "http404")
    assert response.json() == {"detail": "nothing at /api/errors/sync/http404"}


# A real server: what a browser and an API client see, with and without DEBUG.


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return one_server_project(tmp_path_factory)


@pytest.fixture(scope="module", params=["debug", "no-debug"])
def server(request, project):
    env = {"DJANGO_DEBUG": "1" if request.param == "debug" else "0"}
    with ServerProcess.runfastapi(cwd=project, env=env) as proc:
        proc.debug = request.param == "debug"
        yield proc


def boom(server: ServerProcess, headers: dict):
    with server.client(timeout=10) as client:
        return client.get("/api/shop/boom", headers=headers)


@pytest.mark.server
def test_runfastapi_browser_gets_technical_page_only_under_debug(server):
    response = boom(server, BROWSER)
    assert response.status_code == 500
    if server.debug:
        assert response.headers["content-type"].startswith("text/html")
        assert "ZeroDivisionError" in response.text and "Traceback" in response.text
    else:
        assert response.json() == {"detail": "Internal Server Error"}


@pytest.mark.server
def test_runfastapi_api_client_gets_json_traceback_only_under_debug(server):
    body = boom(server, JSON).json()
    if server.debug:
        assert body["exception"]["traceback"][-1] == "ZeroDivisionError: division by zero"
    else:
        assert body == {"detail": "Internal Server Error"}


@pytest.mark.server
def test_runfastapi_traceback_shown_only_under_debug(server):
    for headers in (BROWSER, JSON, {}):
        text = boom(server, headers).text
        assert ("Traceback" in text) is server.debug
        assert ("ZeroDivisionError" in text) is server.debug


@pytest.mark.server
def test_runfastapi_server_error_traceback_not_logged_again_by_the_server(server):
    boom(server, JSON)
    log = wait_for_output(server, '"GET /api/shop/boom HTTP/1.1" 500')
    # django.request prints under DEBUG (Django's console handler) and emails ADMINS without it.
    assert log.count("Traceback (most recent call last)") == log.count("Internal Server Error: /api/shop/boom")
    assert "Exception in ASGI application" not in log


def wait_for_output(server: ServerProcess, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in server.output and time.monotonic() < deadline:
        time.sleep(0.05)
    return server.output


@pytest.fixture
def notes_table_missing(transactional_db):
    """The notes table dropped, as a project with an unapplied migration would have it."""
    from django.db import connection

    with connection.schema_editor() as editor:
        editor.delete_model(Note)
    yield
    with connection.schema_editor() as editor:
        editor.create_model(Note)


@pytest.mark.parametrize("path", ["/api/notes/notes", "/api/notes/async/notes"])
def test_missing_table_is_a_500_naming_the_cause_not_an_outage(notes_table_missing, settings, caplog, path):
    settings.DEBUG = True
    response = Client(raise_app_exceptions=False).get(path, headers=JSON)
    assert response.status_code == 500
    assert "retry-after" not in response.headers
    assert "no such table" in response.json()["exception"]["message"]
    assert "Run manage.py migrate" in caplog.text


def test_missing_table_without_debug_is_a_plain_500(notes_table_missing, settings):
    settings.DEBUG = False
    response = Client(raise_app_exceptions=False).get("/api/notes/notes", headers=JSON)
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
