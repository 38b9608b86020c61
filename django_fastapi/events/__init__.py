"""Events across processes and hosts: publish from Django code, subscribe from async endpoints.

    from django_fastapi.events import publish, subscribe, event_stream

    publish("books", {"id": book.pk})            # sync code; sent when the transaction commits
    await apublish("books", {"id": book.pk})     # async code; sent now

    async for event in subscribe("books"):       # a websocket handler, a task
        ...

    @router.get("/books/live")
    async def live(request: Request, user: OptionalUser):
        return await event_stream(request, "books", user=user)   # server-sent events

The backend is ``FASTAPI_EVENTS["BACKEND"]``: ``"memory"`` (one process), ``"redis"`` or
``"postgres"`` (see docs/events.rst).
"""

from __future__ import annotations

from collections.abc import Iterable

from .access import can_subscribe, channel_access
from .base import Event, EventError, PayloadTooLarge
from .hub import Subscription
from .hub import hub as _hub
from .longpoll import wait_for_events
from .publishing import apublish, publish
from .sse import EVENT_STREAM, EventSourceResponse, authorize, event_stream, format_event


def subscribe(channels: str | Iterable[str], *, last_event_id: str | None = None) -> Subscription:
    """Subscribe this event loop to ``channels`` (a name or several): an async iterator of ``Event``.

    Events after ``last_event_id`` still in this process's replay buffer come first. Use it as
    ``async with subscribe(...) as events`` (which also waits until the backend listens) or
    ``async for``; cancel the iterating task or call ``close()`` to stop.
    """
    return _hub.subscribe([channels] if isinstance(channels, str) else channels, last_event_id)


__all__ = [
    "EVENT_STREAM",
    "Event",
    "EventError",
    "EventSourceResponse",
    "PayloadTooLarge",
    "Subscription",
    "apublish",
    "authorize",
    "can_subscribe",
    "channel_access",
    "event_stream",
    "format_event",
    "publish",
    "subscribe",
    "wait_for_events",
]
