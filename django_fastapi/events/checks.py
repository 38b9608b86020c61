"""System checks of the events backend: its library installed, its database, its payload limit."""

from __future__ import annotations

from importlib.util import find_spec
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from ..conf import EVENT_BACKENDS, api_settings
from .base import ENVELOPE_OVERHEAD, POSTGRES_NOTIFY_LIMIT

# The test suite asserts each id is unique and documented.
E030 = "django_fastapi.E030"  # FASTAPI_EVENTS is malformed
E031 = "django_fastapi.E031"  # the backend's library is not installed
E032 = "django_fastapi.E032"  # postgres backend on a database that is not PostgreSQL
E033 = "django_fastapi.E033"  # MAX_PAYLOAD beyond what NOTIFY carries
E034 = "django_fastapi.E034"  # AUTHORIZE or BACKEND cannot be imported
W030 = "django_fastapi.W030"  # memory backend with DEBUG off

LIBRARIES = {EVENT_BACKENDS["redis"]: ("redis", "redis"), EVENT_BACKENDS["postgres"]: ("psycopg", "psycopg[binary]")}


@checks.register("django_fastapi")
def check_events(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not hasattr(settings, "FASTAPI_EVENTS"):
        return []
    try:
        config = api_settings.EVENTS
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="See the FASTAPI_EVENTS keys in docs/events.rst.", id=E030)]
    backend = config["BACKEND"]
    messages: list[checks.CheckMessage] = []
    if backend in LIBRARIES:
        module, requirement = LIBRARIES[backend]
        if find_spec(module) is None:
            return [checks.Error(f"FASTAPI_EVENTS uses {backend} but {module!r} is not installed.",
                                 hint=f"pip install 'django-fastapi-bridge[{module if module == 'redis' else 'postgres'}]' "
                                      f"(or {requirement}).", id=E031)]
    for name in ("BACKEND", "AUTHORIZE"):
        if config[name]:
            try:
                import_string(config[name])
            except ImportError as exc:
                messages.append(checks.Error(f"FASTAPI_EVENTS[{name!r}] = {config[name]!r} cannot be imported: {exc}",
                                             hint="Give the dotted path of a class or function that exists.", id=E034))
    if backend == EVENT_BACKENDS["postgres"]:
        if not config["URL"]:
            database = settings.DATABASES.get(config["DATABASE"], {})
            if "postgresql" not in database.get("ENGINE", ""):
                messages.append(checks.Error(
                    f"FASTAPI_EVENTS uses the postgres backend on database {config['DATABASE']!r}, which is not PostgreSQL.",
                    hint='Set FASTAPI_EVENTS["DATABASE"] to a PostgreSQL alias, or "URL" to a libpq URL.', id=E032))
        if config["MAX_PAYLOAD"] > POSTGRES_NOTIFY_LIMIT - ENVELOPE_OVERHEAD:
            messages.append(checks.Error(
                f"FASTAPI_EVENTS['MAX_PAYLOAD'] is {config['MAX_PAYLOAD']:,} bytes; PostgreSQL's NOTIFY carries "
                f"less than 8,000 bytes with the envelope.",
                hint=f"Use at most {POSTGRES_NOTIFY_LIMIT - ENVELOPE_OVERHEAD:,} bytes, and publish ids rather than objects.",
                id=E033))
    if backend == EVENT_BACKENDS["memory"] and not settings.DEBUG:
        messages.append(checks.Warning(
            "FASTAPI_EVENTS uses the memory backend: events reach only the process that published them.",
            hint='With several workers, servers or task workers, use "redis" or "postgres".', id=W030))
    return messages
