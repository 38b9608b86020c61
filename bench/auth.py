#!/usr/bin/env python
"""What authenticating a request costs: an access token, an API token and a session, as ratios to
an anonymous request.

Every variant requests the sample site's ``GET /api/benchmark/whoami`` (an ``OptionalUser``
endpoint) straight through the ASGI app (no sockets), one request at a time:

* ``anonymous``: no credentials;
* ``session``: Django's session cookie (a logged-in user, as the admin leaves it);
* ``api-token``: ``Authorization: Bearer dfb_…`` (a hashed opaque token of django_fastapi.tokens);
* ``access-token``: ``Authorization: Bearer eyJ…`` (an HS256 access token from a token pair);
* ``access-token-eddsa``: the same signed with an Ed25519 key;
* ``access-token-deny-list``: HS256 with ``FASTAPI_JWT_DENY_LIST_CACHE`` on (a local-memory cache).

Two measures:

* ``--mode time`` (default): all variants in one process, in interleaved rounds (each round runs
  every variant once, in a rotated order), ``--requests`` requests each; prints the median time per
  request over the rounds as a ratio to anonymous, with the database queries per request counted
  beside it. Noisy on a shared machine; the ratios, measured side by side, much less so.
* ``--mode callgrind``: each variant in its own interpreter under ``valgrind --tool=callgrind``,
  counting instructions for the measured requests only: load-independent (needs valgrind).

    python bench/auth.py                              # 7 rounds x 300 requests
    python bench/auth.py --mode callgrind --requests 200

Runs on a scratch copy of the sample site (SQLite); exits 1 when a request is not a 200 as expected.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from targets import Site

VARIANTS = ["anonymous", "session", "api-token", "access-token", "access-token-eddsa", "access-token-deny-list"]

DRIVER = r"""
import asyncio, json, os, statistics, subprocess, sys, time
mode, names, warmup, requests, rounds = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
import django
django.setup(set_prefix=False)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from django.contrib.auth.models import User
from django.db.backends.signals import connection_created
from django.test import Client as DjangoClient, override_settings
from django_fastapi.application import get_application
from django_fastapi.tokens.models import Token
from django_fastapi.tokens.pairs import issue_pair

queries = [0]
def count_queries(execute, sql, params, many, context):
    queries[0] += 1
    return execute(sql, params, many, context)
def counted(sender, connection, **kwargs):
    connection.execute_wrappers.append(count_queries)
connection_created.connect(counted)

user = User.objects.filter(username="bench-auth").first() or User.objects.create_user("bench-auth", password="x")
django_client = DjangoClient()
django_client.force_login(user)
session = f"{settings.SESSION_COOKIE_NAME}={django_client.cookies[settings.SESSION_COOKIE_NAME].value}"
_, api_token = Token.objects.create_token(user, "bench")
ed_key = ed25519.Ed25519PrivateKey.generate().private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
EDDSA = {"FASTAPI_JWT_ALGORITHM": "EdDSA", "FASTAPI_JWT_PRIVATE_KEY": ed_key}
DENY = {"FASTAPI_JWT_DENY_LIST_CACHE": "bench-deny",
        "CACHES": {**settings.CACHES, "bench-deny": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}}
with override_settings(FASTAPI_ACCESS_TOKEN_LIFETIME=3600):
    access = issue_pair(user).access_token
    with override_settings(**EDDSA):
        access_eddsa = issue_pair(user).access_token
VARIANTS = {
    "anonymous": ([], {}),
    "session": ([(b"cookie", session.encode())], {}),
    "api-token": ([(b"authorization", f"Bearer {api_token}".encode())], {}),
    "access-token": ([(b"authorization", f"Bearer {access}".encode())], {}),
    "access-token-eddsa": ([(b"authorization", f"Bearer {access_eddsa}".encode())], EDDSA),
    "access-token-deny-list": ([(b"authorization", f"Bearer {access}".encode())], DENY),
}
PATH = "/api/benchmark/whoami"


