"""Exception handlers the bridge installs on every application.

Django's exceptions raised by endpoints and dependencies become what Django would answer:
``Http404``/``ObjectDoesNotExist`` 404, ``PermissionDenied`` 403, ``BadRequest`` and
``SuspiciousOperation`` 400, ``ValidationError`` 422 (in FastAPI's shape), anything else 500.
FastAPI's own 422 (``RequestValidationError``) echoes only a short, JSON-safe excerpt of the input.
"""

from __future__ import annotations

import datetime
import decimal
import logging
import math
import traceback
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import anyio
from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    BadRequest,
    ObjectDoesNotExist,
    PermissionDenied,
    SuspiciousOperation,
    ValidationError,
)
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest
from django.views.debug import technical_500_response
from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.responses import Response

from .django_request import django_request

logger = logging.getLogger("django_fastapi")
REPORTED = "_django_fastapi_reported"


# What SQLite says, as OperationalError, when the schema is behind the models: no retry helps.
SCHEMA_ERRORS = ("no such table", "no such column", "has no column named")


def is_schema_error(exc: Exception) -> bool:
    """Whether a database ``OperationalError`` is the schema's (unapplied migrations), not an outage."""
    message = str(exc)
    return any(text in message for text in SCHEMA_ERRORS)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """A database that cannot be reached is a 503 the client may retry, not a traceback.

    A schema behind the models ("no such table", SQLite's ``OperationalError``) is the program's
    error, not an outage: a 500 with the cause (under ``DEBUG``) and a hint to run migrate.
    """
    if is_schema_error(exc):
        logger.error(
            "%s on %s %s: the database schema is behind the models. Run manage.py migrate.",
            exc, request.method, request.url.path,
        )
        return await server_error(request, exc)
    logger.error(
        "Database error on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc,
        exc_info=exc,
    )
    return JSONResponse(
        {"detail": "The database is unavailable. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "5"},
    )


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    """``Http404`` and ``ObjectDoesNotExist`` (``Model.DoesNotExist``): 404 with their message."""
    return JSONResponse(_detail(404, exc), status_code=404)


async def permission_denied(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(_detail(403, exc), status_code=403)


async def bad_request(request: Request, exc: Exception) -> JSONResponse:
    """Django's ``BadRequest``: 400 with its message."""
    return JSONResponse(_detail(400, exc), status_code=400)


async def suspicious_operation(request: Request, exc: Exception) -> JSONResponse:
    """400, logged to ``django.security.<class name>`` as Django does; the message only under DEBUG."""
    await anyio.to_thread.run_sync(_log_suspicious_operation, django_request(request), exc)
    return JSONResponse({"detail": f"Bad Request: {exc}" if settings.DEBUG else "Bad Request"}, status_code=400)


async def validation_failed(request: Request, exc: ValidationError) -> JSONResponse:
    """Django's ``ValidationError`` (``full_clean()``, validators): 422 in FastAPI's own shape."""
    return JSONResponse({"detail": validation_errors(exc)}, status_code=422)


async def request_validation_failed(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, whatever the input: each error's ``input`` cut to an excerpt of at most
    ``EXCERPT`` characters or items, and values JSON cannot carry (``NaN``, ``Infinity``, a lone
    surrogate, undecodable bytes) replaced by their repr, so that the answer is never a 500 and
    never as large as the request."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse({"detail": [_safe_error(error) for error in errors]}, status_code=422)


async def server_error(request: Request, exc: Exception) -> Response:
    """Any other exception: logged to ``django.request`` with its traceback, answered with a 500.

    Under ``DEBUG`` a browser gets Django's technical 500 page and an API client the traceback as
    JSON; otherwise the body is ``{"detail": "Internal Server Error"}`` and nothing more.
    """
    http_request = django_request(request)
    # Error trackers listening to this signal read sys.exc_info(), which is only set here.
    got_request_exception.send(sender=None, request=http_request)
    response = await anyio.to_thread.run_sync(_server_error_response, http_request, exc)
    setattr(exc, REPORTED, True)
    return response


def was_reported(exc: BaseException) -> bool:
    """Whether ``server_error`` logged ``exc`` and answered for it."""
    return getattr(exc, REPORTED, False)


DJANGO_EXCEPTION_HANDLERS: dict[type[Exception], Callable[..., Any]] = {
    Http404: not_found,
    ObjectDoesNotExist: not_found,
    PermissionDenied: permission_denied,
    BadRequest: bad_request,
    SuspiciousOperation: suspicious_operation,
    ValidationError: validation_failed,
    Exception: server_error,
}


def validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """FastAPI's error list for a Django ``ValidationError``: one entry per message."""
    if hasattr(exc, "error_dict"):
        pairs = [(field, error) for field, errors in exc.error_dict.items() for error in errors]
    else:
        pairs = [(NON_FIELD_ERRORS, error) for error in exc.error_list]
    return [
        {
            "type": error.code or "value_error",
            "loc": ["body"] if field == NON_FIELD_ERRORS else ["body", field],
            "msg": str(error.message % error.params if error.params else error.message),
            "input": _input(error.params),
        }
        for field, error in pairs
    ]


def _input(params: Any) -> Any:
    # Only the validated value, and only a plain one: params may hold model instances.
    value = params.get("value") if isinstance(params, dict) else None
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (decimal.Decimal, datetime.date, datetime.time, datetime.timedelta, uuid.UUID)):
        return jsonable_encoder(value)
    return None


EXCERPT = 100  # characters of a string, items of a list or object, in a 422's "input"
_DEPTH = 4  # levels of nesting kept in an excerpt


def _safe_error(error: Any) -> Any:
    # The input (and a loc, which may hold a client's object keys) is cut short; a message or
    # context (the bridge's or pydantic's words) only made JSON-safe.
    if not isinstance(error, dict):
        return _excerpt(error, 0, EXCERPT)
    return {
        key: _excerpt(value, 0, EXCERPT if key in ("input", "loc") else 10_000)
        for key, value in error.items()
    }


def _excerpt(value: Any, depth: int, limit: int) -> Any:
    """A JSON-safe excerpt of ``value``: FastAPI's ``jsonable_encoder`` for everything else."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, bytes):
        value = value[:limit].decode("utf-8", "backslashreplace")
    if isinstance(value, str):
        return value[:limit].encode("utf-8", "backslashreplace").decode("utf-8")
    if depth >= _DEPTH:
        return "..."
    if isinstance(value, dict):
        items = list(value.items())[:limit]
        return {str(_excerpt(key, depth + 1, limit)): _excerpt(item, depth + 1, limit) for key, item in items}
    if isinstance(value, (list, tuple)):
        return [_excerpt(item, depth + 1, limit) for item in value[:limit]]
    try:
        return _excerpt(jsonable_encoder(value), depth + 1, limit)
    except Exception:  # noqa: BLE001 -- whatever the input holds, the answer is a 422
        return repr(value)[:limit]


def _detail(status: int, exc: Exception) -> dict[str, str]:
    return {"detail": str(exc) or HTTPStatus(status).phrase}


def _log_suspicious_operation(request: HttpRequest, exc: Exception) -> None:
    logging.getLogger(f"django.security.{type(exc).__name__}").error(
        str(exc), exc_info=exc, extra={"status_code": 400, "request": request}
    )


def _server_error_response(request: HttpRequest, exc: Exception) -> Response:
    # On a worker thread: handlers such as mail_admins block, and the technical page takes a while.
    logging.getLogger("django.request").error(
        "Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500, "request": request}
    )
    if not settings.DEBUG:
        return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
    if request.get_preferred_type(["application/json", "text/html"]) == "text/html":
        page = technical_500_response(request, type(exc), exc, exc.__traceback__)
        return Response(page.content, status_code=500, media_type=page["Content-Type"])
    exc_type = type(exc)
    name = exc_type.__qualname__ if exc_type.__module__ == "builtins" else f"{exc_type.__module__}.{exc_type.__qualname__}"
    return JSONResponse(
        {
            "detail": "Internal Server Error",
            "exception": {
                "type": name,
                "message": str(exc),
                "traceback": "".join(traceback.format_exception(exc)).splitlines(),
            },
        },
        status_code=500,
    )
