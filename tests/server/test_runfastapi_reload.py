"""runfastapi under Django's autoreloader (the default with DEBUG), in a new project.

A broken api module is reported in one message and the server waits; fixing the file brings it
back, and an api module created while the server runs is picked up, as runserver recovers.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.projects import _env, make_project
from tests.serverproc import free_port

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("reload"))


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.2)


def save_until(path: Path, text: str, condition, timeout: float, what: str) -> None:
    """Save ``path``, and save it again every 3 s, until ``condition()`` holds.

    Django's reloader takes its first snapshot of the files up to a second after it starts, later
    on a loaded machine; a file saved before that is its starting point, not a change, so the
    test saves again, as a developer whose change did not show would.
    """
    deadline = time.monotonic() + timeout
    while True:
        path.write_text(text)
        saved = time.monotonic()
        while time.monotonic() - saved < 3:
            if condition():
                return
            time.sleep(0.2)
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_broken_api_module_waits_for_the_fix_and_new_modules_are_picked_up(project):
    shop_api = project / "shop" / "api.py"
    blog_api = project / "blog" / "api.py"
    good_shop, good_blog = shop_api.read_text(), blog_api.read_text()
    shop_api.write_text(good_shop + "\ndef broken(:\n")
    blog_api.unlink()
    port = free_port()
    stderr = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runfastapi", f"127.0.0.1:{port}"],
        cwd=project, env=_env(), stdout=subprocess.DEVNULL, stderr=stderr, text=True,
    )

    def errors() -> str:
        stderr.seek(0)
        return stderr.read()

    try:
        wait_until(lambda: "Waiting for a file change" in errors(), 60, "the broken module to be reported")
        assert "shop.api" in errors()
        assert server.poll() is None  # waiting, not gone
        save_until(shop_api, good_shop, lambda: answers(f"http://127.0.0.1:{port}/api/shop/products"), 60,
                   "the fixed server")
        save_until(blog_api, good_blog, lambda: answers(f"http://127.0.0.1:{port}/api/blog/posts"), 60,
                   "the new api module")
    finally:
        shop_api.write_text(good_shop)
        blog_api.write_text(good_blog)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        stderr.close()
