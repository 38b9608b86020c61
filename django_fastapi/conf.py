"""Every ``FASTAPI_*`` setting, read from ``django.conf.settings`` at access time.

``api_settings.TITLE`` reads ``settings.FASTAPI_TITLE`` now (so ``override_settings`` works) and
raises ``ImproperlyConfigured`` naming the setting when its value has the wrong shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "FASTAPI_"
SERVERS = ("uvicorn", "hypercorn")


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


def _routers(name: str, value: Any) -> list[dict[str, Any]]:
    """Each entry: "dotted.path.router" or {"router": "dotted.path", "prefix": "/x", "tags": [...]}."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _fail(name, value, "a list of dotted paths or dicts")
    entries = []
    for item in value:
        entry = {"router": item} if isinstance(item, str) else item
        if not isinstance(entry, dict) or not isinstance(entry.get("router"), str):
            raise _fail(name, item, 'a dotted path or a dict with a "router" dotted path')
        unknown = set(entry) - {"router", "prefix", "tags"}
        if unknown:
            raise _fail(name, item, f'a dict with keys "router", "prefix", "tags" (unknown: {sorted(unknown)})')
        _prefix(name, entry.get("prefix", ""))
        if "tags" in entry:
            _string_list(name, entry["tags"])
        entries.append(entry)
    return entries


def _middleware(name: str, value: Any) -> list[dict[str, Any]]:
    """Each entry: "dotted.path.Middleware" or {"class": "dotted.path", "options": {...}}."""
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _fail(name, value, "a list of dotted paths or dicts")
    entries = []
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


def _optional_dotted(name: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or "." not in value):
        raise _fail(name, value, "None or a dotted path such as 'myproject.api.configure'")
    return value


class Setting:
    def __init__(self, default: Any, validate: Callable[[str, Any], Any]) -> None:
        self.default = default
        self.validate = validate

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        default = self.default() if callable(self.default) else self.default
        return self.validate(self.name, getattr(settings, PREFIX + self.name, default))


class APISettings:
    # Names kept from django-fastapi-bridge 0.2.
    TITLE = Setting("Django FastAPI", _string)
    VERSION = Setting("0.1.0", _string)
    ROOT_PATH = Setting("", _prefix)
    AUTODISCOVER = Setting(True, _bool)
    AUTODISCOVER_MODULES = Setting(lambda: ["api"], _string_list)
    CORS_ENABLED = Setting(False, _bool)
    CORS_ALLOW_ORIGINS = Setting(lambda: [], _string_list)
    CORS_ALLOW_ORIGIN_REGEX = Setting(None, lambda n, v: v if v is None else _string(n, v))
    CORS_ALLOW_CREDENTIALS = Setting(False, _bool)
    CORS_ALLOW_METHODS = Setting(lambda: ["*"], _string_list)
    CORS_ALLOW_HEADERS = Setting(lambda: ["*"], _string_list)
    CORS_EXPOSE_HEADERS = Setting(lambda: [], _string_list)

    DESCRIPTION = Setting("", _string)
    API_PREFIX = Setting("/api", _prefix)
    DOCS_URL = Setting("/docs", _optional_url)
    REDOC_URL = Setting("/redoc", _optional_url)
    OPENAPI_URL = Setting("/openapi.json", _optional_url)
    SERVERS = Setting(lambda: [], _servers)
    SWAGGER_UI_PARAMETERS = Setting(None, _optional_dict)
    ROUTERS = Setting(lambda: [], _routers)
    MIDDLEWARE = Setting(lambda: [], _middleware)
    EXCEPTION_HANDLERS = Setting(lambda: {}, _exception_handlers)
    CONFIGURE_APP = Setting(None, _optional_dotted)
    SERVER = Setting(None, _server)
    SERVER_OPTIONS = Setting(lambda: {}, _server_options)
    THREADS = Setting(16, _positive_int)

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
