"""Every ``FASTAPI_*`` setting, read from ``django.conf.settings`` at access time.

``api_settings.TITLE`` reads ``settings.FASTAPI_TITLE`` now (so ``override_settings`` works) and
raises ``ImproperlyConfigured`` naming the setting when its value has the wrong shape.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "FASTAPI_"
SERVERS = ("uvicorn", "hypercorn", "granian")
# FASTAPI_AUTHENTICATION's names for the bridge's own sources (other entries are dotted paths).
DOCS_ASSETS = ("local", "cdn")
# FASTAPI_DOCS_ACCESS and the "access" of each audience or version: who may read docs and schema.
ACCESS_LEVELS = ("anonymous", "authenticated", "staff", "superuser")
DOCUMENT_KEYS = {"title", "description", "openapi_url", "docs_url", "redoc_url", "access", "enabled"}
AUTHENTICATION_SOURCES = {
    "session": "django_fastapi.security.sources.SessionSource",
    "bearer": "django_fastapi.security.sources.BearerSource",
    "basic": "django_fastapi.security.sources.BasicSource",
    "apikey": "django_fastapi.security.apikey.APIKeySource",
}
# FASTAPI_JWT_ALGORITHM: HMAC with SECRET_KEY, or a private key whose public half verifies.
JWT_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "EdDSA")


PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+?)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds


def parse_rate(value: str) -> Rate:
    """``"100/min"``, ``"1000/day"``, ``"10/15min"`` (units: s, sec, m, min, h, hour, d, day)."""
    match = _RATE.match(value) if isinstance(value, str) else None
    if not match or match.group(3).lower() not in PERIODS or int(match.group(1)) < 1:
        raise ValueError(f"{value!r} is not a rate such as '100/min', '1000/day' or '10/15min'")
    count, multiplier, unit = match.groups()
    period = int(multiplier or 1) * PERIODS[unit.lower()]
    if period < 1:
        raise ValueError(f"{value!r} has an empty period")
    return Rate(int(count), period)


def _fail(name: str, value: Any, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{PREFIX}{name} must be {expected}; got {value!r}.")


def _string(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(name, value, "a string")
    return value


def _optional_url(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        raise _fail(name, value, "None or a path starting with '/'")
    return value


def _prefix(name: str, value: Any) -> str:
    if not isinstance(value, str) or (value and (not value.startswith("/") or value.endswith("/"))):
        raise _fail(name, value, "'' or a path that starts with '/' and does not end with '/'")
    return value


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, value, "True or False")
    return value


def _positive_int(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _fail(name, value, "a positive integer")
    return value


def _string_list(name: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _fail(name, value, "a list of strings")
    if not all(isinstance(item, str) for item in value):
        raise _fail(name, value, "a list of strings")
    return list(value)


def _optional_seconds(name: str, value: Any) -> float | None:
    if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0):
        raise _fail(name, value, "None or a number of seconds above 0")
    return value


def _seconds(name: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
        raise _fail(name, value, "a number of seconds above 0")
    return float(value)


def _optional_dict(name: str, value: Any) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise _fail(name, value, "None or a dict")
    return value


def _servers(name: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(item, dict) and isinstance(item.get("url"), str) for item in value
    ):
        raise _fail(name, value, 'a list of dicts with a "url" key, e.g. [{"url": "https://api.example.com"}]')
    return list(value)


def _server(name: str, value: Any) -> str | None:
    if value is not None and value not in SERVERS:
        raise _fail(name, value, f"None or one of {', '.join(map(repr, SERVERS))}")
    return value


def _server_options(name: str, value: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise _fail(name, value, 'a dict such as {"uvicorn": {"timeout_keep_alive": 10}}')
    for server, options in value.items():
        if server not in SERVERS:
            raise _fail(name, value, f"a dict keyed by server name ({', '.join(SERVERS)}); unknown key {server!r}")
        if not isinstance(options, dict) or not all(isinstance(key, str) for key in options):
            raise _fail(name, value, f"a dict of option dicts; {server!r} maps to {options!r}")
    return value


def _access(name: str, value: Any) -> str:
    if not isinstance(value, str) or (value not in ACCESS_LEVELS and "." not in value):
        raise _fail(name, value, f"one of {', '.join(map(repr, ACCESS_LEVELS))} or a permission such as 'api.view_docs'")
    return value


def _choice(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def validate(name: str, value: Any) -> str:
        if value not in choices:
            raise _fail(name, value, f"one of {', '.join(map(repr, choices))}")
        return value

    return validate


def _documents(name: str, value: Any, extra_keys: frozenset[str] = frozenset()) -> dict[str, dict[str, Any]]:
    """{"internal": {"access": "staff", "docs_url": "/internal/docs", ...}}: each key optional."""
    expected = 'a dict of names to option dicts, e.g. {"internal": {"access": "staff"}}'
    if not isinstance(value, dict):
        raise _fail(name, value, expected)
    documents = {}
    for key, options in value.items():
        if not isinstance(key, str) or not key.strip("/") or "/" in key.strip("/"):
            raise _fail(name, value, f"{expected}; names are single path segments such as 'v1'")
        if not isinstance(options, dict) or set(options) - DOCUMENT_KEYS - extra_keys:
            known = ", ".join(sorted(DOCUMENT_KEYS | extra_keys))
            raise _fail(name, value, f"{expected}; {key!r} maps to {options!r} (known keys: {known})")
        entry = {
            "title": None,
            "description": None,
            "openapi_url": f"/{key}/openapi.json",
            "docs_url": f"/{key}/docs",
            "redoc_url": f"/{key}/redoc",
            "access": "anonymous",
            "enabled": True,
            **options,
        }
        for url in ("openapi_url", "docs_url", "redoc_url"):
            _optional_url(name, entry[url])
        _access(name, entry["access"])
        _bool(name, entry["enabled"])
        if "deprecated" in extra_keys:
            entry.setdefault("deprecated", False)
            if not isinstance(entry["deprecated"], (bool, str)) or not _is_date_or_bool(entry["deprecated"]):
                raise _fail(name, value, f"{expected}; \"deprecated\" is True, False or a date 'YYYY-MM-DD'")
        documents[key] = entry
    return documents


def _is_date_or_bool(value: Any) -> bool:
    import datetime

    try:
        return isinstance(value, bool) or bool(datetime.date.fromisoformat(value))
    except ValueError:
        return False


def _versions(name: str, value: Any) -> dict[str, dict[str, Any]]:
    return _documents(name, value, frozenset({"deprecated"}))


def _optional_name(name: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        raise _fail(name, value, "None or a name such as 'internal'")
    return value


def _routers(name: str, value: Any) -> list[dict[str, Any]]:
    """Each entry: "dotted.path.router" or {"router": "dotted.path", "prefix": "/x", "tags": [...],
    "audience": "internal", "versions": ["v1"]}."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _fail(name, value, "a list of dotted paths or dicts")
    entries: list[dict[str, Any]] = []
    for item in value:
        entry = {"router": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("router"), str):
            raise _fail(name, item, 'a dotted path or a dict with a "router" dotted path')
        unknown = set(entry) - {"router", "prefix", "tags", "audience", "versions"}
        if unknown:
            raise _fail(
                name, item,
                f'a dict with keys "router", "prefix", "tags", "audience", "versions" (unknown: {sorted(unknown)})',
            )
        _prefix(name, entry.get("prefix", ""))
        if "tags" in entry:
            _string_list(name, entry["tags"])
        _optional_name(name, entry.get("audience"))
        _string_list(name, entry.get("versions", []))
        entries.append(entry)
    return entries


