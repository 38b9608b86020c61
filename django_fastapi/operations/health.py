"""``GET /api/health`` (liveness) and ``GET /api/ready`` (readiness), on by default.

Liveness touches nothing: the process answers. Readiness runs its checks through the request
cycle, each database's and the cache's on a lane as any sync work, within ``FASTAPI_READY_TIMEOUT``:

    {"status": "ok", "checks": {"lanes": "ok", "database:default": "ok", "cache": "ok", "migrations": "ok"}}

A failing check makes it a 503 naming the check (``"failing"``, ``"timeout"`` or ``"skipped"``); only
under ``DEBUG`` does the answer say why (``"errors"``). Neither is throttled or authenticated, both
are left out of the OpenAPI document unless ``FASTAPI_HEALTH_IN_SCHEMA``, and their successes are
logged at DEBUG, not INFO.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from ..conf import api_settings
from ..core.lanes import LanePool
from .context import mark_quiet

OK, FAILING, TIMEOUT, SKIPPED = "ok", "failing", "timeout", "skipped"
CACHE_KEY = "django_fastapi:ready"


def add_health(app: FastAPI) -> None:
    """Add the liveness and readiness routes the settings ask for, under the API prefix."""
    router = APIRouter(include_in_schema=api_settings.HEALTH_IN_SCHEMA, tags=["operations"])
    if api_settings.HEALTH_URL:
        router.add_api_route(api_settings.HEALTH_URL, health, methods=["GET"], name="health")
    if api_settings.READY_URL:
        router.add_api_route(api_settings.READY_URL, ready, methods=["GET"], name="ready")
    if router.routes:
        app.include_router(router, prefix=api_settings.API_PREFIX)


async def health() -> dict[str, str]:
    """Liveness: the process serves requests."""
    mark_quiet()
    return {"status": OK}


async def ready(request: Request) -> JSONResponse:
    """Readiness: databases, cache, migrations and lanes, each named with its state."""
    mark_quiet()
    checks: dict[str, str] = {}
    errors: dict[str, str] = {}
    lanes: LanePool | None = getattr(request.app.state, "django_fastapi_lanes", None)
    exhausted = lanes is not None and lanes.in_use >= lanes.size and lanes.waiting > 0
    checks["lanes"] = FAILING if exhausted else OK
    deadline = time.monotonic() + api_settings.READY_TIMEOUT
    steps: list[tuple[str, Any, tuple[Any, ...]]] = [
        *((f"database:{alias}", _ping_database, (alias,)) for alias in connections),
        ("cache", _ping_cache, ()),
        ("migrations", _migrations_applied, (request.app,)),
    ]
    for name, check, args in steps:
        remaining = deadline - time.monotonic()
        if exhausted or remaining <= 0:
            # A stuck check still holds the request's lane: the others would only queue behind it.
            checks[name] = TIMEOUT if remaining <= 0 else SKIPPED
            continue
        try:
            await asyncio.wait_for(sync_to_async(check, thread_sensitive=True)(*args), remaining)
        except TimeoutError:
            checks[name] = TIMEOUT
            deadline = 0.0
        except Exception as exc:
            checks[name] = FAILING
            errors[name] = f"{type(exc).__name__}: {exc}"
        else:
            checks[name] = OK
    healthy = all(state == OK for state in checks.values())
    body: dict[str, Any] = {"status": OK if healthy else "unavailable", "checks": checks}
    if errors and settings.DEBUG:
        body["errors"] = errors
    return JSONResponse(body, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})


def _ping_database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _ping_cache() -> None:
    caches[DEFAULT_CACHE_ALIAS].get(CACHE_KEY)


def _migrations_applied(app: FastAPI) -> None:
    # Once applied they stay so for this process's code: the migration graph is read once.
    if getattr(app.state, "django_fastapi_migrated", False):
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} unapplied migration(s), e.g. {plan[0][0]}")
    app.state.django_fastapi_migrated = True
