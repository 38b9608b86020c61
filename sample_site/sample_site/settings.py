"""Settings for the django-fastapi-bridge sample site.

Environment variables:
    DJANGO_DEBUG          "1" (default) turns DEBUG on; "0" turns it off.
    SECRET_KEY            Django secret key; the default is public, for development only: with
                          DEBUG off the site refuses to start on it (the demo user's API token is
                          derived from it, so anyone could compute that token).
    DJANGO_ALLOWED_HOSTS  Extra comma-separated hosts added to the loopback defaults.
    DATABASE_URL          postgres://user:password@host:port/name (or postgresql://) switches from
                          the default SQLite file sample_site/db.sqlite3 to PostgreSQL.
    DATABASE_POOL         With PostgreSQL, "1" (default) uses Django's psycopg connection pool;
                          "0" disables it and keeps persistent connections (CONN_MAX_AGE=60) instead.
    DATABASE_CONN_MAX_AGE CONN_MAX_AGE in seconds for SQLite, and for PostgreSQL with DATABASE_POOL=0
                          (default 60; 0 closes each request's connection when it finishes).
    FASTAPI_THREADS       Request lanes, hence at most this many connections without the pool
                          (default 8, the pool's max_size).
    FASTAPI_GC_FREEZE     "0" keeps start-up objects in the garbage collector's full passes (default
                          "1": frozen once start-up is done; see django_fastapi/heap.py).
    SAMPLE_SITE_SQLITE    Path of the SQLite file used without DATABASE_URL (default: sample_site/db.sqlite3).
    SAMPLE_SITE_ACCESS_LOG "0" turns off the one-line-per-request log of django_fastapi.server.
    REDIS_URL             redis://host:port/db makes Redis the cache, so that throttling limits hold
                          across runfastapi --workers (default: a per-process memory cache).
    EVENTS_BACKEND        "memory" (default: one process), "redis" or "postgres": how the "books"
                          events reach the live page (/live/) across workers and servers.
    EVENTS_URL            The events backend's server: a redis:// URL (default: REDIS_URL) or a
                          postgres:// URL (default: the site's database, when it is PostgreSQL).
    EVENTS_CHANNEL        The Redis channel or PostgreSQL NOTIFY channel (default "sample_site_events").
    SAMPLE_SITE_METRICS   "0" turns off the Prometheus metrics at /api/metrics (staff, or a staff
                          user's API token; "anonymous" lets anyone read them, for a private network).
    SAMPLE_SITE_LOG_FORMAT "json" writes the request lines as JSON lines (default: runserver's text).
"""
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

PUBLIC_SECRET_KEY = "django-insecure-sample-site-dev-key-change-me-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", PUBLIC_SECRET_KEY)

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"

if not DEBUG and SECRET_KEY == PUBLIC_SECRET_KEY:
    raise ImproperlyConfigured(
        "The sample site's default SECRET_KEY is public (it is in the repository), and the demo "
        "user's API token is derived from it: with DJANGO_DEBUG=0 set SECRET_KEY in the environment, "
        "e.g. SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))'), or run "
        "with DJANGO_DEBUG=1 for development."
    )

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"] + [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_fastapi",
    "django_fastapi.tokens",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as static files: docs work offline
    "benchmark",
    "catalog",
    "room",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sample_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "sample_site.wsgi.application"
ASGI_APPLICATION = "sample_site.asgi.application"


