"""Concurrency of the request cycle: the bridge against the hand-glued FastAPI app, side by side.

Three scenarios, each served by a fresh ``uvicorn --workers 1`` process per round (pinned to core 0
when ``taskset`` exists, the clients on core 1), the two apps in alternating rounds:

* ``wait``: N requests at once to an ``async def`` endpoint that awaits 1 s, half of them with an
  ORM query before and after the wait. Wall time for all of them, how many were in flight at
  once (the endpoint counts), the server's OS threads and PostgreSQL connections at their peak.
* ``sse``: N server-sent event streams at once (an async generator yielding every 0.5 s, 2 events).
* ``trickle``: the p99 latency of ordinary requests (the seed endpoint, 8 at a time) with and
  without 64 clients that send a request body to a sync endpoint one byte every second.

    python bench/concurrency.py                          # SQLite, 1000 requests, 2 rounds
    python bench/concurrency.py --db pg-pool --requests 500 --rounds 3

It prints a row per round and, per scenario, the medians and the bridge / hand-glued ratio.
The clients are raw asyncio sockets (``Connection: close``), cheap enough not to be the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from targets import (  # noqa: E402
    APPS,
    GRANIAN,
    PgCounter,
    Server,
    Site,
    db_configs,
    pg_unreachable,
    recreate_pg_database,
)

SEED = "/api/benchmark/permissions"
WAIT = "/api/benchmark/wait?seconds=1"
EVENTS = "/api/benchmark/events?count=2&interval=0.5"
ECHO = "/api/benchmark/echo"


async def fetch(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    """One GET on a fresh connection; the status and the whole body (streams read to the end)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data.partition(b"\r\n\r\n")[2]


async def many(port: int, paths: list[str], timeout: float) -> tuple[float, list[int], list[bytes]]:
    started = time.monotonic()
    results = await asyncio.gather(*(fetch(port, path, timeout) for path in paths), return_exceptions=True)
    wall = time.monotonic() - started
    statuses = [result[0] if isinstance(result, tuple) else 0 for result in results]
    bodies = [result[1] if isinstance(result, tuple) else b"" for result in results]
    return wall, statuses, bodies


async def trickler(port: int, stop: asyncio.Event) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST {ECHO} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 100000\r\n\r\n".encode()
    )
    try:
        while not stop.is_set():
            writer.write(b" ")
            await writer.drain()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
    except OSError:
        pass
    finally:
        writer.close()


async def latencies(port: int, seconds: float, concurrency: int = 8) -> list[float]:
    found: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            status, _ = await fetch(port, SEED, 60)
            found.append(time.monotonic() - started if status == 200 else float("inf"))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return found


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


async def trickle_scenario(port: int, seconds: float, clients: int) -> tuple[float, float, int]:
    quiet = await latencies(port, seconds)
    stop = asyncio.Event()
    tasks = [asyncio.ensure_future(trickler(port, stop)) for _ in range(clients)]
    await asyncio.sleep(1.0)
    loud = await latencies(port, seconds)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    failed = sum(1 for value in quiet + loud if value == float("inf"))
    return p99(quiet), p99(loud), failed


