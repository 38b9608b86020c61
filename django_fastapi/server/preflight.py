"""Checks before a server binds, so that bad options end in one clear line, not a traceback."""

from __future__ import annotations

import errno
import os
import socket
import ssl
from typing import cast

from django.core.exceptions import ImproperlyConfigured

from .servers import ServeOptions, Server, unknown_options

# The server's own names for what runfastapi sets from --graceful-timeout / FASTAPI_GRACEFUL_TIMEOUT.
GRACEFUL_OPTION = {
    "uvicorn": "timeout_graceful_shutdown", "hypercorn": "graceful_timeout", "granian": "workers_kill_timeout",
}


class ServeError(ImproperlyConfigured):
    """Options that cannot start a server; the message says what to change."""


def validate(server: Server, options: ServeOptions) -> None:
    """Fail before binding on what would otherwise be a server's traceback."""
    if options.workers < 1:
        raise ServeError(f"--workers must be 1 or more; got {options.workers!r}.")
    if not 0 <= options.port <= 65535:
        raise ServeError(f"{options.port!r} is not a valid port number: use 1-65535 (0 picks a free port).")
    if not options.graceful_timeout > 0:
        raise ServeError(f"--graceful-timeout must be a number of seconds above 0; got {options.graceful_timeout!r}.")
    validate_recycling(server, options)
    if options.http2 and not server.supports_http2:
        raise ServeError(f"{server.name} does not serve HTTP/2; use --server hypercorn or granian for --http2.")
    if bool(options.ssl_certfile) != bool(options.ssl_keyfile):
        raise ServeError("TLS needs both --ssl-certfile and --ssl-keyfile.")
    for flag, path in (("--ssl-certfile", options.ssl_certfile), ("--ssl-keyfile", options.ssl_keyfile)):
        if path and not os.path.isfile(path):
            raise ServeError(f"{flag} {path!r} does not exist or is not a file.")
    if options.ssl_certfile:
        ensure_tls_loads(options)
    if options.uds and not os.path.isdir(os.path.dirname(os.path.abspath(options.uds))):
        raise ServeError(f"--uds {options.uds!r} is in a directory that does not exist.")
    unknown = unknown_options(server.name, options.extra)
    if unknown:
        raise ServeError(
            f"FASTAPI_SERVER_OPTIONS[{server.name!r}] has unknown {server.name} options: "
            f"{', '.join(unknown)}. Check the names against {server.name}'s documentation."
        )
    if not options.uds:
        ensure_port_free(options.host, options.port)


def validate_recycling(server: Server, options: ServeOptions) -> None:
    own_name = GRACEFUL_OPTION.get(server.name)
    if own_name in options.extra:
        raise ServeError(
            f"FASTAPI_SERVER_OPTIONS[{server.name!r}] sets {own_name!r}; set FASTAPI_GRACEFUL_TIMEOUT "
            "(or pass --graceful-timeout) instead, which runfastapi gives every server."
        )
    if options.max_requests is not None and options.max_requests < 1:
        raise ServeError(f"--max-requests must be 1 or more; got {options.max_requests!r}.")
    if options.max_requests_jitter < 0:
        raise ServeError(f"--max-requests-jitter must be 0 or more; got {options.max_requests_jitter!r}.")
    if options.max_requests_jitter and options.max_requests is None:
        raise ServeError("--max-requests-jitter needs --max-requests N: the jitter is added to N.")
    if options.max_requests is not None and server.name == "granian":
        raise ServeError(
            "granian does not recycle workers after a number of requests: leave out --max-requests, "
            "recycle by memory with --max-rss, or by age with FASTAPI_SERVER_OPTIONS = "
            '{"granian": {"workers_lifetime": SECONDS}}.'
        )
    if options.max_rss is not None and options.max_rss < 1:
        raise ServeError(f"--max-rss must be a number of MiB, 1 or more; got {options.max_rss!r}.")
    if (options.max_requests_jitter and server.name == "uvicorn"
            and "limit_max_requests_jitter" not in server.option_names()):
        raise ServeError(
            f"uvicorn {server.version()} has no max-requests jitter (uvicorn 0.55 added it); upgrade "
            "uvicorn, leave out --max-requests-jitter, or use --server hypercorn."
        )


def ensure_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            reasons: dict[int | None, str] = {
                errno.EADDRINUSE: f"is already in use. Stop the other server or choose another port, e.g. runfastapi {port + 1}",
                errno.EACCES: "needs permissions you don't have. Choose a port above 1023",
                errno.EADDRNOTAVAIL: "is on an address this machine does not have",
            }
            reason = reasons.get(exc.errno, f"cannot be bound: {exc.strerror}")
            raise ServeError(f"Port {port} on {host} {reason}.") from exc


def ensure_tls_loads(options: ServeOptions) -> None:
    # Either server would otherwise fail with ssl.SSLError's bare "PEM lib" traceback.
    password = (options.extra.get("ssl_keyfile_password") or options.extra.get("keyfile_password")
                or options.extra.get("ssl_key_password"))
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            cast(str, options.ssl_certfile),  # validate() calls this only with a certificate
            options.ssl_keyfile,
            password=password or (lambda: ""),
        )
    except ssl.SSLError as exc:
        raise ServeError(
            f"--ssl-certfile {options.ssl_certfile!r} and --ssl-keyfile {options.ssl_keyfile!r} are not "
            f"a PEM certificate and its unencrypted private key ({exc.reason or exc}). For an encrypted "
            "key, set its password in FASTAPI_SERVER_OPTIONS (uvicorn: ssl_keyfile_password, hypercorn: "
            "keyfile_password, granian: ssl_key_password)."
        ) from exc


def banner(server: Server, options: ServeOptions, docs_url: str | None, settings_module: str) -> str:
    import django

    workers = f"{options.workers} worker{'s' if options.workers != 1 else ''}"
    where = options.url if options.uds else f"{options.url}/"
    lines = [
        f"Django version {django.get_version()}, using settings {settings_module!r}",
        f"Starting {server.name} {server.version()} (ASGI) at {where} with {workers}",
    ]
    if docs_url and not options.uds:
        lines.append(f"API docs at {options.url}{options.root_path}{docs_url}")
    lines.append("Quit the server with CONTROL-C.")
    return "\n".join(lines)
