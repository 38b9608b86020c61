"""A bounded pool of long-lived worker threads ("lanes"), one lent to each request.

Django keeps a database connection per thread. FastAPI would run a request's sync code on any of
anyio's worker threads, so no one could close or recycle the connections it opened. Instead each
request borrows one lane for its whole duration: its sync endpoint, sync dependencies and the async
ORM's ``sync_to_async`` calls all run on that lane's single thread, so ``request_finished`` (sent
on the same thread) manages exactly the connections the request used. The threads live as long as
the process, so no thread is created per request and the connections stay bounded by the lane count.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from asgiref.sync import AsyncToSync, SyncToAsync, ThreadSensitiveContext

logger = logging.getLogger("django_fastapi")


class Lane(ThreadPoolExecutor):
    """One long-lived thread; runs its jobs one at a time, in the order they are given.

    ``defer(job)`` queues a job without waking the thread: it runs just before the next submitted
    job, in the same wake-up. Waking a sleeping thread is the dearest part of a hand-off, and a
    request's ``request_started`` can always ride along with its first real job, its
    ``request_finished`` with the next request's (``LanePool`` flushes a lane left idle).
    """

    def __init__(self, name: str) -> None:
        super().__init__(max_workers=1, thread_name_prefix=name)
        self._deferred: list[Callable[[], Any]] = []
        # Event loops of a live server thread and of a test may touch one lane in turn.
        self._deferred_lock = threading.Lock()
        self._flush_pending: tuple[asyncio.AbstractEventLoop, asyncio.TimerHandle] | None = None

    def defer(self, job: Callable[[], Any]) -> None:
        with self._deferred_lock:
            self._deferred.append(job)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        with self._deferred_lock:
            deferred, self._deferred = self._deferred, []
        if deferred:
            return super().submit(_run_after, deferred, fn, args, kwargs)
        return super().submit(fn, *args, **kwargs)

    def flush(self) -> None:
        """Run the deferred jobs now, if any are left."""
        self._flush_pending = None
        if self._deferred:
            self.submit(_nothing)

    def flush_later(self, loop: asyncio.AbstractEventLoop) -> None:
        """Flush after IDLE_FLUSH_SECONDS unless a job takes the deferred ones along first.

        One timer per lane at a time: under load the next request's first job carries them, and a
        timer per request would cost more than the signals themselves.
        """
        pending = self._flush_pending
        # A timer of another loop (a live server's thread, then a test's) may never fire.
        if pending is None or pending[0] is not loop or pending[1].cancelled():
            self._flush_pending = (loop, loop.call_later(IDLE_FLUSH_SECONDS, self.flush))


def _nothing() -> None:
    pass


def _run_after(deferred: list[Callable[[], Any]], fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    for job in deferred:
        try:
            job()
        except Exception as exc:
            logger.error("A deferred job on a request thread raised %r", exc, exc_info=exc)
    return fn(*args, **kwargs)


class LaneContext:
    """Send the thread-sensitive ``sync_to_async`` calls made inside it to ``lane``.

    It does what ``ThreadSensitiveContext(executor=lane)`` does, through the same asgiref state,
    at a fraction of its cost per request: it hides an enclosing ``async_to_sync`` executor (when
    there is one) and marks itself exited at the end, so a task that outlives its request gets
    asgiref's error instead of running on a lane that now serves another request.
    """

    __slots__ = ("_key", "_outer", "_token")

    def __init__(self, lane: Lane) -> None:
        self._key = ThreadSensitiveContext(executor=lane)
        SyncToAsync.context_to_thread_executor[self._key] = lane

    def __enter__(self) -> None:
        self._token = SyncToAsync.thread_sensitive_context.set(self._key)
        self._outer = getattr(AsyncToSync.executors, "current", None)
        if self._outer is not None:
            AsyncToSync.executors.current = None

    def __exit__(self, *exc_info: object) -> None:
        SyncToAsync.thread_sensitive_context.reset(self._token)
        if self._outer is not None:
            AsyncToSync.executors.current = self._outer
        self._key._exited = True


# How long after a request ends its deferred jobs (request_finished, which closes its connections
# under CONN_MAX_AGE = 0) may wait for the lane's next job before they run on their own.
IDLE_FLUSH_SECONDS = 0.02


class LanePool:
    def __init__(self, size: int, name: str = "django_fastapi-lane") -> None:
        self.size = size
        self.lanes = [Lane(f"{name}-{index}") for index in range(size)]
        self._free: deque[Lane] = deque(self.lanes)
        self._waiters: deque[asyncio.Future[Lane]] = deque()
        # A live-server thread and a test's own event loop may share the pool.
        self._lock = threading.Lock()

    def try_acquire(self) -> Lane | None:
        """A free lane, the most recently used first (its thread and connection are warm)."""
        with self._lock:
            return self._free.pop() if self._free else None

    async def acquire(self) -> Lane:
        with self._lock:
            if self._free:
                return self._free.pop()
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                    raise
            # Cancelled after a lane was handed over: pass it on.
            if not waiter.cancelled():
                self.release(waiter.result())
            raise

    def release(self, lane: Lane) -> None:
        running = asyncio._get_running_loop()
        if lane._deferred:
            if running is None:
                lane.flush()
            else:
                lane.flush_later(running)
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if waiter.done():
                    continue
                loop = waiter.get_loop()
                if loop is running:
                    # Same loop, same thread: no self-pipe write and no extra loop iteration.
                    waiter.set_result(lane)
                    return
                if loop.is_closed():
                    continue
                loop.call_soon_threadsafe(_hand_over, waiter, lane, self)
                return
            self._free.append(lane)

    def run_on_each(self, func) -> None:
        """Run ``func()`` once on every lane's thread and wait (used at shutdown)."""
        for future in [lane.submit(func) for lane in self.lanes]:
            future.result()

    def shutdown(self) -> None:
        for lane in self.lanes:
            lane.shutdown(wait=True)


def _hand_over(waiter: asyncio.Future, lane: Lane, pool: LanePool) -> None:
    if waiter.done():
        pool.release(lane)
    else:
        waiter.set_result(lane)
