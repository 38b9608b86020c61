"""Django's request cycle under the bridge: lanes, request signals, ATOMIC_REQUESTS, overrides.

Requests go through a real uvicorn server (``LiveServer``) or straight to the app through httpx's
ASGI transport, so the lane path runs; the bridge's test client only where its own behaviour is the
subject. The endpoints in tests/apps/lifecycle record events with the thread they ran on.
"""

import asyncio
import functools
import threading
import time
from collections import Counter

import anyio
import httpx
import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections
from django.db.backends.signals import connection_created

from django_fastapi.application import get_application
from django_fastapi.testing.client import Client, connections_kept_open
from django_fastapi.testing.live_server import LiveServer
from tests.apps.lifecycle import api as lifecycle_api
from tests.apps.notes.models import Note

LANE = "django_fastapi-lane-"
THREADS = 4


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s; events: {lifecycle_api.events}")
        time.sleep(0.01)


def threads_of(event: str) -> list[str]:
    return [thread for name, thread in lifecycle_api.events if name == event]


def position(event: str) -> int:
    return [name for name, _ in lifecycle_api.events].index(event)


@pytest.fixture
def lifecycle_app(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.lifecycle"]
    settings.FASTAPI_THREADS = THREADS
    lifecycle_api.events.clear()
    yield get_application()
    lifecycle_api.events.clear()


@pytest.fixture
def recorded_signals():
    """Record request_started / request_finished, and every query, with their threads."""

    def started(**kwargs):
        lifecycle_api.record("request_started")

    def finished(**kwargs):
        lifecycle_api.record("request_finished")

    def query(execute, sql, params, many, context):
        lifecycle_api.record("query")
        return execute(sql, params, many, context)

    def instrument(connection, **kwargs):
        connection.execute_wrappers.append(query)

    request_started.connect(started, weak=False, dispatch_uid="test_lifecycle_started")
    request_finished.connect(finished, weak=False, dispatch_uid="test_lifecycle_finished")
    connection_created.connect(instrument, weak=False, dispatch_uid="test_lifecycle_queries")
    yield
    request_started.disconnect(dispatch_uid="test_lifecycle_started")
    request_finished.disconnect(dispatch_uid="test_lifecycle_finished")
    connection_created.disconnect(dispatch_uid="test_lifecycle_queries")


@pytest.fixture
def live(transactional_db, lifecycle_app, recorded_signals):
    with LiveServer(lifecycle_app) as server:
        yield server


@pytest.fixture
def atomic_requests(monkeypatch):
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)


def test_request_signals_fire_once_per_request_on_the_endpoint_thread(live):
    endpoint_threads = [httpx.get(f"{live.url}/api/notes/thread").json()["thread"] for _ in range(3)]
    wait_for(lambda: len(threads_of("request_finished")) == 3)
    assert len(threads_of("request_started")) == 3
    assert Counter(threads_of("request_finished")) == Counter(endpoint_threads)
    assert Counter(threads_of("request_started")) == Counter(endpoint_threads)
    assert all(thread.startswith(LANE) for thread in endpoint_threads)


def test_request_signals_fire_for_requests_that_never_run_sync_code(live):
    # Their request_finished waits for the lane's next job, or runs once the lane has been idle.
    async def burst() -> None:
        async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
            await asyncio.gather(*(client.get("/api/lifecycle/async/nothing") for _ in range(40)))

    asyncio.run(burst())
    wait_for(lambda: len(threads_of("request_finished")) == 40)
    assert len(threads_of("request_started")) == 40
    assert all(thread.startswith(LANE) for thread in threads_of("request_finished"))


def test_sync_endpoint_dependencies_and_queries_share_one_lane_thread(live):
    body = httpx.get(f"{live.url}/api/lifecycle/threads").json()
    wait_for(lambda: threads_of("request_finished"))
    lane = body["endpoint"]
    assert lane.startswith(LANE)
    assert body["dependency"] == body["yield"] == lane
    assert set(threads_of("yield teardown")) == set(threads_of("query")) == {lane}
    assert threads_of("request_started") == threads_of("request_finished") == [lane]


def test_async_endpoint_runs_sync_dependencies_and_async_orm_on_one_lane_thread(live):
    body = httpx.get(f"{live.url}/api/lifecycle/async/threads").json()
    wait_for(lambda: threads_of("request_finished"))
    lane = body["dependency"]
    assert lane.startswith(LANE)
    assert body["yield"] == lane
    assert set(threads_of("yield teardown")) == set(threads_of("query")) == {lane}
    assert threads_of("request_started") == threads_of("request_finished") == [lane]


def test_task_outliving_its_request_cannot_run_sync_code_on_the_lane(live):
    lane = httpx.get(f"{live.url}/api/lifecycle/async/outlive").json()["lane"]
    wait_for(lambda: any(event.startswith("refused") for event, _ in lifecycle_api.events))
    assert lane.startswith(LANE)
    assert "late sync call" not in [event for event, _ in lifecycle_api.events]
    assert any("ThreadSensitiveContext has exited" in event for event, _ in lifecycle_api.events)