def database_from_url(url: str, *, pool: bool) -> dict[str, Any]:
    """Turn ``postgres://user:pass@host:port/name`` into a DATABASES entry.

    Django's pool needs CONN_MAX_AGE = 0; without the pool, connections persist for 60 seconds.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL scheme {parts.scheme!r} is not supported; use postgres:// or postgresql://."
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured(f"DATABASE_URL {url!r} has no database name.")
    options: dict[str, Any] = {"connect_timeout": 5}
    if pool:
        options["pool"] = {"min_size": 2, "max_size": 8, "timeout": 10}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 0 if pool else int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
    }


if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": database_from_url(
            os.environ["DATABASE_URL"],
            pool=os.environ.get("DATABASE_POOL", "1") != "0",
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SAMPLE_SITE_SQLITE", BASE_DIR / "db.sqlite3"),
            # One connection per lane, kept: reopening SQLite costs more than the query.
            "CONN_MAX_AGE": int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

FASTAPI_THREADS = int(os.environ.get("FASTAPI_THREADS", "8"))
FASTAPI_GC_FREEZE = os.environ.get("FASTAPI_GC_FREEZE", "1") != "0"
FASTAPI_TITLE = "Sample site API"
FASTAPI_VERSION = "1.0.0"
FASTAPI_DESCRIPTION = (
    "Example API for django-fastapi-bridge: a small catalog of authors and books "
    "(sync and async endpoints over the Django ORM) and the benchmark endpoints."
)

# Who is calling: an API token (Authorization: Bearer ... or X-API-Key; `manage.py load_demo_data`
# prints the demo user's) or an access token from POST /api/auth/token, else the session of whoever
# logged in at /admin/ or POST /api/auth/login.
FASTAPI_AUTHENTICATION = ["bearer", "apikey", "session"]
FASTAPI_ROUTERS = [
    {"router": "django_fastapi.security.endpoints.router", "prefix": "/auth", "tags": ["auth"], "audience": "internal"},
    # The catalog again as a versioned API: /api/v1/catalog/... (deprecated) and /api/v2/catalog/...
    {"router": "catalog.api.router", "prefix": "/catalog", "tags": ["catalog"], "versions": ["v1", "v2"]},
]
# /api/docs lists the catalog; /api/internal/docs (staff only) the auth and benchmark endpoints;
# /api/v1/docs and /api/v2/docs each version of the catalog.
FASTAPI_AUDIENCES = {"internal": {"access": "staff", "title": "Sample site internal API"}}
FASTAPI_API_VERSIONS = {"v1": {"deprecated": "2026-01-01"}, "v2": {}}
FASTAPI_THROTTLE_RATES = {"login": "10/min"}
# Single-page and mobile apps sign in at POST /api/auth/token for an access/refresh token pair
# (docs/tokens.rst). Logging out (POST /api/auth/token/revoke) ends the access tokens at once too:
# the deny list is in the default cache (per process unless REDIS_URL is set: one worker then).
FASTAPI_JWT_DENY_LIST_CACHE = "default"
# Production operations (docs/production.rst): /api/health and /api/ready are on by default, and
# every response has an X-Request-ID that the log lines below carry too.
if os.environ.get("SAMPLE_SITE_METRICS", "1") != "0":
    FASTAPI_METRICS_URL = "/metrics"
    FASTAPI_METRICS_ACCESS = "anonymous" if os.environ.get("SAMPLE_SITE_METRICS") == "anonymous" else "staff"

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }

FASTAPI_EVENTS: dict[str, Any] = {
    "BACKEND": os.environ.get("EVENTS_BACKEND", "memory"),
    "CHANNEL": os.environ.get("EVENTS_CHANNEL", "sample_site_events"),
}
if os.environ.get("EVENTS_URL") or (FASTAPI_EVENTS["BACKEND"] == "redis" and os.environ.get("REDIS_URL")):
    FASTAPI_EVENTS["URL"] = os.environ.get("EVENTS_URL") or os.environ["REDIS_URL"]

# django_fastapi.server has one line per request, as runserver prints them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {request_id} {message}",
            "datefmt": "%d/%b/%Y %H:%M:%S",
            "style": "{",
        },
        "json": {"()": "django_fastapi.operations.JsonLinesFormatter"},
    },
    "filters": {"request_id": {"()": "django_fastapi.operations.RequestIdFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"]},
        # Django's own "django" logger prints its INFO lines (the autoreloader's) under DEBUG and
        # propagates them: the root's handler takes warnings and up only, or each shows twice.
        "root_console": {"class": "logging.StreamHandler", "level": "WARNING"},
        "server": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if os.environ.get("SAMPLE_SITE_LOG_FORMAT") == "json" else "server",
        },
    },
    "root": {"handlers": ["root_console"], "level": "WARNING"},
    "loggers": {
        "django_fastapi": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django_fastapi.server": {
            "handlers": ["server"],
            # SAMPLE_SITE_ACCESS_LOG=0 drops the per-request lines (the benchmark does, as it
            # runs uvicorn with --no-access-log).
            "level": "INFO" if os.environ.get("SAMPLE_SITE_ACCESS_LOG", "1") != "0" else "WARNING",
            "propagate": False,
        },
    },
}
