"""Websockets with Django auth through real uvicorn and hypercorn servers (``LiveServer``).

The server answers the handshake itself: a socket closed before ``accept()`` is its 403.
"""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import override_settings
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from django_fastapi.application import get_application
from django_fastapi.testing import LiveServer
from django_fastapi.tokens.models import Token
from tests.apps.sockets import backends
from tests.authsite import session_cookie

pytestmark = pytest.mark.server
SOCKETS_ROUTER = {"router": "tests.apps.sockets.api.router", "prefix": "/sockets"}


@pytest.fixture(params=["uvicorn", "hypercorn"])
def live(request, transactional_db):
    with override_settings(FASTAPI_ROUTERS=[SOCKETS_ROUTER]):
        with LiveServer(get_application(), server=request.param) as server:
            yield server


@pytest.fixture
def ada(transactional_db):
    return User.objects.create_user("ada")


def url(live: LiveServer, path: str) -> str:
    return f"ws://127.0.0.1:{live.port}/api/sockets{path}"


def cookie(user: User) -> dict[str, str]:
    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_cookie(user)}"}


def first_message(live: LiveServer, path: str, **kwargs) -> str:
    with connect(url(live, path), open_timeout=5, close_timeout=2, **kwargs) as socket:
        return socket.recv(timeout=5)


def refused_status(live: LiveServer, path: str, **kwargs) -> int:
    with pytest.raises(InvalidStatus) as refused:
        first_message(live, path, **kwargs)
    return refused.value.response.status_code


def test_session_cookie_from_the_same_origin_is_accepted(live, ada):
    origin = f"http://127.0.0.1:{live.port}"
    assert '"username":"ada"' in first_message(live, "/me", additional_headers=cookie(ada), origin=origin)


def test_session_cookie_from_another_origin_is_refused_with_403(live, ada):
    assert refused_status(live, "/me", additional_headers=cookie(ada), origin="http://evil.example") == 403


def test_bearer_header_is_accepted(live, ada):
    token = Token.objects.create_token(ada)[1]
    headers = {"Authorization": f"Bearer {token}"}
    assert '"username":"ada"' in first_message(live, "/me", additional_headers=headers)


def test_bearer_subprotocol_is_accepted_as_bearer(live, ada):
    token = Token.objects.create_token(ada)[1]
    with connect(url(live, "/me"), subprotocols=["bearer", token], open_timeout=5) as socket:
        assert '"username":"ada"' in socket.recv(timeout=5)
        assert socket.subprotocol == "bearer"


def test_anonymous_is_refused_with_403(live):
    assert refused_status(live, "/me") == 403


def test_bad_token_is_refused_with_403_not_500(live):
    assert refused_status(live, "/optional", additional_headers={"Authorization": "Bearer dfb_bad"}) == 403


def test_bad_subprotocol_token_is_refused_with_403(live):
    assert refused_status(live, "/optional", subprotocols=["bearer", "dfb_bad"]) == 403


def test_require_perms_refusal_is_403(live, ada):
    token = Token.objects.create_token(ada)[1]
    assert refused_status(live, "/notes-writer", subprotocols=["bearer", token]) == 403


def test_require_perms_granted_is_accepted(live, ada):
    ada.user_permissions.add(Permission.objects.get(codename="add_note"))
    token = Token.objects.create_token(ada)[1]
    assert '"username":"ada"' in first_message(live, "/notes-writer", subprotocols=["bearer", token])


def test_anonymous_after_accept_is_closed_with_4401(live):
    with connect(url(live, "/checked-after-accept"), open_timeout=5) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_forbidden_after_accept_is_closed_with_4403(live, ada):
    token = Token.objects.create_token(ada)[1]
    with connect(url(live, "/checked-after-accept"), subprotocols=["bearer", token], open_timeout=5) as socket:
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_session_lookup_and_permission_queries_run_on_lanes(live, ada):
    ada.user_permissions.add(Permission.objects.get(codename="add_note"))
    backends.calls.clear()
    with override_settings(AUTHENTICATION_BACKENDS=["tests.apps.sockets.backends.ThreadRecordingBackend"]):
        headers = cookie(ada)
        origin = f"http://127.0.0.1:{live.port}"
        assert '"username":"ada"' in first_message(live, "/notes-writer", additional_headers=headers, origin=origin)
    assert {name for name, _ in backends.calls} == {"get_user", "has_perm"}
    assert all(thread.startswith("django_fastapi-lane-") for _, thread in backends.calls), backends.calls
