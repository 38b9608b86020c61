"""The model router and model schemas on a user model: DRF's explicit-fields rule, no hash shown,
privileged fields and passwords written only when named, passwords stored hashed."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_fastapi.orm import ModelRouter, model_schema, model_schemas
from django_fastapi.testing.client import Client
from django_fastapi.tokens.models import Token

User = get_user_model()
PROFILE = ["id", "username", "first_name", "last_name", "email", "password"]

# Every field, deliberately: privileged fields and the password stay out of the request bodies.
every_field = ModelRouter(User, fields="__all__", prefix="/all-users")
# Named explicitly: the password is writable (stored hashed), never shown.
profiles = ModelRouter(User, prefix="/profiles", schemas=model_schemas(User, fields=PROFILE, name="Profile"))
admins = ModelRouter(
    User,
    prefix="/admins",
    schemas=model_schemas(User, fields=["id", "username", "is_staff", "is_superuser"], name="AdminUser"),
)
DECLARED = [{"router": f"tests.orm.test_user_model_router.{name}", "prefix": "/u"} for name in ("every_field", "profiles", "admins")]


@pytest.fixture
def declared(db):
    with override_settings(FASTAPI_ROUTERS=DECLARED):
        yield


def bearer(*codenames: str) -> dict[str, str]:
    user = User.objects.create_user("manager")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="auth", codename__in=codenames))
    _, raw = Token.objects.create_token(user, "tests")
    return {"Authorization": f"Bearer {raw}"}


def test_model_router_without_fields_raises_naming_the_choices():
    """DRF raises the same for a ModelSerializer without fields or exclude."""
    with pytest.raises(ImproperlyConfigured) as raised:
        ModelRouter(User)
    message = str(raised.value)
    assert "fields=[...]" in message and "exclude=[...]" in message and "fields='__all__'" in message


def test_model_schema_without_fields_raises():
    with pytest.raises(ImproperlyConfigured, match="fields='__all__'"):
        model_schema(User, name="Implicit")


def test_model_router_schemas_and_fields_together_raise():
    with pytest.raises(ImproperlyConfigured, match="schemas= and fields="):
        ModelRouter(User, schemas=profiles.schemas, fields=["id"])


def test_user_read_schema_never_has_password_even_with_all_fields():
    assert "password" not in every_field.schemas.read.model_fields
    assert "password" not in profiles.schemas.read.model_fields
    assert "username" in every_field.schemas.read.model_fields


def test_user_read_schema_naming_password_raises():
    with pytest.raises(ImproperlyConfigured, match="never readable"):
        model_schema(User, fields=["id", "password"], name="LeakyUser")


@pytest.mark.parametrize("mode", ["create", "update", "patch"])
def test_user_privileged_fields_not_writable_with_all_fields(mode):
    written = getattr(every_field.schemas, mode).model_fields
    for name in ("password", "is_superuser", "is_staff", "groups", "user_permissions"):
        assert name not in written
    assert "username" in written


def test_user_privileged_fields_writable_when_named():
    assert {"is_staff", "is_superuser"} <= set(admins.schemas.patch.model_fields)


def test_patch_is_superuser_and_password_with_all_fields_is_refused(declared):
    """The reported attack: change_user plus PATCH {"is_superuser": true, "password": "plain"}."""
    target = User.objects.create_user("target", password="old-secret")
    response = Client().patch(
        f"/api/u/all-users/{target.pk}",
        json={"is_superuser": True, "password": "plain"},
        headers=bearer("change_user"),
    )
    assert response.status_code == 422
    target.refresh_from_db()
    assert not target.is_superuser
    assert target.check_password("old-secret")


def test_list_with_all_fields_shows_no_password_hash(declared):
    User.objects.create_user("reader", password="secret")
    response = Client().get("/api/u/all-users", headers=bearer("view_user"))
    assert response.status_code == 200
    assert "password" not in response.text and "pbkdf2" not in response.text


def test_create_with_named_password_stores_it_hashed(declared):
    """As Django's UserCreationForm: set_password(), never the raw value."""
    response = Client().post(
        "/api/u/profiles", json={"username": "newcomer", "password": "s3cret-words"}, headers=bearer("add_user")
    )
    assert response.status_code == 201, response.text
    assert "password" not in response.json()
    created = User.objects.get(username="newcomer")
    assert created.password != "s3cret-words"
    assert created.check_password("s3cret-words")


def test_patch_with_named_password_stores_it_hashed(declared):
    target = User.objects.create_user("target", password="old-secret")
    response = Client().patch(
        f"/api/u/profiles/{target.pk}", json={"password": "new-secret"}, headers=bearer("change_user")
    )
    assert response.status_code == 200, response.text
    target.refresh_from_db()
    assert target.check_password("new-secret")


def test_patch_without_password_keeps_it(declared):
    target = User.objects.create_user("target", password="old-secret")
    response = Client().patch(f"/api/u/profiles/{target.pk}", json={"first_name": "Ada"}, headers=bearer("change_user"))
    assert response.status_code == 200, response.text
    target.refresh_from_db()
    assert target.first_name == "Ada" and target.check_password("old-secret")
