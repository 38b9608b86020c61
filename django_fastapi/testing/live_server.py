"""A real uvicorn server in a background thread, for tests that need real HTTP.

Its requests run on the bridge's own threads with their own connections, so the data a test
creates must be committed: use it with ``transactional_db`` (or ``TransactionTestCase``).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from ..application import get_application
from ..server.servers import SERVERS


class LiveServer:
    def __init__(self, app: Any = None, host: str = "127.0.0.1", startup_timeout: float = 20.0) -> None:
        uvicorn = SERVERS["uvicorn"].require()
        self.app = app or get_application()
        self.host = host
        self.startup_timeout = startup_timeout
        config = uvicorn.Config(self.app, host=host, port=0, lifespan="on", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="django_fastapi-live-server", daemon=True)

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("The live server did not start; see the log above.")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=self.startup_timeout)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
