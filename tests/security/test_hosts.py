import logging

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from django_fastapi.application import get_application
from django_fastapi.testing.client import Client

ROOTED = override_settings(
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django_fastapi",
        "tests.apps.rooted",
    ]
)


def get(host: str, **headers: str):
    return Client().get("/api/openapi.json", headers={"Host": host, **headers})


def test_host_allowed_is_served():
    assert get("testserver").status_code == 200


def test_host_allowed_with_port_is_served():
    assert get("localhost:8000").status_code == 200


def test_host_not_allowed_is_400():
    response = get("evil.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad Request: invalid Host header."}


def test_host_not_allowed_is_logged_as_disallowed_host(caplog):
    with caplog.at_level(logging.ERROR, logger="django.security.DisallowedHost"):
        get("evil.example")
    assert [record.getMessage() for record in caplog.records] == [
        "Invalid HTTP_HOST header: 'evil.example'. You may need to add 'evil.example' to ALLOWED_HOSTS."
    ]


def test_host_not_allowed_under_debug_names_the_host():
    with override_settings(DEBUG=True):
        assert "'evil.example'" in get("evil.example").json()["detail"]


def test_host_malformed_is_400():
    assert get("bad host!").status_code == 400


@pytest.mark.parametrize(
    "host, status",
    [
        ("localhost", 200),
        ("api.localhost", 200),
        ("127.0.0.1", 200),
        ("[::1]:8000", 200),
        ("example.com", 400),
    ],
)
def test_host_debug_with_empty_allowed_hosts_allows_only_local_names(host, status):
    with override_settings(DEBUG=True, ALLOWED_HOSTS=[]):
        assert get(host).status_code == status


def test_host_empty_allowed_hosts_without_debug_refuses_everything():
    with override_settings(DEBUG=False, ALLOWED_HOSTS=[]):
        assert get("localhost").status_code == 400


def test_host_subdomain_wildcard():
    with override_settings(ALLOWED_HOSTS=[".example.com"]):
        assert (get("api.example.com").status_code, get("example.org").status_code) == (200, 400)


def test_host_forwarded_host_ignored_by_default():
    assert get("testserver", **{"X-Forwarded-Host": "evil.example"}).status_code == 200


def test_host_forwarded_host_checked_with_use_x_forwarded_host():
    with override_settings(USE_X_FORWARDED_HOST=True):
        assert get("testserver", **{"X-Forwarded-Host": "evil.example"}).status_code == 400


def test_host_validation_can_be_turned_off():
    with override_settings(FASTAPI_VALIDATE_HOST=False):
        assert get("evil.example").status_code == 200


async def websocket_handshake(host: str) -> list[dict]:
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/api/ws",
        "raw_path": b"/api/ws",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", host.encode())],
        "subprotocols": [],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 50000),
    }
    sent = []

    async def receive() -> dict:
        return {"type": "websocket.connect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await get_application()(scope, receive, send)
    return sent


def test_host_not_allowed_websocket_is_closed_before_accept():
    with ROOTED:
        assert async_to_sync(websocket_handshake)("evil.example") == [
            {"type": "websocket.close", "code": 1008}
        ]


def test_host_accepted_before_is_refused_once_allowed_hosts_drops_it():
    assert get("api.example").status_code == 400
    with override_settings(ALLOWED_HOSTS=["api.example"]):
        assert get("api.example").status_code == 200
    assert get("api.example").status_code == 400


def test_host_accepted_under_debug_defaults_is_refused_without_debug():
    with override_settings(DEBUG=True, ALLOWED_HOSTS=[]):
        assert get("localhost").status_code == 200
    with override_settings(ALLOWED_HOSTS=[]):
        assert get("localhost").status_code == 400


def test_host_forwarded_header_accepted_only_while_use_x_forwarded_host_is_on():
    with override_settings(USE_X_FORWARDED_HOST=True, ALLOWED_HOSTS=["proxy.example"]):
        assert get("evil.example", **{"X-Forwarded-Host": "proxy.example"}).status_code == 200
    with override_settings(ALLOWED_HOSTS=["proxy.example"]):
        assert get("evil.example", **{"X-Forwarded-Host": "proxy.example"}).status_code == 400


def test_host_header_in_capitals_is_checked_not_taken_from_an_accepted_request():
    async def status(host_header: bytes, host: bytes) -> int:
        app = get_application()
        sent = []
        scope = {"type": "http", "method": "GET", "path": "/api/openapi.json", "raw_path": b"/api/openapi.json",
                 "query_string": b"", "root_path": "", "http_version": "1.1", "scheme": "http",
                 "headers": [(host_header, host)], "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 1)}

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"]

    assert async_to_sync(status)(b"Host", b"testserver") == 200
    assert async_to_sync(status)(b"Host", b"evil.example") == 400
