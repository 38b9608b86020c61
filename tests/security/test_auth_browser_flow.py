"""The browser flow, for real: log in with the admin's form on ``runfastapi``, then call the API with
the same cookie jar, as a browser on the site would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.projects import sample_site_database
from tests.serverproc import SAMPLE_SITE, ServerProcess

pytestmark = pytest.mark.server

USERS = """
from django.contrib.auth.models import Permission, User
User.objects.create_user("clerk", password="clerk-password", is_staff=True)
editor = User.objects.create_user("editor", password="editor-password", is_staff=True)
editor.user_permissions.add(Permission.objects.get(codename="add_book"))
"""


def manage(env: dict[str, str], *args: str) -> None:
    environ = {**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}, **env}
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SAMPLE_SITE,
        env=environ,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    database = tmp_path_factory.mktemp("browser_flow") / "db.sqlite3"
    shutil.copy(sample_site_database(tmp_path_factory), database)
    env = {"SAMPLE_SITE_SQLITE": str(database)}
    manage(env, "shell", "-c", USERS)
    with ServerProcess.runfastapi(env=env) as server:
        yield server


def admin_login(client: httpx.Client, username: str, password: str) -> None:
    """GET the admin's login page, post its form with its CSRF token; the client keeps the cookies."""
    page = client.get("/admin/login/", params={"next": "/admin/"})
    assert page.status_code == 200, page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    form = {
        "csrfmiddlewaretoken": token,
        "username": username,
        "password": password,
        "next": "/admin/",
    }
    response = client.post("/admin/login/", params={"next": "/admin/"}, data=form)
    assert (response.status_code, response.headers.get("location")) == (302, "/admin/"), (
        response.text
    )


def csrf_header(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"]}


def new_book(client: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    author = client.post(
        "/api/catalog/authors", json={"name": f"Author {uuid.uuid4()}"}, headers=headers
    ).json()
    return client.post(
        "/api/catalog/books", json={"title": "Kindred", "author": author["id"]}, headers=headers
    )


def test_admin_login_session_authenticates_the_api(site):
    with site.client(timeout=10) as client:
        admin_login(client, "clerk", "clerk-password")
        response = client.get("/api/auth/me")
    assert (response.status_code, response.json()["username"]) == (200, "clerk")


def test_api_without_the_admin_login_is_401(site):
    with site.client(timeout=10) as client:
        response = client.get("/api/auth/me")
    assert response.status_code == 401
    assert "Session" in response.headers["WWW-Authenticate"]


def test_admin_session_without_the_permission_is_403(site):
    with site.client(timeout=10) as client:
        admin_login(client, "clerk", "clerk-password")
        response = new_book(client, csrf_header(client))
    assert response.status_code == 403


def test_admin_session_with_the_permission_creates(site):
    with site.client(timeout=10) as client:
        admin_login(client, "editor", "editor-password")
        response = new_book(client, csrf_header(client))
    assert (response.status_code, response.json()["title"]) == (201, "Kindred")


def test_admin_session_write_without_csrf_token_is_403(site):
    with site.client(timeout=10) as client:
        admin_login(client, "editor", "editor-password")
        response = new_book(client, {})
    assert response.status_code == 403
    assert response.json()["detail"] == "CSRF Failed: CSRF token missing."


def test_admin_session_user_reaches_a_django_template_through_the_api(site):
    with site.client(timeout=10) as client:
        admin_login(client, "editor", "editor-password")
        book = new_book(client, csrf_header(client)).json()
        card = client.get(f"/api/catalog/books/{book['id']}/card")
    assert card.status_code == 200
    assert "Signed in as editor." in card.text and "<h2>Kindred</h2>" in card.text
