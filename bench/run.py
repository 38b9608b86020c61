#!/usr/bin/env python
"""Throughput of the bridge against a hand-glued FastAPI app and django-bolt, side by side.

The bridge and the hand-glued app serve sample_site's benchmark router (GET
/api/benchmark/permissions, sync, and /permissions-async) through uvicorn; django-bolt serves the
same query and response (boltsite/) through its own server, from a Python 3.12+ virtualenv of its
own (``--bolt-python``; skipped, saying how to install it, when there is none). One process each,
pinned to core 0; the load generator (wrk, else a bounded asyncio loop) runs on core 1. Rounds
alternate bridge / hand-glued / django-bolt for every endpoint and database config; each round
starts a fresh server, warms it up, measures, then waits ``--settle`` seconds and samples again, to
show the server's threads, resident memory and PostgreSQL connections under load and once idle.

    /tmp/venv311/bin/python bench/run.py                       # 3 rounds of 5 s, every config
    /tmp/venv311/bin/python bench/run.py --quick               # CI smoke: 1 round of 2 s
    /tmp/venv311/bin/python bench/run.py --only sqlite,pg-pool --rounds 2 --duration 4

Exits 1 when the bridge returns a non-2xx response, times out or crashes, or the harness fails;
the hand-glued app's failures are reported as findings, and the ratio never fails the run.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from loadgen import LoadResult, run_asyncio, run_wrk, wrk_path
from targets import (
    APPS,
    ASYNC_PATH,
    BOLT,
    GRANIAN,
    REPO_DIR,
    SYNC_PATH,
    DbConfig,
    PgCounter,
    Sampler,
    Server,
    Site,
    bolt_python,
    db_configs,
    pg_unreachable,
    recreate_pg_database,
)

ENDPOINTS = {"sync": SYNC_PATH, "async": ASYNC_PATH}
CONFIG_NAMES = [config.name for config in db_configs("postgres://x/y")]
SERVER_CORE, LOAD_CORE = "0", "1"


@dataclass
class Round:
    config: str
    endpoint: str
    number: int
    target: str
    load: LoadResult | None
    threads_max: int
    threads_idle: int
    pg_max: int | None
    pg_idle: int | None
    cpu_ms: float = float("nan")  # server CPU time per completed request
    rss_mib: float = float("nan")  # the server's largest resident memory under load
    problem: str = ""
    failed: bool = False


def _csv(choices: list[str]):
    def parse(value: str) -> list[str]:
        items = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in items if item not in choices]
        if unknown or not items:
            raise argparse.ArgumentTypeError(f"{value!r}: choose from {', '.join(choices)}")
        return items

    return parse


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 2 s, 1 s warm-up (CI smoke)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per target (default %(default)s)")
    parser.add_argument("--duration", type=float, default=5, help="seconds per round (default %(default)s)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds (default %(default)s)")
    parser.add_argument("--settle", type=float, default=3,
                        help="seconds after load before the idle sample (default %(default)s)")
    parser.add_argument("--connections", type=int, default=64, help="concurrency (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=2,
                        help="seconds before a request counts as timed out (default %(default)s)")
    parser.add_argument("--only", type=_csv(CONFIG_NAMES), default=CONFIG_NAMES,
                        help=f"database configs, comma-separated: {','.join(CONFIG_NAMES)} (default all)")
    parser.add_argument("--endpoints", type=_csv(list(ENDPOINTS)), default=list(ENDPOINTS),
                        help="endpoints, comma-separated: sync,async (default both)")
    parser.add_argument("--threads", type=int, default=None,
                        help="FASTAPI_THREADS (lanes) for the bridge (default: the sample settings')")
    parser.add_argument("--no-gc-freeze", action="store_true",
                        help="FASTAPI_GC_FREEZE=0 for the bridge: the request cycle's own cost, "
                             "without the start-up heap frozen out of the garbage collector")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "asyncio"], default="auto",
                        help="load generator (default %(default)s: wrk when installed)")
    parser.add_argument("--max-requests", type=int, default=200_000,
                        help="cap per asyncio-loop run (default %(default)s)")
    parser.add_argument("--pg-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dfb_bench"),
        help="PostgreSQL database to drop, recreate and migrate (default %(default)s)")
    parser.add_argument("--bolt-python", default=None,
                        help="Python 3.12+ interpreter with django-bolt and psycopg installed "
                             "(default: .venv-bolt/bin/python in the repository)")
    parser.add_argument("--no-bolt", action="store_true", help="leave django-bolt out")
    parser.add_argument("--granian", action="store_true",
                        help="also the bridge under granian (pip install granian) instead of uvicorn")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory and its logs")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 2, 1
    if args.rounds < 1 or args.duration < 1 or args.connections < 1:
        parser.error("--rounds, --duration and --connections must be at least 1")
    return args


class Bench:
    def __init__(self, args: argparse.Namespace, site: Site) -> None:
        self.args = args
        self.site = site
        self.pinned = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
        self.use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and wrk_path() is not None)
        if args.loadgen == "wrk" and wrk_path() is None:
            raise SystemExit("--loadgen wrk: wrk is not installed (apt-get install wrk)")
        self.errors: list[str] = []
        self.findings: list[str] = []
        self.rounds: list[Round] = []
        self.targets = list(APPS)
        if args.granian:
            try:
                import granian  # noqa: F401
            except ImportError:
                raise SystemExit("--granian: granian is not installed (pip install granian)") from None
            self.targets.insert(1, GRANIAN)
        self.bolt_python: str | None = None
        if args.no_bolt:
            self.bolt_note = "django-bolt: left out (--no-bolt)"
        else:
            self.bolt_python, found = bolt_python(args.bolt_python)
            if self.bolt_python is None:
                self.bolt_note = f"django-bolt: SKIPPED: {found}"
            else:
                self.targets.append(BOLT)
                self.bolt_note = f"django-bolt {found} ({self.bolt_python}), runbolt --processes 1 --workers 1"

    def server(self, target: str, env: dict[str, str]) -> Server:
        return Server(self.site, APPS.get(target, target), env, self.server_prefix(), python=self.bolt_python)

    def env(self, config: DbConfig) -> dict[str, str]:
        env = dict(config.env)
        if self.args.threads is not None:
            env["FASTAPI_THREADS"] = str(self.args.threads)
        if self.args.no_gc_freeze:
            env["FASTAPI_GC_FREEZE"] = "0"
        return env

    def server_prefix(self) -> list[str]:
        return ["taskset", "-c", SERVER_CORE] if self.pinned else []

    def load(self, url: str, duration: float) -> LoadResult:
        a = self.args
        if self.use_wrk:
            prefix = ["taskset", "-c", LOAD_CORE] if self.pinned else []
            return run_wrk(url, connections=a.connections, duration=duration, timeout=a.timeout,
                           prefix=prefix)
        return run_asyncio(url, connections=a.connections, duration=duration, timeout=a.timeout,
                           max_requests=a.max_requests)

    # -- checks before timing -------------------------------------------------------------

    def verify(self) -> None:
        """Same responses from both targets; sync work on anyio threads vs the bridge's lanes."""
        print("== check: responses and the threads that run each endpoint's queries (SQLite, probe)")
        bodies, threads = {}, {}
        for target in APPS:
            env = {**self.env(DbConfig("sqlite", {}, pg=False)),
                   "BENCH_PROBE_TARGET": "bridge" if target == "bridge" else "handglued"}
            server = Server(self.site, "handglued.probe:application", env, self.server_prefix())
            try:
                server.wait_ready(SYNC_PATH)
                for endpoint, path in ENDPOINTS.items():
                    status, body = server.get_json(path)
                    items = body.get("items") if isinstance(body, dict) else None
                    if status != 200 or not items or set(items[0]) != {"pk", "name"}:
                        self.fail(f"{target} {path}: unexpected response {status} {str(body)[:200]}")
                    bodies[target, endpoint] = body
                    self.load(server.base + path, max(1.0, self.args.warmup))
                threads[target] = server.get_json("/__bench__/threads")[1]
            finally:
                server.stop()
                server.close()
        for other in (t for t in self.targets if t not in APPS):
            server = self.server(other, self.env(DbConfig("sqlite", {}, pg=False)))
            try:
                server.wait_ready(SYNC_PATH)
                for endpoint, path in ENDPOINTS.items():
                    bodies[other, endpoint] = server.get_json(path)[1]
            finally:
                server.stop()
                server.close()
        for endpoint in ENDPOINTS:
            if bodies["bridge", endpoint] != bodies["hand-glued", endpoint]:
                self.fail(f"{endpoint}: the bridge and hand-glued responses differ")
            if GRANIAN in self.targets and bodies[GRANIAN, endpoint] != bodies["bridge", endpoint]:
                self.fail(f"{endpoint}: the bridge under granian and under uvicorn respond differently")
            if BOLT in self.targets and bodies[BOLT, endpoint] != bodies["bridge", endpoint]:
                self.fail(f"{endpoint}: the bridge and django-bolt responses differ")
        rows = len(bodies["bridge", "sync"]["items"])
        print(f"   {len(self.targets)} targets return the same {rows} permissions on both endpoints")
        expected = {
            ("bridge", "sync"): "django_fastapi-lane-",
            ("bridge", "async"): "django_fastapi-lane-",
            ("hand-glued", "sync"): "AnyIO worker thread",
        }
        for target in APPS:
            for endpoint, path in ENDPOINTS.items():
                names = sorted(threads[target].get(path, {}))
                prefix = expected.get((target, endpoint))
                ok = bool(names) and (prefix is None or all(n.startswith(prefix) for n in names))
                shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
                print(f"   {target:<10} {endpoint:<5} queries ran on {len(names):>2} distinct threads: "
                      f"{shown}  [{'ok' if ok else 'UNEXPECTED'}]")
                if not ok:
                    self.fail(f"{target} {endpoint}: queries ran on {names}, expected {prefix}*")

    def fail(self, message: str) -> None:
        raise SystemExit(f"error: {message}")

    def prepare(self, config: DbConfig, pg_reason: str | None) -> None:
        if config.pg and pg_reason:
            config.skip = pg_reason
            return
        try:
            if config.pg:
                recreate_pg_database(self.args.pg_url)
            self.site.manage("migrate", "--noinput", extra=config.env)
        except Exception as exc:  # noqa: BLE001 - e.g. PostgreSQL restarted by someone else
            if not config.pg:
                raise
            config.skip = f"could not create and migrate {self.args.pg_url}: {' '.join(str(exc).split())[:300]}"
            return
        effective = self.site.database_settings(self.env(config))
        database = (f"{effective['ENGINE'].rsplit('.', 1)[-1]}, pool={effective['pool']}, "
                    f"CONN_MAX_AGE={effective['CONN_MAX_AGE']}")
        config.effective = (f"{database}; bridge lanes FASTAPI_THREADS={effective['threads']}, "
                            f"FASTAPI_GC_FREEZE={effective['gc_freeze']}")
        if effective["access_log"]:
            config.effective += ("; CAVEAT: the bridge logs every request (django_fastapi.server at "
                                 "INFO), the hand-glued app does not")
        if config.expect_age is not None and (effective["pool"] or effective["CONN_MAX_AGE"] != config.expect_age):
            config.skip = (f"sample_site/settings.py gives {database} although "
                           f"DATABASE_CONN_MAX_AGE={config.expect_age} is set: it must apply "
                           "DATABASE_CONN_MAX_AGE to this database (without the pool)")

    # -- timed rounds ---------------------------------------------------------------------

    def run_round(self, config: DbConfig, endpoint: str, number: int, target: str,
                  pg: PgCounter | None) -> Round:
        a = self.args
        path = ENDPOINTS[endpoint]
        problems: list[str] = []  # failures of this target
        notes: list[str] = []  # the environment's, shown but never counted against the target
        if pg is not None:
            left = pg.wait_for(0, timeout=10)
            if left is None:
                notes.append("note: PostgreSQL unreachable before the round")
            elif left:
                notes.append(f"note: {left} connections left over from the previous server")
        server = self.server(target, self.env(config))
        load = None
        cpu_ms = float("nan")
        threads_max = threads_idle = -1
        pg_max = pg_idle = None
        rss = float("nan")
        try:
            server.wait_ready(path)
            warm = self.load(server.base + path, a.warmup)
            if warm.failed:
                problems.append(f"warm-up: {warm.errors_text()}")
            sampler = Sampler(server, pg)
            sampler.start()
            cpu_before = server.cpu_seconds()
            try:
                load = self.load(server.base + path, a.duration)
            finally:
                cpu_used = server.cpu_seconds() - cpu_before
                samples = sampler.stop()
            if load.requests:
                cpu_ms = 1000 * cpu_used / load.requests
            if not server.alive():
                problems.append(f"server crashed (exit {server.proc.returncode})")
            time.sleep(a.settle)
            threads_max = max(samples.threads, default=-1)
            rss = max(samples.rss, default=float("nan"))
            threads_idle = server.threads()
            if pg is not None:
                pg_max, pg_idle = max(samples.pg, default=0), pg.count()
            if not server.alive() and not any("crashed" in p for p in problems):
                problems.append(f"server crashed after load (exit {server.proc.returncode})")
        except RuntimeError as exc:
            problems.append(str(exc).splitlines()[0])
        finally:
            if server.stop():
                problems.append("did not stop within 15 s of SIGINT; killed")
            elif server.stop_seconds > 2:
                problems.append(f"shutdown waited {server.stop_seconds:.0f} s for requests still running")
            raised = Counter(server.exceptions())
            output = server.close()
        if raised:
            problems.insert(0, f"{sum(raised.values())} requests raised (" + "; ".join(
                f"{n} x {message[:90]}" for message, n in raised.most_common(3)) + ")")
        if load is not None and load.failed:
            problems.insert(0, load.errors_text())
        result = Round(config.name, endpoint, number, target, load, threads_max, threads_idle,
                       pg_max, pg_idle, cpu_ms, rss, "; ".join(problems + notes), bool(problems))
        if problems:
            note = f"{config.name} {endpoint} round {number} {target}: {'; '.join(problems)}"
            (self.errors if target == "bridge" else self.findings).append(note)
            if output.strip():
                print(f"   {target} server output (tail):\n{output[-1500:]}", file=sys.stderr)
        return result

    def run(self) -> None:
        a = self.args
        pg_reason = pg_unreachable(a.pg_url) if any(
            c.pg for c in db_configs(a.pg_url) if c.name in a.only) else None
        for config in db_configs(a.pg_url):
            if config.name not in a.only:
                continue
            self.prepare(config, pg_reason)
            if config.skip:
                print(f"\n== {config.name}: skipped: {config.skip}")
                continue
            print(f"\n== {config.name} ({config.effective})")
            print(HEADER)
            pg = PgCounter(a.pg_url) if config.pg else None
            try:
                for endpoint in a.endpoints:
                    for number in range(1, a.rounds + 1):
                        for target in self.targets:
                            result = self.run_round(config, endpoint, number, target, pg)
                            self.rounds.append(result)
                            print(row(result), flush=True)
            finally:
                if pg is not None:
                    pg.close()


