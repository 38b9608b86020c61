import datetime
import hmac
import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings
from django.utils import timezone

from django_fastapi.testing.client import Client
from django_fastapi.tokens import models as token_models
from django_fastapi.tokens.models import InvalidToken, Token
from tests.authsite import secure_site  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("secure_site")


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password="pw")


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def test_create_token_keeps_only_the_digest_and_the_prefix(ada):
    token, raw = Token.objects.create_token(ada, "ci")
    assert raw.startswith(token.prefix + "_") and raw.startswith("dfb_")
    stored = Token.objects.filter(pk=token.pk).values().get()
    assert raw not in [str(value) for value in stored.values()]
    assert stored["digest"] == token_models.token_digest(raw)


def test_create_token_gives_different_tokens(ada):
    assert Token.objects.create_token(ada)[1] != Token.objects.create_token(ada)[1]


def test_bearer_token_authenticates_its_user(ada):
    _, raw = Token.objects.create_token(ada)
    response = Client().get("/api/secure/me", headers=bearer(raw))
    assert (response.status_code, response.json()) == (200, {"username": "ada"})


def test_bearer_scheme_name_is_case_insensitive(ada):
    _, raw = Token.objects.create_token(ada)
    assert (
        Client().get("/api/secure/me", headers={"Authorization": f"bearer {raw}"}).status_code
        == 200
    )


