import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from django_fastapi.application import build_application
from django_fastapi.conf import api_settings

DEFAULTS = {
    "TITLE": "Django FastAPI",
    "VERSION": "0.1.0",
    "ROOT_PATH": "",
    "AUTODISCOVER": True,
    "AUTODISCOVER_MODULES": ["api"],
    "CORS_ENABLED": False,
    "CORS_ALLOW_ORIGINS": [],
    "CORS_ALLOW_ORIGIN_REGEX": None,
    "CORS_ALLOW_CREDENTIALS": False,
    "CORS_ALLOW_METHODS": ["*"],
    "CORS_ALLOW_HEADERS": ["*"],
    "CORS_EXPOSE_HEADERS": [],
    "DESCRIPTION": "",
    "API_PREFIX": "/api",
    "DOCS_URL": "/docs",
    "REDOC_URL": "/redoc",
    "OPENAPI_URL": "/openapi.json",
    "SERVERS": [],
    "SWAGGER_UI_PARAMETERS": None,
    "DOCS_ACCESS": "anonymous",
    "DOCS_ASSETS": "local",
    "AUDIENCES": {},
    "API_VERSIONS": {},
    "ROUTERS": [],
    "MIDDLEWARE": [],
    "DJANGO_MIDDLEWARE": [],
    "EXCEPTION_HANDLERS": {},
    "CONFIGURE_APP": None,
    "SERVER": None,
    "SERVER_OPTIONS": {},
    "GRACEFUL_TIMEOUT": 30.0,
    "THREADS": 16,
    "AUTHENTICATION": ["bearer", "apikey", "session"],  # tests/settings.py installs the token app
    "VALIDATE_HOST": True,
    "THROTTLE_CACHE": "default",
    "THROTTLE_RATES": {},
    "NUM_PROXIES": 0,
    "THREAD_TIMEOUT": 30.0,
    "MAX_STREAMS": 2000,
    "MAX_WEBSOCKETS": 2000,
    "GC_FREEZE": True,
    "SERVE_DJANGO": True,
    "MAX_UPLOAD_SIZE": 100 * 1024 * 1024,
    "ON_STARTUP": [],
    "ON_SHUTDOWN": [],
    "PAGE_SIZE": 20,
    "MAX_PAGE_SIZE": 100,
    "EVENTS": {
        "BACKEND": "django_fastapi.events.backends.MemoryBackend", "URL": None, "DATABASE": "default",
        "CHANNEL": "django_fastapi_events", "REPLAY": 100, "MAX_PAYLOAD": 7000, "QUEUE_SIZE": 1000,
        "KEEPALIVE": 15.0, "RETRY": 3000, "AUTHORIZE": None,
    },
    "ACCESS_TOKEN_LIFETIME": 300.0,
    "REFRESH_TOKEN_LIFETIME": 14 * 86400.0,
    "JWT_ALGORITHM": "HS256",
    "JWT_PRIVATE_KEY": None,
    "JWT_KEY_ID": None,
    "JWT_VERIFYING_KEYS": {},
    "JWT_AUDIENCE": "django-fastapi",
    "JWT_ISSUER": "django-fastapi",
    "JWT_LEEWAY": 0.0,
    "JWT_DENY_LIST_CACHE": None,
    "API_KEY_HEADER": "X-API-Key",
    "HEALTH_URL": "/health",
    "READY_URL": "/ready",
    "READY_TIMEOUT": 3.0,
    "HEALTH_IN_SCHEMA": False,
    "REQUEST_ID_HEADER": "X-Request-ID",
    "ACCESS_LOG_FORMAT": "text",
    "METRICS_URL": None,
    "METRICS_ACCESS": "staff",
    "OPENTELEMETRY": False,
}

