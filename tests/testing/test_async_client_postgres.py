"""tests/testing/test_async_client.py again, with the test database on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.serverproc import REPO

pytestmark = pytest.mark.postgres


def test_async_client_tests_pass_on_postgres(postgres_url):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.pg_settings", "DJANGO_FASTAPI_TEST_POSTGRES": postgres_url}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/testing/test_async_client.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
