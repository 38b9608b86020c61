"""The single-page app's flow for real, on ``runfastapi``: sign in for a token pair, call the API,
refresh, a stolen refresh token replayed (reuse detected), log out."""

from __future__ import annotations

import os
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
editor = User.objects.create_user("spa-editor", password="spa-password")
editor.user_permissions.add(*Permission.objects.filter(codename__in=["add_book", "view_book"]))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    database = tmp_path_factory.mktemp("token_pair_flow") / "db.sqlite3"
    shutil.copy(sample_site_database(tmp_path_factory), database)
    env = {"SAMPLE_SITE_SQLITE": str(database)}
    environ = {**{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}, **env}
    subprocess.run([sys.executable, "manage.py", "shell", "-c", USERS], cwd=SAMPLE_SITE, env=environ,
                   check=True, capture_output=True, timeout=60)
    with ServerProcess.runfastapi(env=env) as server:
        yield server


@pytest.fixture
def client(site):
    # An SPA on another origin keeps no cookies for the API: a fresh client, no cookie jar shared.
    with site.client(timeout=10) as client:
        yield client


def sign_in(client: httpx.Client, **extra) -> dict:
    response = client.post("/api/auth/token", json={"username": "spa-editor", "password": "spa-password", **extra})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(pair: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def new_book(client: httpx.Client, pair: dict) -> httpx.Response:
    author = client.post("/api/catalog/authors", json={"name": f"Author {uuid.uuid4()}"}).json()
    return client.post("/api/catalog/books", json={"title": "Kindred", "author": author["id"]}, headers=bearer(pair))


def refresh(client: httpx.Client, pair: dict) -> httpx.Response:
    return client.post("/api/auth/token/refresh", json={"refresh_token": pair["refresh_token"]})


def test_access_token_writes_with_the_users_permission(client):
    response = new_book(client, sign_in(client))
    assert (response.status_code, response.json()["title"]) == (201, "Kindred")


def test_scoped_sign_in_cannot_write(client):
    response = new_book(client, sign_in(client, scopes=["catalog.view_book"]))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_refreshed_pair_works_and_the_old_refresh_token_is_spent(client):
    first = sign_in(client)
    second = refresh(client, first)
    assert second.status_code == 200
    assert client.get("/api/auth/me", headers=bearer(second.json())).json()["username"] == "spa-editor"


def test_replayed_refresh_token_revokes_the_sign_in_for_both_holders(client):
    first = sign_in(client)
    second = refresh(client, first).json()  # the app refreshes; a thief kept the first token
    replay = refresh(client, first)
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]
    assert refresh(client, second).status_code == 401
    # The deny list (FASTAPI_JWT_DENY_LIST_CACHE in the sample settings) ends the access token at once.
    assert client.get("/api/auth/me", headers=bearer(second)).status_code == 401


def test_logout_ends_the_refresh_and_the_access_token(client):
    pair = sign_in(client)
    assert client.get("/api/auth/me", headers=bearer(pair)).status_code == 200
    assert client.post("/api/auth/token/revoke", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    assert refresh(client, pair).status_code == 401
    me = client.get("/api/auth/me", headers=bearer(pair))
    assert me.status_code == 401
    assert me.headers["WWW-Authenticate"].endswith('error="invalid_token", error_description="The access token\'s sign-in was revoked."')


def test_sign_in_is_listed_and_revocable_by_its_user(client):
    pair = sign_in(client, name="phone")
    families = client.get("/api/auth/token/families", headers=bearer(pair)).json()
    (mine,) = [family for family in families if family["current"]]
    assert mine["name"] == "phone"
    assert client.delete(f"/api/auth/token/families/{mine['id']}", headers=bearer(pair)).status_code == 204
    assert refresh(client, pair).status_code == 401
