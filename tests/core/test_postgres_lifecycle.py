"""Connections under real servers on real PostgreSQL: bounds under load, restarts, outages, shutdown.

The module creates its own databases (``dfb_lc_*``), migrates the sample site into one, and starts
``manage.py runfastapi`` subprocesses against them. Connection counts come from pg_stat_activity.
Tests that stop or restart PostgreSQL do it to a private server this module starts for them
(tests/pgserver.py), never to the shared one named by DJANGO_FASTAPI_TEST_POSTGRES.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.pgserver import PrivatePostgres, unavailable_reason
from tests.serverproc import REPO, SAMPLE_SITE, ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.server]

POOL_MIN, POOL_MAX = 2, 8  # sample_site.settings.database_from_url
LANES = 12  # more lanes than the pool has connections, so the pool is what bounds them
ENDPOINTS = ("/api/benchmark/permissions", "/api/benchmark/permissions-async")
# .ci/run sets this: a private server that cannot be started must fail the run, not skip tests.
REQUIRE_SERVICES = os.environ.get("DJANGO_FASTAPI_REQUIRE_SERVICES") == "1"
MODES = {
    "pool": {"DATABASE_POOL": "1"},
    "conn_max_age_0": {"DATABASE_POOL": "0", "DATABASE_CONN_MAX_AGE": "0"},
    "conn_max_age_60": {"DATABASE_POOL": "0", "DATABASE_CONN_MAX_AGE": "60"},
}
# Server output that means a request failed, or a dead connection was handed to one.
FAILURES = ("Traceback", "connection already closed", " 500 ", " 503 ", "Database error")


@dataclass
class Databases:
    admin_url: str
    main: str
    other: str

    def url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{name}"))

    def connect(self, name: str | None = None):
        import psycopg

        return psycopg.connect(self.url(name) if name else self.admin_url, autocommit=True, connect_timeout=3)

    def count(self, name: str) -> int:
        with self.connect() as conn:
            return _count(conn, name)


def _count(conn, name: str) -> int:
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
    ).fetchone()[0]


def _drop(conn, name: str) -> None:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def created_databases(admin_url: str) -> Iterator[Databases]:
    """This process's two databases on the server of ``admin_url``, migrated; dropped at the end."""
    suffix = os.getpid()
    dbs = Databases(admin_url, f"dfb_lc_main_{suffix}", f"dfb_lc_other_{suffix}")
    try:
        with dbs.connect() as conn:
            for name in (dbs.main, dbs.other):
                _drop(conn, name)
                conn.execute(f'CREATE DATABASE "{name}"')
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=SAMPLE_SITE,
            env={**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
                 **_env(dbs, DATABASE_POOL="0")},
            check=True, timeout=120,
        )
        with dbs.connect(dbs.other) as conn:
            conn.execute("CREATE TABLE probe_mark (name text)")
        yield dbs
    finally:
        with dbs.connect() as conn:
            for name in (dbs.main, dbs.other):
                _drop(conn, name)


@pytest.fixture(scope="module")
def databases(postgres_url: str) -> Iterator[Databases]:
    """Databases on the shared server, for tests that only use PostgreSQL."""
    with created_databases(postgres_url) as dbs:
        yield dbs


def postmaster_start_time(admin_url: str):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        return conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]


@pytest.fixture(scope="module", autouse=True)
def shared_server_start_time(postgres_url: str):
    """When the shared server started, read before this module's first test (checked after its last)."""
    return postmaster_start_time(postgres_url)


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A throwaway PostgreSQL server of this module's own, which its tests may stop and restart."""
    if reason := unavailable_reason():
        message = f"cannot start a private PostgreSQL server: {reason}"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def private_databases(private_postgres: PrivatePostgres) -> Iterator[Databases]:
    """The module's databases on the private server (the restart and outage tests' own)."""
    with created_databases(private_postgres.url) as dbs:
        yield dbs


def _env(dbs: Databases, **extra: str) -> dict[str, str]:
    """The sample site's settings on the test database (ServerProcess adds os.environ)."""
    return {"DATABASE_URL": dbs.url(dbs.main), "DJANGO_DEBUG": "0", "SECRET_KEY": "tests-only-sample-site-key", **extra}


@contextmanager
def server(dbs: Databases, mode: str, *extra: str, pgsite: bool = False, **env: str) -> Iterator[ServerProcess]:
    settings = {"DJANGO_SETTINGS_MODULE": "tests.pgsite.settings", "PYTHONPATH": str(REPO),
                "OTHER_DATABASE_URL": dbs.url(dbs.other)} if pgsite else {}
    process = ServerProcess.runfastapi(
        "--log-level", "warning", "--skip-checks", *extra,
        env=_env(dbs, **MODES[mode], FASTAPI_THREADS=str(LANES), **settings, **env),
    )
    with process:
        yield process


def assert_clean(process: ServerProcess) -> None:
    output = process.output
    assert not [failure for failure in FAILURES if failure in output], output[-3000:]


