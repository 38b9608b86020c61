"""Access tokens (JWTs of ``django_fastapi.tokens``) in ``Authorization: Bearer``, and scope errors.

The token's signature and claims are checked with no database query; then the user is loaded by
primary key, one indexed query, because ``is_active`` must be current (a deactivated user is shut
out at once, as with sessions and API tokens) and the permission backends need the user instance.
A lazily loaded user would have to query on first touch, which async dependencies reading
``user.is_active`` cannot do on the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from fastapi import HTTPException

from ..conf import api_settings
from ..tokens.scopes import scoped, token_scopes

REFRESH_MARK = "dfr_"
logger = logging.getLogger("django.security.tokens")


def looks_like_access_token(raw: str) -> bool:
    """A JWT (``eyJ`` is a JSON object's ``{"`` in base64url) or a refresh token sent by mistake."""
    return raw.startswith(REFRESH_MARK) or (raw.startswith("eyJ") and raw.count(".") == 2)


def invalid_token(challenge: str, description: str) -> HTTPException:
    value = f'{challenge}, error="invalid_token", error_description="{description}"'
    return HTTPException(401, description, headers={"WWW-Authenticate": value})


def _load_user(user_id: str) -> Any:
    User = get_user_model()
    try:
        return User._default_manager.filter(pk=user_id).first()
    except (ValueError, TypeError, ValidationError):  # a pk of the wrong type for the model
        return None


async def authenticate_access_token(raw: str, challenge: str) -> tuple[Any, Any]:
    """The user (limited to the token's scopes) and the token's claims; a 401 otherwise."""
    if raw.startswith(REFRESH_MARK):
        logger.warning("Refresh token sent as an access token.")
        raise invalid_token(challenge, "A refresh token is not an access token: send it to the refresh endpoint.")
    try:
        from ..tokens.access import InvalidAccessToken, decode_access_token
    except ImportError:  # PyJWT is an extra: without it no access token was ever issued
        raise invalid_token(challenge, "Access tokens are not enabled on this server.") from None
    try:
        claims = decode_access_token(raw)
    except InvalidAccessToken as exc:
        logger.log(exc.level, "Access token refused: %s", exc)
        raise invalid_token(challenge, str(exc)) from None
    if api_settings.JWT_DENY_LIST_CACHE is not None:
        from ..tokens.denylist import is_denied

        if await sync_to_async(is_denied, thread_sensitive=True)(claims.family):
            logger.info("Access token of revoked sign-in %s refused.", claims.family)
            raise invalid_token(challenge, "The access token's sign-in was revoked.")
    user = await sync_to_async(_load_user, thread_sensitive=True)(claims.user_id)
    if user is None or not getattr(user, "is_active", True):
        logger.info("Access token of an inactive or deleted user (%s) refused.", claims.user_id)
        raise invalid_token(challenge, "User inactive or deleted.")
    return scoped(user, claims.scopes), claims


def insufficient_scope(user: Any, perms: Sequence[str]) -> HTTPException | None:
    """RFC 6750's 403 when the request's token is limited to scopes that leave out ``perms``."""
    scopes = token_scopes(user)
    if scopes is None:
        return None
    missing = [perm for perm in perms if perm not in scopes]
    if not missing:
        return None
    description = "The token's scope does not include this permission."
    value = f'Bearer error="insufficient_scope", error_description="{description}", scope="{" ".join(missing)}"'
    return HTTPException(403, description, headers={"WWW-Authenticate": value})
