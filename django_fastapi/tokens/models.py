"""API tokens, stored hashed.

    token, raw = Token.objects.create_token(user, name="deploy script", expires_at=None)
    raw    # 'dfb_k3j9x0q2mz_5Jd…' — give it to the client now: only its SHA-256 digest is kept

A token is ``dfb_`` + 10 public characters (the ``prefix`` that identifies it in lists and logs) +
``_`` + 32 random bytes. A SHA-256 digest is the right hash for 256 random bits (a slow password
hash would only add latency to every request): the database lookup uses only the public prefix, and
the digests are compared with ``hmac.compare_digest``, in constant time.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import string
import uuid
from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .denylist import deny_family
from .scopes import Scopes, parse_scopes

MARK = "dfb_"
PREFIX_LENGTH = len(MARK) + 10
ALPHABET = string.ascii_lowercase + string.digits
# last_used_at is written at most this often per token: not one UPDATE per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
_NO_DIGEST = hashlib.sha256(b"no such token").hexdigest()


class InvalidToken(Exception):
    """A presented token that does not authenticate; the message says why, for the 401."""


def generate_token() -> str:
    public = "".join(secrets.choice(ALPHABET) for _ in range(PREFIX_LENGTH - len(MARK)))
    return f"{MARK}{public}_{secrets.token_urlsafe(32)}"


def token_prefix(raw: str) -> str | None:
    """The public prefix of a well-formed token, else None."""
    if (
        isinstance(raw, str)
        and raw.startswith(MARK)
        and len(raw) > PREFIX_LENGTH + 1
        and raw[PREFIX_LENGTH] == "_"
    ):
        return raw[:PREFIX_LENGTH]
    return None


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class TokenManager(models.Manager["Token"]):
    def create_token(
        self,
        user: models.Model,
        name: str = "",
        *,
        expires_at: datetime.datetime | None = None,
        raw: str | None = None,
        scopes: Iterable[str] | None = None,
    ) -> tuple[Token, str]:
        """A new token for ``user``; returns it and the raw token, which is not stored.

        ``scopes``: the permissions the token is limited to (None: all of the user's)."""
        raw = raw or generate_token()
        prefix = token_prefix(raw)
        if prefix is None:
            raise ValueError(f"A token looks like {MARK}<10 characters>_<secret>.")
        parsed = parse_scopes(scopes)
        # Any: the stubs' plugin types the key as the project's AUTH_USER_MODEL, not any user model.
        token = self.create(
            user=cast(Any, user),
            name=name,
            prefix=prefix,
            digest=token_digest(raw),
            expires_at=expires_at,
            scopes=None if parsed is None else sorted(parsed),
        )
        return token, raw

    def authenticate(self, raw: str) -> Token:
        """The valid token ``raw`` is (its user loaded, ``last_used_at`` kept); else InvalidToken."""
        prefix = token_prefix(raw)
        token = self.select_related("user").filter(prefix=prefix).first() if prefix else None
        # Compared even when no token has the prefix, so the answer takes as long either way.
        matches = hmac.compare_digest(token.digest if token else _NO_DIGEST, token_digest(str(raw)))
        if token is None or not matches or token.revoked_at is not None:
            raise InvalidToken("Invalid token.")
        now = timezone.now()
        if token.expires_at is not None and token.expires_at <= now:
            raise InvalidToken("Token has expired.")
        if not getattr(token.user, "is_active", True):
            raise InvalidToken("User inactive or deleted.")
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
            self.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token

    def revoke(self, prefix: str) -> Token:
        """Revoke the token with this prefix (Token.DoesNotExist if none); revoking twice is a no-op."""
        token = self.get(prefix=prefix)
        token.revoke()
        return token


class Token(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty for a token that does not expire."
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    scopes = models.JSONField(
        null=True,
        blank=True,
        help_text='The permissions the token is limited to, e.g. ["catalog.view_book"]; '
        "empty (null) for all of its user's permissions.",
    )

    objects = TokenManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}".rstrip()

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @property
    def scope_set(self) -> Scopes:
        return parse_scopes(self.scopes)

    def clean(self) -> None:
        try:
            parse_scopes(self.scopes)
        except ValueError as exc:
            raise ValidationError({"scopes": str(exc)}) from None

    def set_new_token(self) -> str:
        """Give this unsaved token a new secret; returns the raw token (the admin's add form)."""
        raw = generate_token()
        self.prefix, self.digest = cast(str, token_prefix(raw)), token_digest(raw)  # well-formed
        return raw


REVOKE_REASONS = [
    ("logout", "logged out"),
    ("reuse", "refresh token reused"),
    ("user", "revoked by the user"),
    ("admin", "revoked in the admin"),
    ("command", "revoked by manage.py fastapi_token"),
]


class RefreshFamilyManager(models.Manager["RefreshFamily"]):
    def revoke(self, key: str, reason: str) -> RefreshFamily:
        """Revoke the family with this key (RefreshFamily.DoesNotExist if none, or not a UUID)."""
        try:
            family = self.get(key=uuid.UUID(str(key)))
        except ValueError:
            raise self.model.DoesNotExist(f"{key!r} is not a family id.") from None
        family.revoke(reason)
        return family


class RefreshFamily(models.Model):
    """One sign-in of a client (an SPA, an app on a phone): the refresh tokens that rotated from it.

    Its access tokens carry its ``key``; revoking it ends the sign-in (and, with the deny list on,
    its access tokens at once).
    """

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_families"
    )
    name = models.CharField(max_length=100, blank=True, help_text="The client that signed in.")
    scopes = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoke_reason = models.CharField(max_length=10, blank=True, choices=REVOKE_REASONS, editable=False)

    objects = RefreshFamilyManager()

    class Meta:
        ordering = ["-last_used_at"]
        verbose_name = "refresh token family"
        verbose_name_plural = "refresh token families"

    def __str__(self) -> str:
        return f"{self.key} {self.name}".rstrip()

    @property
    def scope_set(self) -> Scopes:
        return parse_scopes(self.scopes)

    @property
    def status(self) -> str:
        return "active" if self.revoked_at is None else f"revoked ({self.get_revoke_reason_display()})"

    def revoke(self, reason: str) -> bool:
        """End this sign-in; False if it already was. Sent to the deny list when one is configured."""
        revoked = RefreshFamily.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoke_reason=reason
        )
        self.refresh_from_db(fields=["revoked_at", "revoke_reason"])
        if revoked:
            deny_family(str(self.key))
        return bool(revoked)


class RefreshToken(models.Model):
    """A refresh token, stored as its SHA-256 digest; ``used_at`` is set when it is rotated."""

    family = models.ForeignKey(RefreshFamily, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
