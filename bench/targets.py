"""What run.py serves and watches: a scratch copy of the sample site, its database configs, the
two uvicorn targets, and a sampler of server threads and PostgreSQL connections."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
SAMPLE_DIR = REPO_DIR / "sample_site"
SYNC_PATH = "/api/benchmark/permissions"
ASYNC_PATH = "/api/benchmark/permissions-async"

# The last line of a traceback ("module.Error: message"), not a log line ("[date] ..." or "INFO: ...").
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(:\s.*)?$")
_LEVEL = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):")

APPS = {"bridge": "django_fastapi.asgi:application", "hand-glued": "handglued.app:app"}
# django-bolt serves the same endpoint with its own (Rust) HTTP server, from boltsite/, in a
# virtualenv of its own: it needs Python 3.12+.
BOLT = "django-bolt"
# The bridge under granian (HTTP in Rust, the app in Python) through runfastapi --server granian.
GRANIAN = "bridge-granian"
BOLT_VENV = REPO_DIR / ".venv-bolt"
BOLT_INSTALL = (f"PYENV_VERSION=3.12.1 python -m venv {BOLT_VENV.name} && {BOLT_VENV.name}/bin/pip install "
                "django-bolt 'psycopg[binary,pool]'  (from the repository root; any Python 3.12+ will do)")


def bolt_python(explicit: str | None) -> tuple[str | None, str]:
    """The interpreter that has django-bolt, or None and the reason it cannot be used."""
    python = explicit or str(BOLT_VENV / "bin" / "python")
    if not Path(python).exists():
        return None, f"no interpreter at {python}; to install django-bolt: {BOLT_INSTALL}"
    code = "import django_bolt, psycopg, importlib.metadata as m; print(m.version('django-bolt'))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"{python} cannot import django_bolt and psycopg ({last}); {BOLT_INSTALL}"
    return python, done.stdout.strip()


@dataclass
class DbConfig:
    name: str
    env: dict[str, str]
    pg: bool
    expect_age: int | None = None  # CONN_MAX_AGE the settings must end up with, when it matters
    skip: str | None = None
    effective: str = ""


def db_configs(pg_url: str) -> list[DbConfig]:
    # Configs with expect_age are checked against the settings before running, and skipped
    # with the reason when the sample settings cannot express them.
    return [
        DbConfig("sqlite", {}, pg=False),
        # Django's default: a new SQLite connection per request, closed at its end.
        DbConfig("sqlite-age0", {"DATABASE_CONN_MAX_AGE": "0"}, pg=False, expect_age=0),
        # Persistent SQLite connections, as the hand-glued app in effect has: needs the sample
        # settings to apply DATABASE_CONN_MAX_AGE to SQLite as well.
        DbConfig("sqlite-age60", {"DATABASE_CONN_MAX_AGE": "60"}, pg=False, expect_age=60),
        DbConfig("pg-pool", {"DATABASE_URL": pg_url}, pg=True),
        DbConfig("pg-age0", {"DATABASE_URL": pg_url, "DATABASE_POOL": "0",
                             "DATABASE_CONN_MAX_AGE": "0"}, pg=True, expect_age=0),
        DbConfig("pg-age60", {"DATABASE_URL": pg_url, "DATABASE_POOL": "0",
                              "DATABASE_CONN_MAX_AGE": "60"}, pg=True, expect_age=60),
    ]


class Site:
    """A scratch copy of sample_site/, so migrations never touch the user's db.sqlite3."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "sample_site"
        shutil.copytree(SAMPLE_DIR, self.dir,
                        ignore=shutil.ignore_patterns("__pycache__", "staticfiles", "*.sqlite3-journal"))

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"
               and not k.startswith(("DATABASE_", "DJANGO_", "SAMPLE_SITE_", "FASTAPI_"))}
        # SAMPLE_SITE_ACCESS_LOG=0 asks for the bridge's per-request log off, as uvicorn's is
        # (--no-access-log) and as the hand-glued app has none; database_settings() reports
        # whether the sample settings honour it. SAMPLE_SITE_METRICS=0: Prometheus metrics off,
        # as they are by default (the sample site turns them on to show them).
        env.update(DJANGO_SETTINGS_MODULE="sample_site.settings", DJANGO_DEBUG="0",
                   SECRET_KEY="bench-only-sample-site-key", SAMPLE_SITE_METRICS="0",
                   SAMPLE_SITE_SQLITE=str(self.dir / "db.sqlite3"), SAMPLE_SITE_ACCESS_LOG="0",
                   PYTHONPATH=os.pathsep.join([str(self.dir), str(BENCH_DIR)]))
        env.update(extra)
        return env

    def manage(self, *args: str, extra: dict[str, str]) -> None:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=self.dir,
                              env=self.env(extra), capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")

    def database_settings(self, extra: dict[str, str]) -> dict:
        code = ("import django, json, logging; django.setup(); from django.conf import settings; "
                "d = settings.DATABASES['default']; print(json.dumps({'ENGINE': d['ENGINE'], "
                "'CONN_MAX_AGE': d.get('CONN_MAX_AGE', 0), 'pool': bool(d.get('OPTIONS', {}).get('pool')), "
                "'threads': getattr(settings, 'FASTAPI_THREADS', 16), "
                "'gc_freeze': getattr(settings, 'FASTAPI_GC_FREEZE', True), 'access_log': "
                "logging.getLogger('django_fastapi.server').isEnabledFor(logging.INFO)}))")
        done = subprocess.run([sys.executable, "-c", code], cwd=self.dir, env=self.env(extra),
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"could not read the sample settings:\n{done.stderr[-2000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def admin_dsn(pg_url: str) -> str:
    parts = urlsplit(pg_url)
    return urlunsplit(parts._replace(path="/postgres")) + "?connect_timeout=3"


def pg_unreachable(pg_url: str) -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        psycopg.connect(admin_dsn(pg_url), autocommit=True).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "skip PostgreSQL"
        return f"PostgreSQL unreachable at {urlsplit(pg_url).netloc}: {' '.join(str(exc).split())}"
    return None


def recreate_pg_database(pg_url: str) -> None:
    import psycopg

    name = urlsplit(pg_url).path.lstrip("/")
    with psycopg.connect(admin_dsn(pg_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class PgCounter:
    """Counts the backends connected to the benchmark database, not counting its own.

    Reconnects when the server went away (a restart by someone else): ``count()`` is then None.
    """

    def __init__(self, pg_url: str) -> None:
        self.dsn = admin_dsn(pg_url)
        self.db = urlsplit(pg_url).path.lstrip("/")
        self.conn = None
        self.lock = threading.Lock()

    def count(self) -> int | None:
        import psycopg

        with self.lock:
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = psycopg.connect(self.dsn, autocommit=True)
                return self.conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.db,),
                ).fetchone()[0]
            except psycopg.Error:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                return None

    def wait_for(self, target: int, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        while ((current := self.count()) is None or current > target) and time.monotonic() < deadline:
            time.sleep(0.2)
        return current

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_flags() -> list[str]:
    flags = []
    for module, flag in (("uvloop", "--loop=uvloop"), ("httptools", "--http=httptools")):
        try:
            __import__(module)
        except ImportError:
            continue
        flags.append(flag)
    return flags


class Server:
    """One uvicorn process serving ``app`` from the site copy, pinned by ``prefix`` (taskset)."""

    def __init__(self, site: Site, app: str, extra_env: dict[str, str], prefix: list[str],
                 python: str | None = None) -> None:
        """``app``: an ASGI app for uvicorn, or ``BOLT`` for django-bolt's runbolt under ``python``."""
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = site.env(extra_env)
        if app == BOLT:
            assert python is not None
            # One process, one Actix worker thread: one core, as uvicorn --workers 1 has.
            command = prefix + [
                python, "-m", "django", "runbolt", "--host=127.0.0.1", f"--port={self.port}",
                "--processes=1", "--workers=1", "--no-admin", "--skip-checks",
            ]
            env["DJANGO_SETTINGS_MODULE"] = "boltsite.settings"
        elif app == GRANIAN:
            # As a user runs it: runfastapi --server granian, one worker (granian's defaults: one
            # runtime thread, uvloop when installed).
            command = prefix + [
                sys.executable, "manage.py", "runfastapi", f"127.0.0.1:{self.port}", "--server=granian",
                "--noreload", "--skip-checks", "--log-level=warning",
            ]
        else:
            command = prefix + [
                sys.executable, "-m", "uvicorn", app, "--host=127.0.0.1", f"--port={self.port}",
                "--workers=1", "--no-access-log", "--log-level=warning", *_server_flags(),
            ]
        self.log = open(site.dir.parent / f"server-{self.port}.log", "w+")  # noqa: SIM115
        self.proc = subprocess.Popen(command, cwd=site.dir, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid

    def wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode} at startup:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.base + path, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.output()}")

    def get_json(self, path: str, timeout: float = 10):
        with urllib.request.urlopen(self.base + path, timeout=timeout) as response:
            return response.status, json.loads(response.read())

    def alive(self) -> bool:
        return self.proc.poll() is None

    def pids(self) -> list[int]:
        """The server process and its descendants (granian serves from a worker process)."""
        found, pending = [], [self.pid]
        while pending:
            pid = pending.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as children:
                        pending.extend(int(child) for child in children.read().split())
            except OSError:
                continue
        return found

    def threads(self) -> int:
        try:
            return sum(len(os.listdir(f"/proc/{pid}/task")) for pid in self.pids())
        except OSError:
            return -1

    def rss_mib(self) -> float:
        """Resident memory of the serving process now (the largest of the process tree: a
        supervising parent is not a worker)."""
        sizes = []
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as status:
                    sizes += [int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:")]
            except OSError:
                continue
        return max(sizes, default=float("nan"))

    def cpu_seconds(self) -> float:
        """User + system CPU time the server's processes have used so far."""
        ticks = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def output(self, limit: int | None = 4000) -> str:
        self.log.flush()
        self.log.seek(0)
        text = self.log.read()
        return text if limit is None else text[-limit:]

    def exceptions(self) -> list[str]:
        """One line per request that raised: the final exception uvicorn logged for it."""
        found: list[str] = []
        current: str | None = None
        for line in self.output(limit=None).splitlines():
            if "Exception in ASGI application" in line:
                if current is not None:
                    found.append(current)
                current = "?"
            elif current is not None and _EXCEPTION_LINE.match(line) and not _LEVEL.match(line):
                current = line.strip()
        if current is not None:
            found.append(current)
        return found

    def stop(self, timeout: float = 15) -> bool:
        """Stop gracefully (uvicorn waits for requests still running); True when it had to be killed."""
        killed = False
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                killed = True
        self.stop_seconds = time.monotonic() - started
        return killed

    def close(self) -> str:
        """Close the log; returns its tail."""
        tail = self.output()
        self.log.close()
        return tail


@dataclass
class Samples:
    threads: list[int] = field(default_factory=list)
    pg: list[int] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)


class Sampler(threading.Thread):
    """Every ``interval`` seconds, the server's thread count and (optionally) PostgreSQL backends."""

    def __init__(self, server: Server, pg: PgCounter | None, interval: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.server, self.pg, self.interval = server, pg, interval
        self.samples = Samples()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.threads.append(self.server.threads())
            self.samples.rss.append(self.server.rss_mib())
            count = self.pg.count() if self.pg else None
            if count is not None:
                self.samples.pg.append(count)
            self.stopping.wait(self.interval)

    def stop(self) -> Samples:
        self.stopping.set()
        self.join()
        return self.samples
