"""System checks of the operations settings: the extras they need are installed."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from ..conf import api_settings

# The test suite asserts each id is unique and documented.
E040 = "django_fastapi.E040"  # metrics on without prometheus-client
E041 = "django_fastapi.E041"  # OpenTelemetry on without its API
W040 = "django_fastapi.W040"  # metrics readable by anyone


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@checks.register("django_fastapi")
def check_operations(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        metrics_url = api_settings.METRICS_URL
        metrics_access = api_settings.METRICS_ACCESS
        tracing = api_settings.OPENTELEMETRY
    except ImproperlyConfigured:
        return []  # reported by the settings check
    messages: list[checks.CheckMessage] = []
    if metrics_url is not None and not _installed("prometheus_client"):
        messages.append(checks.Error(
            "FASTAPI_METRICS_URL is set but prometheus-client is not installed.",
            hint='pip install "django-fastapi-bridge[metrics]", or set FASTAPI_METRICS_URL = None.',
            id=E040,
        ))
    if metrics_url is not None and metrics_access == "anonymous":
        messages.append(checks.Warning(
            "FASTAPI_METRICS_ACCESS is 'anonymous': anyone who reaches the server can read its metrics.",
            hint="Allow the metrics path only from your monitoring network at the proxy, or require 'staff'.",
            id=W040,
        ))
    if tracing and not _installed("opentelemetry"):
        messages.append(checks.Error(
            "FASTAPI_OPENTELEMETRY is True but OpenTelemetry is not installed.",
            hint='pip install "django-fastapi-bridge[otel]", or set FASTAPI_OPENTELEMETRY = False.',
            id=E041,
        ))
    return messages
