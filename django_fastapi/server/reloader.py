"""Django's autoreloader, stopped gracefully by Ctrl-C and SIGTERM.

Under the reloader two processes run: the one the user started restarts a child whenever a watched
file changes, and the child serves from a thread (its main thread watches files). Django's own
parent kills the child at once on SIGTERM (and a quarter of a second after Ctrl-C), and the child
exits without stopping its server thread: in-flight requests were cut and shutdown hooks never
ran. Here the parent passes a stop signal on to the child and waits for it, and the child stops
its server as the server's own signal handling would before it exits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.utils import autoreload

from ..core.compat_django import is_reloader_child, reloader_child
from .servers import SHUTDOWN_MARGIN, stop_servers

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The child exits with this status to be restarted (Django's reloader's convention).
RESTART = 3


def run_with_reloader(main_func: Callable[..., None], graceful_timeout: float | None, /, **kwargs: Any) -> None:
    """``autoreload.run_with_reloader``, stopped gracefully by SIGINT and SIGTERM in both processes."""
    if not is_reloader_child():
        sys.exit(restart_with_reloader())
    autoreload.autoreload_started.connect(
        stop_gracefully_on_signals(graceful_timeout), weak=False, dispatch_uid="django_fastapi_graceful_stop"
    )
    autoreload.run_with_reloader(main_func, **kwargs)


def restart_with_reloader() -> int:
    """Django's ``autoreload.restart_with_reloader`` (run in the parent), except that SIGINT and
    SIGTERM are passed on to the child as SIGTERM, and the parent waits for it to finish."""
    while True:
        arguments, environ = reloader_child()
        child = subprocess.Popen(arguments, env=environ, close_fds=False)

        def forward(signum: int, frame: FrameType | None, child: subprocess.Popen[Any] = child) -> None:
            # Ctrl-C reaches the child from the terminal too; SIGTERM never starts a forced exit.
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

        previous = {signum: signal.signal(signum, forward) for signum in STOP_SIGNALS}
        try:
            returncode = child.wait()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if returncode != RESTART:
            # A child ended by a signal reports -N; a shell reports 128 + N.
            return returncode if returncode >= 0 else 128 - returncode


def stop_gracefully_on_signals(graceful_timeout: float | None) -> Callable[..., None]:
    """A receiver for ``autoreload_started``, which the child sends from its main thread once Django
    has installed its own SIGTERM handler: replaces it, and Ctrl-C's, by a graceful stop.

    The first SIGINT or SIGTERM stops the server (in-flight requests get ``graceful_timeout``,
    shutdown hooks run) and exits 0; a second Ctrl-C exits at once.
    """
    timeout = None if graceful_timeout is None else graceful_timeout + 2 * SHUTDOWN_MARGIN
    stopping = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            if signum == signal.SIGINT:
                os._exit(128 + signum)
            return
        stopping = True
        stop_servers(timeout)
        # Out of the reloader's loop in the main thread, ending the process as runserver does.
        sys.exit(0)

    def install(sender: Any, **kwargs: Any) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, handler)

    return install