def run_round(site: Site, app: str, env: dict[str, str], args: argparse.Namespace, scenario: str,
              pg: PgCounter | None) -> dict[str, float]:
    pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    server = Server(site, APPS.get(app, app), env, ["taskset", "-c", "0"] if pinned else [])
    if pinned:
        os.sched_setaffinity(0, {1})
    peaks = {"threads": 0, "pg": 0}
    stopping = threading.Event()

    def sample() -> None:
        while not stopping.is_set():
            peaks["threads"] = max(peaks["threads"], server.threads())
            if pg is not None:
                peaks["pg"] = max(peaks["pg"], pg.count() or 0)
            stopping.wait(0.05)

    try:
        server.wait_ready(SEED)
        asyncio.run(many(server.port, [SEED] * 20, 10))  # warm-up
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            if scenario == "wait":
                paths = [WAIT + ("&query=1" if index % 2 else "") for index in range(args.requests)]
                wall, statuses, bodies = asyncio.run(many(server.port, paths, 30))
                import json

                in_flight = max((json.loads(body).get("peak_in_flight", 0)
                                 for status, body in zip(statuses, bodies) if status == 200), default=0)
                row = {"wall_s": wall, "ok": statuses.count(200), "in_flight": in_flight}
                failures = sorted({status for status in statuses if status != 200})
                if failures:
                    row["failed_statuses"] = ",".join(map(str, failures))
            elif scenario == "sse":
                wall, statuses, bodies = asyncio.run(many(server.port, [EVENTS] * args.requests, 30))
                complete = sum(1 for status, body in zip(statuses, bodies) if status == 200 and b"data: 1" in body)
                row = {"wall_s": wall, "ok": complete}
            else:
                quiet, loud, failed = asyncio.run(trickle_scenario(server.port, args.duration, args.tricklers))
                row = {"p99_quiet_ms": quiet, "p99_trickled_ms": loud, "ratio": loud / quiet, "failed": failed}
        finally:
            stopping.set()
            sampler.join()
        row["threads"] = peaks["threads"]
        if pg is not None:
            row["pg_connections"] = peaks["pg"]
        return row
    finally:
        server.stop()
        server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests or streams at once (%(default)s)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per app and scenario (%(default)s)")
    parser.add_argument("--scenarios", default="wait,sse,trickle", help="comma-separated (%(default)s)")
    parser.add_argument("--duration", type=float, default=4, help="trickle: seconds per measurement")
    parser.add_argument("--tricklers", type=int, default=64, help="trickle: slow clients (%(default)s)")
    parser.add_argument("--threads", type=int, default=16, help="FASTAPI_THREADS (%(default)s)")
    parser.add_argument("--granian", action="store_true",
                        help="also the bridge under granian (runfastapi --server granian, one worker)")
    parser.add_argument("--db", default="sqlite", help="sqlite, pg-pool, pg-age0 or pg-age60 (%(default)s)")
    parser.add_argument("--pg-url", default=os.environ.get("DJANGO_FASTAPI_BENCH_PG",
                                                           "postgres://postgres@127.0.0.1:5432/dfb_bench"))
    args = parser.parse_args(argv)
    configs = {config.name: config for config in db_configs(args.pg_url)}
    config = configs[args.db]
    pg = None
    with tempfile.TemporaryDirectory(prefix="dfb-concurrency-") as scratch:
        site = Site(Path(scratch))
        env = {**config.env, "FASTAPI_THREADS": str(args.threads)}
        if config.pg:
            reason = pg_unreachable(args.pg_url)
            if reason:
                print(f"skipped: {reason}")
                return 0
            recreate_pg_database(args.pg_url)
            pg = PgCounter(args.pg_url)
        site.manage("migrate", "--noinput", extra=env)
        apps = [*APPS, GRANIAN] if args.granian else list(APPS)
        print(f"{args.db}, one uvicorn worker{' (and one granian worker)' if args.granian else ''}, FASTAPI_THREADS={args.threads}, {args.requests} at once "
              f"(wait/sse), {args.tricklers} trickling clients (trickle)")
        results: dict[tuple[str, str], list[dict[str, float]]] = {}
        for scenario in args.scenarios.split(","):
            for round_ in range(args.rounds):
                for app in apps:
                    row = run_round(site, app, env, args, scenario, pg)
                    results.setdefault((scenario, app), []).append(row)
                    shown = ", ".join(f"{key}={value:.3g}" if isinstance(value, float) else f"{key}={value}"
                                      for key, value in row.items())
                    print(f"  {scenario:8} round {round_ + 1} {app:14} {shown}", flush=True)
        print("medians (bridge / hand-glued):")
        for scenario in args.scenarios.split(","):
            bridge, glued = results[(scenario, "bridge")], results[(scenario, "hand-glued")]
            key = "wall_s" if scenario != "trickle" else "p99_trickled_ms"
            b = statistics.median(row[key] for row in bridge)
            g = statistics.median(row[key] for row in glued)
            extra = ""
            if scenario == "trickle":
                extra = f"; bridge p99 trickled/quiet {statistics.median(row['ratio'] for row in bridge):.2f}"
            print(f"  {scenario:8} {key} bridge {b:.3g} hand-glued {g:.3g} ratio {b / g:.2f}; "
                  f"threads bridge {max(row['threads'] for row in bridge)} hand-glued "
                  f"{max(row['threads'] for row in glued)}{extra}")
            if args.granian:
                granian = results[(scenario, GRANIAN)]
                n = statistics.median(row[key] for row in granian)
                print(f"  {scenario:8} {key} bridge-granian {n:.3g}, ratio to hand-glued {n / g:.2f}; threads "
                      f"{max(row['threads'] for row in granian)}")
        if pg is not None:
            pg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