def wait_until_accepting(admin_url: str, timeout: float = 30.0) -> None:
    """Wait until the server accepts connections."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(admin_url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def _load(url: str, paths: list[str], concurrency: int) -> list[httpx.Response]:
    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def get(path: str) -> httpx.Response:
            async with semaphore:
                return await client.get(path)

        return await asyncio.wait_for(asyncio.gather(*(get(path) for path in paths)), timeout=120)


def load(url: str, requests: int, concurrency: int = 32, endpoints=ENDPOINTS) -> list[int]:
    """``requests`` GETs spread over ``endpoints``; returns their status codes."""
    paths = [endpoints[index % len(endpoints)] for index in range(requests)]
    return [response.status_code for response in asyncio.run(_load(url, paths, concurrency))]


@contextmanager
def sampled(dbs: Databases, *names: str, interval: float = 0.01) -> Iterator[dict[str, list[int]]]:
    """Sample each database's connection count from one monitoring connection, in a thread."""
    samples: dict[str, list[int]] = {name: [] for name in names}
    done = threading.Event()

    def sample() -> None:
        with dbs.connect() as conn:
            while not done.is_set():
                for name in names:
                    samples[name].append(_count(conn, name))
                done.wait(interval)

    monitor = threading.Thread(target=sample, name="pg-monitor")
    monitor.start()
    try:
        yield samples
    finally:
        done.set()
        monitor.join(timeout=10)


