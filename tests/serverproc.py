"""Start ``manage.py runfastapi`` (or any server command) as a real subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
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
    """A server subprocess; ``start()`` waits until ``ready_path`` answers, within ``timeout`` seconds.

    Output goes to temporary files rather than pipes, so a chatty server never blocks on a full
    pipe and worker processes that outlive the parent cannot hang the read.
    """

    def __init__(self, args: list[str], *, cwd: Path = SAMPLE_SITE, env: dict[str, str] | None = None,
                 port: int | None = None, ready_path: str = "/api/openapi.json", timeout: float = 30.0,
                 scheme: str = "http", uds: str | None = None, http2: bool = False) -> None:
        self.port = port if port is not None else free_port()
        self.args = args
        self.cwd = cwd
        # pytest-django exports the tests' settings; the server's manage.py must choose its own.
        inherited = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
        self.env = {**inherited, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.ready_path = ready_path
        self.timeout = timeout
        self.scheme = scheme
        self.uds = uds
        self.http2 = http2
        self.process: subprocess.Popen[bytes] | None = None
        self._stdout = tempfile.TemporaryFile()
        self._stderr = tempfile.TemporaryFile()

    @classmethod
    def runfastapi(cls, *extra: str, port: int | None = None, **kwargs) -> ServerProcess:
        port = port if port is not None else free_port()
        args = [sys.executable, "manage.py", "runfastapi", f"127.0.0.1:{port}", "--noreload", *extra]
        return cls(args, port=port, **kwargs)

    @property
    def url(self) -> str:
        return "http://localhost" if self.uds else f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def stdout(self) -> str:
        return _read(self._stdout)

    @property
    def stderr(self) -> str:
        return _read(self._stderr)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def client(self, **kwargs) -> httpx.Client:
        """An httpx client for this server: its base URL, Unix socket, self-signed TLS, HTTP/2."""
        transport = httpx.HTTPTransport(uds=self.uds) if self.uds else None
        return httpx.Client(base_url=self.url, transport=transport, verify=False, http2=self.http2, **kwargs)

    def start(self) -> ServerProcess:
        self.process = subprocess.Popen(
            self.args, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=self._stdout,
            stderr=self._stderr, start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        with self.client(timeout=1) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output}")
                try:
                    if client.get(self.ready_path).status_code < 500:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not answer {self.ready_path} within {self.timeout}s:\n{self.output}")

    def send(self, sig: int) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)

    def wait(self, timeout: float = 15.0) -> int:
        """Wait for the exit code; after ``timeout`` kill the process group and fail."""
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill_group()
            raise RuntimeError(f"server did not exit within {timeout}s:\n{self.output}") from None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send ``sig`` and wait; returns the exit code (kills the process group after ``timeout``)."""
        assert self.process is not None
        self.send(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        # Also ends worker processes left behind in the server's own session.
        self._kill_group()
        return self.process.returncode

    def _kill_group(self) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _read(file) -> str:
    # pread leaves the offset alone: the server shares it and must keep appending at the end.
    fd = file.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace")


def pytest_on_postgres(module: str, postgres_url: str) -> subprocess.CompletedProcess[str]:
    """Run a test module again in a subprocess with tests.pg_settings (its own database)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.pg_settings", "DJANGO_FASTAPI_TEST_POSTGRES": postgres_url}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", module],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
