"""The PostgreSQL backend against real servers: delivery, NOTIFY's size, recovery after a restart."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from django_fastapi.events import apublish, publish, subscribe
from tests.events.backends import publish_until_received, unique_channel
from tests.pgserver import PrivatePostgres, unavailable_reason

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio]


@pytest.fixture
def pg_events(postgres_url, settings):
    settings.FASTAPI_EVENTS = {"BACKEND": "postgres", "URL": postgres_url, "CHANNEL": unique_channel()}


async def test_event_published_from_async_code_is_received(pg_events):
    async with subscribe("books") as events:
        event_id = await apublish("books", {"id": 1})
        event = await events.get(timeout=10)
    assert (event.id, event.data) == (event_id, {"id": 1})


@pytest.mark.django_db(transaction=True)
async def test_event_published_from_sync_code_is_received(pg_events):
    async with subscribe("books") as events:
        await sync_to_async(publish)("books", "from sync code")
        assert (await events.get(timeout=10)).data == "from sync code"


async def test_payload_at_the_limit_passes_through_notify(pg_events):
    data = "é" * 3499  # 6,998 bytes of UTF-8 and two quotes: the default MAX_PAYLOAD, 7,000
    async with subscribe("x" * 200) as events:  # the longest channel name
        await apublish("x" * 200, data)
        assert (await events.get(timeout=10)).data == data


@pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))
async def test_subscriber_receives_events_after_a_postgres_restart(settings):
    server = PrivatePostgres().start()
    try:
        settings.FASTAPI_EVENTS = {"BACKEND": "postgres", "URL": server.url, "CHANNEL": unique_channel()}
        async with subscribe("books") as events:
            await apublish("books", "before")
            assert (await events.get(timeout=10)).data == "before"
            await sync_to_async(server.restart)()
            event = await publish_until_received(events, "books", "after")
        assert event is not None and event.data == "after"
    finally:
        server.remove()
