"""tests/security/test_websockets.py again, with the test database on PostgreSQL: there a socket's
sync work on any connection but the test's would not see the test's uncommitted rows."""

from __future__ import annotations

import pytest

from tests.serverproc import pytest_on_postgres

pytestmark = pytest.mark.postgres


def test_websocket_client_tests_pass_on_postgres(postgres_url):
    done = pytest_on_postgres("tests/security/test_websockets.py", postgres_url)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
