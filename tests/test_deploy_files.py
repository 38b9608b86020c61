"""The deployment files build from this repository and run runfastapi with options it accepts.

Docker may not run where the tests do: the files are checked as data here (what they copy exists,
what they run parses), and built by hand as docs/production.rst says.
"""

from __future__ import annotations

import json
import re
import shlex

import pytest
import yaml

from django_fastapi.management.commands.runfastapi import Command
from tests.serverproc import REPO


def runfastapi_options(argv: list[str]) -> dict:
    assert argv[argv.index("manage.py") + 1] == "runfastapi", argv
    parser = Command().create_parser("manage.py", "runfastapi")
    return vars(parser.parse_args(argv[argv.index("manage.py") + 2:]))


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n\s*", " ", (REPO / "Dockerfile").read_text())
    return [tuple(line.split(None, 1)) for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_dockerfile_copies_files_of_the_repository():
    for instruction, arguments in dockerfile_instructions():
        if instruction == "COPY":
            *sources, _ = arguments.split()
            assert all((REPO / source).exists() for source in sources), sources


def test_dockerfile_runs_runfastapi_with_several_workers_and_recycling():
    [command] = [json.loads(arguments) for instruction, arguments in dockerfile_instructions() if instruction == "CMD"]
    options = runfastapi_options(command)
    assert options["workers"] == 2 and options["max_requests"] and options["max_rss"] and options["proxy_headers"]


def test_compose_has_two_web_processes_on_postgres_and_redis_built_from_the_repository():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web1", "web2", "postgres", "redis", "nginx"} <= set(services)
    for name in ("web1", "web2"):
        web = services[name]
        assert web["build"] == "."
        assert web["environment"]["DATABASE_URL"].startswith("postgres://") and "@postgres:" in web["environment"]["DATABASE_URL"]
        assert web["environment"]["REDIS_URL"].startswith("redis://redis:")
        assert "/api/ready" in " ".join(web["healthcheck"]["test"])
    for volume in services["nginx"]["volumes"]:
        source = volume.split(":")[0]
        assert not source.startswith("./") or (REPO / source).exists(), source


def test_systemd_unit_runs_runfastapi_with_options_it_accepts():
    text = re.sub(r"\\\n\s*", " ", (REPO / "deploy" / "mysite.service").read_text())
    [exec_start] = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("ExecStart=")]
    options = runfastapi_options(shlex.split(exec_start))
    assert options["use_reloader"] is False and options["workers"] > 1


@pytest.mark.parametrize("name", ["nginx.conf", "nginx-compose.conf"])
def test_nginx_samples_upgrade_websockets_and_pass_proxy_headers(name):
    text = (REPO / "deploy" / name).read_text()
    for line in ("proxy_set_header Upgrade $http_upgrade;", "proxy_set_header X-Forwarded-For",
                 "proxy_set_header X-Forwarded-Proto $scheme;", "location /static/"):
        assert line in text, line
