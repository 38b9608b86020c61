"""Events between real runfastapi processes: the workers of one server, and two servers, on Redis and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from django_fastapi.testing import iter_events
from tests.events.backends import unique_channel
from tests.projects import sample_site_database
from tests.serverproc import REPO, ServerProcess

pytestmark = pytest.mark.server

BACKENDS = [
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("postgres", marks=pytest.mark.postgres),
    # No EVENTS_URL: the site's own PostgreSQL database, and Django's connection for sync publish.
    pytest.param("postgres-database", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def backend_env(request, tmp_path_factory) -> dict[str, str]:
    return server_env(request, tmp_path_factory)


# The room's members sign in: the sample site's tables are needed, so not the maintenance database.
@pytest.fixture(params=BACKENDS[:2])
def room_env(request, tmp_path_factory) -> dict[str, str]:
    return server_env(request, tmp_path_factory)


def server_env(request, tmp_path_factory) -> dict[str, str]:
    url = request.getfixturevalue("redis_url" if request.param == "redis" else "postgres_url")
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.eventsite", "PYTHONPATH": str(REPO),
        "SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory)), "SAMPLE_SITE_ACCESS_LOG": "0",
        "EVENTS_BACKEND": request.param.removesuffix("-database"), "EVENTS_URL": url, "EVENTS_CHANNEL": unique_channel(),
    }
    if request.param == "postgres-database":
        del env["EVENTS_URL"]
        env["DATABASE_URL"] = url  # the maintenance database: these endpoints need no tables
    return env


class Stream:
    """An open SSE response of a real server, read event by event."""

    def __init__(self, stack: ExitStack, client: httpx.Client, channel: str) -> None:
        self.response = stack.enter_context(client.stream("GET", f"/api/live/stream/{channel}"))
        assert self.response.status_code == 200, self.response.read()
        self.worker = self.response.headers["x-worker"]
        self.events = iter_events(self.response.iter_lines())

    def next_data(self) -> object:
        return next(self.events).json()


def open_streams(stack: ExitStack, server: ServerProcess, channel: str, workers: int = 1) -> list[Stream]:
    """Streams to ``server`` until ``workers`` different workers answered (at most 200 connections: the kernel picks the worker)."""
    streams: list[Stream] = []
    while len({stream.worker for stream in streams}) < workers and len(streams) < 200:
        client = stack.enter_context(server.client(timeout=httpx.Timeout(15)))
        streams.append(Stream(stack, client, channel))
    assert len({stream.worker for stream in streams}) == workers
    return streams


def publish(server: ServerProcess, channel: str, body: dict, sync: bool = False) -> dict:
    with server.client(timeout=15) as client:
        response = client.post(f"/api/live/{'publish-sync' if sync else 'publish'}/{channel}", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def servers(*args: str, env: dict[str, str], count: int = 1) -> Iterator[ServerProcess]:
    return (ServerProcess.runfastapi(*args, env=env, timeout=60) for _ in range(count))


def test_event_published_by_one_worker_reaches_streams_on_both(backend_env):
    with ServerProcess.runfastapi("--workers", "2", env=backend_env, timeout=60) as server, ExitStack() as stack:
        streams = open_streams(stack, server, "open:workers", workers=2)
        publish(server, "open:workers", {"n": 1})  # from async code, on whichever worker answers
        publish(server, "open:workers", {"n": 2}, sync=True)  # from sync code
        received = [(stream.next_data(), stream.next_data()) for stream in streams]
    assert len({stream.worker for stream in streams}) == 2
    assert received == [({"n": 1}, {"n": 2})] * len(streams)


def test_event_published_on_one_server_reaches_streams_on_another(backend_env):
    first, second = servers(env=backend_env, count=2)
    with first, second, ExitStack() as stack:
        streams = open_streams(stack, first, "open:hosts") + open_streams(stack, second, "open:hosts")
        publish(second, "open:hosts", {"from": "second"})
        assert [stream.next_data() for stream in streams] == [{"from": "second"}] * 2


@pytest.mark.parametrize("server_name", ["uvicorn", "hypercorn", "granian"])
def test_open_streams_hold_no_lane(tmp_path_factory, server_name):
    """Twenty idle streams (each checked by a sync rule, on a lane) on a server with two lanes, and a
    sync endpoint still answers."""
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.eventsite", "PYTHONPATH": str(REPO), "FASTAPI_THREADS": "2",
        "SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory)), "SAMPLE_SITE_ACCESS_LOG": "0",
    }
    with ServerProcess.runfastapi("--server", server_name, env=env, timeout=60) as server, ExitStack() as stack:
        streams = [Stream(stack, stack.enter_context(server.client(timeout=15)), "sync:lanes") for _ in range(20)]
        with server.client(timeout=15) as client:
            assert client.post("/api/live/publish-sync/sync:lanes", json={"n": 1}).status_code == 200
            assert client.get("/api/catalog/authors").status_code == 200
        assert [stream.next_data() for stream in streams] == [{"n": 1}] * 20


def test_sample_room_members_on_two_servers_share_the_room(room_env):
    """The sample site's websocket room (sample_site/room) over the events backend: a message sent
    on one server reaches a member connected to the other (one under granian, one under uvicorn)."""
    import json
    import re
    import subprocess
    import sys

    from websockets.sync.client import connect

    from tests.serverproc import SAMPLE_SITE

    demo = subprocess.run([sys.executable, "manage.py", "load_demo_data"], cwd=SAMPLE_SITE,
                          env={**ServerProcess([]).env, **room_env}, capture_output=True, text=True,
                          timeout=60, check=True)
    token = re.search(r"dfb_\S+", demo.stdout).group()
    room = unique_channel().replace(":", "-").replace(".", "-")[:50]
    first = ServerProcess.runfastapi("--server", "granian", env=room_env, timeout=60)
    second = ServerProcess.runfastapi("--server", "uvicorn", env=room_env, timeout=60)
    with first, second:
        with connect(f"ws://127.0.0.1:{first.port}/api/room/{room}", subprotocols=["bearer", token],
                     open_timeout=10) as listener:
            assert json.loads(listener.recv(timeout=10)) == {"type": "joined", "user": "demo"}
            with connect(f"ws://127.0.0.1:{second.port}/api/room/{room}", subprotocols=["bearer", token],
                         open_timeout=10) as speaker:
                assert json.loads(listener.recv(timeout=10)) == {"type": "joined", "user": "demo"}
                speaker.send("across hosts")
                assert json.loads(listener.recv(timeout=10)) == {"type": "message", "user": "demo", "text": "across hosts"}
