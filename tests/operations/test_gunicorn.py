"""gunicorn with uvicorn workers on ``django_fastapi.asgi:application``, as docs/production.rst says."""

from __future__ import annotations

import sys

import httpx
import pytest

from tests.operations.test_metrics import value
from tests.projects import sample_site_database
from tests.serverproc import REPO, SAMPLE_SITE, ServerProcess, free_port

pytestmark = pytest.mark.server

pytest.importorskip("gunicorn")
pytest.importorskip("uvicorn_worker")


@pytest.fixture
def gunicorn(tmp_path_factory, tmp_path):
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        "DJANGO_SETTINGS_MODULE": "sample_site.settings",
        "PYTHONPATH": f"{REPO}:{SAMPLE_SITE}",
        "SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory)),
        "SAMPLE_SITE_METRICS": "anonymous",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    args = [sys.executable, "-m", "gunicorn", "django_fastapi.asgi:application", "--config",
            str(REPO / "deploy" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    with ServerProcess(args, port=port, env=env, ready_path="/api/health") as server:
        yield server


def test_gunicorn_uvicorn_workers_serve_the_api_ready_with_request_ids(gunicorn):
    ready = httpx.get(f"{gunicorn.url}/api/ready")
    assert ready.status_code == 200, gunicorn.output
    assert len(ready.headers["X-Request-ID"]) == 32
    assert httpx.get(f"{gunicorn.url}/api/catalog/authors").status_code == 200


def test_gunicorn_workers_metrics_add_up(gunicorn):
    for _ in range(10):
        httpx.get(f"{gunicorn.url}/api/catalog/authors/0")
    text = httpx.get(f"{gunicorn.url}/api/metrics").text
    assert value(text, "django_fastapi_requests_total", route="/api/catalog/authors/{author_id}",
                 method="GET", status="404") == 10
    assert value(text, "django_fastapi_lanes", state="total") == 16  # 8 lanes in each of 2 workers
