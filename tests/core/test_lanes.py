"""The lane pool on its own: which lane runs which job, shown by the jobs themselves, not by time."""

from __future__ import annotations

import asyncio
import sys
import threading

import pytest

from django_fastapi.core.lanes import LanePool, RequestLanes

pytestmark = pytest.mark.asyncio


@pytest.fixture
def pool():
    pool = LanePool(2, name="test-lane")
    yield pool
    pool.shutdown()


async def run(request: RequestLanes, fn):
    try:
        return await asyncio.wrap_future(request.submit(fn))
    finally:
        request.finish()


async def test_job_queued_behind_a_starting_lane_runs_beside_its_blocking_job(pool):
    """The second job is submitted while the first lane has not begun yet, so it queues; when the
    first lane begins it hands the queued job to the free lane: the first job, which blocks until
    the second has run, is released (it would time out if the second waited behind it)."""
    second_ran = threading.Event()

    def first() -> tuple[bool, str]:
        return second_ran.wait(5), threading.current_thread().name

    def second() -> str:
        second_ran.set()
        return threading.current_thread().name

    (released, first_lane), second_lane = await asyncio.gather(
        run(RequestLanes(pool), first), run(RequestLanes(pool), second)
    )
    assert released
    assert first_lane != second_lane
    assert {first_lane, second_lane} == {"test-lane-0", "test-lane-1"}


async def test_jobs_queued_behind_a_starting_lane_all_run(pool):
    """Many jobs submitted at once (one event-loop step, so the first lane cannot begin between
    them) each run exactly once, on the pool's lanes."""
    names = await asyncio.gather(
        *(run(RequestLanes(pool), lambda: threading.current_thread().name) for _ in range(50))
    )
    assert len(names) == 50
    assert set(names) <= {"test-lane-0", "test-lane-1"}


async def test_job_queued_while_every_lane_is_busy_counts_as_a_wait():
    pool = LanePool(1, name="test-lane")
    try:
        running, release = threading.Event(), threading.Event()

        def first() -> None:
            running.set()
            release.wait(5)

        first_done = asyncio.ensure_future(run(RequestLanes(pool), first))
        await asyncio.get_running_loop().run_in_executor(None, running.wait, 5)
        second_done = asyncio.ensure_future(run(RequestLanes(pool), lambda: None))
        await asyncio.sleep(0.05)  # queued behind the busy lane
        release.set()
        await asyncio.gather(first_done, second_done)
        assert pool.waits == 1
    finally:
        pool.shutdown()


async def test_jobs_queued_behind_a_lane_being_woken_are_not_counted_as_waits(pool):
    """Lane waits (the metric) mean every lane was busy, not the queueing that batches jobs."""
    interval = sys.getswitchinterval()
    # All twenty are submitted in one step of the loop; no forced GIL switch may start a lane
    # (which would hand the second lane a job, and leave none free) in the middle of it.
    sys.setswitchinterval(1.0)
    try:
        await asyncio.gather(*(run(RequestLanes(pool), lambda: None) for _ in range(20)))
    finally:
        sys.setswitchinterval(interval)
    assert pool.waits == 0
