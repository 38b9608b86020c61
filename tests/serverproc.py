"""Start ``manage.py runfastapi`` (or any server command) as a real subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SITE = REPO / "sample_site"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """A server subprocess; ``start()`` waits until ``ready_path`` answers, within ``timeout`` seconds."""

    def __init__(self, args: list[str], *, cwd: Path = SAMPLE_SITE, env: dict[str, str] | None = None,
                 port: int | None = None, ready_path: str = "/api/openapi.json", timeout: float = 30.0) -> None:
        self.port = port if port is not None else free_port()
        self.args = args
        self.cwd = cwd
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.ready_path = ready_path
        self.timeout = timeout
        self.process: subprocess.Popen[str] | None = None
        self.output = ""

    @classmethod
    def runfastapi(cls, *extra: str, port: int | None = None, **kwargs) -> "ServerProcess":
        port = port if port is not None else free_port()
        args = [sys.executable, "manage.py", "runfastapi", f"127.0.0.1:{port}", "--noreload", *extra]
        return cls(args, port=port, **kwargs)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ServerProcess":
        self.process = subprocess.Popen(
            self.args, cwd=self.cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.output = self.process.stdout.read()
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=1).status_code < 500:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer {self.ready_path} within {self.timeout}s:\n{self.output}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send ``sig`` and wait; returns the exit code (kills the process group after ``timeout``)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.output += self.process.stdout.read()
        return self.process.returncode

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
