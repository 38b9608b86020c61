#!/usr/bin/env python
"""What each production feature costs per request: the same app with the feature on and off.

The sample site's benchmark endpoint is served straight through ``django_fastapi.asgi:application``
(no sockets), one request at a time, in a fresh interpreter per variant, with settings overridden
before the app is built:

* ``off``: request ids, metrics and tracing off (health routes stay: they cost no request anything);
* ``request-ids``: ``FASTAPI_REQUEST_ID_HEADER`` (the default);
* ``metrics``: ``FASTAPI_METRICS_URL`` (prometheus-client, one process);
* ``metrics-multiprocess``: the same with ``PROMETHEUS_MULTIPROC_DIR`` (several workers);
* ``opentelemetry``: ``FASTAPI_OPENTELEMETRY`` with the SDK's ``TracerProvider`` (spans recorded,
  no exporter);
* ``all``: request ids, metrics (multiprocess) and tracing.

Two measures, each printed as a ratio to ``off`` with the counts beside it:

* ``--mode instructions`` (default): instructions per request counted by valgrind's callgrind,
  which the machine's load does not change;
* ``--mode time``: seconds per request, in ``--rounds`` interleaved rounds (every variant once per
  round, in turn), the median of the per-round ratios.

    python bench/operations.py
    python bench/operations.py --mode time --rounds 5 --requests 2000

Needs valgrind for instructions (``apt-get install valgrind``), prometheus-client and
opentelemetry-sdk (the ``test`` extra). Exits 1 when a variant fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from targets import SYNC_PATH, Site

OFF = {"FASTAPI_REQUEST_ID_HEADER": None, "FASTAPI_METRICS_URL": None, "FASTAPI_OPENTELEMETRY": False}
METRICS = {"FASTAPI_METRICS_URL": "/metrics", "FASTAPI_METRICS_ACCESS": "anonymous"}
VARIANTS: dict[str, tuple[dict, bool]] = {  # settings, multiprocess metrics
    "off": (OFF, False),
    "request-ids": ({**OFF, "FASTAPI_REQUEST_ID_HEADER": "X-Request-ID"}, False),
    "metrics": ({**OFF, **METRICS}, False),
    "metrics-multiprocess": ({**OFF, **METRICS}, True),
    "opentelemetry": ({**OFF, "FASTAPI_OPENTELEMETRY": True}, False),
    "all": ({**METRICS, "FASTAPI_REQUEST_ID_HEADER": "X-Request-ID", "FASTAPI_OPENTELEMETRY": True}, True),
}

DRIVER = r"""
import asyncio, json, os, subprocess, sys, time
overrides, path, warmup, requests, mode = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
import django
django.setup(set_prefix=False)
from django.conf import settings
for name, value in overrides.items():
    setattr(settings, name, value)
if overrides.get("FASTAPI_OPENTELEMETRY"):
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    trace.set_tracer_provider(TracerProvider())
from django_fastapi.application import get_asgi_application
app = get_asgi_application(serve_static=False)


def scope():
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}


async def main():
    queue = asyncio.Queue()
    queue.put_nowait({"type": "lifespan.startup"})
    started = asyncio.Event()
    async def lifespan_send(message):
        if message["type"] == "lifespan.startup.complete":
            started.set()
    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, queue.get, lifespan_send))
    await started.wait()
    statuses = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
    async def serve(count):
        for _ in range(count):
            await app(scope(), receive, send)
    await serve(warmup)
    if mode == "instructions":
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, check=False)
    began = time.perf_counter()
    await serve(requests)
    elapsed = time.perf_counter() - began
    if mode == "instructions":
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True, check=False)
    bad = [status for status in statuses if status != 200]
    if bad:
        sys.exit(f"{len(bad)} responses were not 200: {sorted(set(bad))}")
    print(json.dumps({"seconds_per_request": elapsed / requests, "requests": len(statuses)}))
    lifespan.cancel()

asyncio.run(main())
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["instructions", "time"], default="instructions")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per run (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=300, help="requests before measuring (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="--mode time: interleaved rounds (default %(default)s)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="default: all (%(default)s)")
    args = parser.parse_args(argv)
    args.variants = [item for item in args.variants.split(",") if item]
    if "off" not in args.variants:
        args.variants.insert(0, "off")
    unknown = [variant for variant in args.variants if variant not in VARIANTS]
    if unknown or args.requests < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error(f"unknown variants {unknown}, or bad counts; see --help")
    return args


def run(site: Site, variant: str, args: argparse.Namespace, scratch: Path) -> tuple[float, int]:
    """(instructions or seconds per request, requests answered) of one run of ``variant``."""
    overrides, multiprocess = VARIANTS[variant]
    extra = {"SAMPLE_SITE_METRICS": "0"}
    if multiprocess:
        directory = Path(tempfile.mkdtemp(dir=scratch, prefix="metrics-"))
        extra["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    command = [sys.executable, "-c", DRIVER, json.dumps(overrides), SYNC_PATH, str(args.warmup),
               str(args.requests), args.mode]
    out = scratch / "cg.out"
    if args.mode == "instructions":
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *command]
    done = subprocess.run(command, cwd=site.dir, env=site.env(extra), capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{variant} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if args.mode == "time":
        return result["seconds_per_request"], result["requests"]
    found = re.search(r"^totals:\s*(\d+)", out.read_text(), re.MULTILINE)
    if not found or not int(found.group(1)):
        raise RuntimeError(f"no instructions counted for {variant}: did callgrind_control reach the process?")
    return int(found.group(1)) / args.requests, result["requests"]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.mode == "instructions" and (shutil.which("valgrind") is None or shutil.which("callgrind_control") is None):
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="dfb-operations-") as name:
        scratch = Path(name)
        site = Site(scratch)
        site.manage("migrate", "--noinput", extra={})
        rounds = 1 if args.mode == "instructions" else args.rounds
        print(f"== {args.mode} per request of {SYNC_PATH}, {args.requests} requests after {args.warmup}, "
              f"{rounds} round(s), variants interleaved (SQLite; one request at a time, straight through ASGI)")
        measured: dict[str, list[float]] = {variant: [] for variant in args.variants}
        answered: dict[str, int] = dict.fromkeys(args.variants, 0)
        try:
            for _ in range(rounds):
                for variant in args.variants:
                    value, count = run(site, variant, args, scratch)
                    measured[variant].append(value)
                    answered[variant] += count
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
        unit = "k instructions" if args.mode == "instructions" else "µs"
        scale = 1 / 1000 if args.mode == "instructions" else 1e6
        for variant in args.variants:
            ratios = [value / off for value, off in zip(measured[variant], measured["off"])]
            print(f"{variant:<22} {statistics.median(measured[variant]) * scale:>9.1f} {unit:<15} "
                  f"{statistics.median(ratios):.3f}x off   ({answered[variant]} requests answered 200, "
                  f"{rounds} run(s))")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
