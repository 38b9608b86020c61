"""Exception handlers the bridge installs on every application."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse

logger = logging.getLogger("django_fastapi")


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A database that cannot be reached is a 503 the client may retry, not a traceback."""
    logger.error(
        "Database error on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc,
        exc_info=exc,
    )
    return JSONResponse(
        {"detail": "The database is unavailable. Try again shortly."},
        status_code=503,
        headers={"Retry-After": "5"},
    )
