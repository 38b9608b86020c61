"""Django's authentication on websocket routes, through the bridge's test client.

The routes (tests/apps/sockets) accept, then send ``{"username": ...}``; real uvicorn and hypercorn
servers are in test_websockets_servers.py.
"""

import logging

import pytest
from django.contrib.auth.models import Permission, User
from django.test import override_settings
from starlette.websockets import WebSocketDisconnect

from django_fastapi.testing import AsyncClient, Client, WebSocketRejected
from django_fastapi.tokens.models import Token
from tests.apps.notes.models import Note

SOCKETS_ROUTER = {"router": "tests.apps.sockets.api.router", "prefix": "/sockets"}


@pytest.fixture
def sockets_site(db):
    with override_settings(FASTAPI_ROUTERS=[SOCKETS_ROUTER]):
        yield


@pytest.fixture
def ada(sockets_site):
    return User.objects.create_user("ada", password="correct horse")


@pytest.fixture
def ada_token(ada):
    return Token.objects.create_token(ada)[1]


def grant(user: User, codename: str) -> None:
    user.user_permissions.add(Permission.objects.get(codename=codename))


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def greeting(client: Client, path: str, **kwargs) -> dict:
    with client.websocket_connect(path, **kwargs) as socket:
        return socket.receive_json()


def test_session_cookie_authenticates_a_socket(ada):
    assert greeting(logged_in(ada), "/api/sockets/me")["username"] == "ada"


def test_bearer_header_authenticates_a_socket(ada, ada_token):
    headers = {"Authorization": f"Bearer {ada_token}"}
    assert greeting(Client(), "/api/sockets/me", headers=headers)["username"] == "ada"


def test_bearer_subprotocol_authenticates_a_socket(ada, ada_token):
    assert greeting(Client(), "/api/sockets/me", subprotocols=["bearer", ada_token])["username"] == "ada"


def test_bearer_subprotocol_is_accepted_and_the_token_never_echoed(ada, ada_token):
    with Client().websocket_connect("/api/sockets/me", subprotocols=["bearer", ada_token]) as socket:
        assert socket.subprotocol == "bearer"


def test_token_offered_as_a_subprotocol_is_never_echoed_even_if_the_endpoint_picks_it(ada, ada_token):
    with Client().websocket_connect("/api/sockets/echoes-offer", subprotocols=["bearer", ada_token]) as socket:
        assert socket.subprotocol == "bearer"


def test_anonymous_socket_on_current_user_is_refused_with_403(sockets_site):
    with pytest.raises(WebSocketRejected) as refused:
        greeting(Client(), "/api/sockets/me")
    assert refused.value.status_code == 403


def test_optional_user_socket_is_anonymous_without_credentials(sockets_site):
    assert greeting(Client(), "/api/sockets/optional")["username"] is None


def test_bad_bearer_token_is_refused_with_403_not_500(sockets_site):
    with pytest.raises(WebSocketRejected) as refused:
        greeting(Client(), "/api/sockets/optional", headers={"Authorization": "Bearer dfb_nonsense_x"})
    assert refused.value.status_code == 403


def test_bad_subprotocol_token_is_refused_with_403(sockets_site):
    with pytest.raises(WebSocketRejected) as refused:
        greeting(Client(), "/api/sockets/optional", subprotocols=["bearer", "dfb_nonsense_x"])
    assert refused.value.status_code == 403


def test_require_perms_refuses_a_socket_without_the_permission(ada):
    with pytest.raises(WebSocketRejected):
        greeting(logged_in(ada), "/api/sockets/notes-writer")


def test_require_perms_accepts_a_socket_with_the_permission(ada):
    grant(ada, "add_note")
    assert greeting(logged_in(ada), "/api/sockets/notes-writer")["username"] == "ada"


def test_staff_user_refuses_a_socket_of_a_non_staff_user(ada):
    with pytest.raises(WebSocketRejected):
        greeting(logged_in(ada), "/api/sockets/staff")


def test_staff_user_accepts_a_staff_socket(ada):
    ada.is_staff = True
    ada.save()
    assert greeting(logged_in(ada), "/api/sockets/staff")["username"] == "ada"


def test_superuser_refuses_a_staff_socket(ada):
    ada.is_staff = True
    ada.save()
    with pytest.raises(WebSocketRejected):
        greeting(logged_in(ada), "/api/sockets/superuser")


def test_cookie_socket_from_another_site_is_refused_and_logged(ada, caplog):
    with caplog.at_level(logging.WARNING, logger="django.security"):
        with pytest.raises(WebSocketRejected) as refused:
            greeting(logged_in(ada), "/api/sockets/me", origin="https://evil.example")
    assert refused.value.status_code == 403
    assert [r.name for r in caplog.records] == ["django.security.websocket"]
    assert "https://evil.example" in caplog.records[0].getMessage()


def test_cookie_socket_without_origin_is_refused(ada):
    with pytest.raises(WebSocketRejected):
        greeting(logged_in(ada), "/api/sockets/me", origin=None)