def _middleware(name: str, value: Any) -> list[dict[str, Any]]:
    """Each entry: "dotted.path.Middleware" or {"class": "dotted.path", "options": {...}}."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _fail(name, value, "a list of dotted paths or dicts")
    entries: list[dict[str, Any]] = []
    for item in value:
        entry = {"class": item} if isinstance(item, str) else item
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("class"), str)
            or not isinstance(entry.get("options", {}), dict)
            or set(entry) - {"class", "options"}
        ):
            raise _fail(name, item, 'a dotted path or a dict {"class": "dotted.path", "options": {...}}')
        entries.append({"class": entry["class"], "options": entry.get("options", {})})
    return entries


def _exception_handlers(name: str, value: Any) -> dict[Any, str]:
    if not isinstance(value, dict) or not all(
        isinstance(key, (str, int)) and isinstance(handler, str) for key, handler in value.items()
    ):
        raise _fail(
            name,
            value,
            'a dict mapping an exception dotted path or status code to a handler dotted path, '
            'e.g. {"myapp.errors.Conflict": "myapp.handlers.conflict"}',
        )
    return value


def _dotted_list(name: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(
        isinstance(item, str) and "." in item for item in value
    ):
        raise _fail(name, value, "a list of dotted paths such as ['myproject.lifespan.warm_cache']")
    return list(value)


def _optional_size(name: str, value: Any) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise _fail(name, value, "None or a number of bytes (0 or more)")
    return value


def _optional_dotted(name: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or "." not in value):
        raise _fail(name, value, "None or a dotted path such as 'myproject.api.configure'")
    return value


def _non_negative_int(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _fail(name, value, "an integer, 0 or more")
    return value


def _authentication(name: str, value: Any) -> list[str]:
    expected = f"a list of source names ({', '.join(AUTHENTICATION_SOURCES)}) or dotted paths"
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(
        isinstance(item, str) and (item in AUTHENTICATION_SOURCES or "." in item) for item in value
    ):
        raise _fail(name, value, expected)
    return list(value)


def _default_authentication() -> list[str]:
    """Bearer tokens (and API keys in a header) when their app is installed, then the session when
    Django's auth is."""
    from django.apps import apps

    sources = []
    if apps.is_installed("django_fastapi.tokens"):
        sources.append("bearer")
        if getattr(settings, f"{PREFIX}API_KEY_HEADER", "X-API-Key") is not None:
            sources.append("apikey")
    if apps.is_installed("django.contrib.auth") and apps.is_installed("django.contrib.sessions"):
        sources.append("session")
    return sources


