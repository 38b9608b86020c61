"""Swagger UI renders the operations in a real headless Chromium, with every host but the server unreachable.

Needs Debian's ``chromium`` (``.ci/run`` installs it when it can); skipped without it.
"""

import shutil
import subprocess

import pytest

from tests.serverproc import ServerProcess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(CHROMIUM is None, reason="needs a chromium binary (apt-get install chromium)"),
]


def rendered_dom(url: str, profile: str) -> str:
    result = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--no-first-run",
            # No network but the test server: a CDN request would fail and leave the page blank.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", url,
        ],
        capture_output=True, text=True, timeout=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_docs_browser_swagger_ui_renders_operations_offline(tmp_path):
    # The page also sends "Content-Security-Policy: default-src 'self'": rendering proves it holds.
    with ServerProcess.runfastapi(timeout=60) as server:
        dom = rendered_dom(f"{server.url}/api/docs", str(tmp_path / "profile"))
    assert 'class="opblock opblock-get' in dom
    assert 'data-path="/api/catalog/books"' in dom
