"""One runserver-style line per request on the ``django_fastapi.server`` logger.

In-process through the combined application, with a handler collecting the records; then real
runfastapi servers, whose stderr is read as a developer reads it.
"""

import logging
import re
import time
import uuid

import pytest

from django_fastapi.application import get_asgi_application
from django_fastapi.server.access_log import LOGGER, configure_default_logging
from django_fastapi.testing.client import Client
from tests.projects import one_server_project
from tests.serverproc import ServerProcess

LINE = re.compile(r'^"(?P<request>[A-Z]+ \S+ HTTP/[\d.]+)" (?P<status>\d{3}) (?P<size>\d+) \d+\.\dms$')
SERVER_TIME = r"\[\d{2}/[A-Z][a-z]{2}/\d{4} \d{2}:\d{2}:\d{2}\]"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_logger():
    """The logger, emptied for the test and restored after it."""
    logger = logging.getLogger(LOGGER)
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers, logger.level, logger.propagate = [], logging.NOTSET, True
    yield logger
    logger.handlers, logger.level, logger.propagate = saved


@pytest.fixture
def records(server_logger, settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.web", "tests.apps.errors"]
    settings.ROOT_URLCONF = "tests.apps.web.urls"
    collect = Collect()
    server_logger.addHandler(collect)
    server_logger.setLevel(logging.INFO)
    return collect.records


def request(method: str, path: str, **kwargs):
    return Client(get_asgi_application(), raise_app_exceptions=False).request(method, path, **kwargs)


def test_access_log_line_for_an_api_request(records, db):
    request("GET", "/api/notes/notes?limit=1")
    (record,) = records
    assert LINE.match(record.getMessage())
    assert record.getMessage().startswith('"GET /api/notes/notes?limit=1 HTTP/1.1" 200 2 ')


def test_access_log_line_for_a_django_request(records):
    request("GET", "/")
    (record,) = records
    assert record.getMessage().startswith('"GET / HTTP/1.1" 200 24 ')


def test_access_log_size_is_the_body_bytes_sent(records):
    response = request("POST", "/api/web/echo", content=b"12345")
    assert LINE.match(records[0].getMessage())["size"] == str(len(response.content))


@pytest.mark.parametrize(
    "path, level",
    [("/api/web/hello", logging.INFO), ("/api/nothing", logging.WARNING), ("/api/errors/sync/error", logging.ERROR)],
    ids=["2xx-info", "4xx-warning", "5xx-error"],
)
def test_access_log_level_follows_the_status(records, path, level):
    request("GET", path)
    (record,) = records
    assert record.levelno == level


def test_access_log_record_carries_status_size_duration_client(records):
    request("GET", "/api/web/hello")
    (record,) = records
    assert record.status_code == 200
    assert record.size == len(b'{"from":"api"}')
    assert 0 < record.duration < 5
    assert record.client == "127.0.0.1:123"


def test_access_log_default_logging_prints_runserver_lines(server_logger):
    configure_default_logging()
    (handler,) = server_logger.handlers
    record = server_logger.makeRecord(LOGGER, logging.INFO, __file__, 1, '"GET / HTTP/1.1" 200 2 1.0ms', (), None)
    assert re.fullmatch(SERVER_TIME + r' "GET / HTTP/1\.1" 200 2 1\.0ms', handler.format(record))
    assert server_logger.propagate is False


def test_access_log_default_logging_leaves_a_configured_logger_alone(server_logger):
    configured = logging.NullHandler()
    server_logger.addHandler(configured)
    configure_default_logging()
    assert server_logger.handlers == [configured]


def test_access_log_default_logging_leaves_it_to_a_configured_parent(server_logger):
    parent = logging.getLogger("django_fastapi")
    parent.setLevel(logging.INFO)
    try:
        configure_default_logging()
    finally:
        parent.setLevel(logging.NOTSET)
    assert server_logger.handlers == []


# Real servers, read as a developer reads their terminal.


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn", "granian"])
def server(request, tmp_path_factory):
    with ServerProcess.runfastapi("--server", request.param, cwd=one_server_project(tmp_path_factory)) as proc:
        yield proc


def lines_for(proc: ServerProcess, path: str, expected: int = 1, timeout: float = 10.0) -> list[str]:
    """The output lines naming ``path``, once ``expected`` of them are there (or at the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in proc.output.splitlines() if path in line]
        if len(lines) >= expected or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


@pytest.mark.server
def test_runfastapi_access_log_line_format(server):
    path = f"/api/shop/products?marker={uuid.uuid4().hex}"
    with server.client(timeout=10) as client:
        client.get(path)
    (line,) = lines_for(server, path)
    assert re.fullmatch(SERVER_TIME + rf' "GET {re.escape(path)} HTTP/1\.1" 200 2 \d+\.\dms', line)


@pytest.mark.server
def test_runfastapi_access_log_covers_django_views(server):
    with server.client(timeout=10) as client:
        client.get("/hello/")
    (line,) = lines_for(server, '"GET /hello/ ')
    assert re.fullmatch(SERVER_TIME + r' "GET /hello/ HTTP/1\.1" 200 24 \d+\.\dms', line)


@pytest.mark.server
def test_runfastapi_server_access_log_off_by_default(server):
    path = f"/api/nothing-{uuid.uuid4().hex}"  # in the path: hypercorn's log leaves out the query
    with server.client(timeout=10) as client:
        client.get(path)
    time.sleep(0.3)  # a second line, if the server printed one, would follow at once
    assert len(lines_for(server, path)) == 1


@pytest.mark.server
@pytest.mark.parametrize("name", ["uvicorn", "hypercorn", "granian"])
def test_runfastapi_access_log_flag_adds_the_servers_own(name, tmp_path_factory):
    with ServerProcess.runfastapi("--server", name, "--access-log", cwd=one_server_project(tmp_path_factory)) as proc:
        with proc.client(timeout=10) as client:
            client.get("/api/shop/products")
        # The bridge's line and the server's own (hypercorn's leaves out the query string).
        assert len(lines_for(proc, "GET /api/shop/products ", expected=2)) == 2
