"""A private, throwaway PostgreSQL server for tests that stop or restart PostgreSQL.

``initdb`` into a temporary directory, its own free port on 127.0.0.1 and a socket in that directory,
trust authentication for the ``postgres`` user. The shared server is never touched: tests that need
an outage stop this one. As root, initdb and postgres refuse to run, so the server runs as the
``postgres`` OS user (``runuser``), which owns the temporary directory.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.serverproc import free_port

OS_USER = "postgres"


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: ``pg_config --bindir``, else the newest Debian one."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        result = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=30)
        if result.returncode == 0:
            candidates.append(result.stdout.strip())

    def version(path: str) -> tuple[int, ...]:
        number = Path(path).parent.name
        return tuple(int(part) for part in number.split(".")) if number.replace(".", "").isdigit() else ()

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    for found in (os.path.dirname(path) for path in (shutil.which("initdb"), shutil.which("pg_ctl")) if path):
        candidates.append(found)
    for candidate in candidates:
        if all(os.access(Path(candidate) / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return Path(candidate)
    return None


def unavailable_reason() -> str | None:
    """Why a private server cannot be started here, or None when it can."""
    if find_bindir() is None:
        return "PostgreSQL's initdb, pg_ctl and postgres were not found (pg_config --bindir, /usr/lib/postgresql/*/bin, PATH)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            return f"running as root and there is no {OS_USER!r} OS user to run a private PostgreSQL server as"
        if not shutil.which("runuser"):
            return f"running as root and runuser is missing, so PostgreSQL cannot run as {OS_USER!r}"
    return None


class PrivatePostgres:
    """``start()``, ``stop()``, ``restart()`` and ``remove()`` a server of this process's own."""

    def __init__(self) -> None:
        bindir = find_bindir()
        assert bindir is not None, unavailable_reason()
        self.bindir = bindir
        self.as_root = os.geteuid() == 0
        self.directory = Path(tempfile.mkdtemp(prefix="dfb-private-pg-"))
        self.datadir = self.directory / "data"
        self.logfile = self.directory / "postgresql.log"
        self.port = 0
        if self.as_root:
            account = pwd.getpwnam(OS_USER)
            os.chown(self.directory, account.pw_uid, account.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", OS_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                cwd=self.directory, env={**os.environ, "LC_ALL": "C"})
        if result.returncode != 0:
            log = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed ({result.returncode}): "
                               f"{result.stdout}{result.stderr}{log}")
        return result

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile), "-w", "-t", "60", *args)

    def start(self) -> PrivatePostgres:
        """initdb and start on a free port the first time (retried if another process takes the port),
        then start again on that same port, so clients configured with it reconnect."""
        if self.port:
            self._pg_ctl("start")
            return self
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-locale", "--no-sync")
        for attempt in range(5):
            port = free_port()
            # Appended as root, the file keeps its owner; the last setting of a name wins.
            with open(self.datadir / "postgresql.conf", "a") as conf:
                conf.write(f"\n# private test server\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                           f"unix_socket_directories = '{self.directory}'\nfsync = off\n"
                           "synchronous_commit = off\nfull_page_writes = off\n")
            try:
                self._pg_ctl("start")
            except RuntimeError:
                if attempt == 4:
                    raise
                time.sleep(0.2)
            else:
                self.port = port
                return self
        return self

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "restart")

    def running(self) -> bool:
        command = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "status"]
        if self.as_root:
            command = ["runuser", "-u", OS_USER, "--", *command]
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0

    def remove(self) -> None:
        """Stop the server if it runs (immediately: it is thrown away) and delete its directory."""
        try:
            if self.datadir.exists() and self.running():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