def _throttle_rates(name: str, value: Any) -> dict[str, str | None]:
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise _fail(name, value, 'a dict of scope names to rates, e.g. {"login": "10/min"}')
    for rate in value.values():
        try:
            if rate is not None:
                parse_rate(rate)
        except ValueError as exc:
            raise _fail(name, value, f"a dict of scope names to rates or None ({exc})") from None
    return value


def _default_page_size() -> int:
    # A project that only lowers FASTAPI_MAX_PAGE_SIZE gets pages of that size, not an error.
    try:
        return min(20, api_settings.MAX_PAGE_SIZE)
    except ImproperlyConfigured:
        return 20  # reported under FASTAPI_MAX_PAGE_SIZE


def _page_size(name: str, value: Any) -> int:
    value = _positive_int(name, value)
    try:
        maximum = api_settings.MAX_PAGE_SIZE
    except ImproperlyConfigured:
        return value  # reported under FASTAPI_MAX_PAGE_SIZE
    if value > maximum:
        expected = f"a positive integer no larger than FASTAPI_MAX_PAGE_SIZE ({maximum})"
        raise ImproperlyConfigured(f"{_fail(name, value, expected)} Lower it, or raise FASTAPI_MAX_PAGE_SIZE.")
    return value


EVENT_BACKENDS = {
    "memory": "django_fastapi.events.backends.MemoryBackend",
    "redis": "django_fastapi.events.backend_redis.RedisBackend",
    "postgres": "django_fastapi.events.backend_postgres.PostgresBackend",
}
EVENTS_DEFAULTS: dict[str, Any] = {
    "BACKEND": "memory",
    "URL": None,
    "DATABASE": "default",
    "CHANNEL": "django_fastapi_events",
    "REPLAY": 100,
    "MAX_PAYLOAD": 7000,
    "QUEUE_SIZE": 1000,
    "KEEPALIVE": 15.0,
    "RETRY": 3000,
    "AUTHORIZE": None,
}
_EVENTS_CHANNEL = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _events(name: str, value: Any) -> dict[str, Any]:
    """{"BACKEND": "redis", "URL": "redis://..."}: every key optional (see docs/events.rst)."""
    if not isinstance(value, dict) or set(value) - set(EVENTS_DEFAULTS):
        raise _fail(name, value, f"a dict with keys among {', '.join(EVENTS_DEFAULTS)}")
    merged = {**EVENTS_DEFAULTS, **value}
    backend = merged["BACKEND"]
    if not isinstance(backend, str) or (backend not in EVENT_BACKENDS and "." not in backend):
        raise _fail(name, value, f'a dict whose "BACKEND" is one of {", ".join(map(repr, EVENT_BACKENDS))} or a dotted path')
    merged["BACKEND"] = EVENT_BACKENDS.get(backend, backend)
    if backend == "redis" and not isinstance(merged["URL"], str):
        raise _fail(name, value, 'a dict with a "URL" such as "redis://127.0.0.1:6379/0" for the redis backend')
    if merged["URL"] is not None and not isinstance(merged["URL"], str):
        raise _fail(name, value, 'a dict whose "URL" is None or a string')
    _string(name, merged["DATABASE"])
    if not isinstance(merged["CHANNEL"], str) or not _EVENTS_CHANNEL.match(merged["CHANNEL"]):
        raise _fail(name, value, 'a dict whose "CHANNEL" is a lower-case identifier of at most 63 characters')
    _non_negative_int(name, merged["REPLAY"])
    _positive_int(name, merged["MAX_PAYLOAD"])
    _positive_int(name, merged["QUEUE_SIZE"])
    merged["KEEPALIVE"] = _seconds(name, merged["KEEPALIVE"])
    _non_negative_int(name, merged["RETRY"])
    _optional_dotted(name, merged["AUTHORIZE"])
    return merged


