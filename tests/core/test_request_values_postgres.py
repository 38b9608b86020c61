"""tests/core/test_request_values_db.py again, on PostgreSQL: NUL is a 422 there too, not DataError.

In a subprocess with tests.pg_settings: pytest-django creates and drops the run's own database.
"""

from __future__ import annotations

import pytest

from tests.serverproc import pytest_on_postgres

pytestmark = pytest.mark.postgres


def test_null_characters_are_422_on_postgres(postgres_url):
    done = pytest_on_postgres("tests/core/test_request_values_db.py", postgres_url)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