# Values a project might plausibly write by mistake, one per setting.
WRONG = [
    ("TITLE", 3),
    ("VERSION", 1.0),
    ("ROOT_PATH", "proxy/"),
    ("AUTODISCOVER", "yes"),
    ("AUTODISCOVER_MODULES", "api"),
    ("AUTODISCOVER_MODULES", ["api", 3]),
    ("CORS_ENABLED", 1),
    ("CORS_ALLOW_ORIGINS", "https://app.example.com"),
    ("CORS_ALLOW_ORIGIN_REGEX", 3),
    ("CORS_ALLOW_CREDENTIALS", "true"),
    ("CORS_ALLOW_METHODS", "GET"),
    ("CORS_ALLOW_HEADERS", None),
    ("CORS_EXPOSE_HEADERS", [b"x-total"]),
    ("DESCRIPTION", None),
    ("API_PREFIX", "api/"),
    ("API_PREFIX", "/api/"),
    ("DOCS_URL", "docs"),
    ("REDOC_URL", False),
    ("OPENAPI_URL", "openapi.json"),
    ("SERVERS", [{"description": "no url"}]),
    ("SERVERS", "https://api.example.com"),
    ("SWAGGER_UI_PARAMETERS", ["deepLinking"]),
    ("ROUTERS", [{"router": 1}]),
    ("ROUTERS", "tests.apps.hooks.routers.router"),
    ("ROUTERS", [{"router": "tests.apps.hooks.routers.router", "prefix": "extra"}]),
    ("ROUTERS", [{"router": "tests.apps.hooks.routers.router", "tags": "extra"}]),
    ("ROUTERS", [{"router": "tests.apps.hooks.routers.router", "prefx": "/extra"}]),
    ("MIDDLEWARE", "tests.apps.hooks.middleware.PoweredBy"),
    ("MIDDLEWARE", [3]),
    ("MIDDLEWARE", [{"class": "tests.apps.hooks.middleware.Trail", "options": ["a"]}]),
    ("MIDDLEWARE", [{"class": "tests.apps.hooks.middleware.Trail", "kwargs": {"name": "a"}}]),
    ("EXCEPTION_HANDLERS", ["tests.apps.hooks.handlers.teapot"]),
    ("EXCEPTION_HANDLERS", {"tests.apps.hooks.handlers.Teapot": 418}),
    ("CONFIGURE_APP", "configure"),
    ("CONFIGURE_APP", 3),
    ("SERVER", "gunicorn"),
    ("SERVER_OPTIONS", {"uvicorn": 3}),
    ("SERVER_OPTIONS", {"gunicorn": {}}),
    ("SERVER_OPTIONS", [("uvicorn", {})]),
    ("THREADS", 0),
    ("THREADS", True),
    ("THREADS", "16"),
    ("AUTHENTICATION", "session"),
    ("AUTHENTICATION", ["sessions"]),
    ("VALIDATE_HOST", 1),
    ("THROTTLE_CACHE", None),
    ("THROTTLE_RATES", {"login": "10 per minute"}),
    ("THROTTLE_RATES", ["10/min"]),
    ("NUM_PROXIES", -1),
    ("NUM_PROXIES", "1"),
    ("THREAD_TIMEOUT", 0),
    ("MAX_STREAMS", 0),
    ("MAX_WEBSOCKETS", "many"),
    ("THREAD_TIMEOUT", "30"),
    ("SERVE_DJANGO", "no"),
    ("MAX_UPLOAD_SIZE", -1),
    ("MAX_UPLOAD_SIZE", "10MB"),
    ("ON_STARTUP", "shop.lifespan.warm_cache"),
    ("ON_STARTUP", ["warm_cache"]),
    ("ON_SHUTDOWN", [None]),
    ("EVENTS", []),
    ("EVENTS", {"BACKEND": "kafka"}),
    ("EVENTS", {"BACKEND": "redis"}),
    ("EVENTS", {"CHANNEL": "Has-Dashes"}),
    ("EVENTS", {"REPLAY": -1}),
    ("EVENTS", {"KEEPALIVE": 0}),
    ("EVENTS", {"AUTHORIZE": "nodots"}),
    ("EVENTS", {"BACKNED": "redis"}),
    ("ACCESS_TOKEN_LIFETIME", 0),
    ("REFRESH_TOKEN_LIFETIME", "14d"),
    ("JWT_ALGORITHM", "none"),
    ("JWT_ALGORITHM", "HS256,RS256"),
    ("JWT_PRIVATE_KEY", b"-----BEGIN PRIVATE KEY-----"),
    ("JWT_VERIFYING_KEYS", ["/etc/keys/old.pub"]),
    ("JWT_AUDIENCE", ""),
    ("JWT_ISSUER", None),
    ("JWT_LEEWAY", -5),
    ("JWT_DENY_LIST_CACHE", 0),
    ("API_KEY_HEADER", "X API Key"),
]


@pytest.mark.parametrize("name, expected", DEFAULTS.items(), ids=list(DEFAULTS))
def test_setting_default_when_unset(name, expected):
    assert getattr(api_settings, name) == expected


def test_settings_names_lists_every_setting():
    assert sorted(api_settings.names()) == sorted(DEFAULTS)


@pytest.mark.parametrize(
    "name, value",
    [
        ("TITLE", "Catalogue"),
        ("API_PREFIX", "/v1"),
        ("API_PREFIX", ""),
        ("DOCS_URL", None),
        ("THREADS", 4),
        ("SERVER", "hypercorn"),
        ("SERVER_OPTIONS", {"uvicorn": {"timeout_keep_alive": 10}}),
    ],
)
def test_setting_read_at_access_time(name, value):
    with override_settings(**{f"FASTAPI_{name}": value}):
        assert getattr(api_settings, name) == value
    assert getattr(api_settings, name) == DEFAULTS[name]


