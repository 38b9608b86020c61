"""A bounded pool of long-lived worker threads ("lanes") that run requests' sync work.

Django keeps a database connection per thread. FastAPI would run a request's sync code on any of
anyio's worker threads, so no one could close or recycle the connections it opened. Instead every
piece of sync work (a sync endpoint or dependency, a step of a sync generator, a sync background
task, an async-ORM ``sync_to_async`` call) is a *job* that borrows a lane for as long as it runs.
Between jobs a request holds no lane, so an ``async def`` endpoint awaiting the network, a queue or
a slow client costs no thread; the connections stay bounded by the lane count because they live on
the lanes' threads, which live as long as the process.

Two rules keep Django's connection handling right:

- a request's jobs run one at a time, in the order given (``RequestLanes``), as asgiref's
  thread-sensitive mode promises;
- a job that leaves a connection inside a transaction (``atomic()``, ``ATOMIC_REQUESTS``,
  autocommit off) keeps its lane: the request's next jobs run there, and no other request's, until
  the transaction ends. So no request ever runs on a connection inside another's transaction.

Work no one waits for (``request_finished`` and the connection clean-up of a finished request) is
*deferred* on a lane: it runs when that lane next changes hands, before or after another request's
job, never inside one of its transactions; a lane left idle runs it after ``IDLE_FLUSH_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future
from queue import SimpleQueue
from typing import Any

from django.db import close_old_connections, connections

from .compat_django import has_connection

logger = logging.getLogger("django_fastapi")

# How long after a request ends its deferred jobs (request_finished, which closes its connections
# under CONN_MAX_AGE = 0) may wait for the lane's next job before they run on their own.
IDLE_FLUSH_SECONDS = 0.02


class LanesBusy(Exception):
    """No lane became free for a job within ``FASTAPI_THREAD_TIMEOUT`` seconds."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"No worker thread became free within {timeout}s.")
        self.timeout = timeout


class _Job:
    __slots__ = ("future", "fn", "args", "kwargs", "owner", "deadline", "queued", "starved")

    def __init__(self, owner: RequestLanes | None, fn: Callable[..., Any], args: Any, kwargs: Any) -> None:
        self.future: Future[Any] = Future()
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.owner = owner
        self.deadline = self.queued = 0.0
        self.starved = False  # queued with no lane free (not only behind a lane being woken)


_STOP = object()
_DEFERRED: Any = object()


def in_transaction() -> bool:
    """Whether one of this thread's connections is inside a transaction."""
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block or (connection.connection is not None and not connection.autocommit):
            return True
    return False


def end_transactions() -> None:
    """Roll back what a request left open on this thread (it ended inside a transaction)."""
    for alias in list(connections):
        if not has_connection(alias):
            continue
        connection = connections[alias]
        if connection.in_atomic_block:
            logger.error(
                "A request ended inside a transaction on database %r; its connection was closed, "
                "which rolls the transaction back.", alias,
            )
            connection.close()
            del connections[alias]
        elif connection.connection is not None and not connection.autocommit:
            logger.error("A request ended with autocommit off on database %r; rolled back.", alias)
            connection.rollback()
            connection.set_autocommit(True)


def _run_all(jobs: list[Callable[[], Any]]) -> None:
    for job in jobs:
        try:
            job()
        except Exception as exc:
            logger.error("A deferred job on a request thread raised %r", exc, exc_info=exc)


def _work(queue: SimpleQueue, lane_ref: weakref.ref[Lane]) -> None:
    while True:
        item = queue.get()
        if item is _STOP:
            return
        lane = lane_ref()
        if lane is None:
            return
        lane._hold(item)
        del lane


