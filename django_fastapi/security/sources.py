"""Who is making the request: the sources named by ``FASTAPI_AUTHENTICATION``, tried in order.

    FASTAPI_AUTHENTICATION = ["bearer", "apikey", "session"]   # also "basic", or dotted paths

A source returns an ``Authentication`` when the request carries its credentials and they are good,
None when it carries none (the next source is tried), and raises a 401 when they are wrong: a bad
token is refused, never ignored. When no source answers, the user is ``AnonymousUser``. The result is
computed once per request and shared by every dependency (and by ``request.user`` of the adapter).

A source of your own is a class with ``name``, ``challenge`` (a ``WWW-Authenticate`` value, or None),
``scheme()`` (a FastAPI security scheme, for the OpenAPI document) and ``async authenticate(request)``,
where ``request`` is a ``Request``, or a ``WebSocket`` on websocket routes (both ``HTTPConnection``).
"""

from __future__ import annotations

import base64
import functools
import inspect
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate as django_authenticate
from django.contrib.auth import get_user
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from fastapi import HTTPException, Security
from fastapi.security import APIKeyCookie, HTTPBasic, HTTPBearer
from fastapi.security.base import SecurityBase
from starlette.requests import HTTPConnection, Request

from ..conf import AUTHENTICATION_SOURCES, api_settings
from ..core.django_request import request_context, run_with_django_request, set_user
from ..core.signatures import connection_parameter, keyword_parameter, signature
from ..tokens.scopes import scoped
from .access import authenticate_access_token, looks_like_access_token
from .csrf import enforce_csrf
from .websockets import check_origin, subprotocol_token


@dataclass(frozen=True)
class Authentication:
    user: Any
    source: str | None = None  # the name of the source that authenticated the request
    token: Any = None  # the django_fastapi.tokens Token, or an access token's AccessClaims


# Set in the ASGI scope by the test clients' force_authenticate(); no HTTP request can set it.
FORCED_AUTHENTICATION = "django_fastapi.forced_authentication"


def unauthorized(detail: str, challenge: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


def _credentials(request: HTTPConnection, scheme: str) -> str | None:
    kind, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if kind.lower() == scheme else None


class SessionSource:
    """Django's session cookie: whoever logged in at ``/admin/`` (or the login endpoint)."""

    name = "session"
    challenge = 'Session realm="api"'

    def scheme(self) -> SecurityBase:
        return APIKeyCookie(
            name=settings.SESSION_COOKIE_NAME,
            scheme_name="session",
            description="Django's session cookie, as the admin sets it. POST, PUT, PATCH and "
            "DELETE also need the CSRF token in the X-CSRFToken header.",
            auto_error=False,
        )

    async def authenticate(self, request: HTTPConnection) -> Authentication | None:
        if settings.SESSION_COOKIE_NAME not in request.cookies:
            return None
        user = await run_with_django_request(request, get_user)
        if not user.is_authenticated:
            return None
        # A browser sends the cookie with requests other sites make: unsafe ones need the token,
        # and a websocket (which no CORS protects) must come from an allowed Origin.
        if isinstance(request, Request):
            await enforce_csrf(request)
        else:
            check_origin(request)
        return Authentication(user, self.name)


class BearerSource:
    """``Authorization: Bearer <token>`` with a token of the ``django_fastapi.tokens`` app."""

    name = "bearer"
    challenge = 'Bearer realm="api"'

    def scheme(self) -> SecurityBase:
        return HTTPBearer(
            scheme_name="bearer",
            bearerFormat="dfb_ token or JWT",
            description="An API token from `manage.py fastapi_token create` or the admin, or an "
            "access token from the token endpoints of the auth router.",
            auto_error=False,
        )

    async def authenticate(self, request: HTTPConnection) -> Authentication | None:
        raw = _credentials(request, "bearer")
        if raw is None and not isinstance(request, Request):
            raw = subprotocol_token(request.scope)  # a browser's: new WebSocket(url, ["bearer", token])
        if raw is None:
            return None
        if looks_like_access_token(raw):
            user, claims = await authenticate_access_token(raw, self.challenge)
            return Authentication(user, self.name, claims)
        if not apps.is_installed("django_fastapi.tokens"):
            raise ImproperlyConfigured(
                'FASTAPI_AUTHENTICATION uses "bearer" but "django_fastapi.tokens" is not in INSTALLED_APPS.'
            )
        # Models import only once the app registry is ready, and the tokens app may be absent.
        from ..tokens.models import InvalidToken, Token

        try:
            token = await sync_to_async(Token.objects.authenticate, thread_sensitive=True)(raw)
        except InvalidToken as exc:
            raise unauthorized(str(exc), f'{self.challenge}, error="invalid_token"') from None
        return Authentication(scoped(token.user, token.scope_set), self.name, token)


class BasicSource:
    """HTTP Basic for scripts: username and password checked by ``AUTHENTICATION_BACKENDS``."""

    name = "basic"
    # No challenge on a 401 for anonymous requests: a browser prompted for Basic credentials would
    # keep them and send them with other sites' requests, bypassing CSRF protection.
    challenge = None

    def scheme(self) -> SecurityBase:
        return HTTPBasic(
            scheme_name="basic",
            description="Username and password (for scripts), checked by AUTHENTICATION_BACKENDS.",
            auto_error=False,
        )

    async def authenticate(self, request: HTTPConnection) -> Authentication | None:
        encoded = _credentials(request, "basic")
        if encoded is None:
            return None
        try:
            username, colon, password = (
                base64.b64decode(encoded, validate=True).decode().partition(":")
            )
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            colon = ""
        if not colon:
            raise unauthorized("Invalid basic credentials.", 'Basic realm="api"')
        user = await run_with_django_request(request, _check_password, username, password)
        if user is None:
            raise unauthorized("Invalid username or password.", 'Basic realm="api"')
        return Authentication(user, self.name)


def _check_password(django_request: Any, username: str, password: str) -> Any:
    # authenticate() sends user_login_failed on failure, as a login form would.
    return django_authenticate(django_request, username=username, password=password)


@functools.lru_cache(maxsize=16)
def _load_sources(entries: tuple[str, ...]) -> tuple[Any, ...]:
    sources = []
    for entry in entries:
        try:
            source = import_string(AUTHENTICATION_SOURCES.get(entry, entry))()
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"FASTAPI_AUTHENTICATION names {entry!r}, which could not be imported: {exc}"
            ) from exc
        if not (
            callable(getattr(source, "scheme", None))
            and callable(getattr(source, "authenticate", None))
        ):
            raise ImproperlyConfigured(
                f"FASTAPI_AUTHENTICATION names {entry!r}, which is not an authentication source: "
                "it needs scheme() and async authenticate(request)."
            )
        sources.append(source)
    return tuple(sources)


