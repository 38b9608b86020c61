"""Access tokens refused for every way they can be wrong: 401 with RFC 6750's error, never a 500."""

from __future__ import annotations

import base64
import json
import logging
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from django.contrib.auth.models import User
from django.test import override_settings

from django_fastapi.testing.client import Client
from django_fastapi.tokens.access import current_keys, decode_access_token, encode_access_token
from tests.authsite import secure_site  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("secure_site")
ME = "/api/secure/me"


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password="pw")


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def claims(user, **changes) -> dict:
    now = int(time.time())
    base = {"iss": "django-fastapi", "aud": "django-fastapi", "sub": str(user.pk), "iat": now,
            "exp": now + 60, "jti": "x", "fam": "f"}
    return {key: value for key, value in {**base, **changes}.items() if value is not None}


def forged(payload: dict, key=None, algorithm="HS256", **header) -> str:
    keys = current_keys()
    headers = {"typ": "at+jwt", "kid": keys.kid, **header}
    return jwt.encode(payload, keys.signing if key is None else key, algorithm=algorithm, headers=headers)


def refused(raw: str) -> str:
    response = Client().get(ME, headers=bearer(raw))
    assert response.status_code == 401, response.text
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api", error="invalid_token", error_description="')
    return challenge


def test_well_formed_token_is_accepted(ada):
    assert Client().get(ME, headers=bearer(forged(claims(ada)))).status_code == 200


def test_expired_token_is_401_logged_as_info(ada, caplog):
    with caplog.at_level(logging.INFO, logger="django.security.tokens"):
        assert "expired" in refused(forged(claims(ada, exp=int(time.time()) - 5)))
    assert [r.levelno for r in caplog.records] == [logging.INFO]


def test_leeway_accepts_a_token_just_expired(ada):
    raw = forged(claims(ada, exp=int(time.time()) - 5))
    with override_settings(FASTAPI_JWT_LEEWAY=30):
        assert Client().get(ME, headers=bearer(raw)).status_code == 200


def test_tampered_payload_is_401_logged_as_warning(ada, caplog):
    header, payload, signature = forged(claims(ada)).split(".")
    other = forged(claims(ada, sub="999")).split(".")[1]
    with caplog.at_level(logging.INFO, logger="django.security.tokens"):
        assert "signature" in refused(f"{header}.{other}.{signature}")
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


def test_token_signed_with_another_secret_is_401(ada):
    assert "signature" in refused(forged(claims(ada), key=b"x" * 32))


def test_alg_none_is_401(ada):
    assert "not signed with HS256" in refused(jwt.encode(claims(ada), None, algorithm="none", headers={"typ": "at+jwt"}))


def test_other_hmac_algorithm_is_401(ada):
    assert "not signed with HS256" in refused(forged(claims(ada), key=b"k" * 64, algorithm="HS512"))


def test_wrong_audience_is_401(ada):
    assert "audience" in refused(forged(claims(ada, aud="another-api")))


def test_wrong_issuer_is_401(ada):
    assert "issuer" in refused(forged(claims(ada, iss="https://evil.example")))


def test_missing_family_claim_is_401(ada):
    assert "fam" in refused(forged(claims(ada, fam=None)))


def test_unknown_key_id_is_401(ada):
    assert "unknown key" in refused(forged(claims(ada), kid="retired"))


def test_a_jwt_that_is_no_access_token_is_401(ada):
    assert "not an access token" in refused(forged(claims(ada), typ="JWT"))


def test_garbage_shaped_like_a_jwt_is_401(ada):
    assert "malformed" in refused("eyJhbGciOi.not-base64!.x")


def test_user_id_of_the_wrong_type_is_401(ada):
    refused(forged(claims(ada, sub="not-a-number")))


def test_refresh_token_used_as_access_token_is_401(ada):
    pair = Client().post("/api/auth/token", json={"username": "ada", "password": "pw"}).json()
    assert "refresh token is not an access token" in refused(pair["refresh_token"])


