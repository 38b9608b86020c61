"""Ready-made session login endpoints for browsers and single-page apps.

    FASTAPI_ROUTERS = [{"router": "django_fastapi.security.endpoints.router", "prefix": "/auth", "tags": ["auth"]}]

``GET /csrf``    the CSRF token (and the CSRF cookie): send it back in ``X-CSRFToken``
``POST /login``  ``{"username", "password"}``: Django's ``authenticate()`` and ``login()``; needs the
                 CSRF token, as Django's login form does; throttled by client IP when
                 ``FASTAPI_THROTTLE_RATES`` has a ``"login"`` rate
``POST /logout`` Django's ``logout()``; needs the CSRF token
``GET /me``      who is authenticated (by any configured source); 401 for nobody

API clients that are not browsers use bearer tokens instead, and need none of these. Single-page
and mobile apps can sign in for access/refresh token pairs instead (``/token``, ``/token/refresh``,
``/token/revoke``, ``/token/families``: ``token_endpoints.py``).
"""

from __future__ import annotations

from typing import Any, cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http.request import HttpHeaders
from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel

from .csrf import csrf_protect, get_csrf_token
from .dependencies import CurrentUser, authenticate_user, login, logout
from .throttling import throttle
from .token_endpoints import router as token_router

router = APIRouter()


class Credentials(BaseModel):
    username: str
    password: str


class CsrfToken(BaseModel):
    csrf_token: str
    header_name: str


class UserInfo(BaseModel):
    id: Any
    username: str
    is_staff: bool
    is_superuser: bool
    permissions: list[str]


def _describe(user: Any) -> UserInfo:
    return UserInfo(
        id=user.pk,
        username=user.get_username(),
        is_staff=getattr(user, "is_staff", False),
        is_superuser=getattr(user, "is_superuser", False),
        permissions=sorted(user.get_all_permissions())
        if hasattr(user, "get_all_permissions")
        else [],
    )


@router.get("/csrf", response_model=CsrfToken)
async def csrf(token: str = Depends(get_csrf_token)) -> CsrfToken:
    return CsrfToken(
        csrf_token=token,
        # CSRF_HEADER_NAME is a META key such as "HTTP_X_CSRFTOKEN": it has a header name.
        header_name=cast(str, HttpHeaders.parse_header_name(settings.CSRF_HEADER_NAME)),
    )


@router.post(
    "/login",
    response_model=UserInfo,
    dependencies=[Depends(throttle(scope="login", key="ip")), Depends(csrf_protect)],
    responses={
        400: {"description": "Wrong username or password"},
        403: {"description": "CSRF check failed"},
    },
)
async def login_endpoint(credentials: Credentials, request: Request) -> UserInfo:
    user = await authenticate_user(
        request, username=credentials.username, password=credentials.password
    )
    if user is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "Invalid username or password.")
    await login(request, user)
    return await sync_to_async(_describe, thread_sensitive=True)(user)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, dependencies=[Depends(csrf_protect)]
)
async def logout_endpoint(request: Request) -> None:
    await logout(request)


@router.get("/me", response_model=UserInfo)
async def me(user: CurrentUser) -> UserInfo:
    return await sync_to_async(_describe, thread_sensitive=True)(user)


router.include_router(token_router)
