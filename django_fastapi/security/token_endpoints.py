"""Access/refresh token pairs for single-page and mobile apps, in the auth router.

``POST /token``                  ``{"username", "password", "scopes"?, "name"?}``: Django's
                                 ``authenticate()``; a new sign-in (a refresh family) and its pair;
                                 throttled with ``/login`` (the ``"login"`` rate)
``POST /token/refresh``          ``{"refresh_token"}``: the token is spent, a new pair issued; a
                                 spent token presented again revokes its whole sign-in
``POST /token/revoke``           ``{"refresh_token"}``: log that sign-in out (204, whatever the token)
``GET /token/families``          the caller's sign-ins that are still active
``DELETE /token/families/{id}``  log one of them out (a lost phone)

The access token goes in ``Authorization: Bearer``; it lasts ``FASTAPI_ACCESS_TOKEN_LIFETIME``.
No cookie is read or set, so none of these need a CSRF token.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from .access import invalid_token
from .dependencies import CurrentUser, authenticate_user
from .sources import resolve
from .throttling import throttle

router = APIRouter()
logger = logging.getLogger("django.security.tokens")
CHALLENGE = 'Bearer realm="api"'


class TokenRequest(BaseModel):
    username: str
    password: str
    scopes: list[str] | None = Field(
        None, description="Limit the tokens to these permissions, e.g. ['catalog.view_book'] (default: all the user's)."
    )
    name: str = Field("", max_length=100, description="What signs in (default: the User-Agent).")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(max_length=4096)


class TokenPairOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    scope: str | None


class FamilyOut(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime.datetime
    last_used_at: datetime.datetime
    scope: str | None
    current: bool


def _out(pair: Any, response: Response) -> TokenPairOut:
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 5.1: tokens are not cached
    return TokenPairOut(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_token=pair.refresh_token,
        refresh_expires_in=pair.refresh_expires_in,
        scope=pair.scope,
    )


# The tokens app's modules are imported when a request comes: its models need the app registry,
# and the app is optional for a project that mounts the router only for session login.
def _issue(user: Any, scopes: list[str] | None, name: str) -> Any:
    from ..tokens.pairs import issue_pair
    from ..tokens.scopes import parse_scopes

    try:
        parsed = parse_scopes(scopes)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Invalid scope: {exc}") from None
    missing = sorted(perm for perm in parsed or () if not user.has_perm(perm))
    if missing:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Invalid scope: the user does not hold {', '.join(missing)}.")
    return issue_pair(user, scopes=parsed, name=name)


@router.post(
    "/token",
    response_model=TokenPairOut,
    dependencies=[Depends(throttle(scope="login", key="ip"))],
    responses={400: {"description": "Wrong username or password, or a scope the user does not hold"}},
)
async def obtain_token_pair(body: TokenRequest, request: Request, response: Response) -> TokenPairOut:
    user = await authenticate_user(request, username=body.username, password=body.password)
    # A backend may authenticate inactive users (AllowAllUsersModelBackend); their tokens would not work.
    if user is None or not getattr(user, "is_active", True):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Invalid username or password.")
    name = body.name or request.headers.get("user-agent", "")[:100]
    pair = await sync_to_async(_issue, thread_sensitive=True)(user, body.scopes, name)
    return _out(pair, response)


def _rotate(raw: str) -> Any:
    from ..tokens.pairs import InvalidRefreshToken, rotate

    try:
        return rotate(raw)
    except InvalidRefreshToken as exc:
        logger.log(logging.WARNING if "not a refresh" in str(exc) else logging.INFO, "Refresh refused: %s", exc)
        raise invalid_token(CHALLENGE, str(exc)) from None


@router.post(
    "/token/refresh",
    response_model=TokenPairOut,
    responses={401: {"description": "Invalid, expired, revoked or already used refresh token"}},
)
async def refresh_token_pair(body: RefreshRequest, response: Response) -> TokenPairOut:
    pair = await sync_to_async(_rotate, thread_sensitive=True)(body.refresh_token)
    return _out(pair, response)


def _revoke(raw: str) -> None:
    from ..tokens.pairs import revoke

    revoke(raw, "logout")


@router.post("/token/revoke", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token_pair(body: RefreshRequest) -> None:
    # RFC 7009: an unknown or already revoked token is not an error, so nothing can be probed.
    await sync_to_async(_revoke, thread_sensitive=True)(body.refresh_token)


def _families(user_pk: Any, current: str | None) -> list[FamilyOut]:
    from ..tokens.models import RefreshFamily
    from ..tokens.scopes import format_scopes

    families = RefreshFamily.objects.filter(user_id=user_pk, revoked_at__isnull=True)
    return [
        FamilyOut(
            id=family.key,
            name=family.name,
            created_at=family.created_at,
            last_used_at=family.last_used_at,
            scope=format_scopes(family.scope_set),
            current=str(family.key) == current,
        )
        for family in families
    ]


@router.get("/token/families", response_model=list[FamilyOut])
async def list_token_families(user: CurrentUser, request: Request) -> list[FamilyOut]:
    claims = (await resolve(request)).token
    current = getattr(claims, "family", None)
    return await sync_to_async(_families, thread_sensitive=True)(user.pk, current)


def _revoke_family(user_pk: Any, key: uuid.UUID) -> bool:
    from ..tokens.models import RefreshFamily

    family = RefreshFamily.objects.filter(user_id=user_pk, key=key, revoked_at__isnull=True).first()
    return family is not None and family.revoke("user")


@router.delete(
    "/token/families/{family_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"description": "No active sign-in of yours has this id"}},
)
async def revoke_token_family(family_id: uuid.UUID, user: CurrentUser) -> None:
    if not await sync_to_async(_revoke_family, thread_sensitive=True)(user.pk, family_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No active sign-in of yours has this id.")
