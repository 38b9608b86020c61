import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import override_settings

from django_fastapi.testing.client import Client
from django_fastapi.tokens.models import Token
from tests.authsite import logged_in_client, secure_site, session_cookie, with_csrf  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("secure_site")


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password="pw")


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_session_unsafe_method_without_csrf_token_is_403(ada, method):
    response = logged_in_client(ada).request(method, "/api/secure/unsafe")
    assert response.status_code == 403
    assert response.json()["detail"] == "CSRF Failed: CSRF cookie not set."


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_session_unsafe_method_with_csrf_token_succeeds(ada, method):
    client = logged_in_client(ada)
    response = client.request(method, "/api/secure/unsafe", headers=with_csrf(client))
    assert (response.status_code, response.json()) == (200, {"username": "ada"})


def test_session_sync_endpoint_with_csrf_token_succeeds(ada):
    client = logged_in_client(ada)
    assert client.post("/api/secure/unsafe/sync", headers=with_csrf(client)).status_code == 200


def test_session_csrf_cookie_without_header_is_403(ada):
    client = logged_in_client(ada)
    with_csrf(client)
    response = client.post("/api/secure/unsafe")
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "CSRF Failed: CSRF token missing.",
    )


def test_session_wrong_csrf_token_is_403(ada):
    client = logged_in_client(ada)
    with_csrf(client)
    response = client.post("/api/secure/unsafe", headers={"X-CSRFToken": "x" * 64})
    assert response.status_code == 403
    assert "incorrect" in response.json()["detail"]


def test_session_safe_method_needs_no_csrf_token(ada):
    assert logged_in_client(ada).get("/api/secure/me").status_code == 200


def test_bearer_token_needs_no_csrf_token(ada):
    _, raw = Token.objects.create_token(ada)
    response = Client().post("/api/secure/unsafe", headers={"Authorization": f"Bearer {raw}"})
    assert (response.status_code, response.json()) == (200, {"username": "ada"})


def test_bearer_token_with_a_session_cookie_needs_no_csrf_token(ada):
    _, raw = Token.objects.create_token(ada)
    client = logged_in_client(ada)
    assert (
        client.post("/api/secure/unsafe", headers={"Authorization": f"Bearer {raw}"}).status_code
        == 200
    )


def test_anonymous_unsafe_request_is_401_not_a_csrf_failure():
    assert Client().post("/api/secure/unsafe").status_code == 401


def test_foreign_origin_is_403(ada):
    client = logged_in_client(ada)
    headers = {**with_csrf(client), "Origin": "https://evil.example"}
    response = client.post("/api/secure/unsafe", headers=headers)
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "CSRF Failed: Origin checking failed - https://evil.example does not match any trusted origins."
    )


def test_own_origin_is_accepted(ada):
    client = logged_in_client(ada)
    headers = {**with_csrf(client), "Origin": "http://testserver"}
    assert client.post("/api/secure/unsafe", headers=headers).status_code == 200


def test_trusted_origin_is_accepted(ada):
    client = logged_in_client(ada)
    headers = {**with_csrf(client), "Origin": "https://app.example.com"}
    with override_settings(CSRF_TRUSTED_ORIGINS=["https://app.example.com"]):
        assert client.post("/api/secure/unsafe", headers=headers).status_code == 200


def secure_client(user: User) -> Client:
    client = Client(base_url="https://testserver")
    client.cookies.set(settings.SESSION_COOKIE_NAME, session_cookie(user))
    return client


def test_https_without_referer_is_403(ada):
    client = secure_client(ada)
    response = client.post("/api/secure/unsafe", headers=with_csrf(client))
    assert response.json()["detail"] == "CSRF Failed: Referer checking failed - no Referer."


def test_https_with_insecure_referer_is_403(ada):
    client = secure_client(ada)
    headers = {**with_csrf(client), "Referer": "http://testserver/page"}
    response = client.post("/api/secure/unsafe", headers=headers)
    assert response.status_code == 403
    assert "Referer checking failed" in response.json()["detail"]


def test_https_with_same_host_referer_is_accepted(ada):
    client = secure_client(ada)
    headers = {**with_csrf(client), "Referer": "https://testserver/page"}
    assert client.post("/api/secure/unsafe", headers=headers).status_code == 200


def test_form_post_csrfmiddlewaretoken_counts(ada):
    client = logged_in_client(ada)
    token = with_csrf(client)["X-CSRFToken"]
    response = client.post("/api/secure/unsafe/sync", data={"csrfmiddlewaretoken": token})
    assert response.status_code == 200


def test_csrf_exempt_endpoint_needs_no_token(ada):
    assert logged_in_client(ada).post("/api/secure/exempt").status_code == 200


def test_csrf_header_name_setting_is_honoured(ada):
    client = logged_in_client(ada)
    token = with_csrf(client)["X-CSRFToken"]
    with override_settings(CSRF_HEADER_NAME="HTTP_X_XSRF_TOKEN"):
        assert client.post("/api/secure/unsafe", headers={"X-CSRFToken": token}).status_code == 403
        assert client.post("/api/secure/unsafe", headers={"X-XSRF-Token": token}).status_code == 200


def test_csrf_use_sessions_keeps_the_secret_in_the_session(ada):
    with override_settings(CSRF_USE_SESSIONS=True):
        client = logged_in_client(ada)
        headers = with_csrf(client)
        assert settings.CSRF_COOKIE_NAME not in client.cookies
        assert client.post("/api/secure/unsafe", headers=headers).status_code == 200


def test_csrf_endpoint_sets_the_cookie_as_settings_say():
    with override_settings(
        CSRF_COOKIE_NAME="xsrf", CSRF_COOKIE_SAMESITE="Strict", CSRF_COOKIE_SECURE=True
    ):
        response = Client(base_url="https://testserver").get("/api/auth/csrf")
    (cookie,) = response.headers.get_list("set-cookie")
    assert cookie.startswith("xsrf=") and "SameSite=Strict" in cookie and "Secure" in cookie
    assert response.json()["header_name"] == "X-Csrftoken"


def test_csrf_token_rotates_on_login(ada):
    client = Client()
    headers = with_csrf(client)
    before = client.cookies[settings.CSRF_COOKIE_NAME]
    client.post("/api/auth/login", json={"username": "ada", "password": "pw"}, headers=headers)
    assert client.cookies[settings.CSRF_COOKIE_NAME] != before
