#!/usr/bin/env python
"""The model router's list endpoint against a hand-written endpoint returning the same page.

Both run in one bridge server (uvicorn, one worker, pinned to core 0; the load generator on core 1)
over the sample site's catalog with extra books, so the only difference is the code behind them:

* model router: ``GET /api/catalog/books`` (ModelRouter: permissions, filters, search, ordering,
  page-number pagination, the generated read schema with the author nested and the tags);
* hand-written: ``GET /api/benchmark/books`` (the same count, page query, prefetch and schema,
  written out by hand as a FastAPI endpoint).

Rounds alternate between the two on the same server; each prints requests/s, p50/p99 latency and
the server's CPU time per request, and the summary prints the median ratio model router /
hand-written. Before timing it checks that both return the same page and counts each one's queries.

    python bench/model_router.py                       # 5 rounds of 5 s, pages of 20
    python bench/model_router.py --rounds 3 --duration 3 --page-size 50
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from loadgen import LoadResult, run_asyncio, run_wrk, wrk_path
from targets import Server, Site

TARGETS = {"model router": "/api/catalog/books", "hand-written": "/api/benchmark/books"}
SERVER_CORE, LOAD_CORE = "0", "1"

COUNT_QUERIES = """
import json
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_fastapi.testing import Client
client = Client(base_url="http://127.0.0.1")
counts = {}
for name, path in %r.items():
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path + "?page_size=%d")
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    counts[name] = len(queries)
print(json.dumps(counts))
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per target (default %(default)s)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per round (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds (default %(default)s)")
    parser.add_argument("--connections", type=int, default=32, help="concurrency (default %(default)s)")
    parser.add_argument("--page-size", type=int, default=20, help="books per page (default %(default)s)")
    parser.add_argument("--books", type=int, default=500, help="books in the database (default %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    if min(args.rounds, args.duration, args.connections, args.page_size, args.books) < 1:
        parser.error("--rounds, --duration, --connections, --page-size and --books must be at least 1")
    return args


def prepare(site: Site, books: int) -> None:
    site.manage("migrate", "--noinput", extra={})
    site.manage("load_demo_data", extra={})
    site.manage("shell", "-c", f"from catalog.demo import add_bulk_books; add_bulk_books({books})", extra={})


def query_counts(site: Site, page_size: int) -> dict[str, int]:
    code = "import django; django.setup()\n" + COUNT_QUERIES % (TARGETS, page_size)
    done = subprocess.run([sys.executable, "-c", code], cwd=site.dir, env=site.env({}),
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"error: counting queries failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load(url: str, args: argparse.Namespace, duration: float, pinned: bool) -> LoadResult:
    if wrk_path() is not None:
        prefix = ["taskset", "-c", LOAD_CORE] if pinned else []
        return run_wrk(url, connections=args.connections, duration=duration, timeout=5, prefix=prefix)
    return run_asyncio(url, connections=args.connections, duration=duration, timeout=5, max_requests=500_000)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    scratch = Path(tempfile.mkdtemp(prefix="dfb-model-router-"))
    site = Site(scratch)
    try:
        prepare(site, args.books)
        counts = query_counts(site, args.page_size)
        print(f"queries per request (page of {args.page_size}): "
              + ", ".join(f"{name} {count}" for name, count in counts.items()))
        server = Server(site, "django_fastapi.asgi:application", {}, ["taskset", "-c", SERVER_CORE] if pinned else [])
        try:
            query = f"?page_size={args.page_size}"
            server.wait_ready(TARGETS["hand-written"] + query)
            pages = {name: server.get_json(path + query)[1] for name, path in TARGETS.items()}
            same = {name: (page["count"], page["results"]) for name, page in pages.items()}
            if len(set(map(repr, same.values()))) != 1:
                raise SystemExit("error: the two endpoints return different pages")
            print(f"both return the same page: {len(pages['hand-written']['results'])} of "
                  f"{pages['hand-written']['count']} books")
            for path in TARGETS.values():
                load(server.base + path + query, args, args.warmup, pinned)
            results: dict[str, list[tuple[LoadResult, float]]] = {name: [] for name in TARGETS}
            print(f"{'round':>5} {'target':<13} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms/req':>10}")
            for number in range(1, args.rounds + 1):
                order = list(TARGETS) if number % 2 else list(reversed(TARGETS))
                for name in order:
                    cpu_before = server.cpu_seconds()
                    result = load(server.base + TARGETS[name] + query, args, args.duration, pinned)
                    cpu_ms = 1000 * (server.cpu_seconds() - cpu_before) / max(result.requests, 1)
                    if result.failed:
                        raise SystemExit(f"error: {name}: {result.errors_text()}")
                    results[name].append((result, cpu_ms))
                    print(f"{number:>5} {name:<13} {result.rps:>8.1f} {result.p50_ms:>7.1f} "
                          f"{result.p99_ms:>7.1f} {cpu_ms:>10.2f}", flush=True)
        finally:
            server.stop()
            server.close()
        router, hand = results["model router"], results["hand-written"]
        rps_ratio = statistics.median(r.rps / h.rps for (r, _), (h, _) in zip(router, hand))
        cpu_ratio = statistics.median(rc / hc for (_, rc), (_, hc) in zip(router, hand))
        print(f"\nmedian of per-round ratios, model router / hand-written: "
              f"throughput {rps_ratio:.3f} ({abs(1 - rps_ratio) * 100:.1f}% {'slower' if rps_ratio < 1 else 'faster'}), "
              f"CPU per request {cpu_ratio:.3f}")
        print(f"medians: model router {statistics.median(r.rps for r, _ in router):.0f} req/s, "
              f"hand-written {statistics.median(h.rps for h, _ in hand):.0f} req/s "
              f"({args.connections} connections, page of {args.page_size}, {args.books} books, "
              f"{'wrk' if wrk_path() else 'asyncio load generator'})")
        return 0
    finally:
        if args.keep:
            print(f"scratch directory kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
