"""The other libraries' internals the bridge relies on, each in its compat module.

Each test names the installed version when it fails, so an upgrade that changes one is seen at once.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import platform
import sys
from importlib.metadata import version

import pytest
from asgiref.sync import async_to_sync
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient
from starlette.background import BackgroundTask, BackgroundTasks
from starlette.responses import Response

from django_fastapi.core import compat_fastapi, compat_starlette
from django_fastapi.core.compat_asgiref import outer_sync_executor
from django_fastapi.core.compat_asyncio import as_if_sync

FASTAPI = f"FastAPI {version('fastapi')}"
STARLETTE = f"Starlette {version('starlette')}"


def test_asgiref_exposes_the_executor_of_an_enclosing_async_to_sync():
    async def inside() -> object:
        return outer_sync_executor()

    assert async_to_sync(inside)() is not None, f"asgiref {version('asgiref')}: AsyncToSync.executors changed"


def test_asgiref_reports_no_enclosing_executor_in_a_plain_event_loop():
    async def inside() -> object:
        return outer_sync_executor()

    assert asyncio.run(inside()) is None, f"asgiref {version('asgiref')}: AsyncToSync.executors changed"


def test_asyncio_running_loop_can_be_hidden_and_restored():
    async def inside() -> tuple[object, object]:
        hidden = as_if_sync(asyncio._get_running_loop)
        return hidden, asyncio.get_running_loop()

    hidden, after = asyncio.run(inside())
    message = f"Python {platform.python_version()}: asyncio._set_running_loop changed"
    assert hidden is None, message
    assert after is not None, message


# FastAPI


def _marker() -> None:
    pass


def _included_app() -> tuple[FastAPI, APIRouter]:
    router = APIRouter()

    def page(size: int = 10, request: Request = None) -> dict:
        route = compat_fastapi.serving_route(request.scope)
        return {
            "query": sorted(alias for alias, _ in compat_fastapi.query_parameters(route)),
            "calls": [call.__name__ for call in compat_fastapi.dependency_calls(route)],
        }

    router.add_api_route("/items", page, methods=["GET"])
    app = FastAPI()

    def outer(q: str = "") -> None:
        pass

    app.include_router(router, prefix="/v1", dependencies=[Depends(outer)])
    return app, router


def test_fastapi_route_contexts_look_inside_included_routers():
    app, router = _included_app()
    pairs = compat_fastapi.route_contexts(app.routes)
    served = [(original, effective) for original, effective in pairs if getattr(effective, "path", None) == "/v1/items"]
    assert served, f"{FASTAPI}: iter_route_contexts no longer yields included routes"
    assert served[0][0] is router.routes[0], f"{FASTAPI}: RouteContext.original_route changed"


def test_fastapi_routes_version_changes_when_routes_are_added():
    app, router = _included_app()
    before = compat_fastapi.routes_version(app)
    router.add_api_route("/more", _marker, methods=["GET"])
    assert compat_fastapi.routes_version(app) != before, f"{FASTAPI}: APIRouter._get_routes_version changed"


def test_fastapi_serving_route_has_the_inclusions_dependencies():
    app, _ = _included_app()
    answer = TestClient(app).get("/v1/items").json()
    message = f"{FASTAPI}: scope['fastapi']['effective_route_context'] or the Dependant tree changed"
    assert answer["query"] == ["q", "size"], message
    assert answer["calls"] == ["outer"], message


def test_fastapi_serving_route_is_none_outside_a_route():
    assert compat_fastapi.serving_route({"type": "http"}) is None, FASTAPI


def test_fastapi_dependant_tells_what_needs_an_http_request():
    from fastapi import WebSocket
    from starlette.requests import HTTPConnection

    router = APIRouter()

    def takes_request(request: Request) -> None:
        pass

    def takes_connection(connection: HTTPConnection) -> None:
        pass

    @router.websocket("/ws")
    async def socket(
        websocket: WebSocket, tasks: BackgroundTasks, a: None = Depends(takes_request), b: None = Depends(takes_connection)
    ) -> None:
        pass

    needs = {call.__name__: what for call, what in compat_fastapi.http_only_needs(router.routes[0])}
    message = f"{FASTAPI}: Dependant.request_param_name or .background_tasks_param_name changed"
    assert needs == {"socket": ["BackgroundTasks"], "takes_request": ["a Request"]}, message


# Starlette


def test_starlette_scope_names_the_matched_route_and_endpoint():
    app = FastAPI()

    @app.get("/here")
    def here(request: Request) -> dict:
        route = compat_starlette.scope_route(request.scope)
        endpoint = compat_starlette.scope_endpoint(request.scope)
        return {"route": getattr(route, "path", None), "endpoint": getattr(endpoint, "__name__", None)}

    answer = TestClient(app).get("/here").json()
    assert answer == {"route": "/here", "endpoint": "here"}, f"{STARLETTE}: scope['route'] / scope['endpoint'] changed"


@pytest.mark.parametrize("kind", ["task", "tasks", "response"])
def test_starlette_sync_background_tasks_can_be_made_async(kind):
    ran = []

    def job(value: int) -> None:
        ran.append(value)

    def wrap(func):
        async def awaited(*args):
            ran.append("wrapped")
            func(*args)

        return awaited

    task = BackgroundTask(job, 1)
    value = {"task": task, "tasks": BackgroundTasks([task]), "response": Response(background=task)}[kind]
    compat_starlette.run_sync_background_tasks_through(value, wrap)
    asyncio.run(task())
    assert ran == ["wrapped", 1], f"{STARLETTE}: BackgroundTask.func / is_async changed"


# Django

DJANGO = f"Django {version('django')}"


def test_django_csrf_failure_reason_is_the_reason_django_rejects_with():
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE
    from django.test import RequestFactory

    from django_fastapi.core.compat_django import csrf_failure_reason

    request = RequestFactory().post("/form", {"name": "value"})
    assert csrf_failure_reason(request) == REASON_NO_CSRF_COOKIE, f"{DJANGO}: CsrfViewMiddleware._reject changed"
    exempt = type("Exempt", (), {"csrf_exempt": True})()
    assert csrf_failure_reason(RequestFactory().post("/form"), exempt) is None, DJANGO


def test_django_set_form_gives_post_and_empty_files_without_reading_the_body():
    from django.core.handlers.asgi import ASGIRequest
    from django.http import QueryDict

    from django_fastapi.core.compat_django import set_form

    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body was read")

    scope = {
        "type": "http", "method": "POST", "path": "/form", "query_string": b"",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"3")],
    }
    request = ASGIRequest(scope, Unreadable())
    set_form(request, QueryDict("a=1"))
    message = f"{DJANGO}: HttpRequest._files changed"
    assert request.POST["a"] == "1", message
    assert len(request.FILES) == 0, message


def test_django_get_host_reads_only_path_and_meta(settings):
    from django.core.exceptions import DisallowedHost

    from django_fastapi.core.compat_django import get_host

    settings.ALLOWED_HOSTS = ["example.com"]
    meta = {"SERVER_NAME": "internal", "SERVER_PORT": "80"}
    message = f"{DJANGO}: HttpRequest.get_host() reads more than path and META"
    assert get_host("/", {**meta, "HTTP_HOST": "example.com"}) == "example.com", message
    with pytest.raises(DisallowedHost):
        get_host("/", {**meta, "HTTP_HOST": "evil.test"})


def test_django_non_atomic_request_aliases():
    from django.db import transaction

    from django_fastapi.core.compat_django import non_atomic_request_aliases

    @transaction.non_atomic_requests(using="other")
    @transaction.non_atomic_requests
    def view() -> None:
        pass

    message = f"{DJANGO}: transaction.non_atomic_requests no longer sets _non_atomic_requests"
    assert non_atomic_request_aliases(view) == {"default", "other"}, message
    assert non_atomic_request_aliases(lambda: None) == set(), message


def test_django_has_connection_does_not_create_one():
    import threading

    from django.db import connections

    from django_fastapi.core.compat_django import has_connection

    seen = []

    def in_a_new_thread() -> None:
        seen.append(has_connection("default"))
        connections["default"]
        seen.append(has_connection("default"))
        connections["default"].close()

    thread = threading.Thread(target=in_a_new_thread)
    thread.start()
    thread.join()
    assert seen == [False, True], f"{DJANGO}: connections._connections changed"


# psycopg_pool


def test_psycopg_pool_connection_check_can_be_read_and_replaced():
    pool_module = pytest.importorskip("psycopg_pool")
    from django_fastapi.core.compat_psycopg_pool import connection_check, replace_connection_check

    def check(connection) -> None:
        pass

    def other(connection) -> None:
        pass

    pool = pool_module.ConnectionPool("", open=False, check=check)
    message = f"psycopg_pool {version('psycopg_pool')}: ConnectionPool._check changed"
    assert connection_check(pool) is check, message
    replace_connection_check(pool, other)
    assert connection_check(pool) is other, message
    assert "self._check(" in inspect.getsource(pool_module.ConnectionPool), message  # still called before lending


def test_fastapi_depends_on_keeps_the_other_options():
    from fastapi import Security

    def first() -> None:
        pass

    def second() -> None:
        pass

    copied = compat_fastapi.depends_on(Depends(first, use_cache=False), second)
    message = f"{FASTAPI}: params.Depends is no longer a dataclass"
    assert (copied.dependency, copied.use_cache) == (second, False), message
    secured = compat_fastapi.depends_on(Security(first, scopes=["read"]), second)
    assert (secured.dependency, list(secured.scopes)) == (second, ["read"]), message


def test_django_reloader_child_is_started_with_the_autoreload_environment(monkeypatch, tmp_path):
    from django_fastapi.core.compat_django import is_reloader_child, reloader_child

    script = tmp_path / "manage.py"
    script.write_text("")
    # As `python manage.py runfastapi` starts it, whatever runs the tests (pytest, an xdist worker).
    monkeypatch.setattr(sys.modules["__main__"], "__spec__", None, raising=False)
    monkeypatch.setattr("sys.argv", [str(script), "runfastapi"])
    arguments, environ = reloader_child()
    message = f"{DJANGO}: autoreload.get_child_arguments / DJANGO_AUTORELOAD_ENV changed"
    assert arguments[0] == sys.executable and arguments[-1] == "runfastapi", message
    monkeypatch.setattr("os.environ", environ)
    assert is_reloader_child(), message
