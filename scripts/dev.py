"""Set up a virtualenv and run the sample site or the test suite: the two README commands.

    python3 scripts/dev.py run            # install, migrate, load demo data, serve with runfastapi
    python3 scripts/dev.py test           # install, run the whole test suite (Django 5.2 LTS)
    python3.12 scripts/dev.py test --django "Django>=6,<7"   # the Django 6 leg
    python3.12 scripts/dev.py test --newest   # the newest releases of the libraries the bridge uses
    python3 scripts/dev.py fuzz           # schemathesis against the sample site's OpenAPI documents

Only the standard library is used here, so it works on a fresh clone with nothing but Python.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SITE = REPO / "sample_site"
DEFAULT_DJANGO = "Django>=5.2,<6"
# What --newest upgrades past the project's floors: the libraries whose internals the compat modules
# use (django_fastapi/core/compat_*.py, server/compat_hypercorn.py) and the servers.
NEWEST = ["Django", "fastapi", "starlette", "asgiref", "pydantic", "uvicorn[standard]", "hypercorn",
          "psycopg[binary,pool]", "psycopg-pool"]


def venv_dir(django: str) -> Path:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    tag = re.sub(r"[^0-9A-Za-z.]+", "", django.split(",")[0].replace("Django", "django"))
    return REPO / f".venv-py{version}-{tag}"


def ensure_venv(path: Path, requirements: list[str]) -> Path:
    python = path / "bin" / "python"
    if not python.exists():
        print(f"Creating {path.name} with Python {sys.version.split()[0]}", flush=True)
        venv.EnvBuilder(with_pip=True).create(path)
    marker = path / ".installed"
    # Reinstall when the requirements or the package's own dependencies (setup.cfg) change.
    wanted = "\n".join([*requirements, hashlib.sha256((REPO / "setup.cfg").read_bytes()).hexdigest()])
    if not marker.exists() or marker.read_text() != wanted:
        print("Installing: " + " ".join(requirements), flush=True)
        run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements])
        marker.write_text(wanted)
    return python


def run(command: list[str], cwd: Path = REPO, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})})
    if result.returncode != 0:
        sys.exit(result.returncode)


def serve(args: argparse.Namespace, extra: list[str]) -> None:
    python = ensure_venv(venv_dir(args.django), [args.django, "-e", f"{REPO}[all,test]"])
    manage = [str(python), "manage.py"]
    run([*manage, "migrate", "--noinput"], cwd=SAMPLE_SITE)
    host, _, port = args.addrport.rpartition(":")
    url = f"http://{host or '127.0.0.1'}:{port}" if port.isdigit() else "http://127.0.0.1:8000"
    run([*manage, "load_demo_data", "--url", url], cwd=SAMPLE_SITE)
    os.chdir(SAMPLE_SITE)
    os.execv(str(python), [str(python), "manage.py", "runfastapi", args.addrport, *extra])


def newest_venv_dir() -> Path:
    return REPO / f".venv-py{sys.version_info.major}.{sys.version_info.minor}-newest"


def test(args: argparse.Namespace, extra: list[str]) -> None:
    if args.newest:
        # Its own virtualenv; the upgrade runs every time, so a release is tested the day it ships.
        python = ensure_venv(newest_venv_dir(), ["-e", f"{REPO}[all,test]"])
        print("Upgrading to the newest releases: " + " ".join(NEWEST), flush=True)
        run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", *NEWEST])
        names = ", ".join(repr(name.split("[")[0]) for name in NEWEST)
        run([str(python), "-c", "from importlib.metadata import version; "
             f"print('Newest releases:', ', '.join(f'{{n}} {{version(n)}}' for n in [{names}]))"])
    else:
        python = ensure_venv(venv_dir(args.django), [args.django, "-e", f"{REPO}[all,test]"])
    run([str(python), "-m", "django", "--version"])
    run([str(python), "-m", "pytest", *parallel(extra), *extra])


def parallel(extra: list[str]) -> list[str]:
    """pytest-xdist workers, one per core and at most 4 (most tests start servers), unless the
    arguments choose (``-n 0``: one process)."""
    chosen = any(arg.startswith(("-n", "--numprocesses", "--dist")) or arg == "no:xdist" for arg in extra)
    cores = os.cpu_count() or 1
    # loadfile: a module's tests (and its module-scoped servers) stay on one worker, in order.
    return [] if chosen or cores < 2 else ["-n", str(min(cores, 4)), "--dist", "loadfile"]


# Each OpenAPI document of the sample site, and whether the staff demo user's token is sent.
FUZZ_DOCUMENTS = [
    ("/api/openapi.json", False),
    ("/api/openapi.json", True),
    ("/api/internal/openapi.json", True),
    ("/api/v1/openapi.json", False),
    ("/api/v2/openapi.json", False),
]
# Long by design (waits of up to 60 s, long polls, endless event streams): fuzzing would only time
# out on them.
FUZZ_EXCLUDED = r"^/api/(v[0-9]+/)?(benchmark/(wait|events|live)|catalog/books/(live|poll))$"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fuzz(args: argparse.Namespace, extra: list[str]) -> None:
    """Serve the sample site (a throwaway SQLite database, DEBUG off) and run schemathesis on each
    OpenAPI document: any 5xx or response that breaks its schema fails."""
    python = ensure_venv(venv_dir(args.django), [args.django, "-e", f"{REPO}[all,test]"])
    schemathesis = ensure_venv(REPO / ".venv-fuzz", ["schemathesis>=4.32,<5"]).parent / "schemathesis"
    scratch = Path(tempfile.mkdtemp(prefix="dfb-fuzz-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DJANGO_DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50),
           "SAMPLE_SITE_SQLITE": str(scratch / "db.sqlite3")}
    manage = [str(python), "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=SAMPLE_SITE, env=env, check=True)
    demo = subprocess.run([*manage, "load_demo_data", "--url", url], cwd=SAMPLE_SITE, env=env, check=True,
                          capture_output=True, text=True).stdout
    token = re.search(r"API token of 'demo': (\S+)", demo).group(1)
    log = open(scratch / "server.log", "w")
    server = subprocess.Popen([*manage, "runfastapi", f"127.0.0.1:{port}", "--noreload"], cwd=SAMPLE_SITE,
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    failed: list[str] = []
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/openapi.json", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        for path, authenticated in FUZZ_DOCUMENTS:
            who = "the staff demo user" if authenticated else "anonymously"
            print(f"== schemathesis: {path}, {who}", flush=True)
            command = [str(schemathesis), "run", f"{url}{path}", "--checks",
                       "not_a_server_error,response_schema_conformance", "--exclude-path-regex", FUZZ_EXCLUDED,
                       "--phases", "examples,coverage,fuzzing", "--max-examples", str(args.max_examples),
                       "--max-time", str(args.max_time), "--request-timeout", "10", "--workers", "1",
                       "--no-color", *extra]
            if authenticated:
                command += ["--header", f"Authorization: Bearer {token}"]
            if subprocess.run(command).returncode != 0:
                failed.append(f"{path} ({who})")
    finally:
        server.terminate()
        server.wait(60)
        log.close()
    errors = [line for line in (scratch / "server.log").read_text().splitlines() if "Traceback" in line]
    if failed or errors:
        print(f"FUZZING FAILED: {', '.join(failed) or 'tracebacks in the server log'}; server log: "
              f"{scratch / 'server.log'}", flush=True)
        sys.exit(1)
    print("Fuzzing OK: no 5xx and no response outside its schema in " + ", ".join(
        f"{path} ({'staff' if authenticated else 'anonymous'})" for path, authenticated in FUZZ_DOCUMENTS))


def main() -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--django", default=DEFAULT_DJANGO, help="Django requirement (default: %(default)s).")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", parents=[common], help="Serve the sample site with runfastapi.")
    run_parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000",
                            help="Address and port to serve on, as runfastapi takes them (default: %(default)s).")
    test_parser = commands.add_parser("test", parents=[common], help="Run the test suite; extra arguments go to pytest.")
    test_parser.add_argument(
        "--newest", action="store_true",
        help="In its own virtualenv, upgrade Django, FastAPI, Starlette, asgiref, pydantic, uvicorn, "
        "hypercorn and psycopg to their newest releases (past --django), then run the suite.",
    )
    fuzz_parser = commands.add_parser(
        "fuzz", parents=[common],
        help="Fuzz the sample site's OpenAPI documents with schemathesis; extra arguments go to it.",
    )
    fuzz_parser.add_argument("--max-examples", type=int, default=25, help="Examples per operation (default: %(default)s).")
    fuzz_parser.add_argument("--max-time", type=int, default=40, help="Seconds per document at most (default: %(default)s).")
    args, extra = parser.parse_known_args()
    {"run": serve, "test": test, "fuzz": fuzz}[args.command](args, extra)


if __name__ == "__main__":
    main()
