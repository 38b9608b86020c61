"""``manage.py runfastapi`` as a real subprocess on 127.0.0.1, under uvicorn, hypercorn and granian."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest

from tests.projects import one_server_project, sample_site_database, shared_project
from tests.serverproc import SAMPLE_SITE, ServerProcess, free_port

pytestmark = pytest.mark.server

SERVERS = ["uvicorn", "hypercorn", "granian"]
HTTP2_SERVERS = ["hypercorn", "granian"]


@pytest.fixture(scope="module")
def sample_env(tmp_path_factory) -> dict[str, str]:
    return {"SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory))}


@pytest.fixture(scope="module")
def demo_token(sample_env) -> str:
    """The API token ``load_demo_data`` prints for the demo superuser (writing books needs it)."""
    env = {**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}, **sample_env}
    result = subprocess.run([sys.executable, "manage.py", "load_demo_data"], cwd=SAMPLE_SITE, env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    return re.search(r"dfb_\S+", result.stdout).group()


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return shared_project(tmp_path_factory)


@pytest.fixture(scope="module", params=SERVERS)
def sample_server(request, sample_env):
    with ServerProcess.runfastapi("--server", request.param, env=sample_env) as server:
        server.name = request.param
        yield server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed, so no self-signed certificate can be made")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return str(cert), str(key)


def test_runfastapi_sync_and_async_endpoints_answer_identical_json(sample_server):
    with sample_server.client(timeout=10) as client:
        sync = client.get("/api/benchmark/permissions")
        async_ = client.get("/api/benchmark/permissions-async")
    assert (sync.status_code, async_.status_code) == (200, 200)
    assert sync.json()["items"]
    assert sync.json() == async_.json()


def test_runfastapi_catalog_author_created_is_listed(sample_server):
    name = f"Author {uuid.uuid4()}"
    with sample_server.client(timeout=10) as client:
        created = client.post("/api/catalog/authors", json={"name": name})
        listed = client.get("/api/catalog/authors", params={"search": name})
    assert created.status_code == 201
    assert [author["name"] for author in listed.json()] == [name]


def test_runfastapi_catalog_book_created_is_listed(sample_server, demo_token):
    with sample_server.client(timeout=10) as client:
        author = client.post("/api/catalog/authors", json={"name": f"Author {uuid.uuid4()}"}).json()
        created = client.post("/api/catalog/books", json={"title": "Async", "author": author["id"]},
                              headers={"Authorization": f"Bearer {demo_token}"})
        listed = client.get("/api/catalog/books", params={"author": author["id"]})
    assert created.status_code == 201
    assert [book["title"] for book in listed.json()["results"]] == ["Async"]


def test_runfastapi_serves_docs_page(sample_server):
    with sample_server.client(timeout=10) as client:
        response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text


def test_runfastapi_serves_openapi_schema(sample_server):
    with sample_server.client(timeout=10) as client:
        response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Sample site API"
    assert "/api/catalog/authors" in response.json()["paths"]


def test_runfastapi_banner_names_server_version_url_and_docs(sample_server):
    url = sample_server.url
    assert f"Starting {sample_server.name} {version(sample_server.name)} (ASGI) at {url}/" in sample_server.stdout
    assert f"API docs at {url}/api/docs" in sample_server.stdout


@pytest.mark.parametrize("server", SERVERS)
def test_runfastapi_uds_serves_over_unix_socket(server, sample_env, tmp_path):
    path = str(tmp_path / "api.sock")
    with ServerProcess.runfastapi("--server", server, "--uds", path, env=sample_env, uds=path) as proc:
        with proc.client(timeout=10) as client:
            response = client.get("/api/benchmark/permissions")
    assert response.status_code == 200
    assert f"at unix:{path} with 1 worker" in proc.stdout


@pytest.mark.parametrize("server", SERVERS)
def test_runfastapi_ssl_serves_https(server, sample_env, certificate):
    cert, key = certificate
    tls = ("--ssl-certfile", cert, "--ssl-keyfile", key)
    with ServerProcess.runfastapi("--server", server, *tls, env=sample_env, scheme="https") as proc:
        with proc.client(timeout=10) as client:
            response = client.get("/api/benchmark/permissions")
    assert response.status_code == 200
    assert str(response.url).startswith("https://127.0.0.1:")
    assert f"API docs at https://127.0.0.1:{proc.port}/api/docs" in proc.stdout


@pytest.mark.parametrize("server", HTTP2_SERVERS)
def test_runfastapi_http2_answers_over_http2(server, sample_env, certificate):
    cert, key = certificate
    args = ("--server", server, "--http2", "--ssl-certfile", cert, "--ssl-keyfile", key)
    with ServerProcess.runfastapi(*args, env=sample_env, scheme="https", http2=True) as proc:
        with proc.client(timeout=10) as client:
            response = client.get("/api/benchmark/permissions")
    assert response.status_code == 200
    assert response.http_version == "HTTP/2"


@pytest.mark.parametrize("server", HTTP2_SERVERS)
def test_runfastapi_without_http2_answers_over_http1(server, sample_env, certificate):
    cert, key = certificate
    args = ("--server", server, "--ssl-certfile", cert, "--ssl-keyfile", key)
    with ServerProcess.runfastapi(*args, env=sample_env, scheme="https", http2=True) as proc:
        with proc.client(timeout=10) as client:
            response = client.get("/api/benchmark/permissions")
    assert response.http_version == "HTTP/1.1"


@dataclass
class Shutdown:
    response: httpx.Response | Exception | None
    returncode: int
    output: str
    signal: int
    hooks: str


# Under the autoreloader (the default with DEBUG) a terminal's Ctrl-C reaches both processes (the
# process group); a process manager's SIGTERM reaches the one it started. granian never runs under
# the autoreloader: its "reload" cases are the DEBUG default, where its workers get Ctrl-C too.
@pytest.fixture(scope="module", params=[(server, sig, mode) for server in SERVERS for sig in ("SIGTERM", "SIGINT")
                                        for mode in ("noreload", "reload")],
                ids=lambda param: "-".join(param))
def shutdown(request, tmp_path_factory) -> Shutdown:
    """Signal a server while a 1.5 s request is in flight."""
    server, sig, mode = request.param
    project = one_server_project(tmp_path_factory)  # the one with shutdown hooks
    scratch = tmp_path_factory.mktemp("shutdown")
    marker, hooks = scratch / "in-flight", scratch / "hooks.log"
    env = {"HOOKS_LOG": str(hooks), "DJANGO_DEBUG": "1"}
    if mode == "noreload":
        proc = ServerProcess.runfastapi("--server", server, cwd=project, env=env)
    else:
        port = free_port()
        proc = ServerProcess([sys.executable, "manage.py", "runfastapi", f"127.0.0.1:{port}", "--server", server],
                             cwd=project, env=env, port=port)
    proc.start()
    responses: list[httpx.Response | Exception] = []

    def slow_request() -> None:
        try:
            params = {"marker": str(marker), "seconds": 1.5}
            responses.append(httpx.get(f"{proc.url}/api/shop/slow", params=params, timeout=30))
        except httpx.HTTPError as exc:
            responses.append(exc)

    thread = threading.Thread(target=slow_request)
    try:
        thread.start()
        deadline = time.monotonic() + 15
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), f"the slow request never reached the server:\n{proc.output}"
        if mode == "reload" and sig == "SIGINT":
            assert proc.process is not None
            os.killpg(proc.process.pid, signal.SIGINT)
        else:
            proc.send(getattr(signal, sig))
        returncode = proc.wait(timeout=20)
        thread.join(timeout=30)
    finally:
        proc.stop()
    return Shutdown(responses[0] if responses else None, returncode, proc.output, getattr(signal, sig),
                    hooks.read_text() if hooks.exists() else "")


def test_runfastapi_signal_lets_in_flight_request_finish(shutdown):
    assert isinstance(shutdown.response, httpx.Response), shutdown.response
    assert shutdown.response.status_code == 200
    assert shutdown.response.json() == {"slept": 1.5}


def test_runfastapi_signal_exits_cleanly(shutdown):
    # uvicorn re-raises SIGTERM after its graceful shutdown, so the process ends by that signal.
    assert shutdown.returncode in (0, -shutdown.signal), shutdown.output


def test_runfastapi_signal_runs_shutdown_hooks(shutdown):
    assert "shutdown" in shutdown.hooks, shutdown.output


def test_runfastapi_signal_prints_no_traceback(shutdown):
    assert "Traceback" not in shutdown.output


@pytest.fixture(scope="module", params=SERVERS)
def two_workers(request, project) -> tuple[list[dict], int]:
    """Answers of a ``--workers 2 --proxy-headers`` server, collected until both workers answered."""
    with ServerProcess.runfastapi("--server", request.param, "--workers", "2", "--proxy-headers",
                                  cwd=project) as proc:

        def ask(_: int) -> dict:
            # Each request blocks its worker's event loop briefly, steering concurrent connections apart.
            response = httpx.get(f"{proc.url}/api/blog/pid", params={"block": 0.2},
                                 headers={"X-Forwarded-For": "203.0.113.7"}, timeout=10)
            assert response.status_code == 200, proc.output
            return response.json()

        answers: list[dict] = []
        deadline = time.monotonic() + 30
        with ThreadPoolExecutor(4) as pool:
            for _ in range(25):
                answers += pool.map(ask, range(4))
                if len({answer["pid"] for answer in answers}) == 2 or time.monotonic() > deadline:
                    break
        yield answers, proc.process.pid


def test_runfastapi_workers_answer_from_two_processes(two_workers):
    answers, parent_pid = two_workers
    pids = {answer["pid"] for answer in answers}
    assert len(pids) == 2
    assert parent_pid not in pids


def test_runfastapi_workers_with_proxy_headers_trust_forwarded_for(two_workers):
    answers, _ = two_workers
    assert {answer["client"] for answer in answers} == {"203.0.113.7"}