def scope(headers):
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": PATH, "raw_path": PATH.encode(), "query_string": b"",
            "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), (b"accept", b"*/*"), *headers],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}


async def serve(app, name, count):
    headers, _ = VARIANTS[name]
    bodies = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        if message["type"] == "http.response.start" and message["status"] != 200:
            sys.exit(f"{name}: status {message['status']}")
        if message["type"] == "http.response.body" and message.get("body"):
            bodies.append(message["body"])
    for _ in range(count):
        await app(scope(headers), receive, send)
    expected = b'{"username":null}' if name == "anonymous" else b'{"username":"bench-auth"}'
    if bodies[-1] != expected:
        sys.exit(f"{name}: answered {bodies[-1]!r}")


async def main():
    apps = {}
    for name in names:
        with override_settings(**VARIANTS[name][1]):
            apps[name] = get_application()
    async def run(name, count):
        with override_settings(**VARIANTS[name][1]):
            await serve(apps[name], name, count)
    for name in names:
        await run(name, warmup)
    if mode == "callgrind":
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True, check=False)
        await run(names[0], requests)
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True, check=False)
        return
    times = {name: [] for name in names}
    per_request_queries = {}
    for index in range(rounds):
        order = names[index % len(names):] + names[:index % len(names)]
        for name in order:
            before = queries[0]
            started = time.perf_counter()
            await run(name, requests)
            times[name].append((time.perf_counter() - started) / requests)
            per_request_queries[name] = (queries[0] - before) / requests
    print(json.dumps({name: {"seconds": statistics.median(times[name]), "queries": per_request_queries[name]}
                      for name in names}))

asyncio.run(main())
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["time", "callgrind"], default="time")
    parser.add_argument("--requests", type=int, default=300, help="requests per variant and round (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=200, help="requests per variant before measuring (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds, --mode time (default %(default)s)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="default: all (%(default)s)")
    args = parser.parse_args(argv)
    args.variants = [item for item in args.variants.split(",") if item]
    unknown = [v for v in args.variants if v not in VARIANTS]
    if unknown or args.requests < 1 or args.warmup < 1 or args.rounds < 1:
        parser.error(f"unknown variants {unknown}, or bad counts; see --help")
    if "anonymous" not in args.variants:
        args.variants.insert(0, "anonymous")  # the baseline of every ratio
    return args


def driver(site: Site, args: argparse.Namespace, names: list[str], prefix: list[str]) -> subprocess.CompletedProcess:
    command = [*prefix, sys.executable, "-c", DRIVER, args.mode, ",".join(names), str(args.warmup),
               str(args.requests), str(args.rounds)]
    done = subprocess.run(command, cwd=site.dir, env=site.env({}), capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{','.join(names)} failed:\n{done.stderr[-3000:]}")
    return done


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.mode == "callgrind" and (shutil.which("valgrind") is None or shutil.which("callgrind_control") is None):
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="dfb-auth-") as scratch:
        site = Site(Path(scratch))
        site.manage("migrate", "--noinput", extra={})
        try:
            if args.mode == "time":
                done = driver(site, args, args.variants, [])
                results = json.loads(done.stdout.strip().splitlines()[-1])
                base = results["anonymous"]["seconds"]
                print(f"== GET /api/benchmark/whoami, time per request: median of {args.rounds} interleaved "
                      f"rounds x {args.requests} requests, one in flight (SQLite, straight through ASGI)")
                for name, result in results.items():
                    print(f"{name:<24} {result['seconds'] * 1e6:>8.0f} us  {result['seconds'] / base:>5.2f}x anonymous"
                          f"  {result['queries']:.2f} queries/request")
                return 0
            print(f"== GET /api/benchmark/whoami, instructions per request: {args.requests} requests after "
                  f"{args.warmup} (callgrind; SQLite; one in flight, straight through ASGI)")
            counts = {}
            for name in args.variants:
                out = Path(scratch) / f"cg-{name}.out"
                driver(site, args, [name], ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                                            f"--callgrind-out-file={out}"])
                found = re.search(r"^totals:\s*(\d+)", out.read_text(), re.MULTILINE)
                if not found or not int(found.group(1)):
                    raise RuntimeError(f"no instructions counted in {out}")
                counts[name] = int(found.group(1)) / args.requests
                print(f"{name:<24} {counts[name] / 1000:>9.1f} k instructions  "
                      f"{counts[name] / counts['anonymous']:>5.2f}x anonymous", flush=True)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
