"""The refresh families in the admin and in ``manage.py fastapi_token``; scoped API tokens there too."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings

from django_fastapi.testing.client import Client
from django_fastapi.tokens.models import RefreshFamily, Token
from django_fastapi.tokens.pairs import issue_pair
from tests.authsite import secure_site  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("secure_site")


@pytest.fixture
def ada(db):
    user = User.objects.create_user("ada", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="view_note"), Permission.objects.get(codename="add_note"))
    return user


def refresh(raw: str) -> int:
    return Client().post("/api/auth/token/refresh", json={"refresh_token": raw}).status_code


@pytest.fixture
def family_admin():
    # Installing the admin autodiscovers django_fastapi/tokens/admin.py, as in a project.
    with override_settings(INSTALLED_APPS=[*settings.INSTALLED_APPS, "django.contrib.admin"]):
        yield admin.site.get_model_admin(RefreshFamily)


def admin_request(user: User):
    request = RequestFactory().post("/admin/django_fastapi_tokens/refreshfamily/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_admin_lists_families_with_user_and_last_use(ada, family_admin):
    assert family_admin.list_display[:2] == ["user", "name"] and "last_used_at" in family_admin.list_display
    root = User.objects.create_superuser("root", password="pw")
    assert family_admin.has_add_permission(admin_request(root)) is False


def test_admin_revoke_action_logs_the_family_out(ada, family_admin):
    pair = issue_pair(ada, name="phone")
    root = User.objects.create_superuser("root", password="pw")
    family_admin.revoke_families(admin_request(root), RefreshFamily.objects.all())
    assert refresh(pair.refresh_token) == 401
    assert RefreshFamily.objects.get().revoke_reason == "admin"


def test_command_pair_prints_a_working_access_and_refresh_token(ada):
    stdout = StringIO()
    call_command("fastapi_token", "pair", "ada", "--scope", "notes.view_note", stdout=stdout, stderr=StringIO())
    access, refresh_token = stdout.getvalue().split()
    headers = {"Authorization": f"Bearer {access}"}
    assert Client().get("/api/secure/notes/perm", headers=headers).status_code == 200
    assert Client().get("/api/secure/notes/perms", headers=headers).status_code == 403
    assert refresh(refresh_token) == 200


def test_command_families_lists_active_sign_ins(ada):
    issue_pair(ada, name="phone")
    issue_pair(ada, name="old").family.revoke("logout")
    stdout = StringIO()
    call_command("fastapi_token", "families", "--user", "ada", stdout=stdout)
    rows = [line.split("\t") for line in stdout.getvalue().splitlines()]
    assert [(row[1], row[2], row[-2], row[-1]) for row in rows] == [("ada", "phone", "all", "active")]


def test_command_revoke_family(ada):
    pair = issue_pair(ada)
    call_command("fastapi_token", "revoke-family", str(pair.family.key), stdout=StringIO())
    assert refresh(pair.refresh_token) == 401


@pytest.mark.parametrize("family_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_command_revoke_unknown_family_is_an_error(db, family_id):
    with pytest.raises(CommandError, match=f"No sign-in has the id {family_id!r}"):
        call_command("fastapi_token", "revoke-family", family_id)


def test_command_create_scoped_token(ada):
    stdout = StringIO()
    call_command("fastapi_token", "create", "ada", "--scope", "notes.view_note", stdout=stdout, stderr=StringIO())
    assert Token.objects.get().scopes == ["notes.view_note"]


def test_command_create_with_malformed_scope_is_an_error(ada):
    with pytest.raises(CommandError, match="--scope: Scopes are permissions"):
        call_command("fastapi_token", "create", "ada", "--scope", "everything", stderr=StringIO())


def test_command_prune_deletes_expired_refresh_tokens_and_empty_families(ada):
    from django.utils import timezone

    from django_fastapi.tokens.models import RefreshToken

    old, current = issue_pair(ada, name="old"), issue_pair(ada, name="current")
    RefreshToken.objects.filter(family=old.family).update(expires_at=timezone.now())
    stdout = StringIO()
    call_command("fastapi_token", "prune", stdout=stdout)
    assert stdout.getvalue().strip() == "Deleted 1 expired refresh token(s) and 1 sign-in(s)."
    assert list(RefreshFamily.objects.values_list("name", flat=True)) == ["current"]
    assert refresh(current.refresh_token) == 200
