"""publish() and apublish(): sent on commit, never for a rollback; bad channels and payloads refused."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction

from django_fastapi.events import EventError, PayloadTooLarge, apublish, publish, subscribe

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def test_event_published_in_a_transaction_is_sent_when_it_commits():
    def work() -> None:
        with transaction.atomic():
            publish("commit", "in the transaction")
            async_to_sync(apublish)("commit", "sent at once")

    async with subscribe("commit") as events:
        await sync_to_async(work)()
        assert [(await events.get(timeout=5)).data for _ in range(2)] == ["sent at once", "in the transaction"]


async def test_event_published_in_a_rolled_back_transaction_is_never_sent():
    def work() -> None:
        try:
            with transaction.atomic():
                publish("rollback", "rolled back")
                raise RuntimeError("abort")
        except RuntimeError:
            pass
        publish("rollback", "after")

    async with subscribe("rollback") as events:
        await sync_to_async(work)()
        assert (await events.get(timeout=5)).data == "after"
        assert events.drain() == []


async def test_publish_returns_the_id_subscribers_see():
    async with subscribe("ids") as events:
        event_id = await sync_to_async(publish)("ids", {"n": 1})
        event = await events.get(timeout=5)
    assert (event.id, event.channel, event.data) == (event_id, "ids", {"n": 1})


async def test_payload_over_the_limit_is_refused_with_its_size(settings):
    settings.FASTAPI_EVENTS = {"MAX_PAYLOAD": 100}
    with pytest.raises(PayloadTooLarge, match=r"is 102 bytes of JSON; the limit is 100 \(FASTAPI_EVENTS\['MAX_PAYLOAD'\]\)"):
        await apublish("big", "x" * 100)


async def test_payload_that_is_not_json_is_refused():
    with pytest.raises(EventError, match="not JSON-serializable"):
        await apublish("bad", {"a": object()})


@pytest.mark.parametrize("channel", ["", "has space", "x" * 201, "ünicode"])
async def test_bad_channel_name_is_refused(channel):
    with pytest.raises(EventError, match="is not a valid name"):
        await apublish(channel, 1)


async def test_publish_from_async_code_points_to_apublish():
    with pytest.raises(RuntimeError, match=r"use 'await apublish\(...\)'"):
        publish("books", 1)