HEADER = (f"{'endpoint':<6} {'rnd':>3} {'target':<14} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'requests':>9} {'cpu ms/req':>10} {'RSS MiB':>7} {'threads max/idle':>16} {'pg max/idle':>11}  "
          "problems")


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _pair(high: int | None, idle: int | None) -> str:
    return "-" if high is None else f"{high}/{'?' if idle is None else idle}"


def row(r: Round) -> str:
    load = r.load
    return (f"{r.endpoint:<6} {r.number:>3} {r.target:<14} "
            f"{_fmt(load.rps if load else None, 0):>8} {_fmt(load.p50_ms if load else None, 2):>8} "
            f"{_fmt(load.p99_ms if load else None, 2):>8} {load.requests if load else '-':>9} "
            f"{_fmt(r.cpu_ms, 3):>10} {_fmt(r.rss_mib, 0):>7} "
            f"{_pair(r.threads_max, r.threads_idle):>16} {_pair(r.pg_max, r.pg_idle):>11}  {r.problem}")


def _median(values: list[float]) -> float:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(values) if values else float("nan")


def _ratio(numerators: list[Round], denominators: list[Round]) -> str:
    """Median of the per-round requests/s ratios (rounds of one number ran back to back)."""
    by_number = {r.number: r for r in denominators}
    ratios = [r.load.rps / d.load.rps for r in numerators
              if (d := by_number.get(r.number)) and r.load and d.load and d.load.rps > 0]
    text = _fmt(_median(ratios), 3) if ratios else "n/a"
    return text + (" (failed rounds: see findings)" if any(r.failed for r in numerators + denominators) else "")


