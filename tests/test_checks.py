import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.checks import CheckMessage, run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_fastapi import checks
from django_fastapi.apps import CHECK_MODULES as CHECK_MODULES_REGISTERED
from django_fastapi.core import checks as core_checks
from django_fastapi.events import checks as events_checks
from django_fastapi.openapi import checks as openapi_checks
from django_fastapi.operations import checks as operations_checks
from django_fastapi.routing import checks as routing_checks
from django_fastapi.routing.discovery import find_api_modules
from django_fastapi.security import checks as security_checks
from django_fastapi.server import checks as server_checks
from django_fastapi.tokens import checks as tokens_checks

REPO = Path(__file__).resolve().parent.parent
BASE = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.messages",
    "django_fastapi",
    "drf_spectacular_sidecar",
]
SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "app", "HOST": "db.invalid"}
overriding_databases = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def installed(*apps: str) -> override_settings:
    return override_settings(INSTALLED_APPS=[*BASE, *(f"tests.apps.{app}" for app in apps)])


def messages() -> list[CheckMessage]:
    """What ``manage.py check`` reports for this package."""
    return [message for message in run_checks() if message.id.startswith("django_fastapi.")]


def ids() -> list[str]:
    return [message.id for message in messages()]


def check_subprocess(script: str) -> subprocess.CompletedProcess:
    """Run ``script`` after django.setup() with the test settings, hypercorn made unimportable."""
    prelude = (
        "import sys; sys.modules['hypercorn'] = None\n"
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.test import override_settings\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + script],
        cwd=REPO,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_checks_clean_settings_report_nothing():
    assert messages() == []


def test_checks_clean_settings_check_command_silent():
    stdout, stderr = StringIO(), StringIO()
    call_command("check", stdout=stdout, stderr=stderr)
    assert "django_fastapi" not in stdout.getvalue() + stderr.getvalue()


def test_check_e001_invalid_setting():
    with override_settings(FASTAPI_API_PREFIX="api/"):
        (message,) = messages()
    assert message.id == "django_fastapi.E001"
    assert message.msg.startswith("FASTAPI_API_PREFIX must be")
    assert message.hint


def test_check_e001_each_invalid_setting_reported():
    with override_settings(FASTAPI_THREADS=0, FASTAPI_SERVER="gunicorn"):
        reported = messages()
    assert [m.id for m in reported] == ["django_fastapi.E001", "django_fastapi.E001"]
    assert {m.msg.split()[0] for m in reported} == {"FASTAPI_THREADS", "FASTAPI_SERVER"}


def test_check_w008_unknown_setting_with_did_you_mean():
    with override_settings(FASTAPI_TITEL="Shop"):
        (message,) = messages()
    assert message.id == "django_fastapi.W008"
    assert message.msg == "FASTAPI_TITEL is not a setting of the bridge: it has no effect."
    assert message.hint == "Did you mean FASTAPI_TITLE?"


def test_check_w008_reported_beside_an_invalid_setting():
    with override_settings(FASTAPI_THREADS=0, FASTAPI_NOTHING_LIKE_IT=1):
        reported = messages()
    assert sorted(m.id for m in reported) == ["django_fastapi.E001", "django_fastapi.W008"]


def test_check_e001_cors_wildcard_with_credentials():
    with override_settings(
        FASTAPI_CORS_ENABLED=True,
        FASTAPI_CORS_ALLOW_ORIGINS=["*"],
        FASTAPI_CORS_ALLOW_CREDENTIALS=True,
    ):
        (message,) = messages()
    assert message.id == "django_fastapi.E001"
    assert "FASTAPI_CORS_ALLOW_CREDENTIALS" in message.msg


def test_check_e001_fails_check_command():
    with override_settings(FASTAPI_AUTODISCOVER_MODULES="api"):
        with pytest.raises(
            SystemCheckError, match=r"\(django_fastapi\.E001\) FASTAPI_AUTODISCOVER_MODULES"
        ):
            call_command("check")


