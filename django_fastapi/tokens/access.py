"""Access tokens: short-lived signed JWTs, verified with no database query.

    raw, expires_in = encode_access_token(user_pk=7, family="5f0c…", scopes=None)
    claims = decode_access_token(raw)      # AccessClaims, or InvalidAccessToken saying why

Claims: ``iss``, ``aud``, ``sub`` (the user's pk), ``iat``, ``exp``, ``jti``, ``fam`` (the refresh
family the token was issued in) and, for a token limited to some permissions, ``scope``. The header
has ``typ: at+jwt`` (RFC 9068) and a ``kid``. Verification pins the one configured algorithm (so
neither ``none`` nor an HMAC token made with a public key passes) and picks the key by ``kid``, so
keys can be rotated: HMAC keys derive from ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``; RS256 and
EdDSA sign with ``FASTAPI_JWT_PRIVATE_KEY`` and also accept ``FASTAPI_JWT_VERIFYING_KEYS``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

from ..conf import api_settings
from .scopes import Scopes, format_scopes, parse_scopes

TYPE = "at+jwt"
HMAC = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss", "jti", "fam"]
_SALT = "django_fastapi.tokens.access"


class InvalidAccessToken(Exception):
    """A presented access token that does not authenticate: ``str()`` is the error description."""

    def __init__(self, description: str, level: int = logging.WARNING) -> None:
        super().__init__(description)
        self.level = level  # how loud django.security logs it: an expiry is routine, a bad signature is not


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    family: str
    scopes: Scopes
    expires_at: int
    token_id: str

    @property
    def pk(self) -> str:
        """What ``throttle(key="token")`` counts by: the sign-in, whose access tokens all share it."""
        return f"family:{self.family}"


@dataclass(frozen=True)
class Keys:
    signing: Any
    kid: str
    verifying: dict[str, Any]


def read_key(value: str) -> bytes:
    """PEM text as it is, else the contents of the file it names (ImproperlyConfigured if unreadable)."""
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    try:
        return Path(value).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"The key file {value!r} cannot be read: {exc.strerror or exc}.") from None


def prepare_key(algorithm: str, value: str, setting: str) -> Any:
    """PyJWT's key object for ``value`` (PEM text or a file); ImproperlyConfigured naming ``setting``."""
    try:
        return jwt.get_algorithm_by_name(algorithm).prepare_key(read_key(value))
    except (jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{setting} is not a {algorithm} key: {exc}") from None


def _public_kid(public_key: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


@functools.lru_cache(maxsize=8)
def _load_keys(
    algorithm: str,
    secrets_: tuple[str, ...],
    private: str | None,
    kid: str | None,
    verifying: tuple[tuple[str, str], ...],
) -> Keys:
    if algorithm in HMAC:
        derived = [
            salted_hmac(_SALT, "", secret=secret, algorithm=HMAC[algorithm]).digest() for secret in secrets_
        ]
        # The kid names the key without revealing it: a hash of the derived key, not of SECRET_KEY.
        kids = [kid or hashlib.sha256(key).hexdigest()[:16] for key in derived[:1]]
        kids += [hashlib.sha256(key).hexdigest()[:16] for key in derived[1:]]
        return Keys(derived[0], kids[0], dict(zip(kids, derived)))
    if private is None:
        raise ImproperlyConfigured(
            f"FASTAPI_JWT_ALGORITHM is {algorithm!r}, which signs with a private key: set FASTAPI_JWT_PRIVATE_KEY."
        )
    signing = prepare_key(algorithm, private, "FASTAPI_JWT_PRIVATE_KEY")
    if not hasattr(signing, "public_key"):
        raise ImproperlyConfigured("FASTAPI_JWT_PRIVATE_KEY is a public key; it must be the private key.")
    public = signing.public_key()
    current = kid or _public_kid(public)
    keys = {current: public}
    for other, value in verifying:
        key = prepare_key(algorithm, value, f"FASTAPI_JWT_VERIFYING_KEYS[{other!r}]")
        keys[other] = key.public_key() if hasattr(key, "public_key") else key
    return Keys(signing, current, keys)


def current_keys() -> Keys:
    """The signing key and the verifying keys by ``kid``, from the settings as they are now."""
    return _load_keys(
        api_settings.JWT_ALGORITHM,
        (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())),
        api_settings.JWT_PRIVATE_KEY,
        api_settings.JWT_KEY_ID,
        tuple(sorted(api_settings.JWT_VERIFYING_KEYS.items())),
    )


def encode_access_token(user_pk: Any, family: str, scopes: Scopes) -> tuple[str, int]:
    """A new access token and its lifetime in seconds."""
    keys = current_keys()
    lifetime = int(api_settings.ACCESS_TOKEN_LIFETIME)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": api_settings.JWT_ISSUER,
        "aud": api_settings.JWT_AUDIENCE,
        "sub": str(user_pk),
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(12),
        "fam": family,
    }
    if scopes is not None:
        claims["scope"] = format_scopes(scopes)
    headers = {"typ": TYPE, "kid": keys.kid}
    return jwt.encode(claims, keys.signing, algorithm=api_settings.JWT_ALGORITHM, headers=headers), lifetime


def looks_like_jwt(raw: str) -> bool:
    """Three base64url parts, the first a JSON object (``eyJ`` is ``{"`` encoded)."""
    return raw.startswith("eyJ") and raw.count(".") == 2


def _unverified_header(raw: str) -> dict[str, Any]:
    """The header, read only to choose the key: PyJWT then checks the whole token strictly (reading
    it with ``jwt.get_unverified_header`` too would parse and validate it twice per request)."""
    segment = raw.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
        header = None
    if not isinstance(header, dict):
        raise InvalidAccessToken("The access token is malformed.")
    return header


def decode_access_token(raw: str) -> AccessClaims:
    """The claims of a valid access token; InvalidAccessToken with the reason otherwise."""
    algorithm = api_settings.JWT_ALGORITHM
    header = _unverified_header(raw)
    if header.get("typ") != TYPE:
        raise InvalidAccessToken("The token is not an access token.")
    if header.get("alg") != algorithm:
        raise InvalidAccessToken(f"The access token is not signed with {algorithm}.")
    kid = header.get("kid")
    key = current_keys().verifying.get(kid) if isinstance(kid, str) else None
    if key is None:
        raise InvalidAccessToken("The access token is signed with an unknown key.")
    try:
        claims = jwt.decode(
            raw,
            key,
            algorithms=[algorithm],
            audience=api_settings.JWT_AUDIENCE,
            issuer=api_settings.JWT_ISSUER,
            leeway=api_settings.JWT_LEEWAY,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidAccessToken("The access token has expired.", logging.INFO) from None
    except jwt.InvalidAudienceError:
        raise InvalidAccessToken("The access token is for another audience.") from None
    except jwt.InvalidIssuerError:
        raise InvalidAccessToken("The access token is from another issuer.") from None
    except jwt.InvalidSignatureError:
        raise InvalidAccessToken("The access token's signature does not match.") from None
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken(f"The access token is invalid: {exc}.") from None
    try:
        scopes = parse_scopes(claims.get("scope"))
    except ValueError:
        raise InvalidAccessToken("The access token's scope is malformed.") from None
    if not isinstance(claims["fam"], str) or not isinstance(claims["sub"], str):
        raise InvalidAccessToken("The access token's claims are malformed.")
    return AccessClaims(claims["sub"], claims["fam"], scopes, int(claims["exp"]), str(claims["jti"]))