def test_cookie_socket_from_a_trusted_origin_is_accepted(ada):
    with override_settings(CSRF_TRUSTED_ORIGINS=["https://*.example.com"]):
        socket = greeting(logged_in(ada), "/api/sockets/me", origin="https://app.example.com")
    assert socket["username"] == "ada"


def test_cookie_socket_from_an_allowed_host_is_accepted(ada):
    with override_settings(ALLOWED_HOSTS=["testserver", ".example.org"]):
        socket = greeting(logged_in(ada), "/api/sockets/me", origin="https://www.example.org")
    assert socket["username"] == "ada"


def test_wildcard_allowed_hosts_do_not_trust_every_origin(ada):
    with override_settings(ALLOWED_HOSTS=["*"]), pytest.raises(WebSocketRejected):
        greeting(logged_in(ada), "/api/sockets/me", origin="https://evil.example")


def test_token_socket_needs_no_origin_check(ada, ada_token):
    socket = greeting(Client(), "/api/sockets/me", subprotocols=["bearer", ada_token], origin="https://evil.example")
    assert socket["username"] == "ada"


def test_anonymous_after_accept_is_closed_with_4401(sockets_site):
    with Client().websocket_connect("/api/sockets/checked-after-accept") as socket:
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert closed.value.code == 4401


def test_forbidden_after_accept_is_closed_with_4403(ada):
    with logged_in(ada).websocket_connect("/api/sockets/checked-after-accept") as socket:
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert closed.value.code == 4403
    assert closed.value.reason == "You do not have permission to perform this action."


def test_permission_after_accept_keeps_the_socket_open(ada):
    grant(ada, "add_note")
    with logged_in(ada).websocket_connect("/api/sockets/checked-after-accept") as socket:
        assert socket.receive_text() == "allowed"


def test_error_after_accept_is_closed_with_1011_and_logged(sockets_site, caplog):
    with Client().websocket_connect("/api/sockets/broken") as socket:
        socket.send_text("boom")
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()
    assert closed.value.code == 1011
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)


def test_client_leaving_an_endpoint_that_does_not_catch_the_disconnect_logs_no_error(ada, caplog):
    grant(ada, "add_note")
    with logged_in(ada).websocket_connect("/api/sockets/checked-after-accept") as socket:
        assert socket.receive_text() == "allowed"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_force_authenticate_applies_to_sockets(ada):
    client = Client()
    client.force_authenticate(ada)
    assert greeting(client, "/api/sockets/me", origin=None)["username"] == "ada"


def test_client_socket_sees_the_tests_rows(ada):
    Note.objects.create(title="made by the test")
    with logged_in(ada).websocket_connect("/api/sockets/notes") as socket:
        socket.send_text("list")
        assert socket.receive_json() == ["made by the test"]
        Note.objects.create(title="and another")
        socket.send_text("list")
        assert socket.receive_json() == ["and another", "made by the test"]


@pytest.fixture
def note(ada):
    return Note.objects.create(title="made by the async test")


@pytest.mark.asyncio
async def test_async_client_socket_sees_the_tests_rows(ada, note):
    async with AsyncClient() as client:
        await client.aforce_login(ada)
        async with client.websocket_connect("/api/sockets/notes") as socket:
            await socket.send_text("list")
            assert await socket.receive_json() == ["made by the async test"]


def test_throttle_refuses_handshakes_past_the_rate(sockets_site):
    from django.core.cache import cache

    cache.clear()
    assert greeting(Client(), "/api/sockets/throttled")["username"] is None
    with pytest.raises(WebSocketRejected):
        greeting(Client(), "/api/sockets/throttled")
    cache.clear()


def test_check_names_http_only_dependencies_of_websocket_routes(sockets_site):
    from django.core.checks import run_checks

    router = {"router": "tests.apps.sockets.http_only.router", "prefix": "/bad"}
    with override_settings(FASTAPI_ROUTERS=[router]):
        errors = [m for m in run_checks() if m.id == "django_fastapi.E020"]
    assert sorted(m.msg.split(" uses ")[0] for m in errors) == [
        "The websocket route /api/bad/csrf",
        "The websocket route /api/bad/django-request",
        "The websocket route /api/bad/own",
        "The websocket route /api/bad/tasks",
    ]
    assert "csrf_protect" in errors[0].msg and "Origin" in errors[0].hint


def test_check_is_silent_for_the_auth_dependencies_on_websocket_routes(sockets_site):
    from django.core.checks import run_checks

    assert [m for m in run_checks() if m.id == "django_fastapi.E020"] == []


def test_a_projects_exception_handler_chooses_the_close_code(sockets_site):
    handlers = {"tests.apps.sockets.api.Teapot": "tests.apps.sockets.api.teapot_handler"}
    with override_settings(FASTAPI_EXCEPTION_HANDLERS=handlers):
        with Client().websocket_connect("/api/sockets/teapot") as socket:
            socket.send_text("tip me over")
            with pytest.raises(WebSocketDisconnect) as closed:
                socket.receive_text()
    assert closed.value.code == 4418
