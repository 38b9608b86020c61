"""System checks E050-E053 and W050-W053: access token keys, lifetimes and the deny list."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.checks import run_checks
from django.test import override_settings


def ids(**settings) -> list[str]:
    with override_settings(**settings):
        return sorted({m.id for m in run_checks(include_deployment_checks=True) if m.id[-3:-1] == "05"})


@pytest.fixture(scope="module")
def ed_key():
    return ed25519.Ed25519PrivateKey.generate()


def private_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def test_default_settings_pass():
    assert ids() == []


def test_e050_asymmetric_algorithm_without_a_private_key():
    assert ids(FASTAPI_JWT_ALGORITHM="EdDSA") == ["django_fastapi.E050"]


def test_e050_private_key_file_unreadable(tmp_path):
    assert ids(FASTAPI_JWT_ALGORITHM="EdDSA", FASTAPI_JWT_PRIVATE_KEY=str(tmp_path / "missing.pem")) == [
        "django_fastapi.E050"
    ]


def test_e050_public_key_given_as_the_private_key(ed_key):
    assert ids(FASTAPI_JWT_ALGORITHM="EdDSA", FASTAPI_JWT_PRIVATE_KEY=public_pem(ed_key)) == ["django_fastapi.E050"]


def test_valid_eddsa_keys_pass(ed_key, tmp_path):
    (tmp_path / "old.pub").write_text(public_pem(ed25519.Ed25519PrivateKey.generate()))
    assert ids(FASTAPI_JWT_ALGORITHM="EdDSA", FASTAPI_JWT_PRIVATE_KEY=private_pem(ed_key),
               FASTAPI_JWT_VERIFYING_KEYS={"old": str(tmp_path / "old.pub")}) == []


def test_e051_verifying_key_unreadable(ed_key, tmp_path):
    assert ids(FASTAPI_JWT_ALGORITHM="EdDSA", FASTAPI_JWT_PRIVATE_KEY=private_pem(ed_key),
               FASTAPI_JWT_VERIFYING_KEYS={"old": str(tmp_path / "gone.pub")}) == ["django_fastapi.E051"]


def test_e052_deny_list_cache_not_in_caches():
    assert ids(FASTAPI_JWT_DENY_LIST_CACHE="tokens") == ["django_fastapi.E052"]


def test_w050_long_lived_access_tokens():
    assert ids(FASTAPI_ACCESS_TOKEN_LIFETIME=86400) == ["django_fastapi.W050"]


def test_w051_large_leeway():
    assert ids(FASTAPI_JWT_LEEWAY=300) == ["django_fastapi.W051"]


def test_w052_private_key_ignored_with_hmac(ed_key):
    assert ids(FASTAPI_JWT_PRIVATE_KEY=private_pem(ed_key)) == ["django_fastapi.W052"]


def test_w053_deny_list_in_a_per_process_cache():
    assert ids(FASTAPI_JWT_DENY_LIST_CACHE="default") == ["django_fastapi.W053"]
