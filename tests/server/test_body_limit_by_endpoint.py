"""The body limit follows the endpoint, not the Content-Type.

Any body read into memory is held to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, whatever Content-Type the
client claims (``multipart/form-data`` to a JSON endpoint, ``multipart/form-dataXYZ``); only an
endpoint declaring a file (``UploadFile``, ``File()``) takes up to ``FASTAPI_MAX_UPLOAD_SIZE``.
Django does the same for its views: ``request.POST`` of a multipart body counts every non-file
field against ``DATA_UPLOAD_MAX_MEMORY_SIZE`` and streams files to ``FILE_UPLOAD_TEMP_DIR``.
"""

import contextlib
import socket
import threading

import pytest

from django_fastapi.testing.client import Client
from tests.projects import BODY_LIMIT, one_server_project
from tests.serverproc import ServerProcess

LIMIT = 1_000
TOO_LARGE = {"detail": f"Request body too large: the limit is {LIMIT} bytes."}
MULTIPART = "multipart/form-data; boundary=x"


@pytest.fixture(autouse=True)
def hostile(settings):
    pytest.importorskip("python_multipart")
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.hostile"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.FASTAPI_MAX_UPLOAD_SIZE = LIMIT * 10


def multipart(size: int, filename: str | None = None) -> bytes:
    disposition = 'form-data; name="file"' + (f'; filename="{filename}"' if filename else "")
    return (f"--x\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + b"a" * size + b"\r\n--x--\r\n")


@pytest.mark.parametrize("content_type", [MULTIPART, "multipart/form-dataXYZ", "application/json"])
def test_json_endpoint_body_over_data_upload_limit_is_413_whatever_the_content_type(content_type):
    response = Client().post("/api/hostile/items", content=multipart(LIMIT * 3),
                             headers={"Content-Type": content_type})
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


def test_form_endpoint_without_files_is_held_to_data_upload_limit():
    response = Client().post("/api/hostile/form", content=multipart(LIMIT * 3),
                             headers={"Content-Type": MULTIPART})
    assert response.status_code == 413


def test_upload_file_endpoint_takes_up_to_max_upload_size():
    response = Client().post("/api/hostile/files", files={"file": ("a.bin", b"x" * (LIMIT * 5))})
    assert response.json() == {"size": LIMIT * 5}


def test_file_param_endpoint_takes_up_to_max_upload_size():
    response = Client().post("/api/hostile/raw-files", files={"data": ("a.bin", b"x" * (LIMIT * 5))})
    assert response.json() == {"size": LIMIT * 5}


def test_upload_file_endpoint_over_max_upload_size_is_413():
    response = Client().post("/api/hostile/files", files={"file": ("a.bin", b"x" * (LIMIT * 11))})
    assert response.status_code == 413
    assert response.json() == {"detail": f"Request body too large: the limit is {LIMIT * 10} bytes."}


def test_max_upload_size_has_a_finite_default(settings):
    del settings.FASTAPI_MAX_UPLOAD_SIZE
    from django_fastapi.conf import api_settings

    assert api_settings.MAX_UPLOAD_SIZE == 100 * 1024 * 1024


def test_413_from_the_endpoint_closes_the_http1_connection():
    response = Client().post("/api/hostile/items", content=b"x" * (LIMIT + 1),
                             headers={"Content-Type": MULTIPART})
    assert response.headers["connection"] == "close"


def test_login_body_over_data_upload_limit_is_413_whatever_the_content_type(settings):
    settings.FASTAPI_ROUTERS = [{"router": "django_fastapi.security.endpoints.router", "prefix": "/auth"}]
    response = Client().post("/api/auth/login", content=multipart(LIMIT * 3),
                             headers={"Content-Type": MULTIPART})
    assert response.status_code == 413


# A real server: the body announced too large is refused before it is sent, and a streamed one
# costs the server no memory beyond the limit.


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn", "granian"])
def server(request, tmp_path_factory):
    with ServerProcess.runfastapi("--server", request.param, cwd=one_server_project(tmp_path_factory)) as proc:
        yield proc


def raw_exchange(server: ServerProcess, head: str, body_chunks=()) -> bytes:
    """Send ``head`` then the chunks (ignoring a connection closed early); return the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode())

        def send_body():
            try:
                for chunk in body_chunks:
                    sock.sendall(chunk)
            except OSError:
                pass  # the server answered and closed the connection: the point

        sender = threading.Thread(target=send_body)
        sender.start()
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sender.join(timeout=30)
        return answer


def peak_rss_kib(pid: int) -> int:
    """VmHWM (peak resident set) of the process, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc/<pid>/status")


@pytest.mark.server
@pytest.mark.parametrize("content_type", [MULTIPART, "multipart/form-dataXYZ"])
def test_runfastapi_multipart_to_json_endpoint_refused_before_it_is_sent(server, content_type):
    answer = raw_exchange(server, (
        f"POST /api/shop/products HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        "Content-Length: 100000000\r\n\r\n"
    ))
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert f"the limit is {BODY_LIMIT} bytes".encode() in answer


@pytest.mark.server
def test_runfastapi_streamed_50mb_multipart_to_json_endpoint_costs_no_memory(server):
    """Peak RSS of the server grows by far less than the 50 MB sent (before: the body read whole,
    then echoed in a 422 several times its size)."""
    assert server.process is not None
    before = peak_rss_kib(server.process.pid)
    chunk = b"a" * 65536
    body = (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(50 * 1024 * 1024 // len(chunk)))
    answer = raw_exchange(server, (
        f"POST /api/shop/products HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {MULTIPART}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ), body)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert peak_rss_kib(server.process.pid) - before < 20 * 1024