def summary(rounds: list[Round]) -> list[str]:
    lines = []
    keys = list(dict.fromkeys((r.config, r.endpoint) for r in rounds))
    for config, endpoint in keys:
        targets = list(dict.fromkeys(r.target for r in rounds))
        by_target = {t: [r for r in rounds if (r.config, r.endpoint, r.target) == (config, endpoint, t)]
                     for t in targets}

        def figures(items: list[Round]) -> str:
            loads = [r.load for r in items if r.load]
            highs = [r.pg_max for r in items if r.pg_max is not None]
            idles = [r.pg_idle for r in items if r.pg_idle is not None]
            conns = f", pg conns {max(highs)}/{max(idles) if idles else '?'}" if highs else ""
            return (f"{_fmt(_median([x.rps for x in loads]), 0):>6} req/s, "
                    f"p50 {_fmt(_median([x.p50_ms for x in loads]), 2)} ms, "
                    f"p99 {_fmt(_median([x.p99_ms for x in loads]), 2)} ms, "
                    f"cpu/req {_fmt(_median([r.cpu_ms for r in items]), 3)} ms, "
                    f"RSS {_fmt(_median([r.rss_mib for r in items]), 0)} MiB, "
                    f"threads {max((r.threads_max for r in items), default=-1)}{conns}")

        lines.append(f"{config} {endpoint}:")
        for target, items in by_target.items():
            lines.append(f"   {target:<14} {figures(items)}")
        bridge, glued = by_target["bridge"], by_target["hand-glued"]
        ratios = f"   ratio bridge/hand-glued {_ratio(bridge, glued)}"
        if BOLT in by_target:
            bolt = by_target[BOLT]
            ratios += (f" | bridge/django-bolt {_ratio(bridge, bolt)} | hand-glued/django-bolt "
                       f"{_ratio(glued, bolt)}")
            rss = [b.rss_mib / o.rss_mib for b, o in zip(bridge, bolt) if o.rss_mib > 0]
            ratios += f" | RSS bridge/django-bolt {_fmt(_median(rss), 2)}"
        if GRANIAN in by_target:
            granian = by_target[GRANIAN]
            ratios += f" | granian/uvicorn (bridge) {_ratio(granian, bridge)}"
            if BOLT in by_target:
                ratios += f" | bridge-granian/django-bolt {_ratio(granian, by_target[BOLT])}"
        lines.append(ratios)
    return lines


