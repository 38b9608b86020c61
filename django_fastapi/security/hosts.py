"""Refuse requests for hosts the project does not serve, as Django does (``ALLOWED_HOSTS``).

Without it, a forged ``Host`` header flows into absolute URLs (password-reset links, redirects,
``build_absolute_uri``) and poisons caches. The check is Django's ``HttpRequest.get_host()``:
``ALLOWED_HOSTS`` (``.localhost``, ``127.0.0.1`` and ``[::1]`` when it is empty under ``DEBUG``),
``USE_X_FORWARDED_HOST`` and ``USE_X_FORWARDED_PORT``. A refused HTTP request gets a 400 and is
logged to ``django.security.DisallowedHost``; a refused websocket is closed before it is accepted.
On by default; ``FASTAPI_VALIDATE_HOST = False`` turns it off.
"""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.asgi import ASGIRequest
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.compat_django import get_host

logger = logging.getLogger("django.security.DisallowedHost")
_HEADERS = {
    b"host": "HTTP_HOST",
    b"x-forwarded-host": "HTTP_X_FORWARDED_HOST",
    b"x-forwarded-port": "HTTP_X_FORWARDED_PORT",
}


def _meta(scope: Scope) -> dict[str, str]:
    """What ``get_host()`` and ``get_port()`` read, as Django's ASGIRequest would set it."""
    server = scope.get("server") or ("unknown", "0")
    meta = {"SERVER_NAME": server[0], "SERVER_PORT": str(server[1])}
    for name, value in scope.get("headers", []):
        key = _HEADERS.get(name.lower())
        if key is not None:
            text = value.decode("latin-1")
            meta[key] = f"{meta[key]},{text}" if key in meta else text
    return meta


# Hosts already accepted, keyed by what get_host() reads: the same header values always give the
# same answer until the settings change. Refusals are not kept, so forged hosts cannot fill it.
_accepted: set[tuple] = set()
_ACCEPTED_SIZE = 1024
SETTINGS_READ = {"ALLOWED_HOSTS", "DEBUG", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT"}


def _host_key(scope: Scope) -> tuple:
    # Read as _meta reads them (a server may break ASGI's lower-case rule).
    return (
        scope.get("server"),
        *[(name.lower(), value) for name, value in scope.get("headers", ()) if name.lower() in _HEADERS],
    )


def disallowed_host(scope: Scope) -> DisallowedHost | None:
    key = _host_key(scope)
    if key in _accepted:
        return None
    try:
        get_host(scope.get("path", ""), _meta(scope))
    except DisallowedHost as exc:
        return exc
    if len(_accepted) >= _ACCEPTED_SIZE:
        _accepted.clear()
    _accepted.add(key)
    return None


def forget_accepted_hosts(*, setting: str = "", **kwargs: object) -> None:
    """``setting_changed`` receiver: a host accepted under the old settings is checked again."""
    if setting in SETTINGS_READ:
        _accepted.clear()


class HostValidationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = disallowed_host(scope) if scope["type"] in ("http", "websocket") else None
        if error is None:
            await self.app(scope, receive, send)
            return
        # A whole request for the log's handlers (mail_admins reads its GET, COOKIES, ...); a
        # websocket handshake is a GET.
        request = ASGIRequest({"method": "GET", **scope}, io.BytesIO())
        logger.error(str(error), extra={"status_code": 400, "request": request})
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        detail = str(error) if settings.DEBUG else "Bad Request: invalid Host header."
        await JSONResponse({"detail": detail}, status_code=400)(scope, receive, send)