def settled_count(dbs: Databases, name: str, accept, timeout: float = 10.0) -> int:
    """Poll until ``accept(count)``; returns the last count (the caller asserts on it)."""
    deadline = time.monotonic() + timeout
    while not accept(count := dbs.count(name)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return count


@pytest.fixture
def report(request):
    """Print what a test observed (shown with ``-s``), e.g. the connection counts."""

    def write(label: str, **values) -> None:
        print(f"\n[{request.node.name}] {label}: {values}")

    return write


# Upper bound while serving, and the idle level after, for each mode.
BOUNDS = {
    "pool": (POOL_MAX, lambda n: POOL_MIN <= n <= POOL_MAX),
    "conn_max_age_0": (LANES, lambda n: n == 0),
    "conn_max_age_60": (LANES, lambda n: 0 < n <= LANES),
}


@pytest.mark.parametrize("mode", list(MODES))
def test_connections_stay_bounded_under_load_and_settle(databases, mode, report):
    bound, idle = BOUNDS[mode]
    with server(databases, mode) as process:
        with sampled(databases, databases.main) as samples:
            statuses = load(process.url, 2000, concurrency=32)
        after = settled_count(databases, databases.main, idle)
        assert_clean(process)
    peak = max(samples[databases.main])
    report(mode, peak=peak, after=after, samples=len(samples[databases.main]))
    assert statuses == [200] * 2000
    assert 0 < peak <= bound
    assert idle(after), after


@pytest.mark.parametrize("server_name", ["uvicorn", "hypercorn", "granian"])
@pytest.mark.parametrize("mode", list(MODES))
def test_awaiting_async_requests_are_all_in_flight_with_connections_bounded(databases, mode, server_name, report):
    """300 async requests at once, each querying before and after a wait: no lane held meanwhile."""
    bound, idle = BOUNDS[mode]
    path = "/api/benchmark/wait?seconds=2&query=1"
    with server(databases, mode, "--server", server_name) as process:
        with sampled(databases, databases.main) as samples:
            responses = asyncio.run(_load(process.url, [path] * 300, concurrency=300))
        after = settled_count(databases, databases.main, idle)
        assert_clean(process)
    peak = max(samples[databases.main])
    report(mode, server=server_name, peak=peak, after=after)
    assert [response.status_code for response in responses] == [200] * 300
    # A lane held across the wait would cap this at LANES.
    assert max(response.json()["peak_in_flight"] for response in responses) >= 10 * LANES
    # With CONN_MAX_AGE = 0 each request closes a connection, and pg_stat_activity lists a backend
    # until its process has exited, a moment after the close: a few of those may be counted too.
    assert 0 < peak <= bound + (4 if mode == "conn_max_age_0" else 0)
    assert idle(after), after


@pytest.mark.parametrize("mode", ["pool", "conn_max_age_60"])
def test_requests_after_a_postgres_restart_all_succeed(
    private_postgres, private_databases, postgres_url, shared_server_start_time, mode, report
):
    databases = private_databases
    started = postmaster_start_time(databases.admin_url)
    with server(databases, mode) as process:
        assert load(process.url, 100) == [200] * 100
        before = databases.count(databases.main)
        private_postgres.restart()
        wait_until_accepting(databases.admin_url)
        with process.client(timeout=30) as client:
            sequential = [client.get(ENDPOINTS[index % 2]).status_code for index in range(100)]
        concurrent = load(process.url, 100)
        assert_clean(process)
    report(mode, connections_before_restart=before, private_port=private_postgres.port)
    assert sequential == [200] * 100
    assert concurrent == [200] * 100
    # The restart was the private server's; the shared one kept running.
    assert urlsplit(databases.admin_url).port == private_postgres.port != urlsplit(postgres_url).port
    assert postmaster_start_time(databases.admin_url) > started
    assert postmaster_start_time(postgres_url) == shared_server_start_time


@pytest.mark.parametrize("mode", ["pool", "conn_max_age_60"])
def test_postgres_outage_is_a_quick_503_and_the_server_recovers(
    private_postgres, private_databases, postgres_url, shared_server_start_time, mode, report
):
    databases = private_databases
    with server(databases, mode) as process, process.client(timeout=30) as client:
        assert load(process.url, 64) == [200] * 64
        try:
            private_postgres.stop()
            started = time.monotonic()
            during = asyncio.run(_load(process.url, list(ENDPOINTS), concurrency=2))
            elapsed = time.monotonic() - started
        finally:
            private_postgres.start()
        wait_until_accepting(databases.admin_url)
        after = [client.get(ENDPOINTS[index % 2]).status_code for index in range(20)]
        after += load(process.url, 64)
    report(mode, outage_503_seconds=round(elapsed, 2))
    for response in during:
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.json()["detail"] == "The database is unavailable. Try again shortly."
        assert "Traceback" not in response.text
    assert elapsed < 12
    assert after == [200] * 84
    assert postmaster_start_time(postgres_url) == shared_server_start_time


@pytest.mark.parametrize("mode", ["pool", "conn_max_age_0", "conn_max_age_60"])
def test_connections_to_a_second_database_are_managed(databases, mode, report):
    bound, idle = BOUNDS[mode]
    endpoints = ("/api/probe/both", "/api/probe/async/both")
    with server(databases, mode, pgsite=True) as process:
        with sampled(databases, databases.main, databases.other) as samples:
            statuses = load(process.url, 200, concurrency=32, endpoints=endpoints)
        after = {name: settled_count(databases, name, idle) for name in (databases.main, databases.other)}
        assert_clean(process)
    peaks = {name: max(values) for name, values in samples.items()}
    report(mode, peaks=list(peaks.values()), after=list(after.values()))
    assert statuses == [200] * 200
    assert all(0 < peak <= bound for peak in peaks.values()), peaks
    assert all(idle(count) for count in after.values()), after


def _written(dbs: Databases, name: str) -> tuple[int, int]:
    with dbs.connect(dbs.main) as main, dbs.connect(dbs.other) as other:
        authors = main.execute("SELECT count(*) FROM catalog_author WHERE name = %s", [name]).fetchone()[0]
        marks = other.execute("SELECT count(*) FROM probe_mark WHERE name = %s", [name]).fetchone()[0]
    return authors, marks


def test_atomic_requests_roll_back_both_databases(databases):
    with server(databases, "pool", pgsite=True, ATOMIC_REQUESTS="1") as process, process.client() as client:
        for path in ("/api/probe/then-fail", "/api/probe/async/then-fail"):
            name = f"rolled back {path}"
            assert client.post(path, json={"name": name}).status_code == 409
            assert _written(databases, name) == (0, 0), path
        assert client.post("/api/probe/non-atomic/then-fail", json={"name": "kept"}).status_code == 409
        assert _written(databases, "kept") == (1, 0)
        assert client.get("/api/probe/async/both").status_code == 200
        assert_clean(process)


@pytest.mark.parametrize(
    "mode, server_name",
    [("pool", "uvicorn"), ("conn_max_age_60", "uvicorn"), ("conn_max_age_60", "hypercorn"), ("pool", "granian")],
)
def test_server_shutdown_closes_every_connection(databases, mode, server_name, report):
    with server(databases, mode, "--server", server_name) as process:
        assert load(process.url, 64) == [200] * 64
        serving = databases.count(databases.main)
        abandoned = abandoned_sessions(databases)
        # uvicorn re-raises the signal once it has shut down.
        assert process.stop() in (0, -signal.SIGTERM)
        assert_clean(process)
    after = settled_count(databases, databases.main, lambda n: n == 0, timeout=5)
    report(f"{mode}/{server_name}", serving=serving, after_exit=after)
    assert serving > 0
    assert after == 0
    # Closed by the server (lifespan shutdown), not dropped when the process died.
    assert abandoned_sessions(databases) == abandoned


def abandoned_sessions(dbs: Databases) -> int | None:
    """Sessions of the database whose client went away without closing them (PostgreSQL 15+)."""
    with dbs.connect() as conn:
        if conn.info.server_version < 150000:
            return None
        conn.execute("SELECT pg_stat_force_next_flush()")
        return conn.execute(
            "SELECT sessions_abandoned FROM pg_stat_database WHERE datname = %s", [dbs.main]
        ).fetchone()[0]


def test_the_shared_server_kept_running_through_the_module(postgres_url, shared_server_start_time):
    """Last in the module: the outages and restarts above were all the private server's."""
    assert postmaster_start_time(postgres_url) == shared_server_start_time