T = TypeVar("T")


class Setting(Generic[T]):
    """One ``FASTAPI_*`` setting: ``api_settings.THREADS`` is the validated ``int``."""

    def __init__(self, default: object, validate: Callable[[str, Any], T]) -> None:
        # default: the value, or a callable returning it (called at each access).
        self.default = default
        self.validate = validate

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> Setting[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> T | Setting[T]:
        if instance is None:
            return self
        default = self.default() if callable(self.default) else self.default
        return self.validate(self.name, getattr(settings, PREFIX + self.name, default))


def _optional_string(name: str, value: Any) -> str | None:
    return value if value is None else _string(name, value)


def _non_empty_string(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(name, value, "a non-empty string")
    return value


def _leeway(name: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise _fail(name, value, "a number of seconds, 0 or more")
    return float(value)


def _verifying_keys(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(kid, str) and kid and isinstance(key, str) and key for kid, key in value.items()
    ):
        raise _fail(name, value, 'a dict of key ids to public keys (PEM text or a file path), e.g. {"2026-01": "/etc/keys/old.pub"}')
    return value


def _optional_header(name: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9-]+", value)):
        raise _fail(name, value, "None or a header name such as 'X-API-Key'")
    return value


class APISettings:
    # Names kept from django-fastapi-bridge 0.2.
    TITLE: Setting[str] = Setting("Django FastAPI", _string)
    VERSION: Setting[str] = Setting("0.1.0", _string)
    ROOT_PATH: Setting[str] = Setting("", _prefix)
    AUTODISCOVER: Setting[bool] = Setting(True, _bool)
    AUTODISCOVER_MODULES: Setting[list[str]] = Setting(lambda: ["api"], _string_list)
    CORS_ENABLED: Setting[bool] = Setting(False, _bool)
    CORS_ALLOW_ORIGINS: Setting[list[str]] = Setting(lambda: [], _string_list)
    CORS_ALLOW_ORIGIN_REGEX: Setting[str | None] = Setting(None, _optional_string)
    CORS_ALLOW_CREDENTIALS: Setting[bool] = Setting(False, _bool)
    CORS_ALLOW_METHODS: Setting[list[str]] = Setting(lambda: ["*"], _string_list)
    CORS_ALLOW_HEADERS: Setting[list[str]] = Setting(lambda: ["*"], _string_list)
    CORS_EXPOSE_HEADERS: Setting[list[str]] = Setting(lambda: [], _string_list)

    DESCRIPTION: Setting[str] = Setting("", _string)
    API_PREFIX: Setting[str] = Setting("/api", _prefix)
    DOCS_URL: Setting[str | None] = Setting("/docs", _optional_url)
    REDOC_URL: Setting[str | None] = Setting("/redoc", _optional_url)
    OPENAPI_URL: Setting[str | None] = Setting("/openapi.json", _optional_url)
    SERVERS: Setting[list[dict[str, Any]]] = Setting(lambda: [], _servers)
    SWAGGER_UI_PARAMETERS: Setting[dict[str, Any] | None] = Setting(None, _optional_dict)
    DOCS_ACCESS: Setting[str] = Setting("anonymous", _access)
    DOCS_ASSETS: Setting[str] = Setting("local", _choice(DOCS_ASSETS))
    AUDIENCES: Setting[dict[str, dict[str, Any]]] = Setting(lambda: {}, _documents)
    API_VERSIONS: Setting[dict[str, dict[str, Any]]] = Setting(lambda: {}, _versions)
    ROUTERS: Setting[list[dict[str, Any]]] = Setting(lambda: [], _routers)
    MIDDLEWARE: Setting[list[dict[str, Any]]] = Setting(lambda: [], _middleware)
    DJANGO_MIDDLEWARE: Setting[list[str]] = Setting(lambda: [], _dotted_list)
    EXCEPTION_HANDLERS: Setting[dict[Any, str]] = Setting(lambda: {}, _exception_handlers)
    CONFIGURE_APP: Setting[str | None] = Setting(None, _optional_dotted)
    SERVER: Setting[str | None] = Setting(None, _server)
    SERVER_OPTIONS: Setting[dict[str, dict[str, Any]]] = Setting(lambda: {}, _server_options)
    GRACEFUL_TIMEOUT: Setting[float] = Setting(30.0, _seconds)
    THREADS: Setting[int] = Setting(16, _positive_int)
    AUTHENTICATION: Setting[list[str]] = Setting(_default_authentication, _authentication)
    VALIDATE_HOST: Setting[bool] = Setting(True, _bool)
    THROTTLE_CACHE: Setting[str] = Setting("default", _string)
    THROTTLE_RATES: Setting[dict[str, str | None]] = Setting(lambda: {}, _throttle_rates)
    NUM_PROXIES: Setting[int] = Setting(0, _non_negative_int)
    THREAD_TIMEOUT: Setting[float | None] = Setting(30.0, _optional_seconds)
    MAX_STREAMS: Setting[int] = Setting(2000, _positive_int)
    MAX_WEBSOCKETS: Setting[int] = Setting(2000, _positive_int)
    GC_FREEZE: Setting[bool] = Setting(True, _bool)
    SERVE_DJANGO: Setting[bool] = Setting(True, _bool)
    # Bounded by default: a disk spool is cheaper than memory, not free (see docs/settings.rst).
    MAX_UPLOAD_SIZE: Setting[int | None] = Setting(100 * 1024 * 1024, _optional_size)
    ON_STARTUP: Setting[list[str]] = Setting(lambda: [], _dotted_list)
    ON_SHUTDOWN: Setting[list[str]] = Setting(lambda: [], _dotted_list)
    PAGE_SIZE: Setting[int] = Setting(_default_page_size, _page_size)
    MAX_PAGE_SIZE: Setting[int] = Setting(100, _positive_int)
    # Events (django_fastapi.events): backend, replay buffer, payload limit, SSE timing.
    EVENTS: Setting[dict[str, Any]] = Setting(lambda: {}, _events)
    # Access/refresh token pairs (django_fastapi.tokens) and API keys in a header.
    ACCESS_TOKEN_LIFETIME: Setting[float] = Setting(300.0, _seconds)
    REFRESH_TOKEN_LIFETIME: Setting[float] = Setting(14 * 86400.0, _seconds)
    JWT_ALGORITHM: Setting[str] = Setting("HS256", _choice(JWT_ALGORITHMS))
    JWT_PRIVATE_KEY: Setting[str | None] = Setting(None, _optional_string)
    JWT_KEY_ID: Setting[str | None] = Setting(None, _optional_string)
    JWT_VERIFYING_KEYS: Setting[dict[str, str]] = Setting(lambda: {}, _verifying_keys)
    JWT_AUDIENCE: Setting[str] = Setting("django-fastapi", _non_empty_string)
    JWT_ISSUER: Setting[str] = Setting("django-fastapi", _non_empty_string)
    JWT_LEEWAY: Setting[float] = Setting(0.0, _leeway)
    JWT_DENY_LIST_CACHE: Setting[str | None] = Setting(None, _optional_string)
    API_KEY_HEADER: Setting[str | None] = Setting("X-API-Key", _optional_header)
    # Production operations (docs/production.rst): health, readiness, request ids, metrics, tracing.
    HEALTH_URL: Setting[str | None] = Setting("/health", _optional_url)
    READY_URL: Setting[str | None] = Setting("/ready", _optional_url)
    READY_TIMEOUT: Setting[float] = Setting(3.0, _seconds)
    HEALTH_IN_SCHEMA: Setting[bool] = Setting(False, _bool)
    REQUEST_ID_HEADER: Setting[str | None] = Setting("X-Request-ID", _optional_header)
    ACCESS_LOG_FORMAT: Setting[str] = Setting("text", _choice(("text", "json")))
    METRICS_URL: Setting[str | None] = Setting(None, _optional_url)
    METRICS_ACCESS: Setting[str] = Setting("staff", _access)
    OPENTELEMETRY: Setting[bool] = Setting(False, _bool)

    def names(self) -> list[str]:
        return [name for name, value in vars(type(self)).items() if isinstance(value, Setting)]

    def validate(self) -> None:
        """Read every setting, raising the first ``ImproperlyConfigured``."""
        for name in self.names():
            getattr(self, name)
        if self.CORS_ENABLED and self.CORS_ALLOW_CREDENTIALS and "*" in self.CORS_ALLOW_ORIGINS:
            raise ImproperlyConfigured(
                "FASTAPI_CORS_ALLOW_ORIGINS contains '*' while FASTAPI_CORS_ALLOW_CREDENTIALS is "
                "True: any web site could make authenticated requests with your users' cookies. "
                "List the allowed origins explicitly, or set FASTAPI_CORS_ALLOW_CREDENTIALS = False."
            )


api_settings = APISettings()
