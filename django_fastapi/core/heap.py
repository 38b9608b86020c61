"""Keep the objects a worker builds at start-up out of the garbage collector's full passes.

After start-up a project holds a few hundred thousand long-lived objects: models, URL patterns,
Pydantic schemas, the route table. CPython's full collections, which run every few thousand
requests, walk all of them each time, and on a small endpoint that is a sixth of the CPU a request
costs. ``gc.freeze()`` once start-up is done moves them to a generation that collections skip, as
the CPython documentation advises for servers. A collection runs first, so no garbage is frozen.
``FASTAPI_GC_FREEZE = False`` turns it off.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from ..conf import api_settings

_frozen = False


def freeze_startup_heap() -> bool:
    """Freeze the objects alive now, once per process; whether it did."""
    global _frozen
    if _frozen or not api_settings.GC_FREEZE:
        return False
    gc.collect()
    gc.freeze()
    _frozen = True
    return True


def freezing_after_startup(
    lifespan: Callable[[Any], AbstractAsyncContextManager[Any]],
) -> Callable[[Any], AbstractAsyncContextManager[Any]]:
    """``lifespan``, then the freeze, once its start-up has run."""

    @asynccontextmanager
    async def lifespan_then_freeze(app: Any) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            freeze_startup_heap()
            yield state

    return lifespan_then_freeze
