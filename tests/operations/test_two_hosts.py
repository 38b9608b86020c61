"""Two runfastapi processes on two ports sharing PostgreSQL and Redis, as two hosts behind a
balancer: sessions, throttling and readiness hold across both."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.redisserver import PrivateRedis
from tests.serverproc import REPO, SAMPLE_SITE, ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.server]

PASSWORD = "correct-horse-battery-staple"
LOGIN_LIMIT = 4  # tests/opssite/settings.py


@dataclass
class Hosts:
    a: ServerProcess
    b: ServerProcess
    redis: PrivateRedis


def _database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


@pytest.fixture(scope="module")
def redis_server() -> Iterator[PrivateRedis]:
    if reason := PrivateRedis.unavailable_reason():
        (pytest.fail if REQUIRE_SERVICES else pytest.skip)(reason)
    server = PrivateRedis().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def hosts(postgres_url: str, redis_server: PrivateRedis) -> Iterator[Hosts]:
    import psycopg

    name = f"dfb_ops_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.opssite.settings",
        "PYTHONPATH": f"{REPO}:{SAMPLE_SITE}",
        "DATABASE_URL": _database_url(postgres_url, name),
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "tests-only-two-hosts-key",
        "OPS_REDIS_URL": redis_server.url,
        "OPS_KEY_PREFIX": f"dfb-ops-{uuid.uuid4().hex}",
        "SAMPLE_SITE_METRICS": "anonymous",
    }
    a = b = None
    try:
        manage = {"cwd": SAMPLE_SITE, "env": {**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}, **env},
                  "check": True, "timeout": 120, "capture_output": True}
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], **manage)
        subprocess.run([sys.executable, "manage.py", "createsuperuser", "--noinput", "--username", "ops",
                        "--email", "ops@example.com"], **{**manage, "env": {**manage["env"], "DJANGO_SUPERUSER_PASSWORD": PASSWORD}})
        a = ServerProcess.runfastapi("--skip-checks", env=env, ready_path="/api/health").start()
        b = ServerProcess.runfastapi("--skip-checks", env=env, ready_path="/api/health").start()
        yield Hosts(a, b, redis_server)
    finally:
        for host in (a, b):
            if host is not None:
                host.stop()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _in_one_window() -> None:
    """Wait, if need be, so that what follows happens within one minute's throttling window."""
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)


def test_a_login_on_one_host_is_valid_on_the_other(hosts):
    _in_one_window()
    with hosts.a.client(headers={"X-Forwarded-For": "198.51.100.1"}) as a:
        token = a.get("/api/auth/csrf").json()["csrf_token"]
        login = a.post("/api/auth/login", json={"username": "ops", "password": PASSWORD},
                       headers={"X-CSRFToken": token, "Referer": hosts.a.url + "/"})
        assert login.status_code == 200, login.text
        session = a.cookies["sessionid"]
    with hosts.b.client(cookies={"sessionid": session}) as b:
        me = b.get("/api/auth/me")
    assert me.status_code == 200 and me.json()["username"] == "ops"


def test_throttling_counts_the_requests_of_both_hosts(hosts):
    _in_one_window()
    statuses = []
    for attempt in range(2 * LOGIN_LIMIT):
        host = hosts.a if attempt % 2 == 0 else hosts.b
        with host.client(headers={"X-Forwarded-For": "198.51.100.2"}) as client:
            statuses.append(client.post("/api/auth/login", json={"username": "ops", "password": "wrong"}).status_code)
    # Counted before the CSRF check: the limit's worth of 403s between both hosts, then 429s.
    assert statuses == [403] * LOGIN_LIMIT + [429] * LOGIN_LIMIT


def test_metrics_report_each_hosts_database_pool(hosts):
    from tests.operations.test_metrics import value

    for host in (hosts.a, hosts.b):
        assert httpx.get(f"{host.url}/api/catalog/authors").status_code == 200
        text = httpx.get(f"{host.url}/api/metrics").text
        assert value(text, "django_fastapi_db_pool_connections", alias="default", state="size") >= 1, text
        assert value(text, "django_fastapi_db_connections_opened_total", alias="default") >= 1, text


def test_readiness_turns_503_on_both_hosts_when_redis_is_unreachable(hosts):
    assert [httpx.get(f"{host.url}/api/ready").status_code for host in (hosts.a, hosts.b)] == [200, 200]
    hosts.redis.stop()
    answers = [httpx.get(f"{host.url}/api/ready", timeout=30) for host in (hosts.a, hosts.b)]
    assert [answer.status_code for answer in answers] == [503, 503]
    assert [answer.json()["checks"]["cache"] for answer in answers] == ["failing", "failing"]
    assert [answer.json()["checks"]["database:default"] for answer in answers] == ["ok", "ok"]
    assert "errors" not in answers[0].json()  # no internal detail without DEBUG
    # Liveness is the process alone: the balancer's restart policy must not kill healthy hosts.
    assert [httpx.get(f"{host.url}/api/health").status_code for host in (hosts.a, hosts.b)] == [200, 200]
