"""A real uvicorn or hypercorn server in a background thread, for tests that need real HTTP.

Its requests run on the bridge's own threads with their own connections, so the data a test
creates must be committed: use it with ``transactional_db`` (or ``TransactionTestCase``).

    with LiveServer(server="hypercorn") as live:
        httpx.get(live.url + "/api/notes")
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from typing import Any

from django.test.utils import modify_settings

from ..application import get_application
from ..server.servers import SERVERS


class LiveServer:
    def __init__(
        self, app: Any = None, host: str = "127.0.0.1", startup_timeout: float = 20.0, *, server: str = "uvicorn"
    ) -> None:

        in_thread = [name for name, candidate in SERVERS.items() if candidate.runs_in_thread]
        if server not in in_thread:
            raise ValueError(
                f"server must be one of {', '.join(map(repr, in_thread))}; got {server!r}. "
                "(granian serves from worker processes of its own: run manage.py runfastapi --server granian.)"
            )
        self.module = SERVERS[server].require()
        self.app = app or get_application()
        self.host = host
        self.startup_timeout = startup_timeout
        self.server_name = server
        self._socket = socket.socket()
        self._socket.bind((host, 0))
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, name="django_fastapi-live-server", daemon=True)

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        if self.server_name == "uvicorn":
            config = self.module.Config(self.app, lifespan="on", log_level="warning")
            self._uvicorn = self.module.Server(config)
            threading.Thread(target=self._wait_uvicorn, daemon=True).start()
            self._uvicorn.run(sockets=[self._socket])
        else:
            asyncio.run(self._hypercorn())

    def _wait_uvicorn(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while not self._uvicorn.started and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(0.01)
        if self._uvicorn.started:
            self._started.set()

    async def _hypercorn(self) -> None:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        # hypercorn owns, and closes, the descriptor it is given.
        config.bind = [f"fd://{os.dup(self._socket.fileno())}"]
        config.loglevel = "WARNING"
        self._stop = stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()

        async def until_stopped() -> None:
            await stop.wait()

        async def started() -> None:
            # hypercorn serves the lifespan before it accepts; a request answered means ready.
            while True:
                try:
                    _, writer = await asyncio.open_connection(self.host, self.port)
                except OSError:
                    await asyncio.sleep(0.01)
                    continue
                writer.close()
                self._started.set()
                return

        probe = asyncio.ensure_future(started())
        try:
            # hypercorn's ASGIFramework type (its own TypedDict scopes) does not accept Starlette's
            # generic ASGI signature, though FastAPI is an ASGI 3 application.
            await serve(self.app, config, shutdown_trigger=until_stopped)  # type: ignore[arg-type]
        finally:
            probe.cancel()

    def start(self) -> LiveServer:
        # As Django's LiveServerTestCase: the server's own host is allowed while it runs.
        self._hosts = modify_settings(ALLOWED_HOSTS={"append": self.host})
        self._hosts.enable()
        self.thread.start()
        if not self._started.wait(self.startup_timeout):
            raise RuntimeError("The live server did not start; see the log above.")
        return self

    def stop(self) -> None:
        if self.server_name == "uvicorn":
            self._uvicorn.should_exit = True
        elif self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(timeout=self.startup_timeout)
        self._socket.close()
        self._hosts.disable()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
