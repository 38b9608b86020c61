"""The deployment entry points, served by each server's own command line with DJANGO_SETTINGS_MODULE set."""

from __future__ import annotations

import sys

import pytest

from tests.projects import sample_site_database
from tests.serverproc import ServerProcess, free_port

pytestmark = pytest.mark.server

WSGIREF = (
    "import sys\n"
    "from wsgiref.simple_server import make_server\n"
    "from django_fastapi.wsgi import application\n"
    "make_server('127.0.0.1', int(sys.argv[1]), application).serve_forever()\n"
)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "sample_site.settings",
        "SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory)),
    }


def permissions(proc: ServerProcess) -> list[dict]:
    with proc.client(timeout=10) as client:
        response = client.get("/api/benchmark/permissions-async")
    assert response.status_code == 200, proc.output
    return response.json()["items"]


def test_asgi_application_served_by_uvicorn_cli(env):
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "django_fastapi.asgi:application", "--host", "127.0.0.1",
            "--port", str(port)]
    with ServerProcess(args, port=port, env=env) as proc:
        assert permissions(proc)


def test_asgi_application_served_by_hypercorn_cli(env):
    port = free_port()
    args = [sys.executable, "-m", "hypercorn", "django_fastapi.asgi:application", "--bind", f"127.0.0.1:{port}"]
    with ServerProcess(args, port=port, env=env) as proc:
        assert permissions(proc)


def test_wsgi_application_served_by_wsgiref(env):
    port = free_port()
    with ServerProcess([sys.executable, "-c", WSGIREF, str(port)], port=port, env=env) as proc:
        assert permissions(proc)
