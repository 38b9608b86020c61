"""Every use of asgiref's undocumented internals, in one place.

``tests/test_compat.py`` fails naming the installed asgiref version if any of these change.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import AsyncToSync


def outer_sync_executor() -> Any:
    """The executor of an enclosing ``async_to_sync`` call (its caller's thread), if any.

    ``sync_to_async(thread_sensitive=True)`` sends calls there before anywhere else; the test
    client needs to know whether its sync work will reach the test's thread that way.
    """
    return getattr(AsyncToSync.executors, "current", None)