def test_sequential_requests_create_no_thread_per_request(live):
    before = {thread.ident for thread in threading.enumerate()}
    with httpx.Client(base_url=live.url) as client:
        served_by = {client.get("/api/notes/thread").json()["thread"] for _ in range(30)}
    new_threads = [thread.name for thread in threading.enumerate() if thread.ident not in before]
    assert len(served_by) <= THREADS
    assert len(new_threads) <= THREADS
    assert all(name.startswith(LANE) for name in served_by | set(new_threads))


def test_lanes_bound_the_threads_of_concurrent_requests(live):
    async def load(count: int) -> list[str]:
        async with httpx.AsyncClient(base_url=live.url, timeout=10) as client:
            responses = await asyncio.gather(*(client.get("/api/lifecycle/slow") for _ in range(count)))
        assert {response.status_code for response in responses} == {200}
        return [response.json()["thread"] for response in responses]

    before = {thread.ident for thread in threading.enumerate()}
    served_by = asyncio.run(load(48))
    new_threads = [thread.name for thread in threading.enumerate() if thread.ident not in before]
    assert all(name.startswith(LANE) for name in set(served_by) | set(new_threads))
    assert len(set(served_by)) <= THREADS
    assert len(new_threads) <= THREADS

    settled = {thread.ident for thread in threading.enumerate()}
    asyncio.run(load(48))
    assert {thread.ident for thread in threading.enumerate()} <= settled


def test_request_finished_waits_for_a_streamed_body(live):
    assert httpx.get(f"{live.url}/api/lifecycle/stream").text == "0\n1\n2\n"
    wait_for(lambda: threads_of("request_finished"))
    assert position("chunk 2") < position("request_finished")
    assert len(threads_of("request_finished")) == 1


def test_sync_streaming_endpoint_runs_on_the_lane(live):
    chunks = httpx.get(f"{live.url}/api/lifecycle/stream/sync").text.splitlines()
    wait_for(lambda: threads_of("request_finished"))
    assert set(chunks) == set(threads_of("query")) == set(threads_of("request_finished"))
    assert len(chunks) == 3 and chunks[0].startswith(LANE)
    assert position("chunk 2") < position("request_finished")


@pytest.mark.parametrize("path", ["/api/lifecycle/background", "/api/lifecycle/background/response"])
def test_sync_background_task_runs_on_the_lane_before_request_finished(live, path):
    lane = httpx.post(live.url + path).json()["thread"]
    wait_for(lambda: threads_of("request_finished"))
    assert threads_of("background") == threads_of("request_finished") == [lane]
    assert position("background") < position("request_finished")


def test_websocket_sends_started_on_connect_and_finished_on_close(live):
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{live.port}/api/lifecycle/ws", open_timeout=5) as websocket:
        websocket.send("ping")
        thread = websocket.recv(timeout=5).split()[1]
        websocket.send("again")
        websocket.recv(timeout=5)
        assert threads_of("request_started") == [thread]
        assert threads_of("request_finished") == []
    wait_for(lambda: threads_of("request_finished"))
    assert threads_of("request_finished") == [thread]
    assert position("websocket closed") < position("request_finished")


def test_websocket_sync_work_runs_on_a_lane(live):
    from websockets.sync.client import connect

    with connect(f"ws://127.0.0.1:{live.port}/api/lifecycle/ws", open_timeout=5) as websocket:
        websocket.send("ping")
        assert websocket.recv(timeout=5).split()[1].startswith(LANE)


def test_open_websockets_do_not_hold_the_lanes_http_requests_need(
    transactional_db, settings, recorded_signals
):
    from websockets.sync.client import connect

    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.lifecycle"]
    settings.FASTAPI_THREADS = 1
    settings.FASTAPI_THREAD_TIMEOUT = 2
    with LiveServer(get_application()) as server:
        url = f"ws://127.0.0.1:{server.port}/api/lifecycle/ws"
        with connect(url, open_timeout=5) as first, connect(url, open_timeout=5) as second:
            first.send("ping")
            second.send("ping")
            first.recv(timeout=5), second.recv(timeout=5)
            response = httpx.get(f"{server.url}/api/notes/thread", timeout=10)
    assert response.status_code == 200
    assert response.json()["thread"].startswith(LANE)