def test_bearer_token_records_last_use(ada):
    token, raw = Token.objects.create_token(ada)
    Client().get("/api/secure/me", headers=bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_bearer_token_last_use_written_at_most_once_a_minute(ada):
    token, raw = Token.objects.create_token(ada)
    recent = timezone.now() - datetime.timedelta(seconds=30)
    Token.objects.filter(pk=token.pk).update(last_used_at=recent)
    Client().get("/api/secure/me", headers=bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at == recent


@pytest.mark.parametrize("raw", ["dfb_abcdefghij_not-the-secret", "not-a-token", "dfb_", ""])
def test_bearer_wrong_token_is_401(ada, raw):
    Token.objects.create_token(ada)
    response = Client().get("/api/secure/optional", headers=bearer(raw))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_bearer_right_prefix_wrong_secret_is_401(ada):
    token, raw = Token.objects.create_token(ada)
    response = Client().get("/api/secure/me", headers=bearer(raw[:-4] + "AAAA"))
    assert (response.status_code, response.json()["detail"]) == (401, "Invalid token.")


def test_bearer_expired_token_is_401(ada):
    _, raw = Token.objects.create_token(
        ada, expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = Client().get("/api/secure/me", headers=bearer(raw))
    assert (response.status_code, response.json()["detail"]) == (401, "Token has expired.")


def test_bearer_token_before_expiry_authenticates(ada):
    _, raw = Token.objects.create_token(
        ada, expires_at=timezone.now() + datetime.timedelta(hours=1)
    )
    assert Client().get("/api/secure/me", headers=bearer(raw)).status_code == 200


def test_bearer_revoked_token_is_401(ada):
    token, raw = Token.objects.create_token(ada)
    token.revoke()
    response = Client().get("/api/secure/me", headers=bearer(raw))
    assert (response.status_code, response.json()["detail"]) == (401, "Invalid token.")


def test_bearer_token_of_inactive_user_is_401(ada):
    _, raw = Token.objects.create_token(ada)
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert Client().get("/api/secure/me", headers=bearer(raw)).status_code == 401


def test_bearer_token_of_deleted_user_is_401(ada):
    _, raw = Token.objects.create_token(ada)
    ada.delete()
    assert Client().get("/api/secure/me", headers=bearer(raw)).status_code == 401


def test_token_comparison_is_constant_time(ada, monkeypatch):
    compared = []
    real = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    token, raw = Token.objects.create_token(ada)
    monkeypatch.setattr(token_models.hmac, "compare_digest", spy)
    Token.objects.authenticate(raw)
    with pytest.raises(InvalidToken):
        Token.objects.authenticate("dfb_zzzzzzzzzz_unknown-prefix")
    assert [a for a, _ in compared] == [token.digest, token_models._NO_DIGEST]
    assert all(len(a) == len(b) == 64 for a, b in compared)


def test_bearer_token_permissions_are_the_users(ada):
    _, raw = Token.objects.create_token(ada)
    assert Client().get("/api/secure/notes/perm", headers=bearer(raw)).status_code == 403


def test_command_create_prints_a_working_token(ada):
    stdout, stderr = StringIO(), StringIO()
    call_command("fastapi_token", "create", "ada", "--name", "ci", stdout=stdout, stderr=stderr)
    raw = stdout.getvalue().strip()
    assert Client().get("/api/secure/me", headers=bearer(raw)).json() == {"username": "ada"}
    assert raw[:14] in stderr.getvalue()


def test_command_create_with_expiry(ada):
    stdout = StringIO()
    call_command(
        "fastapi_token", "create", "ada", "--expires-in", "7", stdout=stdout, stderr=StringIO()
    )
    token = Token.objects.get()
    assert (
        timezone.now() + datetime.timedelta(days=6)
        < token.expires_at
        <= timezone.now() + datetime.timedelta(days=7)
    )


def test_command_create_unknown_user_is_an_error(db):
    with pytest.raises(CommandError, match="No user is named 'nobody'"):
        call_command("fastapi_token", "create", "nobody")


def test_command_list_shows_prefix_user_name_and_status(ada):
    active, _ = Token.objects.create_token(ada, "ci")
    revoked, _ = Token.objects.create_token(ada, "old")
    revoked.revoke()
    stdout = StringIO()
    call_command("fastapi_token", "list", "--user", "ada", stdout=stdout)
    rows = {line.split("\t")[0]: line.split("\t") for line in stdout.getvalue().splitlines()}
    assert rows[active.prefix][1:3] == ["ada", "ci"] and rows[active.prefix][-1] == "active"
    assert rows[revoked.prefix][-1] == "revoked"


def test_command_revoke_makes_the_token_fail(ada):
    token, raw = Token.objects.create_token(ada)
    call_command("fastapi_token", "revoke", token.prefix, stdout=StringIO())
    assert Client().get("/api/secure/me", headers=bearer(raw)).status_code == 401


def test_command_revoke_unknown_prefix_is_an_error(db):
    with pytest.raises(CommandError, match="No token has the prefix 'dfb_nope'"):
        call_command("fastapi_token", "revoke", "dfb_nope")


@pytest.fixture
def token_admin():
    from django.conf import settings
    from django.contrib import admin

    # Installing the admin autodiscovers django_fastapi/tokens/admin.py, as in a project.
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "django.contrib.admin"]):
        yield admin.site.get_model_admin(Token)


def admin_request(user: User):
    request = RequestFactory().post("/admin/django_fastapi_tokens/token/add/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_admin_add_shows_the_new_token_once(ada, token_admin):
    root = User.objects.create_superuser("root", password="pw")
    request = admin_request(root)
    token = Token(user=ada, name="from the admin")
    token_admin.save_model(request, token, form=None, change=False)
    (message,) = [str(m) for m in get_messages(request)]
    raw = re.search(r"dfb_\S+", message).group()
    assert Client().get("/api/secure/me", headers=bearer(raw)).json() == {"username": "ada"}
    assert raw not in str(Token.objects.filter(pk=token.pk).values().get())


def test_admin_revoke_action(ada, token_admin):
    root = User.objects.create_superuser("root", password="pw")
    token, raw = Token.objects.create_token(ada)
    token_admin.revoke_tokens(admin_request(root), Token.objects.all())
    assert Client().get("/api/secure/me", headers=bearer(raw)).status_code == 401


def test_check_e010_bearer_without_the_token_app():
    from django.conf import settings

    apps = [app for app in settings.INSTALLED_APPS if app != "django_fastapi.tokens"]
    with override_settings(INSTALLED_APPS=apps, FASTAPI_AUTHENTICATION=["bearer"]):
        assert [m.id for m in run_checks() if m.id == "django_fastapi.E010"] == [
            "django_fastapi.E010"
        ]
