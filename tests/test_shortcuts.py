"""get_object_or_404, aget_object_or_404, render and arender in endpoints (tests/apps/web)."""

import pytest

from django_fastapi.testing.client import Client
from tests.apps.notes.models import Note


@pytest.fixture(autouse=True)
def web(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.web"]
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
        }
    ]


def test_get_object_or_404_returns_the_object(db):
    note = Note.objects.create(title="found")
    assert Client().get(f"/api/web/notes/{note.pk}").json() == {"title": "found"}


def test_get_object_or_404_missing_is_404_with_djangos_message(db):
    response = Client().get("/api/web/notes/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Note matches the given query."}


def test_aget_object_or_404_returns_the_object(db):
    note = Note.objects.create(title="found async")
    assert Client().get(f"/api/web/async/notes/{note.pk}").json() == {"title": "found async"}


def test_aget_object_or_404_missing_is_404_with_djangos_message(db):
    response = Client().get("/api/web/async/notes/999")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Note matches the given query."}


def test_render_returns_html_from_the_template(db):
    note = Note.objects.create(title="rendered")
    response = Client().get(f"/api/web/pages/note/{note.pk}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>rendered</h1>" in response.text


def test_render_context_processors_receive_the_request(db):
    note = Note.objects.create(title="rendered")
    response = Client().get(f"/api/web/pages/note/{note.pk}")
    assert f"<p>/api/web/pages/note/{note.pk}</p>" in response.text


def test_render_csrf_token_sets_the_csrf_cookie(db):
    note = Note.objects.create(title="with a form")
    response = Client().get(f"/api/web/pages/note/{note.pk}")
    assert 'name="csrfmiddlewaretoken"' in response.text
    assert "csrftoken" in response.cookies


def test_render_keeps_the_csrf_cookie_the_client_has(db):
    note = Note.objects.create(title="with a form")
    client = Client()
    first = client.get(f"/api/web/pages/note/{note.pk}").cookies["csrftoken"]
    # Django sends the cookie again on each page using the token (renewing its expiry), unchanged.
    assert client.get(f"/api/web/pages/note/{note.pk}").cookies["csrftoken"] == first


def test_render_status_code_and_headers():
    response = Client().get("/api/web/pages/missing")
    assert response.status_code == 404
    assert response.headers["x-page"] == "missing"
    assert "<h1>No note</h1>" in response.text


def test_arender_async_endpoint_template_may_query(db):
    Note.objects.bulk_create([Note(title="one"), Note(title="two")])
    response = Client().get("/api/web/async/pages/notes")
    assert response.text.strip() == "<ul><li>one</li><li>two</li></ul>"
