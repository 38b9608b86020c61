"""tests/core/test_request_values_db.py again, on PostgreSQL: NUL is a 422 there too, not DataError.

In a subprocess with tests.pg_settings: pytest-django creates and drops the run's own database.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.serverproc import REPO

pytestmark = pytest.mark.postgres


def test_null_characters_are_422_on_postgres(postgres_url):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.pg_settings", "DJANGO_FASTAPI_TEST_POSTGRES": postgres_url}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core/test_request_values_db.py"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
