"""Graceful-shutdown timeout and worker recycling, on real ``manage.py runfastapi`` servers."""

from __future__ import annotations

import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command

from tests.projects import sample_site_database, shared_project
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

SERVERS = ["uvicorn", "hypercorn"]  # granian recycles by memory or age, not by request count


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return shared_project(tmp_path_factory)


@pytest.fixture(scope="module")
def sample_env(tmp_path_factory) -> dict[str, str]:
    return {"SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory))}


def dribble(port: int, started: threading.Event, done: threading.Event) -> None:
    """A client announcing a 1 MB form body and sending one byte every 0.2 s, until cut off."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /admin/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\na")
        started.set()
        try:
            while not done.is_set():
                sock.sendall(b"a")
                time.sleep(0.2)
        except OSError:
            pass  # the server closed the connection: what the timeout is for


@pytest.mark.parametrize("server", [*SERVERS, "granian"])
def test_runfastapi_sigterm_with_dribbling_client_exits_after_graceful_timeout(server, sample_env):
    """Before --graceful-timeout, uvicorn waited for this client forever (its default is no timeout)."""
    proc = ServerProcess.runfastapi("--server", server, "--graceful-timeout", "1", env=sample_env).start()
    started, done = threading.Event(), threading.Event()
    client = threading.Thread(target=dribble, args=(proc.port, started, done), daemon=True)
    try:
        client.start()
        assert started.wait(10)
        time.sleep(0.5)  # a few bytes in: the request is in flight
        proc.send(signal.SIGTERM)
        returncode = proc.wait(timeout=20)  # fails (and kills the group) if the server stays up
    finally:
        done.set()
        proc.stop()
    # uvicorn re-raises SIGTERM after its shutdown, so the process may end by that signal. (uvicorn
    # also logs the cancelled request's CancelledError, with its traceback.)
    assert returncode in (0, -signal.SIGTERM), proc.output
    if server == "uvicorn":
        assert "timeout graceful shutdown exceeded" in proc.output


@pytest.mark.parametrize("server", SERVERS)
def test_runfastapi_workers_recycled_after_max_requests_keep_serving(server, project):
    """hypercorn's own supervisor ended the whole server when the first worker recycled.

    A recycling worker (uvicorn's and hypercorn's alike, as gunicorn's) finishes the requests it
    has begun, but closes a connection it accepted and had not read yet: the client retries such a
    request once on a new connection, as browsers and proxies do for an idempotent request.
    """
    with ServerProcess.runfastapi("--server", server, "--workers", "2", "--max-requests", "3",
                                  "--max-requests-jitter", "1", cwd=project) as proc:

        def ask(_: int) -> tuple[int, int | None, int]:
            for attempt in range(3):
                try:
                    response = httpx.get(f"{proc.url}/api/blog/pid", params={"block": 0.05}, timeout=10)
                except (httpx.RemoteProtocolError, httpx.ReadError):
                    continue  # closed before the request was read: not begun, so retried
                return response.status_code, response.json().get("pid"), attempt
            return 0, None, 3

        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(ask, range(30)))
        assert proc.process.poll() is None, proc.output
    # Every request answered, by more processes than the two started first: 30 requests at 3 to 5
    # per worker (hypercorn recycles after the limit is exceeded) need at least 6.
    assert [status for status, _, _ in answers] == [200] * 30, answers
    assert len({pid for _, pid, _ in answers}) >= 6, answers


@pytest.mark.parametrize("server", SERVERS)
def test_runfastapi_recycling_worker_finishes_its_in_flight_requests(server, project, tmp_path):
    """Every request a recycling worker has begun (its endpoint wrote the marker) is answered;
    only a connection closed before its request was read may fail, and is retried."""
    with ServerProcess.runfastapi("--server", server, "--workers", "2", "--max-requests", "1",
                                  cwd=project) as proc:

        def slow(number: int) -> list[tuple[str, bool]]:
            attempts = []
            for attempt in range(4):
                marker = tmp_path / f"in-flight-{number}-{attempt}"
                try:
                    response = httpx.get(f"{proc.url}/api/shop/slow",
                                         params={"marker": str(marker), "seconds": 0.5}, timeout=30)
                except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                    attempts.append((repr(exc), marker.exists()))
                    continue
                attempts.append((f"{response.status_code} {response.text}", marker.exists()))
                break
            return attempts

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(slow, range(8)))
        assert proc.process.poll() is None, proc.output
    for attempts in results:
        assert attempts[-1] == ('200 {"slept":0.5}', True), results
        assert all(not began for _, began in attempts[:-1]), results  # no begun request dropped


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--graceful-timeout", "0"], "--graceful-timeout must be a number of seconds above 0; got 0.0."),
        (["--max-requests", "0"], "--max-requests must be 1 or more; got 0."),
        (["--max-requests", "5", "--max-requests-jitter=-1"], "--max-requests-jitter must be 0 or more; got -1."),
        (["--max-requests-jitter", "5"], "--max-requests-jitter needs --max-requests N"),
    ],
)
def test_call_command_runfastapi_bad_recycling_options_raise_command_error(args, message):
    with pytest.raises(CommandError) as raised:
        call_command("runfastapi", "127.0.0.1:0", *args, "--noreload", stdout=StringIO())
    assert message in str(raised.value)


def test_call_command_runfastapi_refuses_server_option_for_graceful_timeout(settings):
    settings.FASTAPI_SERVER_OPTIONS = {"uvicorn": {"timeout_graceful_shutdown": 5}}
    with pytest.raises(CommandError, match="set FASTAPI_GRACEFUL_TIMEOUT"):
        call_command("runfastapi", "127.0.0.1:0", "--server", "uvicorn", "--noreload", stdout=StringIO())


@pytest.mark.parametrize("server", SERVERS)
def test_runfastapi_one_worker_exits_cleanly_after_max_requests(server, project):
    """With one worker there is no supervisor: the server exits (status 0) for a process manager
    to restart, as uvicorn and hypercorn do on their own; documented in runfastapi.rst."""
    proc = ServerProcess.runfastapi("--server", server, "--max-requests", "2", cwd=project).start()
    try:
        for _ in range(5):
            if proc.process.poll() is not None:
                break
            try:
                httpx.get(f"{proc.url}/api/blog/pid", timeout=5)
            except httpx.HTTPError:
                pass
        returncode = proc.wait(timeout=20)
    finally:
        proc.stop()
    assert returncode == 0, proc.output
