"""OpenTelemetry (``tracing_cases.py``), in a pytest process of its own: the tracer provider it
sets is global and cannot be unset, and would turn on FastAPI's own telemetry for later tests."""

import os
import subprocess
import sys

import pytest

from tests.serverproc import REPO

pytest.importorskip("opentelemetry.sdk.trace")
pytest.importorskip("opentelemetry.instrumentation.sqlite3")


def test_tracing_cases_pass_in_their_own_process():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/operations/tracing_cases.py"],
        cwd=REPO, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert "3 passed" in result.stdout, result.stdout[-2000:]
