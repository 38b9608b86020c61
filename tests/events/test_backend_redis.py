"""The Redis backend against real servers: delivery, and recovery after a Redis restart."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings
from redis.asyncio import Redis

from django_fastapi.events import apublish, publish, sse, subscribe
from django_fastapi.testing import AsyncClient, EventStream
from tests.events.backends import PrivateRedis, publish_until_received, unique_channel
from tests.serverproc import free_port

pytestmark = [pytest.mark.redis, pytest.mark.asyncio]


@pytest.fixture
def redis_events(redis_url, settings):
    settings.FASTAPI_EVENTS = {"BACKEND": "redis", "URL": redis_url, "CHANNEL": unique_channel()}


async def test_event_published_from_async_code_is_received(redis_events):
    async with subscribe("books") as events:
        event_id = await apublish("books", {"id": 1})
        event = await events.get(timeout=10)
    assert (event.id, event.data) == (event_id, {"id": 1})


@pytest.mark.django_db(transaction=True)
async def test_event_published_from_sync_code_is_received(redis_events):
    async with subscribe("books") as events:
        await sync_to_async(publish)("books", "from sync code")
        assert (await events.get(timeout=10)).data == "from sync code"


async def test_events_on_another_backend_channel_are_not_received(redis_url, settings):
    settings.FASTAPI_EVENTS = {"BACKEND": "redis", "URL": redis_url, "CHANNEL": unique_channel()}
    async with subscribe("books") as events:
        client = Redis.from_url(redis_url)
        await client.publish(unique_channel(), '{"id":"1-x-1","channel":"books","data":1}')
        await client.aclose()
        await apublish("books", 2)
        assert (await events.get(timeout=10)).data == 2


@pytest.mark.skipif(not PrivateRedis.available(), reason="needs redis-server")
async def test_subscriber_receives_events_after_a_redis_restart(settings):
    server = PrivateRedis().start()
    try:
        settings.FASTAPI_EVENTS = {"BACKEND": "redis", "URL": server.url, "CHANNEL": unique_channel()}
        async with subscribe("books") as events:
            await apublish("books", "before")
            assert (await events.get(timeout=10)).data == "before"
            server.stop()
            server.start()
            event = await publish_until_received(events, "books", "after")
        assert event is not None and event.data == "after"
    finally:
        server.stop()


async def test_stream_answers_503_while_redis_is_unreachable(settings, monkeypatch):
    monkeypatch.setattr(sse, "READY_TIMEOUT", 0.5)
    settings.FASTAPI_EVENTS = {"BACKEND": "redis", "URL": f"redis://127.0.0.1:{free_port()}/0", "CHANNEL": unique_channel()}
    with override_settings(FASTAPI_ROUTERS=[{"router": "tests.apps.live.routers.router", "prefix": "/live"}]):
        async with EventStream(AsyncClient(), "/api/live/stream/open:down") as stream:
            assert await stream.ended()
    assert stream.status_code == 503
    assert stream.headers["retry-after"] == "5"
