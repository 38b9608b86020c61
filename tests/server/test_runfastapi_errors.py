"""Every input ``runfastapi`` cannot serve ends with one clear message and a non-zero exit, no traceback.

Each case runs twice: as a real ``manage.py runfastapi`` subprocess of the sample site, and in-process
through ``call_command``, which raises ``CommandError`` with the same message.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_fastapi.server import servers
from tests.projects import sample_site_database
from tests.serverproc import SAMPLE_SITE, ServerProcess, free_port

TYPO_OPTIONS = {"hypercorn": {"keep_alive_timout": 5}}

# (id, arguments after ``runfastapi``, message); {names} are filled from the ``paths`` fixture.
CASES = [
    ("addrport-not-a-port", ["abc"], '"abc" is not a valid port number or address:port pair.'),
    ("addrport-unknown-address", ["1.2.3:80"], "Port 80 on 1.2.3 is on an address this machine does not have."),
    ("addrport-port-too-large", ["70000"], "70000 is not a valid port number: use 1-65535"),
    ("port-in-use", ["127.0.0.1:{busy}"],
     "Port {busy} on 127.0.0.1 is already in use. Stop the other server or choose another port, e.g. runfastapi {next}"),
    ("unknown-server", ["{addr}", "--server", "gunicorn"], "argument --server: invalid choice: 'gunicorn'"),
    ("server-not-installed", ["{addr}", "--server", "hypercorn"],
     'The hypercorn server is not installed. Install it with: pip install "django-fastapi-bridge[hypercorn]"'),
    ("certfile-without-keyfile", ["{addr}", "--ssl-certfile", "{existing}"],
     "TLS needs both --ssl-certfile and --ssl-keyfile."),
    ("certfile-missing", ["{addr}", "--ssl-certfile", "{missing}", "--ssl-keyfile", "{existing}"],
     "--ssl-certfile '{missing}' does not exist or is not a file."),
    ("certfile-not-a-certificate", ["{addr}", "--ssl-certfile", "{existing}", "--ssl-keyfile", "{existing}"],
     "are not a PEM certificate and its unencrypted private key"),
    ("workers-zero", ["{addr}", "--workers", "0"], "--workers must be 1 or more; got 0."),
    ("http2-uvicorn", ["{addr}", "--server", "uvicorn", "--http2"],
     "uvicorn does not serve HTTP/2; use --server hypercorn or granian for --http2."),
    ("max-requests-granian", ["{addr}", "--server", "granian", "--max-requests", "100"],
     "granian does not recycle workers after a number of requests: leave out --max-requests"),
    ("uds-directory-missing", ["{addr}", "--uds", "{missing_dir}/api.sock"],
     "--uds '{missing_dir}/api.sock' is in a directory that does not exist."),
    ("unknown-server-option", ["{addr}", "--server", "hypercorn"],
     "FASTAPI_SERVER_OPTIONS['hypercorn'] has unknown hypercorn options: keep_alive_timout."),
]
IDS = [case[0] for case in CASES]

# Runs manage.py as ``python manage.py`` would, with hypercorn made unimportable.
WITHOUT_HYPERCORN = (
    'import runpy, sys; sys.modules["hypercorn"] = None; '
    'sys.argv = ["manage.py", *sys.argv[1:]]; runpy.run_path("manage.py", run_name="__main__")'
)


@pytest.fixture
def busy_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def paths(tmp_path, busy_port) -> dict[str, str]:
    existing = tmp_path / "not-a-certificate.pem"
    existing.write_text("not a certificate\n")
    return {
        "addr": f"127.0.0.1:{free_port()}", "busy": str(busy_port), "next": str(busy_port + 1),
        "existing": str(existing), "missing": str(tmp_path / "missing.pem"),
        "missing_dir": str(tmp_path / "missing"),
    }


def fill(template: str, paths: dict[str, str]) -> str:
    return template.format(**paths)


@pytest.fixture(scope="module")
def sample_env(tmp_path_factory) -> dict[str, str]:
    settings = tmp_path_factory.mktemp("settings")
    (settings / "typo_settings.py").write_text(
        f"from sample_site.settings import *  # noqa: F403\n\nFASTAPI_SERVER_OPTIONS = {TYPO_OPTIONS!r}\n"
    )
    return {"SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory)), "PYTHONPATH": str(settings)}


def run_manage(case_id: str, args: list[str], env: dict[str, str], reload: bool = False
               ) -> subprocess.CompletedProcess[str]:
    env = ServerProcess([], env=env).env
    if case_id == "unknown-server-option":
        env["DJANGO_SETTINGS_MODULE"] = "typo_settings"
    prefix = ["-c", WITHOUT_HYPERCORN] if case_id == "server-not-installed" else ["manage.py"]
    # With DEBUG on and no --noreload, runfastapi runs under Django's autoreloader (runserver's).
    mode = [] if reload else ["--noreload"]
    env["DJANGO_DEBUG"] = "1" if reload else env.get("DJANGO_DEBUG", "0")
    env.setdefault("SECRET_KEY", "tests-only-sample-site-key")  # without DEBUG the public default is refused
    return subprocess.run(
        [sys.executable, *prefix, "runfastapi", *args, *mode],
        cwd=SAMPLE_SITE, env=env, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize("reload", [False, True], ids=["noreload", "autoreloader"])
@pytest.mark.parametrize(("case_id", "args", "message"), CASES, ids=IDS)
def test_runfastapi_bad_input_exits_with_message(case_id, args, message, paths, sample_env, reload):
    result = run_manage(case_id, [fill(arg, paths) for arg in args], sample_env, reload)
    assert result.returncode != 0
    assert fill(message, paths) in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture
def never_serve(monkeypatch):
    """A safety net: should a bad input get through, fail instead of serving forever."""

    def refuse(self, app, options):
        raise AssertionError(f"{self.name} was asked to serve {options}")

    for server in servers.SERVERS.values():
        monkeypatch.setattr(type(server), "serve", refuse)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("case_id", "args", "message"), CASES, ids=IDS)
def test_call_command_runfastapi_bad_input_raises_command_error(case_id, args, message, paths, settings,
                                                                 monkeypatch, never_serve):
    if case_id == "server-not-installed":
        monkeypatch.setitem(sys.modules, "hypercorn", None)
    if case_id == "unknown-server-option":
        settings.FASTAPI_SERVER_OPTIONS = TYPO_OPTIONS
    with pytest.raises(CommandError) as raised:
        call_command("runfastapi", *[fill(arg, paths) for arg in args], "--noreload", stdout=StringIO())
    assert fill(message, paths) in str(raised.value)


def test_call_command_runfastapi_without_hypercorn_in_subprocess_raises_command_error(sample_env):
    script = (
        'import sys\nsys.modules["hypercorn"] = None\n'
        "import django\nfrom django.core.management import CommandError, call_command\n"
        "django.setup()\n"
        "try:\n"
        '    call_command("runfastapi", "--server", "hypercorn", "--noreload")\n'
        "except CommandError as exc:\n"
        '    print(f"CommandError: {exc}")\n'
        "    sys.exit(1)\n"
    )
    env = {**ServerProcess([], env=sample_env).env, "DJANGO_SETTINGS_MODULE": "sample_site.settings"}
    result = subprocess.run([sys.executable, "-c", script], cwd=SAMPLE_SITE, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert 'CommandError: The hypercorn server is not installed. Install it with: pip install ' \
           '"django-fastapi-bridge[hypercorn]"' in result.stdout


@pytest.mark.django_db(transaction=True)
def test_call_command_runfastapi_granian_under_autoreloader_raises_command_error(never_serve):
    with pytest.raises(CommandError) as raised:
        call_command("runfastapi", "--server", "granian", use_reloader=True, stdout=StringIO())
    assert "granian cannot run under Django's autoreloader" in str(raised.value)
    assert "--noreload" in str(raised.value)
