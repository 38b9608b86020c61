"""asyncio's low-level ``_get_running_loop`` / ``_set_running_loop``, in one place.

They are in ``asyncio.events.__all__`` for event loop implementations (uvloop uses them) but not
in the documentation. ``tests/test_compat.py`` fails naming the Python version if they change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def as_if_sync(func: Callable[[], T]) -> T:
    """Call ``func`` on this thread as sync code would see it: with no running event loop.

    Django keeps a thread's connections apart for sync and async code (asgiref's thread-critical
    ``Local``); this reaches the sync ones from a coroutine running on the same thread.
    """
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        return func()
    finally:
        asyncio._set_running_loop(loop)
