import base64

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.sessions.models import Session
from django.core.checks import run_checks
from django.test import override_settings

from django_fastapi.security.dependencies import require_perms
from django_fastapi.testing.client import Client
from tests.apps.notes.models import Note
from tests.authsite import logged_in_client, secure_site, with_csrf  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("secure_site")


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password="correct horse")


def grant(user: User, *codenames: str) -> None:
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def basic(username: str, password: str) -> dict[str, str]:
    return {
        "Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    }


def test_optional_user_is_anonymous_without_credentials():
    assert Client().get("/api/secure/optional").json() == {"authenticated": False, "username": None}


def test_optional_user_is_the_session_user(ada):
    response = logged_in_client(ada).get("/api/secure/optional")
    assert response.json() == {"authenticated": True, "username": "ada"}


def test_current_user_from_a_django_login_session(ada):
    response = logged_in_client(ada).get("/api/secure/me")
    assert (response.status_code, response.json()) == (200, {"username": "ada"})


def test_current_user_in_a_sync_endpoint(ada):
    assert logged_in_client(ada).get("/api/secure/me/sync").json() == {"username": "ada"}


def test_current_user_anonymous_is_401_with_www_authenticate():
    response = Client().get("/api/secure/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api", Session realm="api"'


def test_current_user_unknown_session_key_is_401():
    client = Client()
    client.cookies.set(settings.SESSION_COOKIE_NAME, "no-such-session-key")
    assert client.get("/api/secure/me").status_code == 401


def test_current_user_session_ends_when_the_password_changes(ada):
    client = logged_in_client(ada)
    ada.set_password("new password")
    ada.save()
    assert client.get("/api/secure/me").status_code == 401


def test_current_user_inactive_is_not_authenticated_by_model_backend(ada):
    client = logged_in_client(ada)
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert client.get("/api/secure/me").status_code == 401


def test_active_user_inactive_is_403_when_a_backend_lets_them_in(ada):
    with override_settings(
        AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    ):
        client = logged_in_client(ada)
        User.objects.filter(pk=ada.pk).update(is_active=False)
        assert client.get("/api/secure/me").status_code == 200
        assert client.get("/api/secure/active").status_code == 403


def test_staff_user_non_staff_is_403(ada):
    assert logged_in_client(ada).get("/api/secure/staff").status_code == 403


def test_staff_user_staff_is_200(ada):
    User.objects.filter(pk=ada.pk).update(is_staff=True)
    assert logged_in_client(ada).get("/api/secure/staff").json() == {"username": "ada"}


def test_superuser_non_superuser_is_403(ada):
    User.objects.filter(pk=ada.pk).update(is_staff=True)
    assert logged_in_client(ada).get("/api/secure/superuser").status_code == 403


def test_superuser_superuser_is_200(db):
    root = User.objects.create_superuser("root", password="pw")
    assert logged_in_client(root).get("/api/secure/superuser").status_code == 200


def test_require_perms_anonymous_is_401():
    assert Client().get("/api/secure/notes/perm").status_code == 401


def test_require_perms_without_the_permission_is_403(ada):
    response = logged_in_client(ada).get("/api/secure/notes/perm")
    assert (response.status_code, response.json()["detail"]) == (
        403,
        "You do not have permission to perform this action.",
    )


def test_require_perms_with_the_permission_is_200(ada):
    grant(ada, "view_note")
    assert logged_in_client(ada).get("/api/secure/notes/perm").status_code == 200


def test_require_perms_through_a_group(ada):
    group = ada.groups.create(name="readers")
    group.permissions.add(Permission.objects.get(codename="view_note"))
    assert logged_in_client(ada).get("/api/secure/notes/perm").status_code == 200


def test_require_perms_needs_every_permission(ada):
    grant(ada, "view_note")
    assert logged_in_client(ada).get("/api/secure/notes/perms").status_code == 403
    grant(ada, "add_note")
    assert logged_in_client(ada).get("/api/secure/notes/perms").status_code == 200


def test_require_perms_object_granted_by_an_object_backend(ada):
    note = Note.objects.create(title="owned by ada")
    assert logged_in_client(ada).get(f"/api/secure/notes/{note.pk}/object-perm").status_code == 200


def test_require_perms_object_refused_for_another_users_object(ada):
    note = Note.objects.create(title="owned by grace")
    assert logged_in_client(ada).get(f"/api/secure/notes/{note.pk}/object-perm").status_code == 403


def test_require_perms_object_model_permission_alone_does_not_grant(ada):
    # Django's ModelBackend answers for models only: has_perm(perm, obj) is False for any obj.
    grant(ada, "change_note")
    note = Note.objects.create(title="owned by grace")
    assert logged_in_client(ada).get(f"/api/secure/notes/{note.pk}/object-perm").status_code == 403


def test_require_perms_object_dependency_404_comes_first(ada):
    assert logged_in_client(ada).get("/api/secure/notes/999/object-perm").status_code == 404


def test_require_perms_rejects_a_permission_without_app_label():
    with pytest.raises(ValueError, match="app_label.codename"):
        require_perms("add_note")


def test_check_object_perms_sync_endpoint_owner_may_change(ada):
    note = Note.objects.create(title="owned by ada")
    client = logged_in_client(ada)
    response = client.patch(
        f"/api/secure/notes/{note.pk}", json={"title": "owned by ada"}, headers=with_csrf(client)
    )
    assert response.status_code == 200


def test_check_object_perms_sync_endpoint_other_user_is_403(ada):
    note = Note.objects.create(title="owned by grace")
    client = logged_in_client(ada)
    response = client.patch(
        f"/api/secure/notes/{note.pk}", json={"title": "mine"}, headers=with_csrf(client)
    )
    assert response.status_code == 403
    note.refresh_from_db()
    assert note.title == "owned by grace"


def test_acheck_object_perms_async_endpoint_owner_may_change(ada):
    note = Note.objects.create(title="owned by ada")
    client = logged_in_client(ada)
    response = client.patch(
        f"/api/secure/async/notes/{note.pk}",
        json={"title": "owned by ada"},
        headers=with_csrf(client),
    )
    assert response.status_code == 200


def test_acheck_object_perms_async_endpoint_other_user_is_403(ada):
    note = Note.objects.create(title="owned by grace")
    client = logged_in_client(ada)
    response = client.patch(
        f"/api/secure/async/notes/{note.pk}", json={"title": "x"}, headers=with_csrf(client)
    )
    assert response.status_code == 403


def test_login_endpoint_logs_in_and_the_session_authenticates(ada):
    client = Client()
    response = client.post(
        "/api/auth/login",
        json={"username": "ada", "password": "correct horse"},
        headers=with_csrf(client),
    )
    assert (response.status_code, response.json()["username"]) == (200, "ada")
    assert client.get("/api/auth/me").json()["username"] == "ada"


def test_login_endpoint_rotates_the_session_key(ada):
    client = Client()
    headers = with_csrf(client)
    client.get("/api/secure/visits")  # an anonymous session first
    before = client.cookies[settings.SESSION_COOKIE_NAME]
    client.post(
        "/api/auth/login", json={"username": "ada", "password": "correct horse"}, headers=headers
    )
    after = client.cookies[settings.SESSION_COOKIE_NAME]
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_login_endpoint_keeps_anonymous_session_data(ada):
    client = Client()
    headers = with_csrf(client)
    client.get("/api/secure/visits")
    client.post(
        "/api/auth/login", json={"username": "ada", "password": "correct horse"}, headers=headers
    )
    assert client.get("/api/secure/visits").json() == {"user": "ada", "visits": 2}


def test_login_endpoint_sends_user_logged_in(ada):
    received = []
    user_logged_in.connect(
        lambda sender, request, user, **kw: received.append(user.username),
        weak=False,
        dispatch_uid="t",
    )
    try:
        client = Client()
        client.post(
            "/api/auth/login",
            json={"username": "ada", "password": "correct horse"},
            headers=with_csrf(client),
        )
    finally:
        user_logged_in.disconnect(dispatch_uid="t")
    assert received == ["ada"]


def test_login_endpoint_wrong_password_is_400_and_sends_user_login_failed(ada):
    failed = []
    user_login_failed.connect(
        lambda sender, credentials, **kw: failed.append(credentials["username"]),
        weak=False,
        dispatch_uid="t",
    )
    try:
        client = Client()
        response = client.post(
            "/api/auth/login",
            json={"username": "ada", "password": "wrong"},
            headers=with_csrf(client),
        )
    finally:
        user_login_failed.disconnect(dispatch_uid="t")
    assert response.status_code == 400
    assert failed == ["ada"]
    assert settings.SESSION_COOKIE_NAME not in client.cookies


def test_login_endpoint_without_csrf_token_is_403(ada):
    response = Client().post(
        "/api/auth/login", json={"username": "ada", "password": "correct horse"}
    )
    assert response.status_code == 403


def test_login_endpoint_sets_cookies_as_session_and_csrf_settings_say(ada):
    with override_settings(
        SESSION_COOKIE_NAME="api_session",
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_AGE=600,
        CSRF_COOKIE_NAME="api_csrf",
    ):
        client = Client()
        headers = with_csrf(client)
        response = client.post(
            "/api/auth/login",
            json={"username": "ada", "password": "correct horse"},
            headers=headers,
        )
    cookies = response.headers.get_list("set-cookie")
    session = next(cookie for cookie in cookies if cookie.startswith("api_session="))
    assert "SameSite=Strict" in session and "Max-Age=600" in session and "HttpOnly" in session
    assert any(cookie.startswith("api_csrf=") for cookie in cookies)  # rotated on login


def test_logout_endpoint_flushes_the_session_and_sends_user_logged_out(ada):
    client = logged_in_client(ada)
    key = client.cookies[settings.SESSION_COOKIE_NAME]
    logged_out = []
    user_logged_out.connect(
        lambda sender, user, **kw: logged_out.append(user.username), weak=False, dispatch_uid="t"
    )
    try:
        response = client.post("/api/auth/logout", headers=with_csrf(client))
    finally:
        user_logged_out.disconnect(dispatch_uid="t")
    assert response.status_code == 204
    assert logged_out == ["ada"]
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies.set(settings.SESSION_COOKIE_NAME, key)
    assert client.get("/api/secure/me").status_code == 401


def test_me_endpoint_lists_permissions(ada):
    grant(ada, "view_note")
    assert logged_in_client(ada).get("/api/auth/me").json()["permissions"] == ["notes.view_note"]


def test_basic_source_authenticates_with_the_password(ada):
    with override_settings(FASTAPI_AUTHENTICATION=["basic"]):
        response = Client().get("/api/secure/me", headers=basic("ada", "correct horse"))
    assert response.json() == {"username": "ada"}


def test_basic_source_wrong_password_is_401_with_basic_challenge(ada):
    with override_settings(FASTAPI_AUTHENTICATION=["basic"]):
        response = Client().get("/api/secure/optional", headers=basic("ada", "wrong"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="api"'


def test_basic_source_malformed_credentials_are_401():
    with override_settings(FASTAPI_AUTHENTICATION=["basic"]):
        response = Client().get("/api/secure/me", headers={"Authorization": "Basic %%%"})
    assert response.status_code == 401


def test_basic_source_not_configured_ignores_basic_credentials(ada):
    response = Client().get("/api/secure/optional", headers=basic("ada", "correct horse"))
    assert response.json()["authenticated"] is False


def test_anonymous_challenge_never_invites_basic():
    with override_settings(FASTAPI_AUTHENTICATION=["basic", "session"]):
        response = Client().get("/api/secure/me")
    assert response.headers["WWW-Authenticate"] == 'Session realm="api"'


def test_custom_source_by_dotted_path(ada):
    with override_settings(FASTAPI_AUTHENTICATION=["tests.apps.secure.sources.HeaderSource"]):
        response = Client().get("/api/secure/me", headers={"X-Test-User": "ada"})
    assert response.json() == {"username": "ada"}


def test_openapi_security_schemes_of_the_configured_sources():
    with override_settings(FASTAPI_AUTHENTICATION=["bearer", "session", "basic"]):
        schema = Client().get("/api/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["session"] == {
        **schemes["session"],
        "type": "apiKey",
        "in": "cookie",
        "name": "sessionid",
    }
    assert schemes["basic"] == {**schemes["basic"], "type": "http", "scheme": "basic"}
    assert schema["paths"]["/api/secure/me"]["get"]["security"] == [
        {"bearer": []},
        {"session": []},
        {"basic": []},
    ]


def test_openapi_optional_user_endpoint_declares_anonymous_access_as_an_alternative():
    with override_settings(FASTAPI_AUTHENTICATION=["bearer", "session"]):
        schema = Client().get("/api/openapi.json").json()
    assert schema["paths"]["/api/secure/optional"]["get"]["security"] == [
        {"bearer": []},
        {"session": []},
        {},
    ]
    # A required login stays required, and a dependency needing both keeps it required.
    assert {} not in schema["paths"]["/api/secure/me"]["get"]["security"]


def test_openapi_security_schemes_follow_the_setting():
    with override_settings(FASTAPI_AUTHENTICATION=["session"]):
        schema = Client().get("/api/openapi.json").json()
    assert list(schema["components"]["securitySchemes"]) == ["session"]


def test_check_e011_unknown_authentication_source():
    with override_settings(FASTAPI_AUTHENTICATION=["tests.apps.secure.sources.Missing"]):
        messages = [m for m in run_checks() if m.id == "django_fastapi.E011"]
    assert len(messages) == 1 and "tests.apps.secure.sources.Missing" in messages[0].msg


def test_check_e013_session_source_without_sessions_app():
    apps = [app for app in settings.INSTALLED_APPS if app != "django.contrib.sessions"]
    with override_settings(INSTALLED_APPS=apps, FASTAPI_AUTHENTICATION=["session"]):
        messages = [m for m in run_checks() if m.id == "django_fastapi.E013"]
    assert len(messages) == 1 and "django.contrib.sessions" in messages[0].msg


def test_default_sources_follow_installed_apps():
    from django_fastapi.conf import api_settings

    assert api_settings.AUTHENTICATION == ["bearer", "apikey", "session"]
    apps = [app for app in settings.INSTALLED_APPS if app != "django_fastapi.tokens"]
    with override_settings(INSTALLED_APPS=apps):
        assert api_settings.AUTHENTICATION == ["session"]
