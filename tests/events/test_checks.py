"""System checks of FASTAPI_EVENTS (django_fastapi.E030 to E034, W030)."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import override_settings

overriding_databases = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def events_messages() -> list[tuple[str, str]]:
    return [(message.id, message.msg) for message in run_checks() if message.id in EVENT_IDS]


EVENT_IDS = {f"django_fastapi.{kind}03{n}" for kind in "EW" for n in range(10)}


def test_no_setting_no_message():
    assert events_messages() == []


def test_e030_malformed_setting():
    with override_settings(FASTAPI_EVENTS={"BACKEND": "kafka"}):
        [(check_id, message)] = events_messages()
    assert check_id == "django_fastapi.E030"
    assert "'kafka'" in message


@overriding_databases
def test_e032_postgres_backend_on_a_database_that_is_not_postgresql():
    with override_settings(FASTAPI_EVENTS={"BACKEND": "postgres"}):
        assert [check_id for check_id, _ in events_messages()] == ["django_fastapi.E032"]


def test_postgres_backend_with_its_own_url_needs_no_postgresql_database():
    with override_settings(FASTAPI_EVENTS={"BACKEND": "postgres", "URL": "postgres://db.invalid/app"}):
        assert events_messages() == []


def test_e033_payload_limit_beyond_what_notify_carries():
    with override_settings(FASTAPI_EVENTS={"BACKEND": "postgres", "URL": "postgres://db.invalid/app", "MAX_PAYLOAD": 8000}):
        [(check_id, message)] = events_messages()
    assert check_id == "django_fastapi.E033"
    assert "8,000 bytes" in message


def test_e034_authorize_cannot_be_imported():
    with override_settings(FASTAPI_EVENTS={"AUTHORIZE": "tests.events.rules.missing"}, DEBUG=True):
        [(check_id, message)] = events_messages()
    assert check_id == "django_fastapi.E034"
    assert "tests.events.rules.missing" in message


def test_w030_memory_backend_without_debug():
    with override_settings(FASTAPI_EVENTS={}, DEBUG=False):
        assert [check_id for check_id, _ in events_messages()] == ["django_fastapi.W030"]


def test_memory_backend_with_debug_is_fine():
    with override_settings(FASTAPI_EVENTS={}, DEBUG=True):
        assert events_messages() == []


def test_e031_backend_library_missing():
    import subprocess
    import sys

    from tests.serverproc import REPO

    script = (
        "import sys; sys.modules['redis'] = None\n"
        "import django; django.setup()\n"
        "from django.test import override_settings\n"
        "from django.core.checks import run_checks\n"
        "with override_settings(FASTAPI_EVENTS={'BACKEND': 'redis', 'URL': 'redis://x'}):\n"
        "    print([m.id for m in run_checks() if m.id.startswith('django_fastapi.E03')])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "tests.settings"})
    assert result.stdout.strip() == "['django_fastapi.E031']", result.stderr
