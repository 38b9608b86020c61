#!/usr/bin/env python
"""Instructions per request, bridge against hand-glued, counted by valgrind's callgrind.

Requests/s on a shared two-core machine drift by 30% from one minute to the next; instruction counts
do not: the same code, inputs and interpreter execute the same instructions whatever else the
machine does. Each variant runs in its own interpreter under ``valgrind --tool=callgrind``, serves
``--warmup`` requests uninstrumented, then ``--requests`` requests one after another with counting on
(``callgrind_control -i on``), straight through the ASGI app (no sockets), and prints instructions
per request and the ratio to the hand-glued app. One request at a time means the garbage collector
hardly runs, so ``FASTAPI_GC_FREEZE`` shows no gain here; ``run.py`` measures that under load.

Variants (``--variants``):

* ``hand-glued``: ``handglued/app.py``, the benchmark router in a bare FastAPI app;
* ``bridge``: ``django_fastapi.asgi:application`` as served by runfastapi;
* ``bridge-api-only``: ``get_application()``, the FastAPI app without the one-server dispatcher
  (Django's views beside the API) and the access log around it;
* ``bridge-without-signal-receivers``: the same with Django's own ``request_started`` /
  ``request_finished`` receivers disconnected (``reset_queries``, ``close_old_connections``,
  ``close_caches``, ``reset_urlconf``): what Django's request cycle itself costs, which the
  hand-glued app never runs and every Django handler must.

    python bench/instructions.py                        # both endpoints, 300 requests each
    python bench/instructions.py --endpoints async --requests 500
    python bench/instructions.py --served --requests 200   # through each real server, django-bolt too

``--served`` counts whole servers instead, each under callgrind, sent requests one at a time over
one keep-alive HTTP connection: the bridge and the hand-glued app under uvicorn (HTTP parsing
included), and django-bolt's ``runbolt`` (its Rust server included) when its virtualenv exists (see
README.rst). Every thread of the server process is counted, so a ratio to django-bolt here does not
drift with the machine's load as requests/s do.

Needs valgrind (``apt-get install valgrind``). Exits 1 when a variant fails.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from targets import APPS, ASYNC_PATH, BOLT, SYNC_PATH, Server, Site, bolt_python

ENDPOINTS = {"sync": SYNC_PATH, "async": ASYNC_PATH}
VARIANTS = ["hand-glued", "bridge", "bridge-api-only", "bridge-without-signal-receivers"]

DRIVER = r"""
import asyncio, os, subprocess, sys
variant, path, warmup, requests = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if variant == "hand-glued":
    from handglued.app import app
else:
    import django
    django.setup(set_prefix=False)
    if variant == "bridge-api-only":
        from django_fastapi.application import get_application
        app = get_application()
    else:
        from django_fastapi.asgi import application as app
    if variant == "bridge-without-signal-receivers":
        from django.core import signals
        for signal in (signals.request_started, signals.request_finished):
            signal.receivers.clear()
            signal.sender_receivers_cache.clear()


def scope():
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}


async def main():
    startup = asyncio.Queue()
    for message in ("lifespan.startup", "lifespan.shutdown"):
        startup.put_nowait({"type": message})
    started = asyncio.Event()
    async def lifespan_send(message):
        if message["type"] == "lifespan.startup.complete":
            started.set()
    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                       startup.get, lifespan_send))
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
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, check=False)
    await serve(requests)
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True, check=False)
    bad = [status for status in statuses if status != 200]
    if bad:
        sys.exit(f"{len(bad)} responses were not 200: {sorted(set(bad))}")
    startup.put_nowait({"type": "lifespan.shutdown"})
    lifespan.cancel()

asyncio.run(main())
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="counted requests (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=300, help="requests before counting (default %(default)s)")
    parser.add_argument("--endpoints", default="sync,async", help="sync,async (default %(default)s)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="default: all (%(default)s)")
    parser.add_argument("--served", action="store_true",
                        help="count real servers over HTTP: bridge, hand-glued, django-bolt")
    parser.add_argument("--bolt-python", default=None, help="Python 3.12+ with django-bolt (see README.rst)")
    args = parser.parse_args(argv)
    args.endpoints = [item for item in args.endpoints.split(",") if item]
    args.variants = [item for item in args.variants.split(",") if item]
    unknown = [e for e in args.endpoints if e not in ENDPOINTS] + [v for v in args.variants if v not in VARIANTS]
    if unknown or args.requests < 1 or args.warmup < 0:
        parser.error(f"unknown endpoints or variants {unknown}, or bad counts; see --help")
    return args


def count(site: Site, variant: str, path: str, args: argparse.Namespace, out: Path) -> float:
    """Instructions per request of ``variant`` serving ``path``."""
    command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
               sys.executable, "-c", DRIVER, variant, path, str(args.warmup), str(args.requests)]
    done = subprocess.run(command, cwd=site.dir, env=site.env({}), capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{variant} {path} failed:\n{done.stderr[-3000:]}")
    text = out.read_text()
    # Counting was on only for the measured requests; "totals" holds what it saw.
    found = re.search(r"^totals:\s*(\d+)", text, re.MULTILINE)
    if not found or not int(found.group(1)):
        raise RuntimeError(f"no instructions counted in {out}: did callgrind_control reach the process?")
    return int(found.group(1)) / args.requests


def _get(connection: http.client.HTTPConnection, path: str) -> None:
    connection.request("GET", path, headers={"Host": "127.0.0.1"})
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"{path}: status {response.status}")