@pytest.mark.parametrize("app", ["broken", "raising", "syntaxerror"])
def test_check_e002_api_module_fails_to_import(app):
    with installed(app):
        (message,) = messages()
    assert message.id == "django_fastapi.E002"
    assert f"Could not import 'tests.apps.{app}.api'" in message.msg


@pytest.mark.parametrize(
    "dotted",
    [
        "tests.apps.hooks.routers.missing",
        "tests.apps.nowhere.router",
        "tests.apps.hooks.routers.NOT_A_ROUTER",
    ],
)
def test_check_e002_bad_fastapi_routers_entry(dotted):
    with override_settings(FASTAPI_ROUTERS=[dotted]):
        (message,) = messages()
    assert message.id == "django_fastapi.E002"
    assert f"FASTAPI_ROUTERS lists {dotted!r}" in message.msg


def test_check_e003_conflicting_routes_name_both_endpoints():
    with installed("prefixed", "conflict"):
        reported = messages()
    assert [m.id for m in reported] == ["django_fastapi.E003", "django_fastapi.E003"]
    assert reported[0].msg == (
        "GET /api/custom/hello is declared by both tests.apps.prefixed.api.hello and "
        "tests.apps.conflict.api.hello_again; only tests.apps.prefixed.api.hello would answer."
    )
    assert "fastapi_prefix" in reported[0].hint


def test_check_e003_path_parameters_with_different_names():
    with installed("prefixed", "conflict"):
        reported = messages()
    assert "GET /api/custom/items/{pk}" in reported[1].msg
    assert (
        "tests.apps.prefixed.api.get_item and tests.apps.conflict.api.get_item_by_pk"
        in reported[1].msg
    )


