"""Logging a user in on the test clients: ``force_login`` (a real session) and
``force_authenticate`` (authentication skipped, as DRF's ``APIClient``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from django_fastapi.testing import AsyncClient, Client
from tests.authsite import secure_site  # noqa: F401


@pytest.fixture
def ada(secure_site):  # noqa: F811
    return User.objects.create_user("ada", password="secret")


def test_force_login_authenticates_through_the_session(ada):
    client = Client()
    client.force_login(ada)
    assert client.get("/api/secure/me").json() == {"username": "ada"}


def test_force_login_sends_the_csrf_token_on_unsafe_requests(ada):
    client = Client()
    client.force_login(ada)
    response = client.post("/api/secure/unsafe")
    assert response.status_code == 200, response.text
    assert response.json() == {"username": "ada"}


def test_unsafe_request_with_a_session_but_no_token_is_still_refused(ada):
    client = Client()
    client.force_login(ada)
    client.headers.pop("X-CSRFTOKEN")
    assert client.post("/api/secure/unsafe").status_code == 403


def test_logout_forgets_the_session(ada):
    client = Client()
    client.force_login(ada)
    client.logout()
    assert client.get("/api/secure/optional").json() == {"authenticated": False, "username": None}


def test_force_authenticate_skips_authentication(ada):
    client = Client()
    client.force_authenticate(ada)
    assert client.get("/api/secure/me").json() == {"username": "ada"}
    assert client.post("/api/secure/unsafe").json() == {"username": "ada"}
    client.force_authenticate(None)
    assert client.get("/api/secure/me").status_code == 401


def test_force_authenticate_with_a_token_is_its_user(ada):
    from django_fastapi.tokens.models import Token

    token, _ = Token.objects.create_token(ada, name="tests")
    client = Client()
    client.force_authenticate(token=token)
    assert client.get("/api/secure/me/sync").json() == {"username": "ada"}


@pytest.mark.asyncio
async def test_async_client_force_login(ada):
    async with AsyncClient() as client:
        await client.aforce_login(ada)
        assert (await client.get("/api/secure/me")).json() == {"username": "ada"}
        assert (await client.post("/api/secure/unsafe")).json() == {"username": "ada"}


def test_admin_api_client_fixture_is_logged_in_as_admin(secure_site, admin_api_client):  # noqa: F811
    assert admin_api_client.get("/api/secure/superuser").status_code == 200
