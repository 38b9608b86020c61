"""Long polling: wait for events or a timeout, then answer.

    @router.get("/books/poll")
    async def poll(user: OptionalUser, after: str | None = None,
                   timeout: Annotated[float, Query(ge=0, le=60)] = 25) -> dict:
        await authorize(user, ["books"])
        events = await wait_for_events("books", after=after, timeout=timeout)
        return {"events": [{"id": e.id, "data": e.data} for e in events]}

The client sends the last id it saw as ``after``: events published between two polls come back
from the replay buffer, so none are missed while it is not connected (up to ``REPLAY`` of them).
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Event
from .sse import subscribe_ready


async def wait_for_events(
    channels: str | Sequence[str], *, after: str | None = None, timeout: float = 25.0
) -> list[Event]:
    """The events after ``after`` that are buffered already, or else the first ones to arrive within
    ``timeout`` seconds (an empty list when none did). Waits on the event loop, holding no lane."""
    names = [channels] if isinstance(channels, str) else list(channels)
    subscription = await subscribe_ready(names, after)
    try:
        first = await subscription.get(timeout=timeout)
        if first is None:
            return []
        return [first, *subscription.drain()]
    finally:
        subscription.close()
