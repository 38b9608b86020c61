"""The request cycle without a concurrency cap: a lane only while sync work runs.

Real servers (uvicorn and hypercorn, in a thread) with few lanes, so that the old behaviour (a
lane held for a request's whole life) would fail each test. Concurrency is shown by counts: how
many requests an endpoint saw in flight at once, how many lanes were in use, which threads ran.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter

import httpx
import pytest
from django.db import connections

from django_fastapi.application import get_application
from django_fastapi.testing import LiveServer
from tests.apps.lifecycle import api as lifecycle_api
from tests.apps.notes.models import Note
from tests.core.test_lifecycle import LANE, recorded_signals, threads_of, wait_for  # noqa: F401

pytestmark = pytest.mark.server
SERVERS = ["uvicorn", "hypercorn"]


@pytest.fixture
def lanes_app(settings, transactional_db):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.lifecycle"]
    settings.FASTAPI_THREADS = 2
    settings.FASTAPI_THREAD_TIMEOUT = 2
    lifecycle_api.events.clear()
    lifecycle_api.reset_in_flight()
    app = get_application()
    yield app
    lifecycle_api.events.clear()


def live(app, server: str) -> LiveServer:
    return LiveServer(app, server=server)


def lane_pool(app):
    return app.state.django_fastapi_lanes


async def _gather(url: str, paths: list[str], *, timeout: float = 20) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(paths) + 1)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        return await asyncio.gather(*(client.get(path) for path in paths))


async def _when_in_flight(url: str, count: int) -> None:
    # The live server runs in this process: its endpoint's counter is read directly.
    for _ in range(2000):
        if lifecycle_api.in_flight["now"] >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never {count} requests in flight: {lifecycle_api.in_flight}")


@pytest.mark.parametrize("server", SERVERS)
def test_async_requests_awaiting_are_all_in_flight_at_once_on_two_lanes(lanes_app, server):
    requests = 60

    async def scenario(url: str) -> list[httpx.Response]:
        waiting = asyncio.ensure_future(_gather(url, ["/api/lifecycle/async/hold?until=all&query=1"] * requests))
        await _when_in_flight(url, requests)
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            await client.post("/api/lifecycle/async/open/all")
        return await waiting

    with live(lanes_app, server) as server_:
        responses = asyncio.run(scenario(server_.url))
    assert [response.status_code for response in responses] == [200] * requests
    assert lifecycle_api.in_flight["peak"] == requests
    threads = {thread for response in responses for thread in response.json()["threads"]}
    assert threads and all(thread.startswith(LANE) for thread in threads)
    assert len(threads) <= 2
    assert lane_pool(lanes_app).peak_in_use <= 2


def test_awaiting_requests_create_no_thread_each(lanes_app):
    before = {thread.ident for thread in threading.enumerate()}
    seen: list[int] = []

    async def scenario(url: str) -> list[httpx.Response]:
        waiting = asyncio.ensure_future(_gather(url, ["/api/lifecycle/async/hold?until=t&query=1"] * 80))
        await _when_in_flight(url, 80)
        seen.append(threading.active_count())
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            await client.post("/api/lifecycle/async/open/t")
        return await waiting

    with live(lanes_app, "uvicorn") as server:
        responses = asyncio.run(scenario(server.url))
        new = [t.name for t in threading.enumerate() if t.ident not in before]
    assert {response.status_code for response in responses} == {200}
    # The server's own thread, its lanes, and at most a few helpers: none per request.
    assert len([name for name in new if name.startswith(LANE)]) <= 2
    assert seen[0] - len(before) <= 2 + 4


@pytest.mark.parametrize("server", SERVERS)
def test_request_needing_no_lane_is_not_delayed_while_every_lane_is_busy(lanes_app, settings, server):
    settings.FASTAPI_THREADS = 1
    app = get_application()

    async def scenario(url: str) -> tuple[httpx.Response, httpx.Response, bool]:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            busy = asyncio.ensure_future(client.get("/api/lifecycle/sleep/recorded", params={"seconds": 1.5}))
            while "sleep started" not in [event for event, _ in lifecycle_api.events]:
                await asyncio.sleep(0.01)
            free = await client.get("/api/lifecycle/async/nothing")
            answered_while_busy = "sleep done" not in [event for event, _ in lifecycle_api.events]
            return await busy, free, answered_while_busy

    with live(app, server) as server_:
        busy, free, answered_while_busy = asyncio.run(scenario(server_.url))
    assert busy.status_code == free.status_code == 200
    assert answered_while_busy


def _trickle(port: int, stop: threading.Event, budget: float) -> None:
    """A client that sends a request body one byte at a time, within ``budget`` seconds."""
    deadline = time.monotonic() + budget
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/notes/notes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n"
        )
        while not stop.is_set() and time.monotonic() < deadline:
            sock.sendall(b" ")
            stop.wait(0.05)


@pytest.mark.parametrize("server", SERVERS)
def test_clients_trickling_bodies_hold_no_lane(lanes_app, settings, server):
    settings.FASTAPI_THREADS = 1
    app = get_application()
    stop = threading.Event()
    with live(app, server) as server_:
        tricklers = [threading.Thread(target=_trickle, args=(server_.port, stop, 20)) for _ in range(6)]
        for thread in tricklers:
            thread.start()
        try:
            time.sleep(0.3)
            with httpx.Client(base_url=server_.url, timeout=10) as client:
                statuses = [client.get("/api/notes/thread").status_code for _ in range(10)]
                created = client.post("/api/notes/notes", json={"title": "while trickling"}).status_code
        finally:
            stop.set()
            for thread in tricklers:
                thread.join()
    assert statuses == [200] * 10
    assert created == 201


def test_sync_work_of_one_request_may_use_several_lanes_with_signals_once(lanes_app, recorded_signals):  # noqa: F811 (a fixture)
    """A waiting request's lane is taken by another request meanwhile, so its next job runs on
    the other lane; which lane is free is up to timing, so the scenario repeats until it happens."""

    async def scenario(url: str, gate: str) -> dict:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            first = asyncio.ensure_future(client.get(f"/api/lifecycle/async/hold?until={gate}&query=1"))
            while lifecycle_api.in_flight["now"] < 1:
                await asyncio.sleep(0.005)
            busy = asyncio.ensure_future(client.get("/api/lifecycle/sleep/recorded", params={"seconds": 0.5}))
            while "sleep started" not in [event for event, _ in lifecycle_api.events]:
                await asyncio.sleep(0.005)
            await client.post(f"/api/lifecycle/async/open/{gate}")
            body = (await first).json()
            await busy
            return body

    two_lanes = 0
    with live(lanes_app, "uvicorn") as server:
        for attempt in range(10):
            lifecycle_api.events.clear()
            before, after = asyncio.run(scenario(server.url, f"g{attempt}"))["threads"]
            # Three requests: the waiting one, the sleeping one, the one opening the gate.
            wait_for(lambda: len(threads_of("request_finished")) >= 3)
            time.sleep(0.1)
            assert len(threads_of("request_started")) == len(threads_of("request_finished")) == 3
            assert all(thread.startswith(LANE) for thread in threads_of("request_finished"))
            two_lanes += before != after
            if two_lanes:
                break
    assert two_lanes


@pytest.fixture
def atomic_requests(monkeypatch):
    monkeypatch.setitem(connections.settings["default"], "ATOMIC_REQUESTS", True)


@pytest.mark.parametrize("fail", [False, True])
def test_transaction_spanning_awaits_keeps_its_lane_and_is_one_unit(lanes_app, atomic_requests, fail):
    async def scenario(url: str) -> tuple[httpx.Response, list[httpx.Response]]:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            atomic = asyncio.ensure_future(
                client.post(f"/api/lifecycle/async/atomic/wait?seconds=0.5&fail={int(fail)}", json={"title": "tx"})
            )
            while not threads_of("atomic 1"):
                await asyncio.sleep(0.01)
            others = await asyncio.gather(*(client.get("/api/notes/thread") for _ in range(8)))
            return await atomic, others

    with live(lanes_app, "uvicorn") as server:
        atomic, others = asyncio.run(scenario(server.url))
    kept = threads_of("atomic 1")[0]
    assert threads_of("atomic 2") == [kept]
    assert {response.status_code for response in others} == {200}
    # While the transaction was open, no other request ran on its lane.
    assert kept not in {response.json()["thread"] for response in others}
    if fail:
        assert atomic.status_code == 409
        assert not Note.objects.filter(title__startswith="tx").exists()
    else:
        assert atomic.status_code == 200
        assert Note.objects.filter(title__startswith="tx").count() == 2


def test_client_disconnecting_mid_job_leaves_the_lane_usable(lanes_app, settings):
    settings.FASTAPI_THREADS = 1
    app = get_application()
    with live(app, "uvicorn") as server:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{server.url}/api/lifecycle/sleep/recorded", params={"seconds": 0.5}, timeout=0.1)
        response = httpx.get(f"{server.url}/api/notes/thread", timeout=10)
    assert response.status_code == 200
    # The job ran to its end before the next one took the lane.
    assert position_of("sleep done") < len(lifecycle_api.events)


def position_of(event: str) -> int:
    return [name for name, _ in lifecycle_api.events].index(event)


@pytest.mark.parametrize("server", SERVERS)
def test_websockets_run_sync_work_on_the_lanes_without_a_thread_each(lanes_app, server):
    from websockets.asyncio.client import connect

    async def scenario(url: str) -> tuple[list[str], int]:
        sockets = [await connect(url, open_timeout=5) for _ in range(20)]
        try:
            for websocket in sockets:
                await websocket.send("count")
            replies = [await asyncio.wait_for(websocket.recv(), 10) for websocket in sockets]
            return replies, threading.active_count()
        finally:
            for websocket in sockets:
                await websocket.close()

    before = threading.active_count()
    with live(lanes_app, server) as server_:
        replies, during = asyncio.run(scenario(f"ws://127.0.0.1:{server_.port}/api/lifecycle/ws/count"))
    threads = {reply.split()[1] for reply in replies}
    assert all(thread.startswith(LANE) for thread in threads)
    assert len(threads) <= 2
    # The server's thread and its two lanes, not one thread per open websocket.
    assert during - before <= 1 + 2 + 2


def test_websockets_beyond_the_limit_are_closed_with_1013(lanes_app, settings):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    settings.FASTAPI_MAX_WEBSOCKETS = 2
    app = get_application()
    with live(app, "uvicorn") as server:
        url = f"ws://127.0.0.1:{server.port}/api/lifecycle/ws/count"
        with connect(url, open_timeout=5) as first, connect(url, open_timeout=5) as second:
            first.send("x"), second.send("x")
            first.recv(timeout=5), second.recv(timeout=5)
            with connect(url, open_timeout=5) as third:
                with pytest.raises(ConnectionClosed) as closed:
                    third.recv(timeout=5)
        assert closed.value.rcvd.code == 1013
        # Closing one makes room again.
        with connect(url, open_timeout=5) as again:
            again.send("x")
            assert again.recv(timeout=5)


def test_streams_beyond_the_limit_get_a_503(lanes_app, settings):
    settings.FASTAPI_MAX_STREAMS = 1
    app = get_application()

    async def scenario(url: str) -> tuple[str, httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            async with client.stream("GET", "/api/lifecycle/async/stream/hold?until=s") as first:
                lines = first.aiter_lines()
                opened = await lines.__anext__()
                refused = await client.get("/api/lifecycle/async/stream/hold?until=s")
                ordinary = await client.get("/api/notes/thread")
                await client.post("/api/lifecycle/async/open/s")
                assert [line async for line in lines] == ["closed"]
            return opened, refused, ordinary

    with live(app, "uvicorn") as server:
        opened, refused, ordinary = asyncio.run(scenario(server.url))
    assert opened == "open"
    assert refused.status_code == 503
    assert refused.json() == {"detail": "The server has too many open streams. Try again shortly."}
    assert ordinary.status_code == 200


def test_lane_wait_beyond_thread_timeout_is_a_503_and_other_lanes_work_on(lanes_app, settings):
    settings.FASTAPI_THREADS = 1
    settings.FASTAPI_THREAD_TIMEOUT = 0.3
    app = get_application()

    async def scenario(url: str) -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            slow = asyncio.ensure_future(client.get("/api/lifecycle/sleep/recorded", params={"seconds": 1.2}))
            while "sleep started" not in [event for event, _ in lifecycle_api.events]:
                await asyncio.sleep(0.01)
            waiting = await client.get("/api/lifecycle/async/hold?query=1")
            return await slow, waiting, await client.get("/api/lifecycle/async/hold?query=1")

    with live(app, "uvicorn") as server:
        slow, waiting, after = asyncio.run(scenario(server.url))
    assert slow.status_code == 200
    assert waiting.status_code == 503
    assert waiting.headers["retry-after"] == "1"
    assert after.status_code == 200


def test_peak_lanes_and_threads_are_counted_per_pool(lanes_app):
    with live(lanes_app, "uvicorn") as server:
        responses = asyncio.run(_gather(server.url, ["/api/lifecycle/slow"] * 12))
    assert {response.status_code for response in responses} == {200}
    assert Counter(response.json()["thread"] for response in responses).keys() <= {
        f"{LANE}0", f"{LANE}1"
    }
    assert lane_pool(lanes_app).peak_in_use == 2


def test_request_cancelled_inside_a_transaction_it_left_open_has_it_rolled_back(lanes_app, settings, caplog):
    import anyio

    settings.FASTAPI_THREADS = 1
    app = get_application()

    async def scenario() -> int:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            with anyio.fail_after(5):
                async with anyio.create_task_group() as group:
                    group.start_soon(
                        lambda: client.post("/api/lifecycle/async/autocommit-off/then-wait", json={"title": "open"})
                    )
                    while not threads_of("written"):
                        await anyio.sleep(0.005)
                    group.cancel_scope.cancel()
                response = await client.post("/api/notes/async/notes", json={"title": "next"})
        return response.status_code

    assert anyio.run(scenario) == 201
    assert Note.objects.filter(title="next").exists()
    assert not Note.objects.filter(title="open").exists()
    assert "ended with autocommit off" in caplog.text



def test_sync_calls_of_one_request_run_one_at_a_time_on_free_lanes(lanes_app):
    """As asgiref's thread-sensitive mode promises (Django's own ASGI handler runs a request's
    sync code on one thread): even with lanes free, a request's jobs never overlap."""
    with live(lanes_app, "uvicorn") as server:
        body = httpx.get(f"{server.url}/api/lifecycle/async/gather", timeout=10).json()
    assert body == {"peak": 1}
