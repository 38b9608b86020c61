"""Every use of psycopg_pool's undocumented internals, in one place.

- ``ConnectionPool._check``: the connection check the pool runs before lending a connection.
  Django passes ``check=`` itself when it builds the pool, so the bridge has no public way to
  change it (see ``pools.py``).

``tests/core/test_compat.py`` fails naming the installed psycopg_pool version if this changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def connection_check(pool: Any) -> Callable[[Any], None] | None:
    """The check ``pool`` runs on a connection before lending it, or None without one."""
    return getattr(pool, "_check", None)


def replace_connection_check(pool: Any, check: Callable[[Any], None]) -> None:
    """Make ``pool`` run ``check`` on a connection before lending it."""
    pool._check = check
