"""API request bodies over DATA_UPLOAD_MAX_MEMORY_SIZE are refused with a 413.

In-process through the bridge's test client (tests/apps/web reads bodies, tests/apps/uploads takes
a file), then against a real runfastapi server over a raw socket, to show that a body announced
too large is refused before it is sent.
"""

import socket

import pytest

from django_fastapi.testing.client import Client
from tests.projects import BODY_LIMIT, one_server_project
from tests.serverproc import ServerProcess

LIMIT = 1_000
TOO_LARGE = {"detail": f"Request body too large: the limit is {LIMIT} bytes."}


@pytest.fixture(autouse=True)
def web(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.web"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


@pytest.fixture
def uploads(settings, tmp_path):
    """tests/apps/uploads, saving to a temporary MEDIA_ROOT (FastAPI's files need python-multipart)."""
    pytest.importorskip("python_multipart")
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.uploads"]
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def chunks(total: int, pulled: list[int] | None = None, size: int = 100):
    """A body without Content-Length (sent chunked), recording how much of it the app read."""

    async def body():
        for start in range(0, total, size):
            if pulled is not None:
                pulled.append(start)
            yield b"x" * min(size, total - start)

    return body()


def test_body_limit_content_length_over_limit_is_413():
    response = Client().post("/api/web/echo", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


def test_body_limit_body_at_limit_accepted():
    response = Client().post("/api/web/echo", content=b"x" * LIMIT)
    assert response.json() == {"received": LIMIT}


def test_body_limit_content_length_over_limit_answered_without_reading_the_body():
    pulled: list[int] = []
    headers = {"Content-Length": str(LIMIT * 10)}
    response = Client().post("/api/web/echo", content=chunks(LIMIT * 10, pulled), headers=headers)
    assert response.status_code == 413
    assert pulled == []


def test_body_limit_413_closes_the_http1_connection():
    response = Client().post("/api/web/echo", content=b"x" * (LIMIT + 1))
    assert response.headers["connection"] == "close"


def test_body_limit_chunked_body_over_limit_is_413():
    response = Client().post("/api/web/echo", content=chunks(LIMIT * 5))
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


def test_body_limit_chunked_body_reading_stops_at_the_limit():
    pulled: list[int] = []
    Client().post("/api/web/echo", content=chunks(LIMIT * 5, pulled))
    assert len(pulled) == LIMIT // 100 + 1


def test_body_limit_chunked_json_body_is_413_not_a_parse_error():
    body = b'{"title": "' + b"x" * LIMIT + b'"}'

    async def chunked():
        yield body

    response = Client().post("/api/web/notes", content=chunked(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_body_limit_none_means_no_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    response = Client().post("/api/web/echo", content=b"x" * (LIMIT * 100))
    assert response.json() == {"received": LIMIT * 100}


def test_body_limit_read_when_each_request_comes(settings):
    client = Client()
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    assert client.post("/api/web/echo", content=b"x" * 11).status_code == 413


def test_body_limit_file_upload_not_held_to_data_upload_limit(uploads):
    response = Client().post("/api/uploads/files", files={"file": ("big.bin", b"x" * (LIMIT * 5))})
    assert response.status_code == 201
    assert response.json() == {"name": "uploads/big.bin", "size": LIMIT * 5}


def test_body_limit_file_upload_saved_to_django_storage(uploads):
    Client().post("/api/uploads/files", files={"file": ("notes.txt", b"hello")})
    assert (uploads / "uploads" / "notes.txt").read_bytes() == b"hello"


def test_body_limit_file_upload_over_max_upload_size_is_413(settings, uploads):
    settings.FASTAPI_MAX_UPLOAD_SIZE = LIMIT * 2
    response = Client().post("/api/uploads/files", files={"file": ("big.bin", b"x" * (LIMIT * 3))})
    assert response.status_code == 413
    assert response.json() == {"detail": f"Request body too large: the limit is {LIMIT * 2} bytes."}


# A real server, and a client that announces a body it never sends.


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn", "granian"])
def server(request, tmp_path_factory):
    with ServerProcess.runfastapi("--server", request.param, cwd=one_server_project(tmp_path_factory)) as proc:
        yield proc


def raw_post(server: ServerProcess, path: str, length: int) -> bytes:
    """Send only the headers of a POST announcing ``length`` bytes; return what the server says."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):  # the server closes the connection after the 413
            answer += chunk
        return answer


@pytest.mark.server
def test_runfastapi_body_over_limit_refused_before_it_is_sent(server):
    answer = raw_post(server, "/api/shop/echo", 100_000_000)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert f"the limit is {BODY_LIMIT} bytes".encode() in answer


@pytest.mark.server
def test_runfastapi_chunked_body_over_limit_is_413(server):
    body = (b"x" * 1000 for _ in range(BODY_LIMIT // 1000 * 2))  # no Content-Length: chunked
    with server.client(timeout=10) as client:
        response = client.post("/api/shop/echo", content=body)
    assert response.status_code == 413


@pytest.mark.server
def test_runfastapi_body_under_limit_accepted(server):
    with server.client(timeout=10) as client:
        response = client.post("/api/shop/echo", content=b"x" * BODY_LIMIT)
    assert response.json() == {"received": BODY_LIMIT}


@pytest.mark.server
def test_runfastapi_django_view_keeps_djangos_own_limit(server):
    # Django raises RequestDataTooBig (a SuspiciousOperation) when the view reads the body: 400.
    with server.client(timeout=10) as client:
        response = client.post("/upload/", content=b"x" * (BODY_LIMIT + 1))
    assert response.status_code == 400
