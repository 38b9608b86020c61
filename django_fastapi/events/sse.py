"""Server-sent events from a channel: ``return await event_stream(request, "books", user=user)``.

The response is FastAPI's own ``EventSourceResponse`` (FastAPI 0.135+); on older FastAPI, a
``StreamingResponse`` with ``text/event-stream``, the same bytes on the wire. The stream sends
``retry:`` first, then the events missed since ``Last-Event-ID`` (from this process's replay
buffer), then each new event as ``id:`` and ``data:`` (JSON), with a comment every ``KEEPALIVE``
seconds so proxies keep the connection and a vanished client is noticed. It waits on the event
loop: an idle stream holds no lane; ``FASTAPI_MAX_STREAMS`` bounds how many are open.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import HTTPException, Request
from starlette.responses import StreamingResponse

from ..security.dependencies import forbidden, not_authenticated
from .access import can_subscribe
from .base import CHANNEL_NAME, Event
from .hub import Subscription, hub

try:
    from fastapi.sse import EventSourceResponse
except ImportError:  # FastAPI < 0.135

    class EventSourceResponse(StreamingResponse):  # type: ignore[no-redef]
        media_type = "text/event-stream"


# For the route's ``responses=``: the OpenAPI document then shows text/event-stream.
EVENT_STREAM: dict[int | str, dict[str, Any]] = {
    200: {"description": "Server-sent events", "content": {"text/event-stream": {"schema": {"type": "string"}}}}
}

# A backend that cannot be reached answers 503 after this many seconds instead of hanging.
READY_TIMEOUT = 10.0
MAX_EVENT_ID = 200


def format_event(event: Event, name: str | None = None) -> bytes:
    head = f"event: {name}\n" if name else ""
    return f"{head}id: {event.id}\ndata: {event.encoded}\n\n".encode()


def last_event_id(request: Request) -> str | None:
    value = request.headers.get("last-event-id") or None
    if value is not None and len(value) > MAX_EVENT_ID:
        raise HTTPException(400, f"Last-Event-ID is longer than {MAX_EVENT_ID} characters.")
    return value


async def authorize(user: Any, channels: Sequence[str]) -> None:
    """401 for an anonymous user, 403 for another, unless every channel's rule lets ``user`` in."""
    for channel in channels:
        if not CHANNEL_NAME.match(channel):
            raise HTTPException(400, f"{channel!r} is not a channel name (1 to 200 letters, digits and '_.:-').")
        if not await can_subscribe(user, channel):
            if user is None or not getattr(user, "is_authenticated", False):
                raise not_authenticated()
            raise forbidden(f"You may not subscribe to {channel!r}.")


async def subscribe_ready(channels: Sequence[str], resume_from: str | None) -> Subscription:
    subscription = hub.subscribe(channels, resume_from)
    try:
        await asyncio.wait_for(subscription.ready(), READY_TIMEOUT)
    except Exception:  # not reachable in time (TimeoutError), or its listener failed (logged)
        subscription.close()
        raise HTTPException(503, "The event backend is unavailable; try again later.", headers={"Retry-After": "5"}) from None
    except BaseException:
        subscription.close()
        raise
    return subscription


async def event_stream(
    request: Request,
    channels: str | Sequence[str],
    *,
    user: Any = None,
    authorize_user: bool = True,
    event: str | None = None,
    keepalive: float | None = None,
    retry: int | None = None,
) -> StreamingResponse:
    """An SSE response with ``channels``' events for ``user`` (checked with ``channel_access``
    rules unless ``authorize_user=False``), resuming after the request's ``Last-Event-ID``."""
    names = [channels] if isinstance(channels, str) else list(channels)
    if authorize_user:
        await authorize(user, names)
    subscription = await subscribe_ready(names, last_event_id(request))
    config = hub.config
    return EventSourceResponse(
        _stream(request, subscription, event, keepalive or config["KEEPALIVE"], config["RETRY"] if retry is None else retry),
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _stream(request: Request, subscription: Subscription, name: str | None, keepalive: float,
                  retry: int) -> AsyncIterator[bytes]:
    # Below ASGI 2.4 Starlette's StreamingResponse listens for the disconnect itself and cancels
    # the stream; a second listener would receive() beside it, and granian answers the second of
    # two concurrent receive() calls with a disconnect while the request is being read.
    watcher = (asyncio.ensure_future(_close_on_disconnect(request, subscription))
               if _spec_version(request.scope) >= (2, 4) else None)
    try:
        yield f"retry: {retry}\n\n".encode()
        while True:
            found = await subscription.get(timeout=keepalive)
            if found is not None:
                yield format_event(found, name)
            elif subscription.closed:
                return
            else:
                yield b": keep-alive\n\n"
    finally:
        if watcher is not None:
            watcher.cancel()
        subscription.close()


def _spec_version(scope: Any) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in scope.get("asgi", {}).get("spec_version", "2.0").split("."))
    except ValueError:
        return (2, 0)


async def _close_on_disconnect(request: Request, subscription: Subscription) -> None:
    # Servers speaking ASGI 2.4 tell a streaming response of a gone client only when it writes;
    # waiting for http.disconnect ends an idle stream at once.
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            subscription.close()
            return