def provenance() -> str:
    """Which code is measured: the commit, and whether the package or sample site differ from it."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO_DIR, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "django_fastapi", "sample_site")
    changed = len(dirty.splitlines())
    return (f"code: commit {head}" + (f" + {changed} uncommitted change(s) in django_fastapi/ or "
                                      "sample_site/" if changed else ", clean") +
            f"; Python {sys.version.split()[0]}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="dfb-bench-"))
    try:
        site = Site(scratch)
        bench = Bench(args, site)
        if bench.pinned:
            os.sched_setaffinity(0, {int(LOAD_CORE)})
        loadgen = "wrk -t1" if bench.use_wrk else "asyncio loop"
        print(provenance())
        print(bench.bolt_note)
        print(f"{' vs '.join(bench.targets)}: {args.rounds} round(s) x {args.duration:g} s after {args.warmup:g} s "
              f"warm-up, {args.connections} connections, {loadgen}, "
              f"{'server on core 0, load on core 1' if bench.pinned else 'no CPU pinning (taskset missing)'}, "
              f"DEBUG off, scratch {scratch}")
        site.manage("migrate", "--noinput", extra={})
        bench.verify()
        bench.run()
        print("\n== summary (medians over rounds; ratio = median of per-round req/s ratios; "
              "cpu/req = server process CPU per request (steadier than req/s on a busy machine); "
              "threads = max OS threads in the server under load; pg conns = max under load / "
              f"{args.settle:g} s after)")
        for line in summary(bench.rounds):
            print(line)
        if bench.findings:
            print("\n== findings (hand-glued)")
            for note in bench.findings:
                print(f"   {note}")
        if bench.errors:
            print("\n== errors (bridge)")
            for note in bench.errors:
                print(f"   {note}")
            return 1
        return 0
    finally:
        if args.keep:
            print(f"scratch kept at {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
