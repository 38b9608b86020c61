"""Set up a virtualenv and run the sample site or the test suite: the two README commands.

    python3 scripts/dev.py run            # install, migrate, load demo data, serve with runfastapi
    python3 scripts/dev.py test           # install, run the whole test suite (Django 5.2 LTS)
    python3.12 scripts/dev.py test --django "Django>=6,<7"   # the Django 6 leg
    python3.12 scripts/dev.py test --newest   # the newest releases of the libraries the bridge uses

Only the standard library is used here, so it works on a fresh clone with nothing but Python.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
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
    run([str(python), "-m", "pytest", *extra])


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
    args, extra = parser.parse_known_args()
    {"run": serve, "test": test}[args.command](args, extra)


if __name__ == "__main__":
    main()
