"""Rate limits in Django's cache, so that with Redis or Memcached they hold across workers and hosts.

    from django_fastapi.security import throttle

    @router.post("/books", dependencies=[Depends(throttle("100/min"))])         # per user, else IP
    @router.get("/search", dependencies=[Depends(throttle("30/min", key="ip"))])
    @router.get("/export", dependencies=[Depends(throttle(scope="export", key="token"))])

A fixed window: the requests of each ``period`` (aligned to the clock, so every worker agrees) are
counted with the cache's atomic ``add`` and ``incr``; past the limit the answer is 429 with
``Retry-After`` (the seconds to the next window). Each route has its own count unless throttles
share a ``scope``; ``FASTAPI_THROTTLE_RATES[scope]`` overrides the rate in code (None lifts it), and a
throttle with no rate at all does not limit. On a websocket route a throttle counts handshakes: one
past the limit is refused (403).
"""

from __future__ import annotations

import hashlib
import inspect
import math
import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache import caches
from fastapi import HTTPException
from starlette.requests import HTTPConnection

from ..conf import Rate, api_settings, parse_rate
from ..core.compat_fastapi import dependency_calls
from ..core.compat_starlette import scope_endpoint
from ..core.pinning import api_routes, original
from ..routing.discovery import discover
from .sources import resolve

KEYS = ("user", "token", "ip")


def client_ip(request: HTTPConnection) -> str:
    """The client's address; behind ``FASTAPI_NUM_PROXIES`` proxies, from ``X-Forwarded-For``.

    Each trusted proxy appends the address it saw, so the client is that many entries from the
    end; whatever the client wrote before them is ignored.
    """
    proxies = api_settings.NUM_PROXIES
    if proxies:
        forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.client.host if request.client else "unknown"


def _count(alias: str, key: str, timeout: int) -> int:
    """Add one to ``key``'s count, atomically where the cache is (Redis, Memcached)."""
    cache = caches[alias]
    for _ in range(2):
        if cache.add(key, 1, timeout):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add() and incr(): start again
            continue
    return 1


class Throttle:
    """The dependency ``throttle()`` returns."""

    def __init__(
        self,
        rate: str | None = None,
        *,
        scope: str | None = None,
        key: str | Callable[[HTTPConnection], Any] = "user",
    ) -> None:
        if rate is not None:
            parse_rate(rate)
        if not callable(key) and key not in KEYS:
            raise ValueError(
                f"key must be one of {', '.join(map(repr, KEYS))} or a callable; got {key!r}"
            )
        self.rate = rate
        self.scope = scope
        self.key = key

    def current_rate(self) -> Rate | None:
        rates = api_settings.THROTTLE_RATES
        rate = rates[self.scope] if self.scope in rates else self.rate
        return None if rate is None else parse_rate(rate)

    async def identify(self, request: HTTPConnection) -> str:
        if callable(self.key):
            ident = self.key(request)
            return str(await ident if inspect.isawaitable(ident) else ident)
        if self.key != "ip":
            authentication = await resolve(request)
            if self.key == "token" and authentication.token is not None:
                return f"token:{authentication.token.pk}"
            if authentication.user.is_authenticated:
                return f"user:{authentication.user.pk}"
        return f"ip:{client_ip(request)}"

    async def __call__(self, request: HTTPConnection) -> None:
        rate = self.current_rate()
        if rate is None:
            return
        scope = self.scope or _route_name(request)
        ident = await self.identify(request)
        now = time.time()
        window = int(now // rate.period)
        remaining = (window + 1) * rate.period - now
        digest = hashlib.sha256(f"{scope}\0{ident}\0{rate.period}".encode()).hexdigest()[:40]
        key = f"django_fastapi:throttle:{digest}:{window}"
        count = await sync_to_async(_count, thread_sensitive=True)(
            api_settings.THROTTLE_CACHE, key, math.ceil(remaining) + 1
        )
        if count > rate.limit:
            wait = max(1, math.ceil(remaining))
            raise HTTPException(
                429,
                f"Request was throttled. Expected available in {wait} second{'s' if wait != 1 else ''}.",
                headers={"Retry-After": str(wait)},
            )


def _route_name(request: HTTPConnection) -> str:
    endpoint = scope_endpoint(request.scope)
    if endpoint is None:
        return request.url.path
    target = original(endpoint)
    return f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', repr(target))}"


def throttle(
    rate: str | None = None,
    *,
    scope: str | None = None,
    key: str | Callable[[HTTPConnection], Any] = "user",
) -> Throttle:
    """A rate-limit dependency.

    ``rate``: ``"100/min"`` style. ``scope``: share one count between routes, and let
    ``FASTAPI_THROTTLE_RATES[scope]`` set the rate. ``key``: ``"user"`` (the user, else the IP),
    ``"token"`` (the bearer token, else the user, else the IP), ``"ip"``, or a callable taking the
    request and returning (or awaiting) a string.
    """
    return Throttle(rate, scope=scope, key=key)


def _throttles(route: Any) -> bool:
    return any(isinstance(original(call), Throttle) for call in dependency_calls(route))


def throttles_in_use() -> bool:
    """Whether FASTAPI_THROTTLE_RATES is set or any served route has a throttle."""
    if api_settings.THROTTLE_RATES:
        return True
    return any(
        _throttles(route)
        for mount in discover()
        for route in api_routes(mount.router.routes)
    )
