import html
import json
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from fastapi import FastAPI

import django_fastapi
from django_fastapi.application import build_application, get_application
from django_fastapi.testing.client import Client

BASE = ["django.contrib.contenttypes", "django.contrib.auth", "django_fastapi"]
HOOKS = {"router": "tests.apps.hooks.routers.router", "prefix": "/hooks"}


def installed(*apps: str) -> override_settings:
    return override_settings(INSTALLED_APPS=[*BASE, *(f"tests.apps.{app}" for app in apps)])


def openapi() -> dict:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_get_application_built_once_per_process():
    assert get_application() is get_application()


def test_get_application_package_shortcut_returns_the_same_app():
    assert django_fastapi.get_application() is get_application()


def test_get_application_rebuilt_after_setting_change():
    before = get_application()
    with override_settings(FASTAPI_TITLE="Changed"):
        during = get_application()
        assert during is not before
        assert during.title == "Changed"
    after = get_application()
    assert after is not during
    assert after.title == "Django FastAPI"


def test_get_application_rebuilt_after_installed_apps_change():
    before = get_application()
    with installed("prefixed"):
        assert get_application() is not before
        assert Client().get("/api/custom/hello").json() == {"app": "prefixed"}


def test_get_application_ignores_unrelated_setting_changes():
    before = get_application()
    with override_settings(USE_I18N=False):
        assert get_application() is before


def test_build_application_returns_a_new_fastapi_app():
    app = build_application()
    assert isinstance(app, FastAPI)
    assert app is not build_application()


def test_app_routes_answer_under_api_and_app_label():
    with installed("custom_module"), override_settings(FASTAPI_AUTODISCOVER_MODULES=["endpoints"]):
        response = Client().get("/api/custom_module/endpoint")
    assert (response.status_code, response.json()) == (200, {"module": "endpoints"})


def test_app_routes_answer_under_appconfig_prefix():
    with installed("prefixed"):
        assert Client().get("/api/custom/items/7").json() == {"id": 7}


def test_app_routes_with_empty_prefix_answer_at_api_root():
    with installed("rooted"):
        assert Client().get("/api/ping").json() == {"pong": True}


def test_app_routes_follow_api_prefix():
    with installed("rooted"), override_settings(FASTAPI_API_PREFIX="/v2"):
        client = Client()
        assert client.get("/v2/ping").status_code == 200
        assert client.get("/api/ping").status_code == 404


def test_app_routes_with_empty_api_prefix_answer_at_root():
    with installed("rooted"), override_settings(FASTAPI_API_PREFIX=""):
        assert Client().get("/ping").json() == {"pong": True}


def test_app_configured_router_answers_under_its_prefix():
    with override_settings(FASTAPI_ROUTERS=[HOOKS]):
        assert Client().get("/api/hooks/extra").json() == {"router": "router"}


def test_app_unknown_path_is_404():
    assert Client().get("/api/nowhere").status_code == 404


def test_app_docs_served_under_api_prefix():
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text
    assert "/api/openapi.json" in response.text


def test_app_redoc_served_under_api_prefix():
    response = Client().get("/api/redoc")
    assert response.status_code == 200
    assert "redoc" in response.text


def test_app_schema_served_under_api_prefix():
    assert openapi()["info"]["title"] == "Django FastAPI"


def test_app_docs_and_schema_move_with_api_prefix():
    with override_settings(FASTAPI_API_PREFIX="/v1"):
        client = Client()
        assert client.get("/v1/docs").status_code == 200
        assert client.get("/v1/openapi.json").status_code == 200
        assert client.get("/api/docs").status_code == 404
        assert "/v1/openapi.json" in client.get("/v1/docs").text


def test_app_docs_url_setting_moves_docs():
    with override_settings(FASTAPI_DOCS_URL="/swagger"):
        client = Client()
        assert client.get("/api/swagger").status_code == 200
        assert client.get("/api/docs").status_code == 404


def test_app_docs_url_none_disables_docs():
    with override_settings(FASTAPI_DOCS_URL=None):
        client = Client()
        assert client.get("/api/docs").status_code == 404
        assert client.get("/api/openapi.json").status_code == 200


def test_app_redoc_url_none_disables_redoc():
    with override_settings(FASTAPI_REDOC_URL=None):
        assert Client().get("/api/redoc").status_code == 404


def test_app_openapi_url_none_disables_schema_and_docs():
    with override_settings(FASTAPI_OPENAPI_URL=None):
        client = Client()
        assert client.get("/api/openapi.json").status_code == 404
        assert client.get("/api/docs").status_code == 404


def test_app_title_version_description_reach_openapi():
    with override_settings(
        FASTAPI_TITLE="Catalogue", FASTAPI_VERSION="2.1.0", FASTAPI_DESCRIPTION="Books."
    ):
        info = openapi()["info"]
    assert (info["title"], info["version"], info["description"]) == ("Catalogue", "2.1.0", "Books.")


def test_app_servers_reach_openapi():
    servers = [{"url": "https://api.example.com", "description": "production"}]
    with override_settings(FASTAPI_SERVERS=servers):
        assert openapi()["servers"] == servers


# FastAPI 0.165 deprecates FastAPI(root_path=...), which FASTAPI_ROOT_PATH still feeds.
@pytest.mark.filterwarnings("ignore:The `root_path` parameter is deprecated")
def test_app_root_path_reaches_openapi_servers():
    with override_settings(FASTAPI_ROOT_PATH="/proxy"):
        assert openapi()["servers"] == [{"url": "/proxy"}]


def test_app_swagger_ui_parameters_reach_docs_page():
    with override_settings(FASTAPI_SWAGGER_UI_PARAMETERS={"deepLinking": False}):
        page = Client().get("/api/docs").text
    # The local page hands Swagger UI its parameters in a data attribute (no inline script).
    attribute = re.search(r'data-parameters="([^"]*)"', page).group(1)
    assert json.loads(html.unescape(attribute))["deepLinking"] is False


