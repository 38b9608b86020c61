"""Prometheus metrics at ``FASTAPI_METRICS_URL``, guarded by ``FASTAPI_METRICS_ACCESS`` like the docs.

Per request (``MetricsMiddleware``): a counter by route template, method and status, and a latency
histogram by route template and method. Requests no API route matched (Django's views, 404s) are
labelled ``route="(none)"``; an unknown method ``method="OTHER"``: no client can add label values.

Per process, read when scraped (and every ``SAMPLE_SECONDS`` in each worker with several): lanes in
use, waiting and their wait time, jobs refused for busy lanes (503), database connections opened and
psycopg pool statistics per alias, open websockets and streaming responses.

With several worker processes, prometheus-client's multiprocess mode adds up every worker's values:
``PROMETHEUS_MULTIPROC_DIR`` names an empty directory (``runfastapi --workers N`` makes one when it is
unset). Gauges of workers that have ended are dropped at the next scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.backends.signals import connection_created
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..conf import api_settings
from ..core.compat_fastapi import serving_route
from ..core.lanes import LanePool
from ..core.lifecycle import RequestLifecycleMiddleware
from ..openapi.pages import guard
from .context import mark_quiet

MULTIPROC_ENVIRON = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
NO_ROUTE = "(none)"
SAMPLE_SECONDS = 1.0
logger = logging.getLogger("django_fastapi")
_LIVE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db$")


@dataclass
class Instruments:
    requests: Counter
    latency: Histogram
    lanes: Gauge
    lane_waits: Counter
    lane_wait_seconds: Counter
    lanes_refused: Counter
    connections_opened: Counter
    pool: Gauge
    pool_waits: Counter
    pool_wait_seconds: Counter
    open_connections: Gauge


@functools.cache
def instruments() -> Instruments:
    """The bridge's metrics, registered once per process in prometheus-client's default registry."""
    made = Instruments(
        requests=Counter(
            "django_fastapi_requests", "HTTP requests answered.", ["route", "method", "status"]
        ),
        latency=Histogram(
            "django_fastapi_request_duration_seconds", "Time to answer an HTTP request.", ["route", "method"]
        ),
        lanes=Gauge("django_fastapi_lanes", "Lanes (threads for sync work) by state.", ["state"], multiprocess_mode="livesum"),
        lane_waits=Counter("django_fastapi_lane_waits", "Jobs that waited for a free lane."),
        lane_wait_seconds=Counter("django_fastapi_lane_wait_seconds", "Time jobs waited for a free lane."),
        lanes_refused=Counter(
            "django_fastapi_lanes_busy", "Jobs refused (503) after FASTAPI_THREAD_TIMEOUT without a free lane."
        ),
        connections_opened=Counter(
            "django_fastapi_db_connections_opened", "Database connections opened, by alias.", ["alias"]
        ),
        pool=Gauge(
            "django_fastapi_db_pool_connections", "psycopg pool connections by alias and state.",
            ["alias", "state"], multiprocess_mode="livesum",
        ),
        pool_waits=Counter("django_fastapi_db_pool_waits", "Requests for a pool connection that waited.", ["alias"]),
        pool_wait_seconds=Counter(
            "django_fastapi_db_pool_wait_seconds", "Time spent waiting for a pool connection.", ["alias"]
        ),
        open_connections=Gauge(
            "django_fastapi_open", "Open websockets and streaming responses (SSE).", ["kind"], multiprocess_mode="livesum",
        ),
    )
    connection_created.connect(_opened, dispatch_uid="django_fastapi_metrics")
    return made


def _opened(sender: Any, connection: Any, **kwargs: Any) -> None:
    instruments().connections_opened.labels(connection.alias).inc()


class MetricsMiddleware:
    """Counts each HTTP request by route template, method and status, and times it."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app = app
        self.api = api
        self.instruments = instruments()
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan" and multiprocess_directory():
            await self.sampling(scope, receive, send)
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def status_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, status_send)
        finally:
            self.observe(scope, status, time.perf_counter() - started)

    def observe(self, scope: Scope, status: int, duration: float) -> None:
        template = getattr(serving_route(scope), "path", None) or NO_ROUTE
        method = scope["method"]
        key = (template, method, status)
        children = self._children.get(key)
        if children is None:
            label = method if method in METHODS else "OTHER"
            children = (
                self.instruments.requests.labels(template, label, str(status)),
                self.instruments.latency.labels(template, label),
            )
            if method in METHODS:
                self._children[key] = children
        children[0].inc()
        children[1].observe(duration)

    async def sampling(self, scope: Scope, receive: Receive, send: Send) -> None:
        """With several workers each one writes its lanes, pools and open connections regularly."""
        task = asyncio.ensure_future(_sample_forever(self.api))
        try:
            await self.app(scope, receive, send)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _sample_forever(api: FastAPI) -> None:
    while True:
        try:
            sampler_for(api).sample()
        except Exception:
            logger.exception("Sampling the lanes, pools and open connections for metrics failed.")
        await asyncio.sleep(SAMPLE_SECONDS)


