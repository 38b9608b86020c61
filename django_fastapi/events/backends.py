"""The event backend interface, and the in-memory backend (one process: development and tests).

A backend that ``listens`` carries events between processes: ``publish``/``apublish`` send an
event's JSON envelope, and ``listen`` — one long-running task per process — receives every
envelope on ``FASTAPI_EVENTS["CHANNEL"]`` and hands it to ``deliver``, reconnecting after an
outage for as long as the process runs. Subscribers are this process's own (the hub keeps them),
so a reconnection loses none of them; events published while the connection was down are lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from .base import Event, from_envelope

logger = logging.getLogger("django_fastapi.events")

Deliver = Callable[[Event], None]


class Backend:
    listens = True

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.channel: str = config["CHANNEL"]

    def publish(self, message: str) -> None:
        raise NotImplementedError

    async def apublish(self, message: str) -> None:
        raise NotImplementedError

    async def listen(self, deliver: Deliver, ready: Callable[[], None]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend holds (a changed setting replaced it)."""

    def received(self, message: str | bytes, deliver: Deliver) -> None:
        event = from_envelope(message)
        if event is None:
            logger.warning("Ignored a message on %r that is not an event: %.200r", self.channel, message)
        else:
            deliver(event)


class MemoryBackend(Backend):
    """Events stay in this process: ``publish`` hands them straight to the hub."""

    listens = False

    def publish(self, message: str) -> None:  # pragma: no cover - the hub delivers directly
        pass

    async def apublish(self, message: str) -> None:  # pragma: no cover
        pass


class Backoff:
    """Seconds to wait before the next reconnection attempt: 0.1, 0.2, ... up to 5."""

    def __init__(self) -> None:
        self.delay = 0.1

    def reset(self) -> None:
        self.delay = 0.1

    async def wait(self, error: BaseException, what: str) -> None:
        logger.warning("Events: %s failed (%s); reconnecting in %.1fs", what, error, self.delay)
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, 5.0)
