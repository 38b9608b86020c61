"""Django's PostgreSQL connection pools (``OPTIONS: {"pool": ...}``) under the bridge.

With ``CONN_HEALTH_CHECKS``, psycopg_pool checks each connection it lends with a round trip to the
server. The bridge makes two changes to that check (through ``compat_psycopg_pool``: Django passes
``check=`` itself, so there is no public hook):

- an idle connection whose socket has nothing to read is lent without the round trip. A server
  that restarted or ended the connection has closed the socket, which makes it readable; so the
  round trip is still made exactly when something is there. A connection cut off silently (no
  packet at all) is found by its first query instead, which fails with a 503.
- when the check fails, the pool checks all its idle connections at once. After a restart every
  one of them is dead, and psycopg_pool would discard them one ``getconn()`` at a time, waiting
  1, 2, 4... seconds between them, so a request would time out although the server is back.
"""

from __future__ import annotations

import select
from typing import Any

from django.db import connections

from .compat_psycopg_pool import connection_check, replace_connection_check

MARK = "django_fastapi_check"


def _pools() -> list[Any]:
    pools = []
    for alias in connections:
        if connections.settings[alias].get("OPTIONS", {}).get("pool"):
            pool = getattr(connections[alias], "pool", None)
            if pool is not None:
                pools.append(pool)
    return pools


def prepare_pools() -> None:
    for pool in _pools():
        check = connection_check(pool)
        if check is not None and not getattr(check, MARK, False):
            replace_connection_check(pool, _check_for(pool, check))


def _check_for(pool: Any, check: Any) -> Any:
    def check_connection(connection: Any) -> None:
        if _quiet(connection):
            return
        try:
            check(connection)
        except Exception:
            pool.check()
            raise

    setattr(check_connection, MARK, True)
    return check_connection


def _quiet(connection: Any) -> bool:
    """Whether the idle connection's socket is open with nothing waiting to be read."""
    try:
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def close_pools() -> None:
    for alias in connections:
        close_pool = getattr(connections[alias], "close_pool", None)
        if close_pool is not None and connections.settings[alias].get("OPTIONS", {}).get("pool"):
            close_pool()
