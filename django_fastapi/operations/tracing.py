"""OpenTelemetry: a server span per HTTP request, named ``"<METHOD> <route template>"``.

``FASTAPI_OPENTELEMETRY = True`` with the ``otel`` extra. The span is the current one while the
request runs, and asgiref copies the context into each piece of its sync work, so spans made there
(database queries, with an instrumentation such as opentelemetry-instrumentation-dbapi, -psycopg or
-sqlite3) are its children. An incoming ``traceparent`` header continues the caller's trace. Where
spans go is the project's choice: configure a ``TracerProvider`` and exporter as OpenTelemetry's
documentation says (or run under ``opentelemetry-instrument``).
"""

from __future__ import annotations

from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.compat_fastapi import serving_route
from .context import request_id

TRACER = "django_fastapi"


class TracingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        carrier = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        attributes: dict[str, Any] = {"http.request.method": method, "url.path": scope["path"]}
        rid = request_id()
        if rid is not None:
            attributes["http.request.header.x-request-id"] = rid
        tracer = trace.get_tracer(TRACER)
        with tracer.start_as_current_span(
            method, context=propagate.extract(carrier), kind=SpanKind.SERVER, attributes=attributes,
        ) as span:
            status = 500

            async def status_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await self.app(scope, receive, status_send)
            finally:
                route = getattr(serving_route(scope), "path", None)
                if route:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
