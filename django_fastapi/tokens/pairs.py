"""Access/refresh token pairs, with rotation and reuse detection (OAuth 2.0 Security BCP, 4.14).

    pair = issue_pair(user, scopes=["catalog.view_book"], name="phone app")
    pair = rotate(pair.refresh_token)      # the old refresh token is spent; a new pair
    rotate(old_refresh_token)              # InvalidRefreshToken; the whole family is revoked

A sign-in starts a family. Each refresh spends the presented refresh token and issues a new one in
the same family; a spent token presented again means two parties hold it (one of them stole it),
so the family is revoked and both must sign in again. Refresh tokens are opaque (``dfr_`` + 32
random bytes) and stored as SHA-256 digests; access tokens are JWTs (``access.py``).
"""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..conf import api_settings
from .access import encode_access_token
from .models import RefreshFamily, RefreshToken, token_digest
from .scopes import Scopes, format_scopes, parse_scopes

REFRESH_MARK = "dfr_"
logger = logging.getLogger("django.security.tokens")


class InvalidRefreshToken(Exception):
    """A refresh token that cannot be used: ``str()`` says why, for the 401."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    scope: str | None
    family: RefreshFamily


def _new_refresh_token(family: RefreshFamily, now: datetime.datetime) -> tuple[str, int]:
    raw = REFRESH_MARK + secrets.token_urlsafe(32)
    lifetime = int(api_settings.REFRESH_TOKEN_LIFETIME)
    RefreshToken.objects.create(
        family=family, digest=token_digest(raw), created_at=now, expires_at=now + datetime.timedelta(seconds=lifetime)
    )
    return raw, lifetime


def _pair(family: RefreshFamily, now: datetime.datetime) -> TokenPair:
    refresh, refresh_lifetime = _new_refresh_token(family, now)
    scopes = family.scope_set
    access, lifetime = encode_access_token(family.user_id, str(family.key), scopes)
    return TokenPair(access, lifetime, refresh, refresh_lifetime, format_scopes(scopes), family)


def issue_pair(user: Any, *, scopes: Iterable[str] | None = None, name: str = "") -> TokenPair:
    """Sign ``user`` in: a new family, its first refresh token and an access token."""
    parsed: Scopes = parse_scopes(scopes)
    now = timezone.now()
    with transaction.atomic():
        family = RefreshFamily.objects.create(
            user=user, name=name[:100], scopes=None if parsed is None else sorted(parsed), created_at=now, last_used_at=now
        )
        return _pair(family, now)


def rotate(raw: str) -> TokenPair:
    """Spend the refresh token ``raw`` for a new pair; InvalidRefreshToken (and, for a spent token,
    the family revoked) otherwise."""
    if not isinstance(raw, str) or not raw.startswith(REFRESH_MARK):
        raise InvalidRefreshToken("The token is not a refresh token.")
    token = RefreshToken.objects.select_related("family__user").filter(digest=token_digest(raw)).first()
    if token is None:
        raise InvalidRefreshToken("Invalid refresh token.")
    family = token.family
    if family.revoked_at is not None:
        raise InvalidRefreshToken("The refresh token's sign-in was revoked.")
    now = timezone.now()
    if token.expires_at <= now:
        raise InvalidRefreshToken("The refresh token has expired.")
    if not getattr(family.user, "is_active", True):
        raise InvalidRefreshToken("User inactive or deleted.")
    with transaction.atomic():
        # One UPDATE decides which of two concurrent refreshes with the same token wins.
        spent = RefreshToken.objects.filter(pk=token.pk, used_at__isnull=True).update(used_at=now)
        if spent:
            RefreshFamily.objects.filter(pk=family.pk).update(last_used_at=now)
            return _pair(family, now)
    family.revoke("reuse")
    logger.error(
        "Refresh token reused: sign-in %s of user %s revoked (spent at %s).",
        family.key, family.user_id, token.used_at,
    )
    raise InvalidRefreshToken("The refresh token was already used; the sign-in is revoked.")


def revoke(raw: str, reason: str = "logout") -> RefreshFamily | None:
    """Revoke the family of the refresh token ``raw`` (None when it is no refresh token)."""
    if not isinstance(raw, str) or not raw.startswith(REFRESH_MARK):
        return None
    token = RefreshToken.objects.select_related("family").filter(digest=token_digest(raw)).first()
    if token is None:
        return None
    token.family.revoke(reason)
    return token.family


def prune(now: datetime.datetime | None = None) -> tuple[int, int]:
    """Delete expired refresh tokens, then the families left with none: ``(tokens, families)``.

    Each refresh leaves its spent token behind (reuse detection needs it until it expires), so run
    this now and then (``manage.py fastapi_token prune`` from cron); a spent token that is pruned
    has expired, so presenting it is refused either way."""
    now = now or timezone.now()
    tokens, _ = RefreshToken.objects.filter(expires_at__lte=now).delete()
    families, _ = RefreshFamily.objects.filter(tokens__isnull=True).delete()
    return tokens, families
