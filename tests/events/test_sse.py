"""event_stream(): server-sent events read with the test client's EventStream, in the test's transaction."""

from __future__ import annotations

import asyncio

import pytest
from django.test import override_settings

from django_fastapi.events import apublish
from django_fastapi.events.hub import hub
from django_fastapi.testing import AsyncClient, EventStream

pytestmark = pytest.mark.asyncio

LIVE = override_settings(FASTAPI_ROUTERS=[{"router": "tests.apps.live.routers.router", "prefix": "/live"}])


@pytest.fixture(autouse=True)
def live_routes():
    with LIVE:
        yield


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password="x")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", password="x")


async def test_stream_sends_retry_then_events_with_ids():
    async with EventStream(AsyncClient(), "/api/live/stream/open:news") as stream:
        event_id = await apublish("open:news", {"headline": "hello"})
        event = await stream.next_event()
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["cache-control"] == "no-cache"
    assert stream.retry == 3000
    assert (event.id, event.json()) == (event_id, {"headline": "hello"})


async def test_reconnection_with_last_event_id_resumes_after_it():
    client = AsyncClient()
    async with EventStream(client, "/api/live/stream/open:resume") as stream:
        first = await apublish("open:resume", 1)
        await stream.next_event()
    for n in (2, 3):  # published while the client is away
        await apublish("open:resume", n)
    async with EventStream(client, "/api/live/stream/open:resume", last_event_id=first) as stream:
        assert [(await stream.next_event()).json() for _ in range(2)] == [2, 3]


async def test_idle_stream_sends_keep_alive_comments(settings):
    settings.FASTAPI_EVENTS = {"KEEPALIVE": 0.01}
    async with EventStream(AsyncClient(), "/api/live/stream/open:quiet") as stream:
        for _ in range(500):
            if stream.comments:
                break
            await asyncio.sleep(0.01)
    assert stream.comments >= 1


async def test_disconnected_client_leaves_no_subscriber():
    async with EventStream(AsyncClient(), "/api/live/stream/open:gone") as stream:
        assert "open:gone" in hub.subscribers
    assert await stream.ended()
    assert "open:gone" not in hub.subscribers


async def test_anonymous_user_is_refused_a_private_channel_with_401(alice):
    async with EventStream(AsyncClient(), f"/api/live/stream/private:{alice.pk}") as stream:
        assert await stream.ended()
    assert stream.status_code == 401
    assert stream.headers["www-authenticate"]


@pytest.mark.django_db
async def test_other_user_is_refused_a_private_channel_with_403(alice, bob):
    client = AsyncClient()
    await client.aforce_login(bob)
    async with EventStream(client, f"/api/live/stream/private:{alice.pk}") as stream:
        assert await stream.ended()
    assert stream.status_code == 403
    assert f"private:{alice.pk}" in stream.text


@pytest.mark.django_db
async def test_owner_receives_events_of_a_private_channel(alice):
    client = AsyncClient()
    await client.aforce_login(alice)
    async with EventStream(client, f"/api/live/stream/private:{alice.pk}") as stream:
        await apublish(f"private:{alice.pk}", "for alice")
        assert (await stream.next_event()).json() == "for alice"
    assert stream.status_code == 200


async def test_channel_without_a_rule_is_refused():
    async with EventStream(AsyncClient(), "/api/live/stream/unruled") as stream:
        assert await stream.ended()
    assert stream.status_code == 401


async def test_channel_rule_from_the_authorize_setting(settings):
    settings.FASTAPI_EVENTS = {"AUTHORIZE": "tests.events.rules.allow_all"}
    async with EventStream(AsyncClient(), "/api/live/stream/unruled") as stream:
        await apublish("unruled", 1)
        assert (await stream.next_event()).json() == 1


async def test_bad_channel_name_is_a_400():
    async with EventStream(AsyncClient(), "/api/live/stream/bad%20name") as stream:
        assert await stream.ended()
    assert stream.status_code == 400


async def test_overlong_last_event_id_is_a_400():
    async with EventStream(AsyncClient(), "/api/live/stream/open:x", last_event_id="1" * 201) as stream:
        assert await stream.ended()
    assert stream.status_code == 400
    assert "Last-Event-ID" in stream.text