def test_access_token_used_as_refresh_token_is_401(ada):
    pair = Client().post("/api/auth/token", json={"username": "ada", "password": "pw"}).json()
    response = Client().post("/api/auth/token/refresh", json={"refresh_token": pair["access_token"]})
    assert response.status_code == 401
    assert 'error="invalid_token", error_description="The token is not a refresh token."' in response.headers["WWW-Authenticate"]


def test_secret_key_fallback_still_verifies_after_rotation(ada):
    with override_settings(SECRET_KEY="old-secret-key-" * 4):
        raw = forged(claims(ada))
    with override_settings(SECRET_KEY="new-secret-key-" * 4, SECRET_KEY_FALLBACKS=["old-secret-key-" * 4]):
        assert Client().get(ME, headers=bearer(raw)).status_code == 200
    with override_settings(SECRET_KEY="new-secret-key-" * 4):
        refused(raw)


def pem(private) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(private) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture(scope="module")
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_rs256_tokens_verify_with_the_public_key(ada, rsa_key):
    with override_settings(FASTAPI_JWT_ALGORITHM="RS256", FASTAPI_JWT_PRIVATE_KEY=pem(rsa_key)):
        raw, _ = encode_access_token(ada.pk, "f", None)
        assert jwt.get_unverified_header(raw)["alg"] == "RS256"
        assert Client().get(ME, headers=bearer(raw)).status_code == 200


def test_hs256_token_made_with_the_public_key_is_refused_under_rs256(ada, rsa_key):
    with override_settings(FASTAPI_JWT_ALGORITHM="RS256", FASTAPI_JWT_PRIVATE_KEY=pem(rsa_key)):
        # The classic confusion: an HMAC token whose secret is the (public) verifying key.
        assert "not signed with RS256" in refused(forged(claims(ada), key=b"p" * 32, algorithm="HS256"))


def test_eddsa_key_rotation_keeps_the_old_keys_tokens_valid(ada, tmp_path):
    old, new = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "old.pub").write_text(public_pem(old))
    (tmp_path / "new.pem").write_text(pem(new))
    with override_settings(FASTAPI_JWT_ALGORITHM="EdDSA", FASTAPI_JWT_PRIVATE_KEY=pem(old), FASTAPI_JWT_KEY_ID="2026-01"):
        raw, _ = encode_access_token(ada.pk, "f", None)
    rotated = {"FASTAPI_JWT_ALGORITHM": "EdDSA", "FASTAPI_JWT_PRIVATE_KEY": str(tmp_path / "new.pem"),
               "FASTAPI_JWT_KEY_ID": "2026-06"}
    with override_settings(**rotated, FASTAPI_JWT_VERIFYING_KEYS={"2026-01": str(tmp_path / "old.pub")}):
        assert decode_access_token(raw).user_id == str(ada.pk)
        assert Client().get(ME, headers=bearer(raw)).status_code == 200
    with override_settings(**rotated):
        assert "unknown key" in refused(raw)


def test_scope_claim_round_trips(ada):
    raw, _ = encode_access_token(ada.pk, "f", frozenset({"notes.view_note"}))
    assert decode_access_token(raw).scopes == {"notes.view_note"}


def test_key_id_that_is_not_a_string_is_401(ada):
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": ["a"]}).encode())
    _, payload, signature = forged(claims(ada)).split(".")
    refused(f"{header.decode().rstrip('=')}.{payload}.{signature}")


def test_sign_in_of_an_inactive_user_let_in_by_a_backend_is_400(ada):
    User.objects.filter(pk=ada.pk).update(is_active=False)
    backends = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    with override_settings(AUTHENTICATION_BACKENDS=backends):
        response = Client().post("/api/auth/token", json={"username": "ada", "password": "pw"})
    assert response.status_code == 400