def test_app_swagger_ui_parameters_reach_cdn_docs_page():
    with override_settings(FASTAPI_SWAGGER_UI_PARAMETERS={"deepLinking": False}, FASTAPI_DOCS_ASSETS="cdn"):
        assert '"deepLinking": false' in Client().get("/api/docs").text


def test_app_operation_tagged_with_app_label():
    with installed("prefixed"):
        operation = openapi()["paths"]["/api/custom/hello"]["get"]
    assert operation["tags"] == ["prefixed"]


def test_app_configured_router_tags_reach_openapi():
    with override_settings(FASTAPI_ROUTERS=[{**HOOKS, "tags": ["hooks"]}]):
        assert openapi()["paths"]["/api/hooks/extra"]["get"]["tags"] == ["hooks"]


def test_middleware_dotted_path_entry_runs():
    with override_settings(FASTAPI_MIDDLEWARE=["tests.apps.hooks.middleware.PoweredBy"]):
        response = Client().get("/api/openapi.json")
    assert response.headers["x-powered-by"] == "tests.apps.hooks"


def test_middleware_run_in_list_order_with_options():
    trail = "tests.apps.hooks.middleware.Trail"
    middleware = [
        {"class": trail, "options": {"name": "first"}},
        {"class": trail, "options": {"name": "second"}},
        {"class": trail, "options": {"name": "third"}},
    ]
    with override_settings(FASTAPI_MIDDLEWARE=middleware):
        response = Client().get("/api/openapi.json")
    assert response.headers["x-trail"] == "first,second,third"


def test_middleware_unimportable_raises_naming_the_setting():
    with override_settings(FASTAPI_MIDDLEWARE=["tests.apps.hooks.middleware.Missing"]):
        with pytest.raises(
            ImproperlyConfigured,
            match="FASTAPI_MIDDLEWARE names 'tests.apps.hooks.middleware.Missing'",
        ):
            build_application()


def test_exception_handlers_map_exception_class_to_handler():
    handlers = {"tests.apps.hooks.handlers.Teapot": "tests.apps.hooks.handlers.teapot"}
    with override_settings(FASTAPI_ROUTERS=[HOOKS], FASTAPI_EXCEPTION_HANDLERS=handlers):
        response = Client().get("/api/hooks/teapot")
    assert (response.status_code, response.json()) == (418, {"detail": "teapot: short and stout"})


def test_exception_handlers_map_status_code_to_handler():
    with override_settings(FASTAPI_EXCEPTION_HANDLERS={404: "tests.apps.hooks.handlers.not_found"}):
        response = Client().get("/api/nowhere")
    assert (response.status_code, response.json()) == (404, {"detail": "nothing at /api/nowhere"})


def test_exception_handlers_unimportable_raises_naming_the_setting():
    handlers = {"tests.apps.hooks.handlers.Missing": "tests.apps.hooks.handlers.teapot"}
    with override_settings(FASTAPI_EXCEPTION_HANDLERS=handlers):
        with pytest.raises(
            ImproperlyConfigured,
            match="FASTAPI_EXCEPTION_HANDLERS names 'tests.apps.hooks.handlers.Missing'",
        ):
            build_application()


def test_configure_app_hook_receives_the_app():
    with override_settings(FASTAPI_CONFIGURE_APP="tests.apps.hooks.configure.configure"):
        app = get_application()
        assert app.state.configured_by == "tests.apps.hooks.configure"
        assert Client().get("/configured").json() == {"configured": True}


def test_configure_app_unimportable_raises_naming_the_setting():
    with override_settings(FASTAPI_CONFIGURE_APP="tests.apps.hooks.configure.missing"):
        with pytest.raises(ImproperlyConfigured, match="FASTAPI_CONFIGURE_APP names"):
            build_application()


ORIGIN = "https://app.example.com"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}


def test_cors_off_by_default():
    response = Client().options("/api/openapi.json", headers=PREFLIGHT)
    assert response.status_code == 405
    assert "access-control-allow-origin" not in response.headers


@override_settings(FASTAPI_CORS_ENABLED=True, FASTAPI_CORS_ALLOW_ORIGINS=[ORIGIN])
def test_cors_enabled_answers_preflight_for_allowed_origin():
    response = Client().options("/api/openapi.json", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "GET" in response.headers["access-control-allow-methods"]


@override_settings(FASTAPI_CORS_ENABLED=True, FASTAPI_CORS_ALLOW_ORIGINS=[ORIGIN])
def test_cors_enabled_refuses_preflight_for_other_origin():
    response = Client().options(
        "/api/openapi.json", headers={**PREFLIGHT, "Origin": "https://evil.example.com"}
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


@override_settings(
    FASTAPI_CORS_ENABLED=True,
    FASTAPI_CORS_ALLOW_ORIGINS=[ORIGIN],
    FASTAPI_CORS_ALLOW_CREDENTIALS=True,
    FASTAPI_CORS_EXPOSE_HEADERS=["x-total"],
)
def test_cors_enabled_simple_request_gets_credentials_and_exposed_headers():
    response = Client().get("/api/openapi.json", headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-expose-headers"] == "x-total"


@override_settings(
    FASTAPI_CORS_ENABLED=True, FASTAPI_CORS_ALLOW_ORIGIN_REGEX=r"https://.*\.example\.org"
)
def test_cors_origin_regex_allows_matching_origin():
    response = Client().options(
        "/api/openapi.json", headers={**PREFLIGHT, "Origin": "https://shop.example.org"}
    )
    assert response.headers["access-control-allow-origin"] == "https://shop.example.org"
