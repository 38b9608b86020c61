"""System checks of the operations settings (django_fastapi.E040, E041, W040)."""

import sys

from django.core.checks import run_checks
from django.test import override_settings


def ids() -> list[str]:
    return [message.id for message in run_checks() if message.id and message.id.startswith("django_fastapi.")]


@override_settings(FASTAPI_METRICS_URL="/metrics")
def test_e040_metrics_without_prometheus_client(monkeypatch):
    monkeypatch.setitem(sys.modules, "prometheus_client", None)  # as if not installed
    assert "django_fastapi.E040" in ids()


@override_settings(FASTAPI_METRICS_URL="/metrics")
def test_metrics_with_prometheus_client_and_staff_access_pass():
    assert not {"django_fastapi.E040", "django_fastapi.W040"} & set(ids())


@override_settings(FASTAPI_OPENTELEMETRY=True)
def test_e041_opentelemetry_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    assert "django_fastapi.E041" in ids()


@override_settings(FASTAPI_METRICS_URL="/metrics", FASTAPI_METRICS_ACCESS="anonymous")
def test_w040_metrics_readable_by_anyone():
    assert "django_fastapi.W040" in ids()
