"""runfastapi's servers (uvicorn, hypercorn), pre-flight checks, access log and body limits.

    from django_fastapi.server import ServeOptions, resolve_server
"""

from .access_log import AccessLogMiddleware, configure_default_logging
from .body_limit import BodyLimitMiddleware, RequestBodyTooLarge
from .preflight import ServeError, banner, validate
from .servers import (
    SERVERS,
    ServeOptions,
    Server,
    ServerNotInstalled,
    default_server,
    resolve_server,
    serve,
)

__all__ = [
    "SERVERS",
    "AccessLogMiddleware",
    "BodyLimitMiddleware",
    "RequestBodyTooLarge",
    "ServeError",
    "ServeOptions",
    "Server",
    "ServerNotInstalled",
    "banner",
    "configure_default_logging",
    "default_server",
    "resolve_server",
    "serve",
    "validate",
]
