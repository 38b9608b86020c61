"""Access/refresh token pairs: the auth router's /token endpoints, rotation and reuse detection."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from django_fastapi.testing.client import Client
from django_fastapi.tokens.models import RefreshFamily, RefreshToken, token_digest
from tests.authsite import secure_site  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("secure_site")
TOKEN = "/api/auth/token"


@pytest.fixture
def ada(db):
    user = User.objects.create_user("ada", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="view_note"), Permission.objects.get(codename="add_note"))
    return user


def obtain(client: Client | None = None, **extra) -> dict:
    response = (client or Client()).post(TOKEN, json={"username": "ada", "password": "pw", **extra})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def test_obtain_returns_a_bearer_pair_not_to_be_cached(ada):
    response = Client().post(TOKEN, json={"username": "ada", "password": "pw"})
    body = response.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 300, None)
    assert body["refresh_token"].startswith("dfr_") and body["access_token"].count(".") == 2
    assert response.headers["Cache-Control"] == "no-store"


def test_access_token_authenticates_its_user(ada):
    access = obtain()["access_token"]
    assert Client().get("/api/secure/me", headers=bearer(access)).json() == {"username": "ada"}


def test_access_token_costs_one_query_the_user_by_primary_key(ada):
    access = obtain()["access_token"]
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/secure/me", headers=bearer(access)).status_code == 200
    assert len(queries) == 1 and "auth_user" in queries[0]["sql"]


def test_refresh_token_is_stored_only_as_its_digest(ada):
    raw = obtain()["refresh_token"]
    stored = RefreshToken.objects.get()
    assert stored.digest == token_digest(raw) and raw not in str(list(RefreshToken.objects.values()))


def test_obtain_with_wrong_password_is_400_and_sends_user_login_failed(ada):
    failures = []

    def receiver(sender, credentials, **kwargs):
        failures.append(credentials["username"])

    user_login_failed.connect(receiver)
    try:
        response = Client().post(TOKEN, json={"username": "ada", "password": "wrong"})
    finally:
        user_login_failed.disconnect(receiver)
    assert (response.status_code, failures) == (400, ["ada"])


def test_obtain_is_throttled_with_the_login_rate(ada):
    with override_settings(FASTAPI_THROTTLE_RATES={"login": "2/min"}):
        statuses = [Client().post(TOKEN, json={"username": "ada", "password": "wrong"}).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]


def test_refresh_spends_the_token_and_issues_a_new_pair(ada):
    first = obtain()
    second = Client().post(f"{TOKEN}/refresh", json={"refresh_token": first["refresh_token"]}).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert Client().get("/api/secure/me", headers=bearer(second["access_token"])).status_code == 200
    assert RefreshFamily.objects.count() == 1 and RefreshToken.objects.filter(used_at__isnull=False).count() == 1


def test_reusing_a_spent_refresh_token_revokes_the_whole_family(ada, caplog):
    first = obtain()
    second = Client().post(f"{TOKEN}/refresh", json={"refresh_token": first["refresh_token"]}).json()
    with caplog.at_level(logging.INFO, logger="django.security.tokens"):
        reuse = Client().post(f"{TOKEN}/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert 'error="invalid_token"' in reuse.headers["WWW-Authenticate"]
    # The thief's (or the owner's) newer token is refused too: both must sign in again.
    after = Client().post(f"{TOKEN}/refresh", json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    assert RefreshFamily.objects.get().revoke_reason == "reuse"
    assert [r.levelno for r in caplog.records if "reused" in r.getMessage()] == [logging.ERROR]


def test_revoke_logs_the_family_out(ada):
    pair = obtain()
    assert Client().post(f"{TOKEN}/revoke", json={"refresh_token": pair["refresh_token"]}).status_code == 204
    refresh = Client().post(f"{TOKEN}/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401 and "revoked" in refresh.json()["detail"]


def test_revoke_of_an_unknown_token_is_204_too(ada):
    assert Client().post(f"{TOKEN}/revoke", json={"refresh_token": "dfr_nothing"}).status_code == 204


def test_revoked_familys_access_token_works_until_expiry_without_deny_list(ada):
    pair = obtain()
    Client().post(f"{TOKEN}/revoke", json={"refresh_token": pair["refresh_token"]})
    assert Client().get("/api/secure/me", headers=bearer(pair["access_token"])).status_code == 200


def test_revoked_familys_access_token_is_refused_at_once_with_deny_list(ada):
    with override_settings(FASTAPI_JWT_DENY_LIST_CACHE="default"):
        pair = obtain()
        assert Client().get("/api/secure/me", headers=bearer(pair["access_token"])).status_code == 200
        Client().post(f"{TOKEN}/revoke", json={"refresh_token": pair["refresh_token"]})
        response = Client().get("/api/secure/me", headers=bearer(pair["access_token"]))
    assert response.status_code == 401 and "revoked" in response.headers["WWW-Authenticate"]


def test_families_lists_the_users_active_sign_ins_marking_the_current_one(ada):
    phone = obtain(name="phone")
    laptop = obtain(name="laptop")
    Client().post(f"{TOKEN}/revoke", json={"refresh_token": phone["refresh_token"]})
    obtain(name="tablet")
    families = Client().get(f"{TOKEN}/families", headers=bearer(laptop["access_token"])).json()
    assert sorted((f["name"], f["current"]) for f in families) == [("laptop", True), ("tablet", False)]


def test_user_revokes_one_of_their_families(ada):
    phone, laptop = obtain(name="phone"), obtain(name="laptop")
    family = RefreshFamily.objects.get(name="phone")
    response = Client().delete(f"{TOKEN}/families/{family.key}", headers=bearer(laptop["access_token"]))
    assert response.status_code == 204
    assert Client().post(f"{TOKEN}/refresh", json={"refresh_token": phone["refresh_token"]}).status_code == 401


def test_user_cannot_revoke_another_users_family(ada):
    User.objects.create_user("bob", password="pw")
    bobs = Client().post(TOKEN, json={"username": "bob", "password": "pw"}).json()
    family = RefreshFamily.objects.get(user__username="bob")
    response = Client().delete(f"{TOKEN}/families/{family.key}", headers=bearer(obtain()["access_token"]))
    assert response.status_code == 404
    assert Client().post(f"{TOKEN}/refresh", json={"refresh_token": bobs["refresh_token"]}).status_code == 200


def test_refresh_of_an_inactive_user_is_401(ada):
    pair = obtain()
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert Client().post(f"{TOKEN}/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401


def test_access_token_of_an_inactive_user_is_401(ada):
    pair = obtain()
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert Client().get("/api/secure/me", headers=bearer(pair["access_token"])).status_code == 401


def test_token_endpoints_are_in_the_openapi_document(ada):
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert {"/api/auth/token", "/api/auth/token/refresh", "/api/auth/token/revoke", "/api/auth/token/families"} <= set(paths)


def test_throttle_per_token_counts_each_sign_in_apart(ada):
    phone, laptop = obtain(), obtain()
    statuses = [Client().get("/api/secure/throttled/token", headers=bearer(phone["access_token"])).status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert Client().get("/api/secure/throttled/token", headers=bearer(laptop["access_token"])).status_code == 200