class Lane:
    """One long-lived thread, started on first use, that runs the jobs given to it in order."""

    def __init__(self, pool: LanePool, name: str) -> None:
        self.pool = pool
        self.name = name
        self.deferred: list[Callable[[], Any]] = []
        self.holder: RequestLanes | _Flushing | None = None
        self.kept = False  # its holder is inside a transaction: its next job continues the hold
        self.starting = False  # woken with a job, and not yet running (see LanePool._submit)
        self._queue: SimpleQueue = SimpleQueue()
        self._thread: threading.Thread | None = None
        self._flush: tuple[asyncio.AbstractEventLoop, asyncio.TimerHandle] | None = None

    def put(self, item: _Job | None) -> None:
        if self._thread is None:
            queue = self._queue
            # The thread holds the lane weakly, so a pool no one uses any more lets it end.
            self._thread = threading.Thread(
                target=_work, args=(queue, weakref.ref(self, lambda _: queue.put(_STOP))),
                name=self.name, daemon=True,
            )
            self._thread.start()
        self._queue.put(item)

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def _hold(self, job: _Job | None) -> None:
        """Run ``job`` (None: only deferred work), its owner's next jobs, then anyone's waiting."""
        pool = self.pool
        if self.starting:
            pool._started(self)
        if job is not None and job.owner is None:
            self._run(job)  # run_on_each: outside the pool's bookkeeping
            return
        if self.kept:
            self.kept = False
        else:
            # A hold begins: first what earlier requests deferred to this lane.
            _run_all(self._take_deferred())
        while True:
            if job is not None:
                owner = job.owner
                assert owner is not None  # jobs without an owner returned above
                self._run(job)
                job = pool._after_job(self, owner)
                if job is not None:
                    continue
                if self.kept:
                    pool._wake_for_waiting()
                    return  # the owner keeps the lane: its transaction is open
            job = pool._next_or_free(self)
            if job is None:
                return
            if job is _DEFERRED:
                _run_all(self._take_deferred())
                job = None

    def _run(self, job: _Job) -> None:
        owner = job.owner
        if owner is not None and owner.on_start is not None:
            # Under the lock: a request ending meanwhile (cancelled) would defer it otherwise.
            with self.pool._lock:
                on_start, owner.on_start = owner.on_start, None
            if on_start is not None:
                on_start()
        if not job.future.set_running_or_notify_cancel():
            return
        try:
            result = job.fn(*job.args, **job.kwargs)
        except BaseException as exc:
            job.future.set_exception(exc)
        else:
            job.future.set_result(result)

    def _take_deferred(self) -> list[Callable[[], Any]]:
        with self.pool._lock:
            jobs, self.deferred = self.deferred, []
        return jobs

    def flush_later(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the deferred jobs after IDLE_FLUSH_SECONDS unless another job takes them first.

        One timer per lane at a time: under load the next job carries them, and a timer per
        request would cost more than the signals themselves.
        """
        pending = self._flush
        # A timer of another loop (a live server's thread, then a test's) may never fire.
        if pending is None or pending[0] is not loop or pending[1].cancelled() or loop.is_closed():
            self._flush = (loop, loop.call_later(IDLE_FLUSH_SECONDS, self._flush_now))

    def _flush_now(self) -> None:
        self._flush = None
        self.pool._flush(self)


class RequestLanes(Executor):
    """The executor of one request's sync work: each job on a lane, one job at a time.

    asgiref's thread-sensitive ``sync_to_async`` calls made during the request come here (see
    ``compat_asgiref.route_sync_calls``). ``on_start`` (request_started) runs on the lane of the
    request's first job, just before it.
    """

    def __init__(self, pool: LanePool, on_start: Callable[[], Any] | None = None) -> None:
        self.pool = pool
        self.on_start = on_start
        self.lane: Lane | None = None  # the lane running, or keeping, the request's work
        self.busy = False  # a job of the request is running or waiting for a lane
        self.backlog: deque[_Job] = deque()
        self.used: list[Lane] = []
        self.ended = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        job = _Job(self, fn, args, kwargs)
        self.pool._submit(job)
        return job.future

    def finish(self, *deferred: Callable[[], Any]) -> None:
        """The request is over: ``deferred`` (request_finished) runs on the last lane it used.

        Every other lane it used gets ``close_old_connections``; a request that ran no sync work
        has ``on_start`` and ``deferred`` run together on any lane. A request that ends inside a
        transaction (cancelled) has it rolled back first.
        """
        self.pool._finish(self, list(deferred))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


class LanePool:
    def __init__(
        self, size: int, name: str = "django_fastapi-lane", timeout: Callable[[], float | None] | None = None
    ) -> None:
        self.size = size
        self.lanes = [Lane(self, f"{name}-{index}") for index in range(size)]
        self._free: list[Lane] = list(reversed(self.lanes))  # a stack: warm threads first
        self._waiting: deque[_Job] = deque()
        # Lanes woken with a job that have not begun it yet (they wait for the GIL). While one
        # is, new jobs queue in _waiting instead of waking more lanes: the lane takes them after
        # its own, as asgiref's single thread takes its queue, instead of each job costing a
        # thread wake-up and two switches. A lane that begins passes one waiting job on to a
        # free lane, so a long or blocking job never holds up the others.
        self._starting = 0
        self._timeout = timeout or (lambda: 30.0)  # None: wait as long as it takes
        self._expiry: tuple[asyncio.AbstractEventLoop, asyncio.TimerHandle] | None = None
        # Event loops of a live server's thread and of a test may share the pool.
        self._lock = threading.Lock()
        self.peak_in_use = 0
        # Read by metrics: jobs that waited for a lane because none was free, their total wait,
        # and those refused (503).
        self.waits = 0
        self.waited = 0.0
        self.refused = 0

    @property
    def in_use(self) -> int:
        return self.size - len(self._free)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def _assign(self, lane: Lane, owner: RequestLanes | None) -> None:
        lane.holder = owner
        if owner is not None:
            owner.lane = lane
            if lane not in owner.used:
                owner.used.append(lane)
        in_use = self.size - len(self._free)
        if in_use > self.peak_in_use:
            self.peak_in_use = in_use

    # Called on an event loop's thread.

    def _submit(self, job: _Job) -> None:
        owner = job.owner
        assert owner is not None
        with self._lock:
            if owner.busy:
                owner.backlog.append(job)
                return
            owner.busy = True
            lane = owner.lane
            if lane is None and self._free and not self._starting:
                lane = self._free.pop()
                self._assign(lane, owner)
                lane.starting = True
                self._starting += 1
            elif lane is None:
                timeout = self._timeout()
                job.queued = time.monotonic()
                job.starved = not self._free
                job.deadline = math.inf if timeout is None else job.queued + timeout
                self._waiting.append(job)
        if lane is None:
            if job.deadline != math.inf:
                self._expire_later()
        else:
            lane.put(job)

    def _finish(self, owner: RequestLanes, deferred: list[Callable[[], Any]]) -> None:
        loop = asyncio.get_running_loop()
        cleanup: Lane | None = None
        idle = []
        with self._lock:
            owner.ended = True
            for job in owner.backlog:
                job.future.cancel()
            owner.backlog.clear()
            if owner.on_start is not None:
                # No sync work ran: the signals go together, to any lane.
                deferred = [owner.on_start, *deferred]
                owner.on_start = None
            if owner.lane is not None and not owner.busy:
                # Kept for a transaction the request will not end now: roll it back first.
                cleanup = owner.lane
                owner.busy = True
            last = owner.lane or (owner.used[-1] if owner.used else None)
            if last is None:
                last = self._free[-1] if self._free else self.lanes[0]
            targets: list[tuple[Lane, list[Callable[[], Any]]]] = [
                (lane, [close_old_connections]) for lane in owner.used if lane is not last
            ]
            targets.append((last, deferred))
            for lane, jobs in targets:
                lane.deferred.extend(jobs)
                if lane.holder is None:
                    idle.append(lane)
        if cleanup is not None:
            cleanup.put(_Job(owner, end_transactions, (), {}))
        for lane in idle:
            lane.flush_later(loop)

    def _flush(self, lane: Lane) -> None:
        with self._lock:
            if not lane.deferred or lane.holder is not None or lane not in self._free:
                return
            self._free.remove(lane)
            self._assign(lane, None)
            lane.holder = _FLUSHING
        lane.put(None)

    def _expire_later(self) -> None:
        loop = asyncio.get_running_loop()
        pending = self._expiry
        if pending is not None and pending[0] is loop and not pending[1].cancelled():
            return
        with self._lock:
            if not self._waiting:
                return
            delay = self._waiting[0].deadline - time.monotonic()
        if delay == math.inf:
            return
        self._expiry = (loop, loop.call_later(max(delay, 0.0), self._expire))

    def _expire(self) -> None:
        self._expiry = None
        now = time.monotonic()
        expired: list[_Job] = []
        with self._lock:
            while self._waiting and self._waiting[0].deadline <= now:
                job = self._waiting.popleft()
                if job.future.done():
                    continue
                expired.append(job)
                self.refused += 1
                owner = job.owner
                if owner is not None:
                    owner.busy = False
                    expired.extend(owner.backlog)
                    owner.backlog.clear()
            more = bool(self._waiting)
        timeout = self._timeout() or 0.0
        for job in expired:
            if not job.future.done():
                job.future.set_exception(LanesBusy(timeout))
        if more:
            self._expire_later()

    # Called on a lane's thread.

    def _started(self, lane: Lane) -> None:
        """``lane`` begins the job it was woken for: hand one waiting job to a free lane."""
        with self._lock:
            lane.starting = False
            self._starting -= 1
        self._wake_for_waiting()

    def _wake_for_waiting(self) -> None:
        """Unless a lane is being woken already, the first waiting job goes to a free lane (also
        when a lane stops taking waiting jobs, kept for a transaction)."""
        with self._lock:
            if self._starting or not self._free:
                return
            job = self._pop_waiting()
            if job is None:
                return
            lane = self._free.pop()
            self._assign(lane, job.owner)
            lane.starting = True
            self._starting += 1
        lane.put(job)

    def _pop_waiting(self) -> _Job | None:
        """Under the lock: the first waiting job not cancelled meanwhile, counted as a wait."""
        while self._waiting:
            job = self._waiting.popleft()
            owner = job.owner
            if job.future.done():  # cancelled while it waited
                if owner is not None:
                    if owner.backlog and not owner.ended:
                        self._waiting.appendleft(owner.backlog.popleft())
                    else:
                        owner.busy = False
                continue
            if job.starved:
                self.waits += 1
                self.waited += time.monotonic() - job.queued
            return job
        return None

    def _after_job(self, lane: Lane, owner: RequestLanes) -> _Job | None:
        """The owner's next job on ``lane``; None when the owner keeps the lane or lets it go."""
        keep = in_transaction()
        with self._lock:
            if owner.backlog:
                return owner.backlog.popleft()
            if keep and owner.ended:
                return _Job(owner, end_transactions, (), {})
            owner.busy = False
            if keep:
                lane.kept = True
                return None
            owner.lane = None
            lane.holder = None
        return None

    def _next_or_free(self, lane: Lane) -> Any:
        """The next waiting job, ``_DEFERRED`` when deferred work arrived, or None: lane freed."""
        with self._lock:
            if lane.deferred:
                return _DEFERRED
            job = self._pop_waiting()
            if job is not None:
                self._assign(lane, job.owner)
                return job
            lane.holder = None
            self._free.append(lane)
        return None

    def run_on_each(self, func: Callable[[], Any]) -> None:
        """Run ``func()`` once on every lane's thread and wait (used at shutdown)."""
        futures = []
        for lane in self.lanes:
            if lane._thread is None:
                continue
            job = _Job(None, func, (), {})
            lane.put(job)
            futures.append(job.future)
        for future in futures:
            future.result()

    def shutdown(self) -> None:
        for lane in self.lanes:
            lane.stop()


class _Flushing:
    """The holder of a lane that runs only deferred jobs."""


_FLUSHING: Any = _Flushing()


