"""The test project with the ``secure`` app: auth dependencies, the request adapter, throttles.

``secure_site`` installs it (and the auth endpoints under ``/api/auth``); ``login_cookies`` logs a
user in with Django's own test client, as the admin's login would, and returns the session cookie.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client as DjangoClient
from django.test import override_settings

from django_fastapi.testing.client import Client

AUTH_ROUTER = {
    "router": "django_fastapi.security.endpoints.router",
    "prefix": "/auth",
    "tags": ["auth"],
}
BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "tests.apps.secure.backends.NoteOwnerBackend",
]


@pytest.fixture
def secure_site(db):
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.apps.secure"],
        AUTHENTICATION_BACKENDS=BACKENDS,
        FASTAPI_ROUTERS=[AUTH_ROUTER],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # fast, for tests only
    ):
        cache.clear()
        yield
        cache.clear()


def session_cookie(user) -> str:
    """The session cookie of ``user``, logged in by Django's test client (as the admin would)."""
    django_client = DjangoClient()
    django_client.force_login(user)
    return django_client.cookies[settings.SESSION_COOKIE_NAME].value


def logged_in_client(user) -> Client:
    client = Client()
    client.cookies.set(settings.SESSION_COOKIE_NAME, session_cookie(user))
    return client


def with_csrf(client: Client) -> dict[str, str]:
    """Ask the API for a CSRF token (which sets the cookie); the header to send it back in."""
    token = client.get("/api/auth/csrf").json()["csrf_token"]
    return {"X-CSRFToken": token}
