"""The sample site in a real headless Chromium: a book created through the API appears on the live
page, and the room's websocket (sample_site/room) carries a message from a page and back.

Chromium is driven over the DevTools protocol (its websocket), so the page stays open while the
book is created. Needs Debian's ``chromium`` (``.ci/run`` installs it when it can); skipped without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.projects import sample_site_database
from tests.serverproc import SAMPLE_SITE, ServerProcess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(CHROMIUM is None, reason="needs a chromium binary (apt-get install chromium)"),
]


class Page:
    """One tab of a headless Chromium, evaluated over the DevTools protocol."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.next_id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]

    def evaluate(self, expression: str, await_promise: bool = False) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=await_promise)
        return result["result"].get("value")

    def wait_for(self, expression: str, expected: Any, attempts: int = 300) -> Any:
        for _ in range(attempts):
            value = self.evaluate(expression)
            if value == expected:
                return value
            time.sleep(0.05)
        return value


@pytest.fixture
def browser_page(tmp_path) -> Iterator[Page]:
    profile = tmp_path / "profile"
    process = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        active_port = profile / "DevToolsActivePort"
        for _ in range(600):
            if active_port.exists() and len(active_port.read_text().split()) == 2:
                break
            time.sleep(0.05)
        port = active_port.read_text().split()[0]
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        url = next(target for target in targets if target["type"] == "page")["webSocketDebuggerUrl"]
        with connect(url, max_size=None) as socket:
            yield Page(socket)
    finally:
        process.kill()
        process.wait(10)


def demo_token(env: dict[str, str]) -> str:
    def manage(*args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=SAMPLE_SITE, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("load_demo_data")
    return manage("shell", "-c", "from catalog.demo import demo_token; print(demo_token())").split()[-1]


@pytest.fixture
def sample_site(tmp_path, tmp_path_factory) -> Iterator[tuple[ServerProcess, str]]:
    """A runfastapi server of the sample site on a copy of its database, and the demo user's token."""
    database = tmp_path / "site.sqlite3"
    database.write_bytes(Path(sample_site_database(tmp_path_factory)).read_bytes())
    env = {"SAMPLE_SITE_SQLITE": str(database), "SAMPLE_SITE_ACCESS_LOG": "0"}
    token = demo_token({**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}, **env})
    with ServerProcess.runfastapi(env=env, timeout=60) as server:
        yield server, token


def test_live_page_shows_a_book_created_through_the_api(browser_page, sample_site):
    server, token = sample_site
    browser_page.call("Page.navigate", url=f"{server.url}/live/")
    assert browser_page.wait_for("document.getElementById('status')?.textContent", "connected") == "connected"
    with server.client(timeout=15, headers={"Authorization": f"Bearer {token}"}) as client:
        author = client.get("/api/catalog/authors").json()[0]["id"]
        response = client.post("/api/catalog/books", json={"title": "Seen live", "author": author})
    assert response.status_code == 201, response.text
    titles = "Array.from(document.querySelectorAll('li.book')).map(item => item.textContent)"
    assert browser_page.wait_for(titles, ["Seen live"]) == ["Seen live"]


# What a page's socket to the room sees: every message until the first chat message comes back, or
# how the socket ended without one. The 20 s bound only keeps a broken run from hanging the test.
ROOM_SOCKET = """
new Promise(resolve => {
  const protocols = %(protocols)s;
  const socket = new WebSocket(`ws://${location.host}/api/room/%(room)s`, protocols);
  const seen = [];
  let opened = false;
  socket.onopen = () => { opened = true; };
  socket.onmessage = event => {
    const data = JSON.parse(event.data);
    seen.push(data);
    if (data.type === "joined") socket.send("hello from a page");
    if (data.type === "message") { socket.close(); resolve({opened, seen}); }
  };
  socket.onclose = event => resolve({opened, seen, closed: event.code});
  setTimeout(() => resolve({opened, seen, timeout: true}), 20000);
})
"""



def test_room_message_from_a_page_comes_back_with_the_username(browser_page, sample_site):
    server, token = sample_site
    browser_page.call("Page.navigate", url=f"{server.url}/live/")
    browser_page.wait_for("document.readyState", "complete")
    script = ROOM_SOCKET % {"protocols": json.dumps(["bearer", token]), "room": "browser"}
    assert browser_page.evaluate(script, await_promise=True) == {"opened": True, "seen": [
        {"type": "joined", "user": "demo"},
        {"type": "message", "user": "demo", "text": "hello from a page"},
    ]}


def test_room_message_from_a_page_logged_in_to_the_admin_comes_back_with_the_username(browser_page, sample_site):
    server, _ = sample_site
    browser_page.call("Page.navigate", url=f"{server.url}/admin/login/?next=/live/")
    browser_page.wait_for("document.readyState === 'complete' && !!document.getElementById('id_username')", True)
    browser_page.evaluate("document.getElementById('id_username').value = 'demo';"
                          "document.getElementById('id_password').value = 'demo';"
                          "document.getElementById('login-form').submit()")
    assert browser_page.wait_for("location.pathname", "/live/") == "/live/"
    browser_page.wait_for("document.readyState", "complete")
    script = ROOM_SOCKET % {"protocols": "[]", "room": "browser-session"}
    assert browser_page.evaluate(script, await_promise=True) == {"opened": True, "seen": [
        {"type": "joined", "user": "demo"},
        {"type": "message", "user": "demo", "text": "hello from a page"},
    ]}


def test_room_refuses_an_anonymous_page(browser_page, sample_site):
    server, _ = sample_site
    browser_page.call("Page.navigate", url=f"{server.url}/live/")
    browser_page.wait_for("document.readyState", "complete")
    script = ROOM_SOCKET % {"protocols": "[]", "room": "browser"}
    assert browser_page.evaluate(script, await_promise=True) == {"opened": False, "seen": [], "closed": 1006}
