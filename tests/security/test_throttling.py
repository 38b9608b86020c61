import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.checks import run_checks
from django.test import override_settings

from django_fastapi.security.throttling import Rate, parse_rate, throttle
from django_fastapi.testing.client import Client
from django_fastapi.tokens.models import Token
from tests.authsite import logged_in_client, secure_site  # noqa: F401 (fixture)
from tests.projects import sample_site_database
from tests.serverproc import REPO, SAMPLE_SITE, ServerProcess


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {Token.objects.create_token(user)[1]}"}


@pytest.mark.parametrize(
    "text, rate",
    [
        ("100/min", Rate(100, 60)),
        ("1000/day", Rate(1000, 86400)),
        ("5/s", Rate(5, 1)),
        ("10/15min", Rate(10, 900)),
        ("3/hours", Rate(3, 3600)),
        ("2 / Minute", Rate(2, 60)),
    ],
)
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize(
    "text", ["100", "100/fortnight", "0/min", "-1/min", "ten/min", "100/0min", 100]
)
def test_parse_rate_refuses_what_is_not_a_rate(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_throttle_refuses_an_unknown_key():
    with pytest.raises(ValueError, match="key must be one of"):
        throttle("1/min", key="session")


@pytest.mark.usefixtures("secure_site")
def test_throttle_allows_the_rate_then_429_with_retry_after():
    client = Client()
    statuses = [client.get("/api/secure/throttled/ip").status_code for _ in range(4)]
    response = client.get("/api/secure/throttled/ip")
    assert statuses == [200, 200, 200, 429]
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Request was throttled. Expected available in ")


@pytest.mark.usefixtures("secure_site")
def test_throttle_per_user_counts_each_user_apart(db):
    ada, grace = (logged_in_client(User.objects.create_user(name)) for name in ("ada", "grace"))
    assert [ada.get("/api/secure/throttled/user").status_code for _ in range(3)] == [200, 200, 429]
    assert grace.get("/api/secure/throttled/user").status_code == 200


@pytest.mark.usefixtures("secure_site")
def test_throttle_per_user_counts_anonymous_clients_by_ip(db):
    client = Client()
    assert [client.get("/api/secure/throttled/user").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert (
        logged_in_client(User.objects.create_user("ada"))
        .get("/api/secure/throttled/user")
        .status_code
        == 200
    )


@pytest.mark.usefixtures("secure_site")
def test_throttle_per_token_counts_each_token_apart(db):
    ada = User.objects.create_user("ada")
    first, second = bearer(ada), bearer(ada)
    client = Client()
    assert [
        client.get("/api/secure/throttled/token", headers=first).status_code for _ in range(3)
    ] == [200, 200, 429]
    assert client.get("/api/secure/throttled/token", headers=second).status_code == 200


@pytest.mark.usefixtures("secure_site")
def test_throttle_routes_count_apart_by_default():
    client = Client()
    [client.get("/api/secure/throttled/ip") for _ in range(3)]
    assert client.get("/api/secure/throttled/user").status_code == 200


@pytest.mark.usefixtures("secure_site")
def test_throttle_scope_shares_one_count_between_routes():
    client = Client()
    assert [client.get(f"/api/secure/throttled/shared-{x}").status_code for x in "aba"] == [
        200,
        200,
        429,
    ]


@pytest.mark.usefixtures("secure_site")
def test_throttle_rate_from_settings_overrides_the_code():
    with override_settings(FASTAPI_THROTTLE_RATES={"shared": "1/min"}):
        client = Client()
        assert [client.get("/api/secure/throttled/shared-a").status_code for _ in range(2)] == [
            200,
            429,
        ]


@pytest.mark.usefixtures("secure_site")
def test_throttle_rate_none_in_settings_lifts_the_limit():
    with override_settings(FASTAPI_THROTTLE_RATES={"shared": None}):
        client = Client()
        assert {client.get("/api/secure/throttled/shared-a").status_code for _ in range(5)} == {200}


@pytest.mark.usefixtures("secure_site")
def test_throttle_without_any_rate_does_not_limit():
    client = Client()
    assert {client.get("/api/secure/throttled/tuned").status_code for _ in range(5)} == {200}


@pytest.mark.usefixtures("secure_site")
def test_throttle_ignores_x_forwarded_for_without_trusted_proxies():
    response = Client().get("/api/secure/throttled/ip", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.json() == {"ip": "127.0.0.1"}


@pytest.mark.usefixtures("secure_site")
def test_throttle_client_ip_behind_trusted_proxies():
    with override_settings(FASTAPI_NUM_PROXIES=2):
        forwarded = {
            "X-Forwarded-For": "198.51.100.1, 203.0.113.9, 10.0.0.2"
        }  # spoofed, client, proxy 1
        assert Client().get("/api/secure/throttled/ip", headers=forwarded).json() == {
            "ip": "203.0.113.9"
        }


@pytest.mark.usefixtures("secure_site")
def test_throttle_each_forwarded_client_has_its_own_count():
    with override_settings(FASTAPI_NUM_PROXIES=1):
        client = Client()
        [
            client.get("/api/secure/throttled/ip", headers={"X-Forwarded-For": "203.0.113.1"})
            for _ in range(3)
        ]
        assert (
            client.get(
                "/api/secure/throttled/ip", headers={"X-Forwarded-For": "203.0.113.2"}
            ).status_code
            == 200
        )


@pytest.mark.usefixtures("secure_site")
def test_throttle_login_endpoint_by_ip_when_a_rate_is_set():
    cache.clear()  # other tests' logins from the same client address, within the same minute
    with override_settings(FASTAPI_THROTTLE_RATES={"login": "2/min"}):
        client = Client()
        statuses = [
            client.post("/api/auth/login", json={"username": "x", "password": "y"}).status_code
            for _ in range(3)
        ]
    assert statuses == [403, 403, 429]  # no CSRF token: refused, and counted


def test_check_e012_throttle_cache_not_in_caches():
    with override_settings(FASTAPI_THROTTLE_CACHE="throttle"):
        (message,) = [m for m in run_checks() if m.id.startswith("django_fastapi.")]
    assert message.id == "django_fastapi.E012" and "'throttle'" in message.msg


@pytest.mark.usefixtures("secure_site")
def test_check_w010_deploy_per_process_cache_while_throttling():
    (message,) = [
        m for m in run_checks(include_deployment_checks=True) if m.id == "django_fastapi.W010"
    ]
    assert "LocMemCache" in message.msg


@override_settings(INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "django_fastapi"])
def test_check_w010_silent_without_throttles():
    assert [
        m for m in run_checks(include_deployment_checks=True) if m.id == "django_fastapi.W010"
    ] == []


LIMIT = 6  # tests/throttlesite/limited/api.py


@pytest.fixture
def two_workers_with_redis(redis_url, tmp_path_factory):
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.throttlesite.settings",
        "PYTHONPATH": f"{REPO}:{SAMPLE_SITE}",
        "SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory)),
        "THROTTLE_REDIS_URL": redis_url,
        "THROTTLE_KEY_PREFIX": f"dfb-test-{uuid.uuid4()}",
    }
    with ServerProcess.runfastapi("--workers", "2", env=env) as server:
        yield server


def burst(server: ServerProcess, client: str, count: int) -> list[httpx.Response]:
    """``count`` requests from ``client``, four at a time, each on a new connection."""

    def ask(_: int) -> httpx.Response:
        return httpx.get(
            f"{server.url}/api/limited/ping",
            params={"block": 0.2},
            headers={"X-Forwarded-For": client},
            timeout=10,
        )

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(ask, range(count)))


@pytest.mark.redis
@pytest.mark.server
def test_throttle_limit_holds_across_two_workers_with_redis(two_workers_with_redis):
    server = two_workers_with_redis
    for attempt in range(1, 6):  # until the allowed requests were served by both workers
        if time.time() % 60 > 50:
            time.sleep(61 - time.time() % 60)  # the whole burst in one minute's window
        answers = burst(server, f"203.0.113.{attempt}", 3 * LIMIT)
        allowed = [answer for answer in answers if answer.status_code == 200]
        if len({answer.json()["pid"] for answer in allowed}) == 2:
            break
    assert len({answer.json()["pid"] for answer in allowed}) == 2, server.output
    assert len(allowed) == LIMIT
    refused = [answer for answer in answers if answer.status_code != 200]
    assert {answer.status_code for answer in refused} == {429}
    assert all(1 <= int(answer.headers["Retry-After"]) <= 60 for answer in refused)
