import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.contrib.sessions.backends.db import SessionStore
from fastapi import FastAPI

from django_fastapi.security.dependencies import DjangoRequest
from django_fastapi.testing.client import Client
from django_fastapi.tokens.models import Token
from tests.authsite import logged_in_client, secure_site, with_csrf  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("secure_site")


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password="pw")


def test_django_code_sees_request_user_and_session(ada):
    client = logged_in_client(ada)
    assert client.get("/api/secure/visits").json() == {"user": "ada", "visits": 1}
    assert client.get("/api/secure/visits").json() == {"user": "ada", "visits": 2}


def test_session_changes_are_saved(ada):
    response = logged_in_client(ada).get("/api/secure/visits")
    assert SessionStore(response.cookies[settings.SESSION_COOKIE_NAME]).load()["visits"] == 1


def test_anonymous_session_gets_a_cookie_and_persists():
    client = Client()
    first = client.get("/api/secure/visits")
    assert settings.SESSION_COOKIE_NAME in first.cookies
    assert first.headers["Vary"] == "Cookie"
    assert client.get("/api/secure/visits").json() == {"user": None, "visits": 2}


def test_session_cookie_follows_session_settings():
    from django.test import override_settings

    with override_settings(
        SESSION_COOKIE_NAME="sid", SESSION_COOKIE_SECURE=True, SESSION_EXPIRE_AT_BROWSER_CLOSE=True
    ):
        response = Client().get("/api/secure/visits")
    (cookie,) = response.headers.get_list("set-cookie")
    assert cookie.startswith("sid=") and "Secure" in cookie and "Max-Age" not in cookie


def test_token_request_user_is_the_token_user(ada):
    _, raw = Token.objects.create_token(ada)
    response = Client().get("/api/secure/visits", headers={"Authorization": f"Bearer {raw}"})
    assert response.json() == {"user": "ada", "visits": 1}


def test_request_carries_method_path_query_headers_cookies_and_host(ada):
    client = logged_in_client(ada)
    described = client.get(
        "/api/secure/describe", params={"q": "tea"}, headers={"User-Agent": "tests"}
    ).json()
    assert described == {
        "method": "GET",
        "path": "/api/secure/describe",
        "GET": {"q": "tea"},
        "COOKIES": {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME]},
        "user_agent": "tests",
        "host": "testserver",
        "absolute_uri": "http://testserver/api/secure/describe?q=tea",
        "is_secure": False,
        "user": "ada",
    }


def test_request_is_secure_over_https():
    described = Client(base_url="https://testserver").get("/api/secure/describe").json()
    assert (described["is_secure"], described["absolute_uri"]) == (
        True,
        "https://testserver/api/secure/describe",
    )


def test_form_post_reaches_request_post_and_body(ada):
    client = logged_in_client(ada)
    token = with_csrf(client)["X-CSRFToken"]
    response = client.post("/api/secure/form", data={"csrfmiddlewaretoken": token, "title": "Tea"})
    assert response.json()["POST"] == {"csrfmiddlewaretoken": token, "title": "Tea"}
    assert response.json()["body_length"] > 0


def test_render_to_string_with_request_runs_context_processors(ada):
    ada.user_permissions.add(Permission.objects.get(codename="view_note"))
    html = logged_in_client(ada).get("/api/secure/greeting").json()["html"]
    assert html.startswith("Hello ada, reader of notes.")
    assert 'value="' in html and 'value=""' not in html  # {% csrf_token %} filled in


def test_messages_reach_the_next_request(ada):
    client = logged_in_client(ada)
    client.post("/api/secure/messages", params={"text": "Saved."}, headers=with_csrf(client))
    assert client.get("/api/secure/messages").json() == ["Saved."]
    assert client.get("/api/secure/messages").json() == []


def test_adapter_without_the_middleware_says_how_to_add_it():
    app = FastAPI()

    @app.get("/bare")
    async def bare(request: DjangoRequest) -> dict:
        return {}

    with pytest.raises(RuntimeError, match="DjangoRequestMiddleware"):
        Client(app).get("/bare")


def test_session_deleted_meanwhile_is_400_as_in_django(ada):
    response = logged_in_client(ada).get("/api/secure/session/interrupted")
    assert response.status_code == 400
    assert "session was deleted before the request completed" in response.json()["detail"]
