"""Every use of Starlette's undocumented internals, in one place.

- the scope keys its router sets for the matched route (``scope["route"]``, ``scope["endpoint"]``);
- a ``BackgroundTask``'s ``func`` and ``is_async``, rewritten so a sync task runs where the bridge
  wants it (its lane) instead of on anyio's threads; Starlette has no hook for where a sync task
  runs.

``tests/core/test_compat.py`` fails naming the installed Starlette version if any of these change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.background import BackgroundTask, BackgroundTasks
from starlette.responses import Response
from starlette.types import Scope


def scope_route(scope: Scope) -> Any:
    """The route Starlette's router matched for this request (``scope["route"]``), if any."""
    return scope.get("route")


def scope_endpoint(scope: Scope) -> Any:
    """The endpoint of the matched route (``scope["endpoint"]``), if any."""
    return scope.get("endpoint")


def run_sync_background_tasks_through(value: Any, wrap: Callable[[Callable[..., Any]], Any]) -> None:
    """Make each sync background task of ``value`` (a response, ``BackgroundTasks`` or
    ``BackgroundTask``; anything else is ignored) call ``wrap(func)``, awaited, instead of ``func``
    on anyio's threads."""
    background = value.background if isinstance(value, Response) else value
    if isinstance(background, BackgroundTasks):
        tasks = background.tasks
    elif isinstance(background, BackgroundTask):
        tasks = [background]
    else:
        return
    for task in tasks:
        if not task.is_async:
            task.func, task.is_async = wrap(task.func), True
