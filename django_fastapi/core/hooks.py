"""The project's start-up and shutdown hooks, run once per worker process by the ASGI lifespan.

    # settings.py
    FASTAPI_ON_STARTUP = ["shop.lifespan.warm_cache"]        # def warm_cache(): ...  or async def
    FASTAPI_ON_SHUTDOWN = ["shop.lifespan.flush_metrics"]

Start-up hooks run in order after the bridge's own start-up; one that raises stops the worker
from serving. Shutdown hooks run in order before the bridge closes its connections; one that
raises is logged and the others still run. Sync hooks run on a thread of their own (async hooks'
ORM calls too), whose database connections are closed once the hooks are done.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from asgiref.sync import ThreadSensitiveContext, iscoroutinefunction, sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.utils.module_loading import import_string

logger = logging.getLogger("django_fastapi")
Hook = Callable[[], Any]
Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


def import_hooks(setting: str, dotted_paths: list[str]) -> list[Hook]:
    """The callables named by ``dotted_paths``; ``ImproperlyConfigured`` naming the bad entry."""
    hooks = []
    for dotted in dotted_paths:
        try:
            hook = import_string(dotted)
        except ImportError as exc:
            raise ImproperlyConfigured(f"{setting} lists {dotted!r}, which could not be imported: {exc}") from exc
        if not callable(hook):
            raise ImproperlyConfigured(
                f"{setting} lists {dotted!r}, which is {type(hook).__name__}, not a function."
            )
        hooks.append(hook)
    return hooks


def with_hooks(lifespan: Lifespan, startup: list[Hook], shutdown: list[Hook]) -> Lifespan:
    """``lifespan`` with the project's hooks run inside it."""

    @asynccontextmanager
    async def lifespan_with_hooks(app: Any) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            await run_hooks(startup, stop_on_error=True)
            try:
                yield state
            finally:
                await run_hooks(shutdown, stop_on_error=False)

    return lifespan_with_hooks


async def run_hooks(hooks: list[Hook], *, stop_on_error: bool) -> None:
    if not hooks:
        return
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="django_fastapi-hooks")
    try:
        async with ThreadSensitiveContext(executor=executor):
            try:
                for hook in hooks:
                    await _run(hook, stop_on_error)
            finally:
                await sync_to_async(connections.close_all, thread_sensitive=True)()
    finally:
        executor.shutdown(wait=False)


async def _run(hook: Hook, stop_on_error: bool) -> None:
    try:
        if iscoroutinefunction(hook):
            await hook()
        else:
            await sync_to_async(hook, thread_sensitive=True)()
    except Exception:
        if stop_on_error:
            raise
        name = f"{getattr(hook, '__module__', '?')}.{getattr(hook, '__qualname__', repr(hook))}"
        logger.exception("Shutdown hook %s failed.", name)
