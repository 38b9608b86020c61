"""What travels: an ``Event`` (id, channel, data), its JSON envelope, and the limits on both."""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

# Letters, digits and "_.:-", so a channel name is safe in a Redis channel, a log line and a URL.
CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_.:\-]{1,200}$")
# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; the envelope adds the id and the
# channel (at most 200 bytes) to the encoded data.
POSTGRES_NOTIFY_LIMIT = 7999
ENVELOPE_OVERHEAD = 300

_counter = 0


class EventError(ValueError):
    """A channel name or payload that cannot be published."""


class PayloadTooLarge(EventError):
    pass


@dataclass(frozen=True)
class Event:
    """One published event: ``id`` is unique across processes, ``data`` is the decoded JSON payload."""

    id: str
    channel: str
    data: Any

    @cached_property
    def encoded(self) -> str:
        """``data`` as compact JSON, encoded once however many streams send it."""
        return json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)


def check_channel(channel: str) -> str:
    if not isinstance(channel, str) or not CHANNEL_NAME.match(channel):
        raise EventError(
            f"Event channel {channel!r} is not a valid name: use 1 to 200 letters, digits and '_.:-'."
        )
    return channel


def new_event_id() -> str:
    """Milliseconds since the epoch, this process's id and a counter: unique across processes and hosts
    sharing a backend (the pid is unique per host; the time and counter make reuse after a restart moot)."""
    global _counter
    _counter += 1
    return f"{time.time_ns() // 1_000_000}-{os.getpid():x}{os.urandom(2).hex()}-{_counter}"


def encode_data(channel: str, data: Any, max_payload: int) -> str:
    try:
        encoded = json.dumps(data, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise EventError(f"Event payload for channel {channel!r} is not JSON-serializable: {exc}") from None
    size = len(encoded.encode())
    if size > max_payload:
        raise PayloadTooLarge(
            f"Event payload for channel {channel!r} is {size:,} bytes of JSON; the limit is {max_payload:,} "
            "(FASTAPI_EVENTS['MAX_PAYLOAD']). Publish the object's id and let clients fetch the rest."
        )
    return encoded


def envelope(event_id: str, channel: str, encoded_data: str) -> str:
    return f'{{"id":{json.dumps(event_id)},"channel":{json.dumps(channel)},"data":{encoded_data}}}'


def from_envelope(text: str | bytes) -> Event | None:
    """The event in a backend message, or None for a message that is not one (logged by the caller)."""
    try:
        message = json.loads(text)
        event = Event(message["id"], message["channel"], message["data"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(event.id, str) or not isinstance(event.channel, str):
        return None
    return event
