"""``publish`` from sync Django code, delivered on commit; ``apublish`` from async code."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.db import transaction

from .base import Event, check_channel, encode_data, envelope, new_event_id
from .hub import hub


def _prepare(channel: str, data: Any) -> tuple[Event, str]:
    """The event and its envelope; raises ``EventError``/``PayloadTooLarge`` at the call site."""
    check_channel(channel)
    encoded = encode_data(channel, data, hub.config["MAX_PAYLOAD"])
    event_id = new_event_id()
    message = envelope(event_id, channel, encoded)
    # Subscribers get what came out of JSON, with every backend alike.
    return Event(event_id, channel, json.loads(encoded)), message


def _send(event: Event, message: str) -> None:
    backend = hub.backend()
    if backend.listens:
        backend.publish(message)
    else:
        hub.deliver(event)


def publish(channel: str, data: Any = None, *, using: str | None = None) -> str:
    """Publish ``data`` (JSON-serializable) to ``channel``'s subscribers in every process.

    Inside ``transaction.atomic()`` (of ``using``) the event is sent when the transaction commits,
    and never if it rolls back; outside one, now. Returns the event's id. Call from sync code: a
    view, a signal handler, a management command, a task; from ``async def`` use ``apublish``.

        publish("books", {"id": book.pk, "title": book.title})
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError(
            f"publish({channel!r}) was called from async code: use 'await apublish(...)', or call "
            "publish() inside the sync_to_async function that runs the transaction."
        )
    event, message = _prepare(channel, data)
    # robust: a backend outage after the commit is logged (the event is lost), not raised from
    # atomic()'s exit into a request whose writes are already committed.
    transaction.on_commit(lambda: _send(event, message), using=using, robust=True)
    return event.id


async def apublish(channel: str, data: Any = None) -> str:
    """Publish from async code, now (an async function sees no transaction: to publish on commit,
    call ``publish`` in the ``sync_to_async`` function that runs it). Waits on no thread."""
    event, message = _prepare(channel, data)
    backend = hub.backend()
    if backend.listens:
        await backend.apublish(message)
    else:
        hub.deliver(event)
    return event.id
