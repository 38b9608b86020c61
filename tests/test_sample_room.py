"""The sample site's chat room (sample_site/room): authenticated members, broadcast with usernames."""

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from django_fastapi.application import get_application
from django_fastapi.testing import Client, LiveServer, WebSocketRejected
from django_fastapi.tokens.models import Token
from tests.authsite import session_cookie


@pytest.fixture
def room_site(db):
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "room"]):
        yield


@pytest.fixture
def ada(room_site):
    return User.objects.create_user("ada")


@pytest.fixture
def bob(room_site):
    return User.objects.create_user("bob")


def test_message_reaches_every_member_with_the_senders_username(ada, bob):
    alice_client, bob_client = Client(), Client()
    alice_client.force_login(ada)
    bob_client.force_login(bob)
    with alice_client.websocket_connect("/api/room/lobby") as first:
        assert first.receive_json() == {"type": "joined", "user": "ada"}
        with bob_client.websocket_connect("/api/room/lobby") as second:
            assert second.receive_json() == {"type": "joined", "user": "bob"}
            assert first.receive_json() == {"type": "joined", "user": "bob"}
            second.send_text("hello")
            expected = {"type": "message", "user": "bob", "text": "hello"}
            assert first.receive_json() == expected
            assert second.receive_json() == expected
        assert first.receive_json() == {"type": "left", "user": "bob"}


def test_anonymous_cannot_join(room_site):
    with pytest.raises(WebSocketRejected) as refused:
        with Client().websocket_connect("/api/room/lobby"):
            pass
    assert refused.value.status_code == 403


def test_rooms_are_separate(ada, bob):
    with Client().websocket_connect("/api/room/one", subprotocols=["bearer", Token.objects.create_token(ada)[1]]) as one:
        one.receive_json()
        with Client().websocket_connect("/api/room/two", subprotocols=["bearer", Token.objects.create_token(bob)[1]]) as two:
            two.receive_json()
            two.send_text("only in two")
            assert two.receive_json()["text"] == "only in two"
        one.send_text("only in one")
        assert one.receive_json() == {"type": "message", "user": "ada", "text": "only in one"}


@pytest.mark.server
@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_room_on_a_real_server_with_a_session_and_a_token(server, transactional_db):
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "room"]):
        ada, bob = User.objects.create_user("ada"), User.objects.create_user("bob")
        token = Token.objects.create_token(bob)[1]
        with LiveServer(get_application(), server=server) as live:
            url = f"ws://127.0.0.1:{live.port}/api/room/lobby"
            cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_cookie(ada)}"}
            origin = f"http://127.0.0.1:{live.port}"
            with connect(url, additional_headers=cookie, origin=origin, open_timeout=5) as first:
                assert json.loads(first.recv(timeout=5)) == {"type": "joined", "user": "ada"}
                with connect(url, subprotocols=["bearer", token], open_timeout=5) as second:
                    assert json.loads(second.recv(timeout=5))["user"] == "bob"
                    second.send("hi from a script")
                    assert json.loads(first.recv(timeout=5)) == {"type": "joined", "user": "bob"}
                    assert json.loads(first.recv(timeout=5)) == {
                        "type": "message", "user": "bob", "text": "hi from a script"
                    }
            with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=5):
                pass
            assert refused.value.response.status_code == 403
