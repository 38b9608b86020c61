"""Prometheus metrics at FASTAPI_METRICS_URL, in one process (see test_deployment for workers)."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from django_fastapi.application import get_application, get_asgi_application
from django_fastapi.testing.client import Client

pytestmark = pytest.mark.django_db

METRICS = {"FASTAPI_METRICS_URL": "/metrics", "FASTAPI_METRICS_ACCESS": "anonymous"}


def client() -> Client:
    return Client(get_asgi_application(serve_static=False))


def value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` of an exposition, 0 when absent."""
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if all(found.get(key) == wanted for key, wanted in labels.items()):
            return float(match.group(3))
    return 0.0


@override_settings(**METRICS)
def test_requests_are_counted_by_route_template_method_and_status():
    scraper = client()
    before = scraper.get("/api/metrics").text
    for _ in range(3):
        scraper.get("/api/catalog/authors/999999")
    after = scraper.get("/api/metrics").text
    route = dict(route="/api/catalog/authors/{author_id}", method="GET", status="404")
    assert value(after, "django_fastapi_requests_total", **route) - value(before, "django_fastapi_requests_total", **route) == 3


@override_settings(**METRICS)
def test_latency_histogram_counts_each_request():
    scraper = client()
    before = scraper.get("/api/metrics").text
    scraper.get("/api/notes/notes")
    after = scraper.get("/api/metrics").text
    labels = dict(route="/api/notes/notes", method="GET")
    name = "django_fastapi_request_duration_seconds_count"
    assert value(after, name, **labels) - value(before, name, **labels) == 1
    assert value(after, "django_fastapi_request_duration_seconds_bucket", le="+Inf", **labels) >= 1


@override_settings(**METRICS)
def test_unmatched_paths_and_unknown_methods_add_no_label_values():
    scraper = client()
    scraper.get("/api/no/such/path/12345")
    scraper.request("BREW", "/api/health")
    text = scraper.get("/api/metrics").text
    assert "12345" not in text and "BREW" not in text
    assert value(text, "django_fastapi_requests_total", route="(none)", method="GET", status="404") >= 1
    assert value(text, "django_fastapi_requests_total", route="/api/health", method="OTHER", status="405") >= 1


@override_settings(**METRICS)
def test_lanes_are_reported():
    text = client().get("/api/metrics").text
    assert value(text, "django_fastapi_lanes", state="total") == 16
    assert value(text, "django_fastapi_lanes", state="waiting") == 0


@override_settings(FASTAPI_METRICS_URL="/metrics")
def test_metrics_need_a_staff_user_by_default():
    scraper = client()
    assert scraper.get("/api/metrics").status_code in (401, 403)
    scraper.force_login(User.objects.create_user("ops", is_staff=True))
    assert scraper.get("/api/metrics").status_code == 200


def test_no_metrics_route_unless_configured():
    assert client().get("/api/metrics").status_code == 404


@override_settings(**METRICS)
def test_metrics_route_is_not_in_the_openapi_document():
    assert "/api/metrics" not in get_application().openapi()["paths"]
