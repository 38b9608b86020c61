"""tests/events/test_publishing.py and test_sample_site.py again, with the test database on
PostgreSQL: events on commit and never on rollback, with real PostgreSQL transactions."""

from __future__ import annotations

import pytest

from tests.serverproc import pytest_on_postgres

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("module", ["tests/events/test_publishing.py", "tests/events/test_sample_site.py"])
def test_publishing_tests_pass_on_postgres(postgres_url, module):
    done = pytest_on_postgres(module, postgres_url)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
