"""Metrics and the memory ceiling with several worker processes, on real runfastapi servers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.operations.test_metrics import value
from tests.projects import sample_site_database, shared_project
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

SERVERS = ["uvicorn", "hypercorn", "granian"]
# What each server logs when it recycles a worker over --max-rss (granian uses its own monitor).
RECYCLED = {"uvicorn": "over --max-rss 1 MiB", "hypercorn": "over --max-rss 1 MiB",
            "granian": "RSS over threshold, gracefully respawning"}


@pytest.fixture(scope="module")
def sample_env(tmp_path_factory) -> dict[str, str]:
    return {"SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory)), "SAMPLE_SITE_METRICS": "anonymous"}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return shared_project(tmp_path_factory)


@pytest.mark.parametrize("server", SERVERS)
def test_metrics_with_two_workers_add_up_every_workers_requests_and_lanes(server, sample_env):
    with ServerProcess.runfastapi("--server", server, "--workers", "2", env=sample_env,
                                  ready_path="/api/health") as proc:
        with ThreadPoolExecutor(4) as pool:  # new connections each: both workers answer some
            statuses = list(pool.map(lambda _: httpx.get(f"{proc.url}/api/catalog/authors/0").status_code, range(40)))
        scrapes = [httpx.get(f"{proc.url}/api/metrics").text for _ in range(6)]
    assert statuses == [404] * 40
    labels = dict(route="/api/catalog/authors/{author_id}", method="GET", status="404")
    # Whichever worker answers the scrape, the count is every worker's.
    assert {value(text, "django_fastapi_requests_total", **labels) for text in scrapes} == {40.0}
    # Each worker's 8 lanes, added up (the sample site's FASTAPI_THREADS).
    assert value(scrapes[-1], "django_fastapi_lanes", state="total") == 16, scrapes[-1]


@pytest.mark.parametrize("server", SERVERS)
def test_worker_over_max_rss_finishes_in_flight_requests_and_is_replaced(server, project, tmp_path):
    """--max-rss 1: every worker is over the ceiling a second after it starts, so each one is
    recycled while requests are in flight; every request that began is answered."""
    with ServerProcess.runfastapi("--server", server, "--workers", "2", "--max-rss", "1", cwd=project) as proc:

        def slow(number: int) -> list[tuple[str, bool]]:
            attempts = []
            for attempt in range(6):
                marker = tmp_path / f"in-flight-{number}-{attempt}"
                try:
                    response = httpx.get(f"{proc.url}/api/shop/slow",
                                         params={"marker": str(marker), "seconds": 1.5}, timeout=30)
                except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                    attempts.append((repr(exc), marker.exists()))
                    continue
                attempts.append((f"{response.status_code} {response.text}", marker.exists()))
                break
            return attempts

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(slow, range(6)))
        assert proc.process.poll() is None, proc.output
    assert RECYCLED[server] in proc.output
    for attempts in results:
        assert attempts[-1] == ('200 {"slept":1.5}', True), results
        assert all(not began for _, began in attempts[:-1]), results  # no begun request dropped


def test_runfastapi_max_rss_below_one_is_a_command_error():
    from io import StringIO

    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as raised:
        call_command("runfastapi", "127.0.0.1:0", "--max-rss", "0", "--noreload", stdout=StringIO())
    assert str(raised.value) == "--max-rss must be a number of MiB, 1 or more; got 0."
