"""hypercorn's internals the bridge relies on (``server/compat_hypercorn.py``).

Each test names the installed hypercorn version when it fails, so an upgrade that changes one is
seen at once.
"""

from __future__ import annotations

import inspect
import socket
from importlib.metadata import version

import pytest

pytest.importorskip("hypercorn")

from hypercorn.config import Config  # noqa: E402

from django_fastapi.server.compat_hypercorn import (  # noqa: E402
    WORKERS,
    close_sockets,
    create_sockets,
    worker_function,
)

HYPERCORN = f"hypercorn {version('hypercorn')}"


@pytest.mark.parametrize("worker_class", sorted(WORKERS))
def test_hypercorn_worker_functions_take_config_sockets_and_shutdown_event(worker_class):
    if worker_class == "trio":
        pytest.importorskip("trio")
    try:
        worker = worker_function(worker_class)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{HYPERCORN}: {WORKERS[worker_class]} is gone ({exc})")
    parameters = inspect.signature(worker).parameters
    assert {"config", "sockets", "shutdown_event"} <= set(parameters), f"{HYPERCORN}: {WORKERS[worker_class]} changed"


def test_hypercorn_config_class_names_the_worker_classes():
    assert Config().worker_class in WORKERS, f"{HYPERCORN}: Config.worker_class changed"


def test_hypercorn_creates_and_closes_the_listening_sockets():
    config = Config()
    config.bind = ["127.0.0.1:0"]
    try:
        sockets = create_sockets(config)
    except AttributeError as exc:
        pytest.fail(f"{HYPERCORN}: Config.create_sockets changed ({exc})")
    message = f"{HYPERCORN}: Config.create_sockets() / Sockets changed"
    assert sockets.insecure_sockets and all(isinstance(s, socket.socket) for s in sockets.insecure_sockets), message
    assert sockets.secure_sockets == [], message
    close_sockets(sockets)
    assert all(s.fileno() == -1 for s in sockets.insecure_sockets), message