@dataclass
class Sampler:
    """Copies a process's state into the gauges; counters advance by what changed since last time."""

    api: FastAPI
    seen: dict[str, float] = field(default_factory=dict)

    def advance(self, key: str, total: float, counter: Any) -> None:
        delta = total - self.seen.get(key, 0.0)
        if delta > 0:
            counter.inc(delta)
        self.seen[key] = total

    def sample(self) -> None:
        made = instruments()
        lanes: LanePool | None = getattr(self.api.state, "django_fastapi_lanes", None)
        if lanes is not None:
            made.lanes.labels("in_use").set(lanes.in_use)
            made.lanes.labels("waiting").set(lanes.waiting)
            made.lanes.labels("total").set(lanes.size)
            self.advance("lane_waits", lanes.waits, made.lane_waits)
            self.advance("lane_wait_seconds", lanes.waited, made.lane_wait_seconds)
            self.advance("lanes_refused", lanes.refused, made.lanes_refused)
        lifecycle = _lifecycle(self.api)
        made.open_connections.labels("websocket").set(lifecycle.open_websockets if lifecycle else 0)
        made.open_connections.labels("stream").set(lifecycle.open_streams if lifecycle else 0)
        for alias, stats in pool_stats().items():
            made.pool.labels(alias, "size").set(stats.get("pool_size", 0))
            made.pool.labels(alias, "available").set(stats.get("pool_available", 0))
            made.pool.labels(alias, "waiting").set(stats.get("requests_waiting", 0))
            self.advance(f"pool_waits:{alias}", stats.get("requests_queued", 0), made.pool_waits.labels(alias))
            self.advance(
                f"pool_wait:{alias}", stats.get("requests_wait_ms", 0) / 1000, made.pool_wait_seconds.labels(alias)
            )


def sampler_for(api: FastAPI) -> Sampler:
    sampler = getattr(api.state, "django_fastapi_sampler", None)
    if sampler is None:
        sampler = api.state.django_fastapi_sampler = Sampler(api)
    return sampler


def _lifecycle(api: FastAPI) -> RequestLifecycleMiddleware | None:
    """The app's lifecycle middleware, which counts open websockets and streams (built on first use)."""
    layer: Any = api.middleware_stack
    while layer is not None:
        if isinstance(layer, RequestLifecycleMiddleware):
            return layer
        layer = getattr(layer, "app", None)
    return None


def pool_stats() -> dict[str, dict[str, int]]:
    """psycopg_pool's ``get_stats()`` of each alias with ``OPTIONS["pool"]`` whose pool exists."""
    stats = {}
    for alias in connections:
        if connections.settings[alias].get("OPTIONS", {}).get("pool"):
            pool = getattr(connections[alias], "pool", None)
            if pool is not None:
                stats[alias] = pool.get_stats()
    return stats


def multiprocess_directory() -> str | None:
    return os.environ.get(MULTIPROC_ENVIRON) or None


def exposition(api: FastAPI) -> bytes:
    """The text format of every metric: this process's, or with several workers all of theirs."""
    sampler_for(api).sample()
    directory = multiprocess_directory()
    if directory is None:
        return generate_latest(REGISTRY)
    _forget_ended_workers(directory)
    registry = CollectorRegistry()
    prometheus_multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def _forget_ended_workers(directory: str) -> None:
    for name in os.listdir(directory):
        match = _LIVE_FILE.match(name)
        if match and not _alive(int(match.group(1))):
            prometheus_multiprocess.mark_process_dead(int(match.group(1)), directory)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def add_metrics(app: FastAPI) -> None:
    """The metrics route, under the API prefix, guarded as FASTAPI_METRICS_ACCESS says."""
    url = api_settings.METRICS_URL
    if url is None:
        return
    instruments()
    router = APIRouter(include_in_schema=False, dependencies=guard(api_settings.METRICS_ACCESS))
    router.add_api_route(url, metrics, methods=["GET"], name="metrics")
    app.include_router(router, prefix=api_settings.API_PREFIX)


async def metrics(request: Request) -> Response:
    mark_quiet()
    return Response(exposition(request.app), media_type=CONTENT_TYPE_LATEST)
