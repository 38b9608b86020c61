"""Every use of hypercorn's undocumented internals, in one place.

hypercorn has no public API for running several workers other than its own supervisor
(``hypercorn.run.run``), which terminates the other workers as soon as one exits. The bridge runs
the workers itself (``servers.run_hypercorn_workers``), so it needs what that supervisor uses:

- the worker function of each ``worker_class`` (``hypercorn.asyncio.run.asyncio_worker``, ...),
  called as ``worker(config=..., sockets=..., shutdown_event=...)``;
- ``Config.create_sockets()`` and the ``Sockets`` it returns (``secure_sockets``,
  ``insecure_sockets``).

``tests/server/test_compat.py`` fails naming the installed hypercorn version if any of these change.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

WORKERS = {
    "asyncio": "hypercorn.asyncio.run.asyncio_worker",
    "uvloop": "hypercorn.asyncio.run.uvloop_worker",
    "trio": "hypercorn.trio.run.trio_worker",
}


def worker_function(worker_class: str) -> Callable[..., None]:
    """The function a worker process runs for ``config.worker_class``; call it with the keyword
    arguments ``config``, ``sockets`` and ``shutdown_event`` (a multiprocessing event)."""
    module, _, name = WORKERS[worker_class].rpartition(".")
    return getattr(import_module(module), name)


def create_sockets(config: Any) -> Any:
    """The listening sockets for ``config.bind``, to hand to every worker."""
    return config.create_sockets()


def close_sockets(sockets: Any) -> None:
    """Close what ``create_sockets`` opened (in the parent, once the workers have stopped)."""
    for sock in [*sockets.secure_sockets, *sockets.insecure_sockets]:
        sock.close()
