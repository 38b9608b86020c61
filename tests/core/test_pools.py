"""The pool health check's shortcut: an idle connection is checked without a round trip only
while its socket is quiet; a connection the server ended is always checked for real."""

import time

import pytest

from django_fastapi.core.pools import _check_for, _quiet

pytestmark = pytest.mark.postgres


@pytest.fixture
def connection(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        yield conn


class RecordingPool:
    def __init__(self):
        self.full_checks = 0

    def check(self):
        self.full_checks += 1


def terminate(postgres_url, pid):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.2)


def test_quiet_is_true_for_an_idle_live_connection(connection):
    connection.execute("SELECT 1")
    assert _quiet(connection)


def test_quiet_is_false_once_the_server_ends_the_connection(postgres_url, connection):
    terminate(postgres_url, connection.info.backend_pid)
    assert not _quiet(connection)


def test_check_skips_the_round_trip_for_a_quiet_connection(connection):
    calls = []
    _check_for(RecordingPool(), calls.append)(connection)
    assert calls == []


def test_check_of_an_ended_connection_fails_and_checks_the_whole_pool(postgres_url, connection):
    import psycopg
    from psycopg_pool import ConnectionPool

    pool = RecordingPool()
    terminate(postgres_url, connection.info.backend_pid)
    with pytest.raises(psycopg.OperationalError):
        _check_for(pool, ConnectionPool.check_connection)(connection)
    assert pool.full_checks == 1
