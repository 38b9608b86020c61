"""Django's CSRF protection for requests that a browser's cookies authenticate.

The session authentication source calls ``enforce_csrf`` for unsafe methods (POST, PUT, PATCH,
DELETE); ``csrf_protect`` does it for any endpoint, as Django's decorator does (the login endpoint
uses it). The checks are Django's own ``CsrfViewMiddleware.process_view``: the token from the
``CSRF_HEADER_NAME`` header (or a form's ``csrfmiddlewaretoken``) against the CSRF cookie (or the
session with ``CSRF_USE_SESSIONS``), the ``Origin`` against ``CSRF_TRUSTED_ORIGINS`` and the host,
and Django's strict ``Referer`` rules over HTTPS. A failure is a 403 naming Django's reason.

Single-page apps get the token from ``get_csrf_token`` (``GET /csrf`` of the auth endpoints), which
also sets the CSRF cookie, and send it back in the ``X-CSRFToken`` header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.http import HttpRequest
from django.middleware.csrf import get_token
from fastapi import HTTPException, Request

from ..core.compat_django import csrf_failure_reason
from ..core.compat_starlette import scope_endpoint
from ..core.django_request import load_body, run_with_django_request
from ..core.pinning import original

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
F = TypeVar("F", bound=Callable[..., Any])


def failure_reason(django_request: HttpRequest, endpoint: Any = None) -> str | None:
    """Why Django's CSRF checks refuse this request, or None when they pass."""
    return csrf_failure_reason(django_request, endpoint)


async def enforce_csrf(request: Request) -> None:
    """403 unless the request passes Django's CSRF checks (safe methods always pass)."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("content-type", "").lower().startswith(FORM_TYPES):
        await load_body(request)  # a form's csrfmiddlewaretoken counts, as in Django
    endpoint = scope_endpoint(request.scope)
    reason = await run_with_django_request(
        request, failure_reason, original(endpoint) if endpoint is not None else None
    )
    if reason is not None:
        raise HTTPException(403, f"CSRF Failed: {reason}")


async def csrf_protect(request: Request) -> None:
    """Dependency: Django's CSRF checks whoever the client is, like ``@csrf_protect``."""
    await enforce_csrf(request)


async def get_csrf_token(request: Request) -> str:
    """Dependency: the CSRF token for the ``X-CSRFToken`` header; the response sets the cookie."""
    return await run_with_django_request(request, get_token)


def csrf_exempt(endpoint: F) -> F:
    """Exempt an endpoint from the CSRF checks, as Django's ``@csrf_exempt`` does a view.

    Django's decorator cannot be used: its wrapper takes ``request`` first, which FastAPI does
    not pass. Put this one under the route decorator.
    """
    cast(Any, endpoint).csrf_exempt = True  # functions take attributes; Callable declares none
    return endpoint
