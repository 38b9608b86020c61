"""Async twins of sync callables that run on the request's lane (see ``lanes.py``).

``SyncToAsync(thread_sensitive=True)`` sends a call to the thread of the request's lane, or, under
the test client, to the test's own thread.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import anyio
from asgiref.sync import SyncToAsync

from .compat_starlette import run_sync_background_tasks_through


def on_lane(func: Callable[..., Any]) -> SyncToAsync:
    return SyncToAsync(func, thread_sensitive=True)


async def to_the_end_on_lane(func: Callable[..., Any], *args: Any) -> Any:
    """Run ``func`` on the lane even if the request is cancelled meanwhile.

    Entering and leaving a transaction (or a sync generator dependency) are separate calls; if
    cancellation skipped the second, the lane's connection would stay inside the transaction
    for every later request on that lane.
    """
    with anyio.CancelScope(shield=True):
        return await on_lane(func)(*args)


def background_on_lane(*values: Any) -> None:
    """Make the sync background tasks among ``values`` run on the lane, not on anyio's threads."""
    for value in values:
        run_sync_background_tasks_through(value, on_lane)


def pin_sync_generator(call: Callable[..., Any]) -> Callable[..., Any]:
    async def dependency(*args: Any, **kwargs: Any) -> Any:
        manager = contextmanager(call)(*args, **kwargs)
        value = await to_the_end_on_lane(manager.__enter__)
        background_on_lane(*kwargs.values())
        try:
            yield value
        except BaseException as exc:
            if not await to_the_end_on_lane(manager.__exit__, type(exc), exc, exc.__traceback__):
                raise
        else:
            await to_the_end_on_lane(manager.__exit__, None, None, None)

    return dependency


def pin_sync(call: Callable[..., Any]) -> Callable[..., Any]:
    call_on_lane = on_lane(call)

    async def dependency(*args: Any, **kwargs: Any) -> Any:
        result = await call_on_lane(*args, **kwargs)
        background_on_lane(result, *kwargs.values())
        return result

    return dependency


_DONE = object()


def iterate_on_lane(call: Callable[..., Any]) -> Callable[..., Any]:
    """A sync generator endpoint as an async one whose every step runs on the lane.

    FastAPI would iterate it on anyio's threads, where its queries' connections go unmanaged.
    """

    async def endpoint(*args: Any, **kwargs: Any) -> Any:
        iterator = await on_lane(lambda: iter(call(*args, **kwargs)))()
        try:
            while (item := await on_lane(next)(iterator, _DONE)) is not _DONE:
                yield item
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                await to_the_end_on_lane(close)

    return endpoint
