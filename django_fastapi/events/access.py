"""Who may subscribe to a channel: ``@channel_access(...)`` functions, else ``FASTAPI_EVENTS["AUTHORIZE"]``.

A channel no rule covers is refused: subscribing is opt-in, channel by channel.

    from django_fastapi.events import channel_access

    @channel_access("books")                 # exactly "books"
    def anyone(user, channel):
        return True

    @channel_access("orders:*")              # "orders:" and any name after it
    async def own_orders(user, channel):
        return user.is_authenticated and channel == f"orders:{user.pk}"
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.utils.module_loading import import_string

from .hub import hub

Rule = Callable[[Any, str], Any]
R = TypeVar("R", bound=Rule)

_rules: dict[str, Rule] = {}


def channel_access(*patterns: str) -> Callable[[R], R]:
    """Register ``rule(user, channel) -> bool`` (sync or async) for channels named by ``patterns``:
    exact names, or prefixes ending in ``*``. The longest matching pattern decides."""
    if not patterns or not all(isinstance(pattern, str) and pattern for pattern in patterns):
        raise TypeError("channel_access() needs one or more channel names or prefixes such as 'orders:*'")

    def register(rule: R) -> R:
        for pattern in patterns:
            _rules[pattern] = rule
        return rule

    return register


def rule_for(channel: str) -> Rule | None:
    if channel in _rules:
        return _rules[channel]
    prefixes = [pattern for pattern in _rules if pattern.endswith("*") and channel.startswith(pattern[:-1])]
    if prefixes:
        return _rules[max(prefixes, key=len)]
    fallback = hub.config["AUTHORIZE"]
    return import_string(fallback) if fallback else None


async def can_subscribe(user: Any, channel: str) -> bool:
    """Whether ``user`` (``AnonymousUser`` included) may subscribe to ``channel``. Sync rules run
    with ``sync_to_async`` (they may use the ORM); async ones are awaited."""
    rule = rule_for(channel)
    if rule is None:
        return False
    if inspect.iscoroutinefunction(rule):
        return bool(await rule(user, channel))
    return bool(await sync_to_async(rule)(user, channel))
