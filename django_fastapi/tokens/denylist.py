"""The optional deny list: with ``FASTAPI_JWT_DENY_LIST_CACHE``, a revoked family's access tokens
stop working at once instead of at their expiry, for one cache read per request.

The entry lives as long as an access token can (``FASTAPI_ACCESS_TOKEN_LIFETIME`` plus the leeway),
so the list never grows past the families revoked in that time.
"""

from __future__ import annotations

import hashlib

from django.core.cache import caches

from ..conf import api_settings


def _deny_key(family: str) -> str:
    return f"django_fastapi:tokens:denied:{hashlib.sha256(family.encode()).hexdigest()[:32]}"


def deny_family(family: str) -> None:
    """With ``FASTAPI_JWT_DENY_LIST_CACHE``: refuse the family's access tokens from now until they expire."""
    alias = api_settings.JWT_DENY_LIST_CACHE
    if alias is not None:
        timeout = api_settings.ACCESS_TOKEN_LIFETIME + api_settings.JWT_LEEWAY + 1
        caches[alias].set(_deny_key(family), 1, int(timeout))


def is_denied(family: str) -> bool:
    """Whether the family was revoked (always False without the deny list: tokens live to expiry)."""
    alias = api_settings.JWT_DENY_LIST_CACHE
    return alias is not None and caches[alias].get(_deny_key(family)) is not None
