"""The start-up heap frozen out of the garbage collector's full passes (django_fastapi/heap.py).

Each test runs the app's lifespan in a fresh interpreter: a freeze is once per process, and
freezing the test runner's own heap would tell nothing.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

LIFESPAN = """
import asyncio, gc, json, django
django.setup()
from django_fastapi.application import get_application
from django_fastapi.core.heap import freeze_startup_heap

async def lifespan(app):
    messages = asyncio.Queue()
    for message in ("lifespan.startup", "lifespan.shutdown"):
        messages.put_nowait({"type": message})
    sent = []
    async def send(message):
        sent.append(message["type"])
    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, messages.get, send)
    return sent

before = gc.get_freeze_count()
sent = asyncio.run(lifespan(get_application()))
print(json.dumps({"before": before, "after": gc.get_freeze_count(), "sent": sent,
                  "again": freeze_startup_heap()}))
"""


def run_lifespan(**settings) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.heap_settings", "PYTHONPATH": str(REPO)}
    env["DJANGO_FASTAPI_TEST_SETTINGS"] = json.dumps(settings)
    done = subprocess.run([sys.executable, "-c", LIFESPAN], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_heap_frozen_once_the_lifespan_has_started():
    result = run_lifespan()
    assert result["sent"] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    # Django's, FastAPI's and the app's objects (Python 3.12 starts with a few hundred frozen).
    assert result["after"] - result["before"] > 10_000


def test_heap_frozen_only_once_per_process():
    assert run_lifespan()["again"] is False


def test_heap_not_frozen_with_gc_freeze_off():
    result = run_lifespan(FASTAPI_GC_FREEZE=False)
    assert result["after"] == result["before"]
