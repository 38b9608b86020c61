"""System checks of access/refresh token pairs: keys, the deny list, lifetimes."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from ..conf import api_settings

# The test suite asserts each id is unique and documented.
E050 = "django_fastapi.E050"  # the JWT private key is missing, unreadable or not a key of the algorithm
E051 = "django_fastapi.E051"  # a FASTAPI_JWT_VERIFYING_KEYS entry is unreadable or not a public key
E052 = "django_fastapi.E052"  # FASTAPI_JWT_DENY_LIST_CACHE names no cache in CACHES
E053 = "django_fastapi.E053"  # the auth router is served but PyJWT (or cryptography) is not installed
W050 = "django_fastapi.W050"  # access tokens live longer than an hour
W051 = "django_fastapi.W051"  # JWT leeway above a minute
W052 = "django_fastapi.W052"  # FASTAPI_JWT_PRIVATE_KEY set while the algorithm is HMAC (ignored)
W053 = "django_fastapi.W053"  # (--deploy) the deny list cache is per process or stores nothing
AUTH_ROUTER = "django_fastapi.security.endpoints.router"
ASYMMETRIC = ("RS256", "EdDSA")


def _auth_router_served() -> bool:
    return any(entry["router"] == AUTH_ROUTER for entry in api_settings.ROUTERS)


@checks.register("django_fastapi")
def check_token_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        algorithm = api_settings.JWT_ALGORITHM
        private = api_settings.JWT_PRIVATE_KEY
        verifying = api_settings.JWT_VERIFYING_KEYS
        served = _auth_router_served()
    except ImproperlyConfigured:
        return []  # reported by check_settings
    messages: list[checks.CheckMessage] = []
    needed = ["jwt", "cryptography"] if algorithm in ASYMMETRIC else ["jwt"]
    missing = [name for name in needed if importlib.util.find_spec(name) is None]
    if missing:
        if served or private is not None:
            messages.append(checks.Error(
                f"Access tokens need {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed.",
                hint='pip install "django-fastapi-bridge[jwt]"',
                id=E053,
            ))
        return messages
    if algorithm not in ASYMMETRIC:
        if private is not None:
            messages.append(checks.Warning(
                f"FASTAPI_JWT_PRIVATE_KEY is set but FASTAPI_JWT_ALGORITHM is {algorithm!r}, which signs "
                "with SECRET_KEY: the key is not used.",
                hint='Set FASTAPI_JWT_ALGORITHM to "RS256" or "EdDSA" to sign with the key, or remove it.',
                id=W052,
            ))
        return messages
    from .access import prepare_key  # PyJWT is imported only when it is installed

    try:
        if private is None:
            raise ImproperlyConfigured(f"FASTAPI_JWT_ALGORITHM is {algorithm!r} but FASTAPI_JWT_PRIVATE_KEY is not set.")
        key = prepare_key(algorithm, private, "FASTAPI_JWT_PRIVATE_KEY")
        if not hasattr(key, "public_key"):
            raise ImproperlyConfigured("FASTAPI_JWT_PRIVATE_KEY is a public key, not the private key.")
    except ImproperlyConfigured as exc:
        messages.append(checks.Error(
            str(exc), hint=f"Point FASTAPI_JWT_PRIVATE_KEY at a readable PEM file of a {algorithm} private key.", id=E050
        ))
    for kid, value in verifying.items():
        try:
            prepare_key(algorithm, value, f"FASTAPI_JWT_VERIFYING_KEYS[{kid!r}]")
        except ImproperlyConfigured as exc:
            messages.append(checks.Error(
                str(exc), hint=f"Each entry is the PEM text or file of a {algorithm} public key.", id=E051
            ))
    return messages


@checks.register("django_fastapi")
def check_token_lifetimes(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        lifetime, leeway = api_settings.ACCESS_TOKEN_LIFETIME, api_settings.JWT_LEEWAY
        alias = api_settings.JWT_DENY_LIST_CACHE
    except ImproperlyConfigured:
        return []
    messages: list[checks.CheckMessage] = []
    if lifetime > 3600:
        messages.append(checks.Warning(
            f"FASTAPI_ACCESS_TOKEN_LIFETIME is {lifetime:g} s: a revoked sign-in's access tokens keep "
            "working that long (without the deny list).",
            hint="Keep access tokens short-lived (minutes); the refresh token keeps the user signed in.",
            id=W050,
        ))
    if leeway > 60:
        messages.append(checks.Warning(
            f"FASTAPI_JWT_LEEWAY is {leeway:g} s: expired access tokens are accepted that much longer.",
            hint="Clock skew between synchronised hosts is seconds; keep the leeway at a minute or less.",
            id=W051,
        ))
    if alias is not None and alias not in settings.CACHES:
        messages.append(checks.Error(
            f"FASTAPI_JWT_DENY_LIST_CACHE is {alias!r}, which is not a cache in CACHES.",
            hint=f"Name one of {', '.join(map(repr, settings.CACHES))}, or set it to None.",
            id=E052,
        ))
    return messages


@checks.register("django_fastapi", checks.Tags.caches, deploy=True)
def check_deny_list_cache_deployment(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        alias = api_settings.JWT_DENY_LIST_CACHE
        backend = settings.CACHES[alias]["BACKEND"].rsplit(".", 1)[-1] if alias is not None else ""
    except (ImproperlyConfigured, KeyError):
        return []  # reported by other checks
    if backend not in ("LocMemCache", "DummyCache"):
        return []
    return [checks.Warning(
        f"The access token deny list uses the cache {alias!r} ({backend}): a revocation is not seen "
        "by other workers or hosts.",
        hint="Point FASTAPI_JWT_DENY_LIST_CACHE at a Redis or Memcached cache shared by every worker.",
        id=W053,
    )]
