"""Scopes: a token limited to some of its user's permissions, for every permission check."""

from __future__ import annotations

import pytest
from catalog.models import Author
from django.contrib.auth.models import Permission, User
from django.test import override_settings

from django_fastapi.testing.client import Client
from django_fastapi.tokens.models import Token
from tests.apps.notes.models import Note
from tests.authsite import secure_site  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("secure_site")


@pytest.fixture
def ada(db):
    user = User.objects.create_user("ada", password="pw")
    for app_label, codename in [("notes", "view_note"), ("notes", "add_note"), ("catalog", "add_book")]:
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return user


def pair(**body) -> dict:
    response = Client().post("/api/auth/token", json={"username": "ada", "password": "pw", **body})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def test_scoped_access_token_passes_a_check_within_its_scope(ada):
    access = pair(scopes=["notes.view_note"])["access_token"]
    assert Client().get("/api/secure/notes/perm", headers=bearer(access)).status_code == 200


def test_scoped_access_token_is_403_insufficient_scope_outside_it(ada):
    access = pair(scopes=["notes.view_note"])["access_token"]
    response = Client().get("/api/secure/notes/perms", headers=bearer(access))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", error_description="The token\'s scope does not include this '
        'permission.", scope="notes.add_note"'
    )


def test_unscoped_access_token_has_all_the_users_permissions(ada):
    access = pair()["access_token"]
    assert Client().get("/api/secure/notes/perms", headers=bearer(access)).status_code == 200


def test_scope_beyond_the_users_permissions_is_refused_at_sign_in(ada):
    response = Client().post("/api/auth/token", json={"username": "ada", "password": "pw", "scopes": ["notes.delete_note"]})
    assert response.status_code == 400 and "notes.delete_note" in response.json()["detail"]


def test_malformed_scope_is_400(ada):
    response = Client().post("/api/auth/token", json={"username": "ada", "password": "pw", "scopes": ["view everything"]})
    assert response.status_code == 400


def test_scope_survives_refresh(ada):
    first = pair(scopes=["notes.view_note"])
    second = Client().post("/api/auth/token/refresh", json={"refresh_token": first["refresh_token"]}).json()
    assert second["scope"] == "notes.view_note"
    assert Client().get("/api/secure/notes/perms", headers=bearer(second["access_token"])).status_code == 403


def test_object_permission_needs_the_scope_too(ada):
    note = Note.objects.create(title="owned by ada")
    scoped = pair(scopes=["notes.view_note"])["access_token"]
    full = pair()["access_token"]
    url = f"/api/secure/notes/{note.pk}/object-perm"
    assert Client().get(url, headers=bearer(full)).status_code == 200
    assert Client().get(url, headers=bearer(scoped)).status_code == 403


def test_scoped_opaque_token_is_limited_too(ada):
    _, raw = Token.objects.create_token(ada, scopes=["notes.view_note"])
    assert Client().get("/api/secure/notes/perm", headers=bearer(raw)).status_code == 200
    assert Client().get("/api/secure/notes/perms", headers=bearer(raw)).status_code == 403


def test_model_router_honours_the_scope(ada):
    author = Author.objects.create(name="Octavia E. Butler")
    book = {"title": "Kindred", "author": author.pk}
    scoped = pair(scopes=["notes.view_note"])["access_token"]
    full = pair()["access_token"]
    assert Client().post("/api/catalog/books", json=book, headers=bearer(scoped)).status_code == 403
    assert Client().post("/api/catalog/books", json=book, headers=bearer(full)).status_code == 201


def test_me_lists_only_the_permissions_in_scope(ada):
    access = pair(scopes=["notes.view_note"])["access_token"]
    assert Client().get("/api/auth/me", headers=bearer(access)).json()["permissions"] == ["notes.view_note"]


def test_scoped_user_is_still_the_user_for_the_orm(ada):
    _, raw = Token.objects.create_token(ada, scopes=["notes.view_note"])
    assert Client().get("/api/auth/token/families", headers=bearer(raw)).status_code == 200


def test_opaque_token_in_the_api_key_header(ada):
    _, raw = Token.objects.create_token(ada)
    assert Client().get("/api/secure/me", headers={"X-API-Key": raw}).json() == {"username": "ada"}


def test_wrong_api_key_is_401(ada):
    response = Client().get("/api/secure/optional", headers={"X-API-Key": "dfb_abcdefghij_wrong"})
    assert response.status_code == 401


def test_api_key_header_name_is_configurable(ada):
    _, raw = Token.objects.create_token(ada)
    with override_settings(FASTAPI_API_KEY_HEADER="X-Service-Key"):
        assert Client().get("/api/secure/me", headers={"X-Service-Key": raw}).status_code == 200
        assert Client().get("/api/secure/me", headers={"X-API-Key": raw}).status_code == 401


def test_api_key_scheme_is_in_the_openapi_document(ada):
    schemes = Client().get("/api/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["apikey"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": "An API token from `manage.py fastapi_token create` or the admin.",
    }


@pytest.mark.parametrize("scope", ["notes.view note", "notes", "a.b.c", "notes.\u00e9"])
def test_scope_that_is_no_permission_string_is_400_even_for_a_superuser(db, scope):
    User.objects.create_superuser("root", password="pw")
    response = Client().post("/api/auth/token", json={"username": "root", "password": "pw", "scopes": [scope]})
    assert response.status_code == 400 and "Invalid scope" in response.json()["detail"]
