"""Access tokens, scopes and API keys on websocket routes, as on HTTP ones."""

from __future__ import annotations

import time

import jwt
import pytest
from django.contrib.auth.models import Permission, User
from django.test import override_settings

from django_fastapi.testing import Client, WebSocketRejected
from django_fastapi.tokens.access import current_keys
from django_fastapi.tokens.models import Token
from django_fastapi.tokens.pairs import issue_pair

SOCKETS_ROUTER = {"router": "tests.apps.sockets.api.router", "prefix": "/sockets"}


@pytest.fixture
def ada(db):
    with override_settings(FASTAPI_ROUTERS=[SOCKETS_ROUTER]):
        user = User.objects.create_user("ada", password="pw")
        user.user_permissions.add(Permission.objects.get(codename="add_note"))
        yield user


def greeting(path: str, **kwargs) -> dict:
    with Client().websocket_connect(path, **kwargs) as socket:
        return socket.receive_json()


def test_access_token_as_a_subprotocol_authenticates_a_socket(ada):
    access = issue_pair(ada).access_token
    assert greeting("/api/sockets/me", subprotocols=["bearer", access])["username"] == "ada"


def test_api_key_header_authenticates_a_socket(ada):
    _, raw = Token.objects.create_token(ada)
    assert greeting("/api/sockets/me", headers={"X-API-Key": raw})["username"] == "ada"


def test_scoped_access_token_is_refused_by_require_perms_on_a_socket(ada):
    scoped = issue_pair(ada, scopes=["notes.view_note"]).access_token
    with pytest.raises(WebSocketRejected) as refused:
        greeting("/api/sockets/notes-writer", subprotocols=["bearer", scoped])
    assert refused.value.status_code == 403
    full = issue_pair(ada).access_token
    assert greeting("/api/sockets/notes-writer", subprotocols=["bearer", full])["username"] == "ada"


def test_expired_access_token_refuses_the_socket_not_500(ada):
    keys = current_keys()
    now = int(time.time())
    claims = {"iss": "django-fastapi", "aud": "django-fastapi", "sub": str(ada.pk), "iat": now - 600,
              "exp": now - 300, "jti": "x", "fam": "f"}
    expired = jwt.encode(claims, keys.signing, algorithm="HS256", headers={"typ": "at+jwt", "kid": keys.kid})
    with pytest.raises(WebSocketRejected) as refused:
        greeting("/api/sockets/optional", subprotocols=["bearer", expired])
    assert refused.value.status_code == 403
