"""Test clients, a live server, and the pytest plugin's fixtures.

    from django_fastapi.testing import AsyncClient, Client, LiveServer
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import AsyncClient, Client, connections_kept_open
    from .events import EventStream, ServerSentEvent, iter_events, parse_events
    from .live_server import LiveServer
    from .websockets import WebSocketRejected

__all__ = [
    "AsyncClient",
    "Client",
    "EventStream",
    "LiveServer",
    "ServerSentEvent",
    "WebSocketRejected",
    "connections_kept_open",
    "iter_events",
    "parse_events",
]

_HOMES = {
    "AsyncClient": ".client",
    "Client": ".client",
    "connections_kept_open": ".client",
    "LiveServer": ".live_server",
    "WebSocketRejected": ".websockets",
    "EventStream": ".events",
    "ServerSentEvent": ".events",
    "iter_events": ".events",
    "parse_events": ".events",
}


def __getattr__(name: str) -> Any:
    # Lazy: pytest loads the plugin (this package) in every run, before Django is configured;
    # the clients import the request cycle, so they load when a test first asks for them.
    if name in _HOMES:
        return getattr(import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