def test_check_e004_configured_server_not_installed():
    result = check_subprocess(
        "from django.core.management.base import SystemCheckError\n"
        "with override_settings(FASTAPI_SERVER='hypercorn'):\n"
        "    try:\n"
        "        call_command('check')\n"
        "    except SystemCheckError as exc:\n"
        "        print(exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "(django_fastapi.E004) The hypercorn server is not installed." in result.stdout
    assert 'pip install "django-fastapi-bridge[hypercorn]"' in result.stdout


def test_check_server_options_of_missing_server_not_inspected():
    result = check_subprocess(
        "with override_settings(FASTAPI_SERVER_OPTIONS={'hypercorn': {'keep_alive_timeout': 5}}):\n"
        "    call_command('check')\n"
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_e004_absent_when_server_installed():
    with override_settings(FASTAPI_SERVER="uvicorn"):
        assert messages() == []


@pytest.mark.parametrize(
    "server, typo", [("hypercorn", "keep_alive_timout"), ("uvicorn", "timeout_keepalive")]
)
def test_check_e005_unknown_server_option(server, typo):
    with override_settings(FASTAPI_SERVER_OPTIONS={server: {typo: 5}}):
        (message,) = messages()
    assert message.id == "django_fastapi.E005"
    assert message.msg == (
        f"FASTAPI_SERVER_OPTIONS[{server!r}] has unknown {server} options: {typo}."
    )


@pytest.mark.parametrize(
    "server, option", [("hypercorn", "keep_alive_timeout"), ("uvicorn", "timeout_keep_alive")]
)
def test_check_e005_absent_for_real_server_option(server, option):
    with override_settings(FASTAPI_SERVER_OPTIONS={server: {option: 5}}):
        assert messages() == []


def test_check_w001_misnamed_router_names_it():
    with installed("misnamed"):
        (message,) = messages()
    assert message.id == "django_fastapi.W001"
    assert "'api_router'" in message.msg
    assert message.obj == "misnamed"
    assert "router = APIRouter()" in message.hint


def test_check_w001_router_of_wrong_type():
    with installed("wrongtype"):
        (message,) = messages()
    assert message.id == "django_fastapi.W001"
    assert "tests.apps.wrongtype.api.router is str, not a fastapi.APIRouter" in message.msg


def test_check_w001_not_raised_for_django_contrib_api_modules():
    with installed():
        # django.contrib.messages.api exists and has no router, but it is Django's module.
        assert "messages" in [found.app_config.label for found in find_api_modules()]
        assert messages() == []


def test_check_w001_shown_by_check_command_on_stderr():
    stdout, stderr = StringIO(), StringIO()
    with installed("misnamed"):
        call_command("check", stdout=stdout, stderr=stderr)
    assert "misnamed: (django_fastapi.W001)" in stderr.getvalue()


@overriding_databases
def test_check_w002_postgresql_without_persistent_connections():
    databases = {"default": SQLITE, "reports": {**POSTGRES, "CONN_MAX_AGE": 0}}
    with override_settings(DATABASES=databases):
        (message,) = messages()
    assert message.id == "django_fastapi.W002"
    assert message.obj == "reports"
    assert message.msg.startswith(
        "DATABASES['reports'] opens a new PostgreSQL connection for every request"
    )


@overriding_databases
def test_check_w002_postgresql_default_conn_max_age():
    with override_settings(DATABASES={"default": POSTGRES}):
        assert ids() == ["django_fastapi.W002"]


@overriding_databases
def test_check_w002_postgis_without_persistent_connections():
    postgis = {**POSTGRES, "ENGINE": "django.contrib.gis.db.backends.postgis"}
    with override_settings(DATABASES={"default": postgis}):
        assert ids() == ["django_fastapi.W002"]


@overriding_databases
@pytest.mark.parametrize(
    "config",
    [{"CONN_MAX_AGE": 60}, {"CONN_MAX_AGE": None}, {"OPTIONS": {"pool": True}}],
    ids=["conn_max_age", "persistent", "pool"],
)
def test_check_w002_absent_with_persistent_connections_or_pool(config):
    with override_settings(DATABASES={"default": {**POSTGRES, **config}}, FASTAPI_THREADS=4):
        assert messages() == []


@overriding_databases
def test_check_w060_sqlite_file_without_persistent_connections(tmp_path):
    sqlite_file = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    with override_settings(DATABASES={"default": SQLITE, "files": sqlite_file}):
        (message,) = messages()
    assert message.id == "django_fastapi.W060"
    assert message.obj == "files"
    assert message.msg.startswith("DATABASES['files'] opens a new SQLite connection for every request")
    assert '"CONN_MAX_AGE": 60' in message.hint


@overriding_databases
@pytest.mark.parametrize(
    "config",
    [{"CONN_MAX_AGE": 60}, {"CONN_MAX_AGE": None}, {"NAME": ":memory:"},
     {"NAME": "file:memdb1?mode=memory&cache=shared"}],
    ids=["conn_max_age", "persistent", "memory", "memory_uri"],
)
def test_check_w060_absent_with_persistent_connections_or_in_memory(config, tmp_path):
    sqlite_file = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    with override_settings(DATABASES={"default": {**sqlite_file, **config}}):
        assert messages() == []


@overriding_databases
def test_check_w005_threads_above_the_pool_max_size():
    pooled = {**POSTGRES, "OPTIONS": {"pool": {"min_size": 2, "max_size": 8}}}
    with override_settings(DATABASES={"default": pooled}, FASTAPI_THREADS=16):
        (message,) = messages()
    assert message.id == "django_fastapi.W005"
    assert "FASTAPI_THREADS is 16" in message.msg
    assert "at most 8 connections" in message.msg
    assert message.hint == "Set FASTAPI_THREADS = 8, or raise the pool's max_size."


@overriding_databases
def test_check_w005_counts_psycopg_pool_default_size_for_pool_true():
    with override_settings(DATABASES={"default": {**POSTGRES, "OPTIONS": {"pool": True}}}, FASTAPI_THREADS=5):
        (message,) = messages()
    assert message.id == "django_fastapi.W005"
    assert "at most 4 connections" in message.msg


@overriding_databases
def test_check_w005_absent_when_threads_fit_the_pool():
    pooled = {**POSTGRES, "OPTIONS": {"pool": {"max_size": 8}}}
    with override_settings(DATABASES={"default": pooled}, FASTAPI_THREADS=8):
        assert messages() == []


def test_check_w003_cors_enabled_without_origins():
    with override_settings(FASTAPI_CORS_ENABLED=True):
        (message,) = messages()
    assert message.id == "django_fastapi.W003"
    assert "FASTAPI_CORS_ALLOW_ORIGINS" in message.hint


def test_check_w003_absent_with_origin_regex():
    with override_settings(
        FASTAPI_CORS_ENABLED=True, FASTAPI_CORS_ALLOW_ORIGIN_REGEX=r"https://.*\.example\.com"
    ):
        assert messages() == []


CHECK_MODULES = [
    checks, core_checks, events_checks, openapi_checks, operations_checks, routing_checks, security_checks,
    server_checks, tokens_checks,
]


def defined_check_ids() -> dict[str, str]:
    """The ids the checks modules define, by constant name: {"E001": "django_fastapi.E001", ...}."""
    found: dict[str, str] = {}
    for module in CHECK_MODULES:
        for name, value in vars(module).items():
            if re.fullmatch(r"[EW]\d{3}", name):
                assert name not in found, f"{name} is defined twice"
                found[name] = value
    return found


def test_every_checks_module_is_registered_and_tested():
    package = REPO / "django_fastapi"
    found = {
        ".".join(path.relative_to(package).with_suffix("").parts) for path in package.rglob("checks.py")
    }
    assert found == set(CHECK_MODULES_REGISTERED)
    assert {module.__name__.removeprefix("django_fastapi.") for module in CHECK_MODULES} == found


def test_check_ids_unique():
    found = list(defined_check_ids().values())
    assert len(found) >= 8
    assert len(found) == len(set(found))


def test_check_ids_match_their_names():
    assert all(value == f"django_fastapi.{name}" for name, value in defined_check_ids().items())


def test_check_ids_documented():
    reference = (REPO / "docs" / "checks.rst").read_text(encoding="utf-8")
    assert [check_id for check_id in defined_check_ids().values() if check_id not in reference] == []


def test_check_w004_django_url_pattern_shadowed_by_api_route():
    with installed("web"), override_settings(ROOT_URLCONF="tests.apps.web.urls"):
        (message,) = messages()
    assert message.id == "django_fastapi.W004"
    assert message.obj == "api/web/hello"
    assert message.msg == (
        "The Django URL pattern 'api/web/hello' (tests.apps.web.views.hello_from_django) is shadowed by "
        "an API route: requests such as /api/web/hello go to FastAPI, never to the Django view."
    )
    assert "FASTAPI_API_PREFIX" in message.hint


def test_check_w004_absent_when_django_is_not_served():
    with installed("web"), override_settings(ROOT_URLCONF="tests.apps.web.urls", FASTAPI_SERVE_DJANGO=False):
        assert messages() == []


def test_check_w004_pattern_with_converters_and_includes_found():
    with installed("web"), override_settings(ROOT_URLCONF="tests.apps.web.nested_urls"):
        (message,) = messages()
    assert message.obj == "api/web/notes/<int:pk>"


@pytest.mark.parametrize("setting", ["FASTAPI_ON_STARTUP", "FASTAPI_ON_SHUTDOWN"])
def test_check_e006_lifespan_hook_not_importable(setting):
    with override_settings(**{setting: ["tests.apps.web.hooks.missing"]}):
        (message,) = messages()
    assert message.id == "django_fastapi.E006"
    assert message.msg.startswith(f"{setting} lists 'tests.apps.web.hooks.missing', which could not be imported")


def test_check_e006_lifespan_hook_not_callable():
    with override_settings(FASTAPI_ON_STARTUP=["tests.apps.web.hooks.NOT_CALLABLE"]):
        (message,) = messages()
    assert message.id == "django_fastapi.E006"
    assert message.msg.endswith("which is int, not a function.")
