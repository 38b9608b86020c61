"""A memory ceiling per worker process: ``runfastapi --max-rss MiB`` (``DJANGO_FASTAPI_MAX_RSS``).

Each worker checks its resident memory every ``CHECK_SECONDS``; above the ceiling it sends itself
SIGTERM, the server's graceful stop: in-flight requests finish, then the worker exits and, with
several workers, is replaced (with one, the process ends for a process manager to restart it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
import sys

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_RSS_ENVIRON = "DJANGO_FASTAPI_MAX_RSS"
CHECK_SECONDS = 1.0
logger = logging.getLogger("django_fastapi")


def max_rss_from_environ() -> int | None:
    """The ceiling in MiB that runfastapi passed to its workers, or None."""
    value = os.environ.get(MAX_RSS_ENVIRON, "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def resident_mib() -> float:
    """This process's resident memory now (Linux), else its peak."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 1024


class MemoryCeilingMiddleware:
    """Watches the worker's memory for as long as its lifespan lasts."""

    def __init__(self, app: ASGIApp, max_rss: int) -> None:
        self.app = app
        self.max_rss = max_rss

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        task = asyncio.ensure_future(self.watch())
        try:
            await self.app(scope, receive, send)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def watch(self) -> None:
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            rss = resident_mib()
            if rss > self.max_rss:
                logger.warning(
                    "Worker %s uses %.0f MiB, over --max-rss %s MiB: it stops after its in-flight requests.",
                    os.getpid(), rss, self.max_rss,
                )
                os.kill(os.getpid(), signal.SIGTERM)
                return