def test_request_waiting_longer_than_thread_timeout_gets_a_503(transactional_db, settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.lifecycle"]
    settings.FASTAPI_THREADS = 1
    settings.FASTAPI_THREAD_TIMEOUT = 0.3

    async def two_requests(url):
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            slow = asyncio.ensure_future(client.get("/api/lifecycle/sleep", params={"seconds": 1.5}))
            await asyncio.sleep(0.2)
            waiting = await client.get("/api/notes/thread")
            return await slow, waiting

    with LiveServer(get_application()) as server:
        slow, waiting = asyncio.run(two_requests(server.url))
    assert slow.status_code == 200
    assert waiting.status_code == 503
    assert waiting.json() == {"detail": "The server is busy. Try again shortly."}
    assert waiting.headers["retry-after"] == "1"


def test_route_added_by_the_configure_app_hook_runs_on_a_lane(transactional_db, settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.lifecycle"]
    settings.FASTAPI_CONFIGURE_APP = "tests.apps.lifecycle.api.add_hooked_route"
    with LiveServer(get_application()) as server:
        response = httpx.get(f"{server.url}/hooked", timeout=10)
    assert response.status_code == 200
    assert response.json()["thread"].startswith(LANE)


def test_database_error_is_a_503_json_response(live):
    response = httpx.get(f"{live.url}/api/lifecycle/database-down")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "Traceback" not in response.text
    assert response.json()["detail"] == "The database is unavailable. Try again shortly."


@pytest.mark.parametrize("path", ["/api/notes/notes/then-fail", "/api/notes/async/notes/then-fail"])
def test_atomic_requests_roll_back_an_endpoint_that_raises(live, atomic_requests, path):
    assert httpx.post(live.url + path, json={"title": "rolled back"}).status_code == 409
    assert not Note.objects.exists()


@pytest.mark.parametrize("path", ["/api/notes/notes/then-fail", "/api/notes/async/notes/then-fail"])
def test_without_atomic_requests_a_write_before_an_error_stays(live, path):
    assert httpx.post(live.url + path, json={"title": "kept"}).status_code == 409
    assert Note.objects.filter(title="kept").exists()


@pytest.mark.parametrize(
    "path", ["/api/lifecycle/non-atomic/then-fail", "/api/lifecycle/async/non-atomic/then-fail"]
)
def test_non_atomic_requests_opts_an_endpoint_out(live, atomic_requests, path):
    assert httpx.post(live.url + path, json={"title": "kept"}).status_code == 409
    assert Note.objects.filter(title="kept").exists()


@pytest.mark.parametrize("path", ["/api/notes/notes/then-fail", "/api/notes/async/notes/then-fail"])
def test_client_atomic_requests_roll_back_inside_the_test_transaction(db, atomic_requests, path):
    assert Client().post(path, json={"title": "rolled back"}).status_code == 409
    assert not Note.objects.exists()


def test_atomic_requests_commit_a_successful_async_endpoint(live, atomic_requests):
    assert httpx.post(f"{live.url}/api/notes/async/notes", json={"title": "kept"}).status_code == 201
    assert Note.objects.filter(title="kept").exists()


async def _cancel_then_write(app, path: str) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        with anyio.fail_after(5):
            async with anyio.create_task_group() as group:
                group.start_soon(functools.partial(client.post, path, json={"title": "cancelled"}))
                while not threads_of("written"):
                    await anyio.sleep(0.005)
                group.cancel_scope.cancel()
            response = await client.post("/api/notes/async/notes", json={"title": "next"})
    return response.status_code


@pytest.mark.parametrize(
    "path, atomic",
    [
        ("/api/lifecycle/async/notes/then-wait", True),
        ("/api/lifecycle/notes/in-dependency-transaction/then-wait", False),
    ],
)
def test_cancelled_request_leaves_no_transaction_open_on_its_lane(
    transactional_db, lifecycle_app, settings, monkeypatch, path, atomic
):
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", atomic)
    settings.FASTAPI_THREADS = 1
    app = get_application()
    for attempt in range(1, 6):
        lifecycle_api.events.clear()
        assert anyio.run(_cancel_then_write, app, path) == 201
        assert Note.objects.filter(title="next").count() == attempt
    assert not Note.objects.filter(title="cancelled").exists()


def test_dependency_overrides_replace_a_pinned_sync_dependency(lifecycle_app):
    lifecycle_app.dependency_overrides[lifecycle_api.label] = lambda: "overridden"
    try:
        assert Client(lifecycle_app).get("/api/lifecycle/label").json()["label"] == "overridden"
    finally:
        lifecycle_app.dependency_overrides = {}
    assert Client(lifecycle_app).get("/api/lifecycle/label").json()["label"] == "original"


def test_dependency_override_runs_sync_on_the_request_thread(lifecycle_app):
    lifecycle_app.dependency_overrides[lifecycle_api.label] = lambda: threading.current_thread().name
    try:
        body = Client(lifecycle_app).get("/api/lifecycle/label").json()
    finally:
        lifecycle_app.dependency_overrides.clear()
    assert body["label"] == body["thread"] == threading.current_thread().name


def test_live_api_server_sees_committed_rows(live_api_server):
    Note.objects.create(title="committed by the test")
    response = httpx.get(f"{live_api_server.url}/api/notes/notes")
    assert [note["title"] for note in response.json()] == ["committed by the test"]


def test_live_api_server_writes_are_visible_to_the_test(live_api_server):
    response = httpx.post(f"{live_api_server.url}/api/notes/async/notes", json={"title": "from the server"})
    assert response.status_code == 201
    assert Note.objects.filter(title="from the server").exists()


def _closes_old_connections() -> bool:
    connected = request_finished.disconnect(close_old_connections)
    if connected:
        request_finished.connect(close_old_connections)
    return connected


def test_client_keeps_connections_open_until_the_last_overlapping_request_ends():
    with connections_kept_open():
        with connections_kept_open():
            pass
        assert not _closes_old_connections()
    assert _closes_old_connections()
