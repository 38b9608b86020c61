"""Production operations: health and readiness, request ids and structured logs, metrics, tracing.

    LOGGING = {
        "version": 1,
        "filters": {"request_id": {"()": "django_fastapi.operations.RequestIdFilter"}},
        "formatters": {"json": {"()": "django_fastapi.operations.JsonLinesFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "json"}},
        "root": {"handlers": ["console"], "level": "INFO"},
    }

``metrics`` (prometheus-client) and ``tracing`` (OpenTelemetry) are imported only when enabled.
"""

from .context import JsonLinesFormatter, RequestIdFilter, request_id

__all__ = ["JsonLinesFormatter", "RequestIdFilter", "request_id"]
