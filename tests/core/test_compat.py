"""The other libraries' internals the bridge relies on, each in its compat module.

Each test names the installed version when it fails, so an upgrade that changes one is seen at once.
"""

from __future__ import annotations

import asyncio
import platform
from importlib.metadata import version

from asgiref.sync import async_to_sync

from django_fastapi.core.compat_asgiref import outer_sync_executor
from django_fastapi.core.compat_asyncio import as_if_sync


def test_asgiref_exposes_the_executor_of_an_enclosing_async_to_sync():
    async def inside() -> object:
        return outer_sync_executor()

    assert async_to_sync(inside)() is not None, f"asgiref {version('asgiref')}: AsyncToSync.executors changed"


def test_asgiref_reports_no_enclosing_executor_in_a_plain_event_loop():
    async def inside() -> object:
        return outer_sync_executor()

    assert asyncio.run(inside()) is None, f"asgiref {version('asgiref')}: AsyncToSync.executors changed"


def test_asyncio_running_loop_can_be_hidden_and_restored():
    async def inside() -> tuple[object, object]:
        hidden = as_if_sync(asyncio._get_running_loop)
        return hidden, asyncio.get_running_loop()

    hidden, after = asyncio.run(inside())
    message = f"Python {platform.python_version()}: asyncio._set_running_loop changed"
    assert hidden is None, message
    assert after is not None, message
