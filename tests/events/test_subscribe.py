"""subscribe(): an async iterator per event loop, replaying after an id, cancelled cleanly."""

from __future__ import annotations

import asyncio

import pytest

from django_fastapi.events import apublish, subscribe
from django_fastapi.events.hub import hub

pytestmark = pytest.mark.asyncio


async def test_async_for_receives_events_in_order():
    received = []
    async with subscribe("order") as events:
        for n in range(3):
            await apublish("order", n)
        async for event in events:
            received.append(event.data)
            if len(received) == 3:
                break
    assert received == [0, 1, 2]


async def test_events_of_other_channels_are_not_received():
    async with subscribe("mine") as events:
        await apublish("other", "no")
        await apublish("mine", "yes")
        assert (await events.get(timeout=5)).data == "yes"


async def test_subscription_to_several_channels_receives_each():
    async with subscribe(["a", "b"]) as events:
        await apublish("a", 1)
        await apublish("b", 2)
        assert {(await events.get(timeout=5)).channel for _ in range(2)} == {"a", "b"}


async def test_last_event_id_replays_the_events_after_it():
    async with subscribe("replay") as events:
        ids = [await apublish("replay", n) for n in range(4)]
        await events.get(timeout=5)
    async with subscribe("replay", last_event_id=ids[1]) as events:
        assert [event.data for event in events.drain()] == [2, 3]


async def test_unknown_last_event_id_replays_nothing():
    await apublish("replay-unknown", 1)
    async with subscribe("replay-unknown", last_event_id="1-gone-1") as events:
        assert events.drain() == []


async def test_replay_keeps_the_configured_number_of_events(settings):
    settings.FASTAPI_EVENTS = {"REPLAY": 3}
    ids = [await apublish("short", n) for n in range(4)]
    async with subscribe("short", last_event_id=ids[1]) as events:
        assert [event.data for event in events.drain()] == [2, 3]
    async with subscribe("short", last_event_id=ids[0]) as events:
        assert events.drain() == []  # no longer buffered


async def test_cancelled_iteration_leaves_no_subscriber():
    events = subscribe("cancel")

    async def consume() -> None:
        async for _ in events:
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await events.aclose()
    assert "cancel" not in hub.subscribers


async def test_subscriber_that_falls_behind_is_closed_as_lagged(settings):
    settings.FASTAPI_EVENTS = {"QUEUE_SIZE": 2}
    async with subscribe("slow") as events:
        for n in range(3):
            await apublish("slow", n)
        assert [event.data async for event in events] == [0, 1]
        assert events.lagged