def count_served(site: Site, target: str, path: str, args: argparse.Namespace, out: Path,
                 python: str | None) -> float:
    """Instructions per request of a whole server (every thread), requests sent one at a time."""
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
    server = Server(site, APPS.get(target, target), {}, valgrind, python=python)
    try:
        server.wait_ready(path, timeout=300)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for _ in range(args.warmup):
            _get(connection, path)
        subprocess.run(["callgrind_control", "-i", "on", str(server.pid)], capture_output=True, check=False)
        for _ in range(args.requests):
            _get(connection, path)
        subprocess.run(["callgrind_control", "-i", "off", str(server.pid)], capture_output=True, check=False)
        connection.close()
    finally:
        if server.alive():
            server.proc.send_signal(signal.SIGINT)
            try:
                server.proc.wait(120)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.wait()
        server.close()
    deadline = time.monotonic() + 10
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    found = re.search(r"^totals:\s*(\d+)", out.read_text(), re.MULTILINE) if out.exists() else None
    if not found or not int(found.group(1)):
        raise RuntimeError(f"{target}: no instructions counted (did the server write {out} on exit?)")
    out.unlink()
    return int(found.group(1)) / args.requests


def main_served(args: argparse.Namespace, site: Site, scratch: Path) -> int:
    python, found = bolt_python(args.bolt_python)
    targets = list(APPS) + ([BOLT] if python else [])
    print(f"== instructions per request through each server, {args.requests} requests after "
          f"{args.warmup}, one at a time on one keep-alive connection (callgrind, every thread; SQLite)")
    if python is None:
        print(f"django-bolt: SKIPPED: {found}")
    for endpoint in args.endpoints:
        results = {}
        for target in targets:
            try:
                results[target] = count_served(site, target, ENDPOINTS[endpoint], args, scratch / "served.out", python)
            except RuntimeError as exc:
                print(exc, file=sys.stderr)
                return 1
        for target, instructions in results.items():
            ratios = [f"{instructions / results[base]:.3f}x {base}" for base in ("hand-glued", BOLT)
                      if base in results and base != target]
            print(f"{endpoint:<5} {target:<12} {instructions / 1000:>9.1f} k instructions  {'  '.join(ratios)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    if args.served:
        with tempfile.TemporaryDirectory(prefix="dfb-instructions-") as scratch:
            site = Site(Path(scratch))
            site.manage("migrate", "--noinput", extra={})
            return main_served(args, site, Path(scratch))
    with tempfile.TemporaryDirectory(prefix="dfb-instructions-") as scratch:
        site = Site(Path(scratch))
        site.manage("migrate", "--noinput", extra={})
        print(f"== instructions per request, {args.requests} requests after {args.warmup} "
              f"(callgrind; SQLite; one request at a time, straight through ASGI)")
        for endpoint in args.endpoints:
            results = {}
            for variant in args.variants:
                try:
                    results[variant] = count(site, variant, ENDPOINTS[endpoint], args, Path(scratch) / "cg.out")
                except RuntimeError as exc:
                    print(exc, file=sys.stderr)
                    return 1
            base = results.get("hand-glued")
            for variant, instructions in results.items():
                ratio = f"  {instructions / base:.3f}x hand-glued" if base else ""
                print(f"{endpoint:<5} {variant:<34} {instructions / 1000:>9.1f} k instructions{ratio}")
            if "bridge" in results and "bridge-without-signal-receivers" in results:
                share = results["bridge"] - results["bridge-without-signal-receivers"]
                print(f"{endpoint:<5} Django's request-signal receivers: {share / 1000:.1f} k instructions "
                      f"({share / results['bridge']:.1%} of the bridge's request)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
