"""OpenTelemetry: a span per request, named by route template, with the database spans inside it.

Run by test_tracing.py in a pytest of its own: OpenTelemetry's global tracer provider can be set
once per process, and once set it turns on FastAPI's own telemetry for every later test.
"""

import httpx
import pytest
from django.test import override_settings

from django_fastapi.application import get_application, get_asgi_application
from django_fastapi.testing import LiveServer

sdk = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry import trace  # noqa: E402
from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def tracer_provider():
    provider = sdk.TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
    trace.set_tracer_provider(provider)  # once per process, as OpenTelemetry allows
    SQLite3Instrumentor().instrument()
    yield
    SQLite3Instrumentor().uninstrument()


@pytest.fixture
def spans():
    EXPORTER.clear()
    return EXPORTER


@pytest.fixture
def live(transactional_db):
    with override_settings(FASTAPI_OPENTELEMETRY=True):
        get_application.cache_clear()  # new lanes: their connections are opened instrumented
        with LiveServer(get_asgi_application(serve_static=False)) as server:
            yield server
    get_application.cache_clear()


def test_a_request_is_a_server_span_named_by_its_route_template(live, spans):
    assert httpx.get(f"{live.url}/api/catalog/authors/12345").status_code == 404
    [span] = [span for span in spans.get_finished_spans() if span.kind == trace.SpanKind.SERVER]
    assert span.name == "GET /api/catalog/authors/{author_id}"
    assert span.attributes["http.route"] == "/api/catalog/authors/{author_id}"
    assert span.attributes["http.response.status_code"] == 404


def test_database_spans_of_sync_endpoint_are_children_of_the_request_span(live, spans):
    assert httpx.get(f"{live.url}/api/notes/notes").status_code == 200
    finished = spans.get_finished_spans()
    [server] = [span for span in finished if span.kind == trace.SpanKind.SERVER]
    queries = [span for span in finished if span.attributes.get("db.system") == "sqlite"]
    assert queries, [span.name for span in finished]
    assert {span.parent.span_id for span in queries} == {server.context.span_id}
    assert {span.context.trace_id for span in queries} == {server.context.trace_id}


def test_an_incoming_traceparent_continues_the_callers_trace(live, spans):
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    httpx.get(f"{live.url}/api/health", headers={"traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"})
    [server] = [span for span in spans.get_finished_spans() if span.kind == trace.SpanKind.SERVER]
    assert format(server.context.trace_id, "032x") == caller_trace
    assert server.parent.span_id == 0x00F067AA0BA902B7