def configured_sources() -> tuple[Any, ...]:
    return _load_sources(tuple(api_settings.AUTHENTICATION))


def challenge() -> str:
    """The ``WWW-Authenticate`` value of a 401 for an anonymous request."""
    return (
        ", ".join(s.challenge for s in configured_sources() if s.challenge) or 'Session realm="api"'
    )


def anonymous_user() -> Any:
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


def set_authentication(request: HTTPConnection, authentication: Authentication) -> None:
    """Record who the request is from now (after a login or logout within the request)."""
    context = request_context(request)
    context.authentication = authentication
    if context.django_request is not None:
        set_user(context.django_request, authentication.user)


async def resolve(request: HTTPConnection) -> Authentication:
    """Run the sources, once per request."""
    context = request_context(request)
    if context.authentication is None and FORCED_AUTHENTICATION in request.scope:
        set_authentication(request, request.scope[FORCED_AUTHENTICATION])
    if context.authentication is None:
        for source in configured_sources():
            result = await source.authenticate(request)
            if result is not None:
                break
        else:
            result = Authentication(anonymous_user())
        set_authentication(request, result)
    return context.authentication


class Authenticate:
    """The dependency under every user dependency (``dependencies.current_user`` and the others)."""

    @property
    def __signature__(self) -> inspect.Signature:
        # The configured sources' security schemes, as sub-dependencies, put them in the OpenAPI
        # document (and behind the docs' Authorize button). Their values are not used: each source
        # reads its own credentials when the request comes.
        parameters = [connection_parameter()]
        for index, source in enumerate(configured_sources()):
            scheme = Security(_Documented(source.scheme()))
            parameters.append(keyword_parameter(f"scheme_{index}", default=scheme))
        return signature(parameters)

    async def __call__(self, request: HTTPConnection, **schemes: Any) -> Authentication:
        return await resolve(request)


class _Documented(SecurityBase):
    """A source's security scheme, for the OpenAPI document only: it reads nothing, so it works
    on websocket routes too, whatever FastAPI's own schemes take."""

    def __init__(self, scheme: SecurityBase) -> None:
        self.model = scheme.model
        self.scheme_name = scheme.scheme_name

    async def __call__(self, request: HTTPConnection) -> None:
        return None


authenticate = Authenticate()