@pytest.mark.parametrize("name, value", WRONG, ids=[f"{name}={value!r}" for name, value in WRONG])
def test_setting_wrong_shape_raises_naming_the_setting(name, value):
    with override_settings(**{f"FASTAPI_{name}": value}):
        with pytest.raises(ImproperlyConfigured, match=f"FASTAPI_{name} must be"):
            getattr(api_settings, name)


def test_setting_error_quotes_the_bad_value():
    with override_settings(FASTAPI_SERVER="gunicorn"):
        with pytest.raises(ImproperlyConfigured) as excinfo:
            api_settings.SERVER  # noqa: B018 (reading the setting raises)
    assert "'gunicorn'" in str(excinfo.value)
    assert "'uvicorn'" in str(excinfo.value) and "'hypercorn'" in str(excinfo.value)


def test_setting_wrong_shape_fails_build_application():
    with override_settings(FASTAPI_API_PREFIX="api/"):
        with pytest.raises(ImproperlyConfigured, match="FASTAPI_API_PREFIX"):
            build_application()


@pytest.mark.parametrize(
    "name, value",
    [
        ("TITLE", "Legacy API"),
        ("VERSION", "0.2.9"),
        ("ROOT_PATH", "/legacy"),
        ("AUTODISCOVER", False),
        ("AUTODISCOVER_MODULES", ["endpoints"]),
        ("CORS_ENABLED", True),
        ("CORS_ALLOW_ORIGINS", ["https://app.example.com"]),
        ("CORS_ALLOW_ORIGIN_REGEX", r"https://.*\.example\.com"),
        ("CORS_ALLOW_CREDENTIALS", True),
        ("CORS_ALLOW_METHODS", ["GET"]),
        ("CORS_ALLOW_HEADERS", ["x-token"]),
        ("CORS_EXPOSE_HEADERS", ["x-total"]),
    ],
)
def test_setting_names_from_0_2_still_read(name, value):
    with override_settings(**{f"FASTAPI_{name}": value}):
        assert getattr(api_settings, name) == value


def test_setting_tuple_accepted_for_lists():
    with override_settings(FASTAPI_AUTODISCOVER_MODULES=("api", "endpoints")):
        assert api_settings.AUTODISCOVER_MODULES == ["api", "endpoints"]


def test_setting_routers_string_entry_normalised_to_dict():
    with override_settings(FASTAPI_ROUTERS=["tests.apps.hooks.routers.router"]):
        assert api_settings.ROUTERS == [{"router": "tests.apps.hooks.routers.router"}]


def test_setting_middleware_string_entry_normalised_to_dict():
    with override_settings(FASTAPI_MIDDLEWARE=["tests.apps.hooks.middleware.PoweredBy"]):
        assert api_settings.MIDDLEWARE == [
            {"class": "tests.apps.hooks.middleware.PoweredBy", "options": {}}
        ]


CORS_WILDCARD_WITH_CREDENTIALS = {
    "FASTAPI_CORS_ENABLED": True,
    "FASTAPI_CORS_ALLOW_ORIGINS": ["*"],
    "FASTAPI_CORS_ALLOW_CREDENTIALS": True,
}


def test_validate_cors_wildcard_with_credentials_refused_at_build():
    with override_settings(**CORS_WILDCARD_WITH_CREDENTIALS):
        with pytest.raises(ImproperlyConfigured) as excinfo:
            build_application()
    message = str(excinfo.value)
    assert "FASTAPI_CORS_ALLOW_ORIGINS" in message and "FASTAPI_CORS_ALLOW_CREDENTIALS" in message
    assert "List the allowed origins explicitly" in message


def test_validate_cors_wildcard_with_credentials_refused_by_check_command():
    with override_settings(**CORS_WILDCARD_WITH_CREDENTIALS):
        with pytest.raises(SystemCheckError) as excinfo:
            call_command("check")
    assert "django_fastapi.E001" in str(excinfo.value)
    assert "FASTAPI_CORS_ALLOW_CREDENTIALS" in str(excinfo.value)


def test_validate_cors_wildcard_without_credentials_allowed():
    with override_settings(FASTAPI_CORS_ENABLED=True, FASTAPI_CORS_ALLOW_ORIGINS=["*"]):
        api_settings.validate()


def test_validate_cors_wildcard_with_credentials_ignored_while_cors_disabled():
    with override_settings(FASTAPI_CORS_ALLOW_ORIGINS=["*"], FASTAPI_CORS_ALLOW_CREDENTIALS=True):
        api_settings.validate()
