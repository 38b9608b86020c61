import base64
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.staticfiles import finders
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import override_settings

from django_fastapi.testing.client import Client

SAMPLE_SITE = Path(__file__).resolve().parents[2] / "sample_site"
BASE = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_fastapi",
    "drf_spectacular_sidecar",
]
INTERNAL = {"internal": {"access": "staff"}}
VERSIONS = {"v1": {"deprecated": "2026-01-01"}, "v2": {}}


def installed(*apps: str, **settings) -> override_settings:
    return override_settings(
        INSTALLED_APPS=[*BASE, *(f"tests.apps.{app}" for app in apps)],
        FASTAPI_AUTHENTICATION=["basic"],
        **settings,
    )


def basic(username: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:pw".encode()).decode()}


def schema(path: str, **headers) -> dict:
    response = Client().get(path, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def operations(document: dict) -> set[str]:
    return {f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops}


def components(document: dict) -> set[str]:
    return set(document.get("components", {}).get("schemas", {}))


@pytest.fixture
def users(db):
    User.objects.create_user("staff", password="pw", is_staff=True)
    User.objects.create_user("plain", password="pw")
    reader = User.objects.create_user("reader", password="pw")
    reader.user_permissions.add(Permission.objects.get(codename="view_user"))


def test_docs_default_document_holds_routes_without_audience():
    with installed("audiences", FASTAPI_AUDIENCES=INTERNAL):
        assert operations(schema("/api/openapi.json")) == {"GET /api/audiences/products"}


def test_docs_audience_document_holds_only_its_routes(users):
    with installed("audiences", FASTAPI_AUDIENCES=INTERNAL):
        document = schema("/api/internal/openapi.json", **basic("staff"))
    assert operations(document) == {"GET /api/audiences/sales"}
    assert document["info"]["title"] == "Django FastAPI (internal)"


def test_docs_component_schemas_of_hidden_routes_do_not_leak(users):
    with installed("audiences", FASTAPI_AUDIENCES=INTERNAL):
        public = schema("/api/openapi.json")
        internal = schema("/api/internal/openapi.json", **basic("staff"))
    assert "Product" in components(public) and "SalesReport" not in components(public)
    assert "SalesReport" in components(internal) and "Product" not in components(internal)


def test_docs_routers_entry_audience_moves_every_route():
    entry = {"router": "tests.apps.versioned.api.router", "prefix": "/orders", "audience": "partners"}
    with installed(FASTAPI_ROUTERS=[entry], FASTAPI_AUDIENCES={"partners": {}}):
        assert operations(schema("/api/partners/openapi.json")) == {"GET /api/orders/"}
        assert operations(schema("/api/openapi.json")) == set()


def test_docs_guarded_schema_refuses_anonymous(users):
    with installed("audiences", FASTAPI_AUDIENCES=INTERNAL):
        assert Client().get("/api/internal/openapi.json").status_code == 401
        assert Client().get("/api/internal/docs").status_code == 401


def test_docs_guarded_docs_refuse_non_staff_user(users):
    with installed("audiences", FASTAPI_AUDIENCES=INTERNAL):
        assert Client().get("/api/internal/docs", headers=basic("plain")).status_code == 403


def test_docs_guarded_docs_admit_staff_user(users):
    with installed("audiences", FASTAPI_AUDIENCES=INTERNAL):
        response = Client().get("/api/internal/docs", headers=basic("staff"))
    assert response.status_code == 200
    assert "/api/internal/openapi.json" in response.text


def test_docs_permission_access_admits_only_holders(users):
    with installed("audiences", FASTAPI_AUDIENCES={"internal": {"access": "auth.view_user"}}):
        assert Client().get("/api/internal/redoc", headers=basic("plain")).status_code == 403
        assert Client().get("/api/internal/redoc", headers=basic("reader")).status_code == 200


def test_docs_access_setting_guards_default_document(users):
    with installed("audiences", FASTAPI_DOCS_ACCESS="authenticated"):
        assert Client().get("/api/openapi.json").status_code == 401
        assert Client().get("/api/docs").status_code == 401
        assert Client().get("/api/docs", headers=basic("plain")).status_code == 200


def test_docs_disabled_document_is_not_served(users):
    with installed("audiences", FASTAPI_AUDIENCES={"internal": {"enabled": False}}):
        assert Client().get("/api/internal/openapi.json", headers=basic("staff")).status_code == 404
        assert Client().get("/api/internal/docs", headers=basic("staff")).status_code == 404


def test_docs_audience_urls_are_configurable():
    audiences = {"internal": {"openapi_url": "/private/schema.json", "docs_url": "/private", "redoc_url": None}}
    with installed("audiences", FASTAPI_AUDIENCES=audiences):
        assert operations(schema("/api/private/schema.json")) == {"GET /api/audiences/sales"}
        assert "/api/private/schema.json" in Client().get("/api/private").text
        assert Client().get("/api/internal/redoc").status_code == 404


def test_docs_pages_win_over_an_api_route_that_matches_their_paths():
    with installed("catchall"):
        client = Client()
        assert "swagger-ui" in client.get("/api/docs").text
        assert client.get("/api/openapi.json").json()["openapi"].startswith("3.")
        assert client.get("/api/redoc").headers["content-type"].startswith("text/html")


def test_docs_router_leaves_other_paths_to_the_api_routes():
    with installed("catchall"):
        assert Client().get("/api/something").json() == {"name": "something"}


def test_docs_pages_are_listed_in_the_route_table():
    with installed("catchall"):
        out = io.StringIO()
        call_command("fastapi_routes", "--format", "json", stdout=out)
    paths = [route["path"] for route in json.loads(out.getvalue())]
    assert paths.index("/api/docs") < paths.index("/api/{name}")


def asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?['"]([^'"]+)['"]""", html)


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
def test_docs_pages_reference_only_local_urls(page):
    html = Client().get(page).text
    assert not re.search(r"https?://", html)
    assert "/api/docs-assets/drf_spectacular_sidecar/" in html


@pytest.mark.parametrize("page", ["/api/docs", "/api/redoc"])
def test_docs_page_assets_are_served_by_the_app(page):
    client = Client()
    urls = re.findall(r"/api/docs-assets/[^\"']+", client.get(page).text)
    responses = [client.get(url) for url in urls]
    assert urls and [response.status_code for response in responses] == [200] * len(urls)
    assert all(response.content for response in responses)


@pytest.mark.parametrize("debug", [True, False])
def test_docs_assets_served_with_only_django_fastapi_installed(debug):
    """A new project adds only "django_fastapi" to INSTALLED_APPS (no sidecar app, no collectstatic)."""
    with override_settings(INSTALLED_APPS=BASE[:-1], DEBUG=debug):
        client = Client()
        urls = re.findall(r"/api/docs-assets/[^\"']+", client.get("/api/docs").text)
        assert urls and {client.get(url).status_code for url in urls} == {200}


def test_docs_assets_refuse_paths_outside_their_packages():
    response = Client().get("/api/docs-assets/../../settings.py")
    assert response.status_code == 404


def test_docs_swagger_page_has_no_inline_script():
    html = Client().get("/api/docs").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attributes and not body.strip() for attributes, body in scripts)
    assert "/api/docs-assets/django_fastapi/swagger-ui-init.js" in html


def test_docs_swagger_page_sends_a_strict_content_security_policy():
    response = Client().get("/api/docs")
    assert response.headers["content-security-policy"] == "default-src 'self'; img-src 'self' data:"


def test_docs_swagger_init_script_is_found_by_staticfiles():
    assert finders.find("django_fastapi/swagger-ui-init.js")


def test_docs_assets_collected_by_collectstatic(tmp_path):
    with override_settings(INSTALLED_APPS=[*BASE, "django.contrib.staticfiles"], STATIC_ROOT=str(tmp_path)):
        call_command("collectstatic", "--noinput", verbosity=0)
    assert (tmp_path / "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").is_file()
    assert (tmp_path / "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js").is_file()


def test_docs_assets_cdn_is_opt_in():
    with override_settings(FASTAPI_DOCS_ASSETS="cdn"):
        html = Client().get("/api/docs").text
    assert "https://cdn.jsdelivr.net/" in html


def test_docs_version_documents_hold_only_their_version():
    with installed("versioned", "audiences", FASTAPI_API_VERSIONS=VERSIONS):
        assert operations(schema("/api/v1/openapi.json")) == {"GET /api/v1/orders/"}
        assert operations(schema("/api/v2/openapi.json")) == {"GET /api/v2/orders/"}
        assert operations(schema("/api/openapi.json")) == {"GET /api/audiences/products"}


def test_docs_deprecated_version_operations_marked_deprecated():
    with installed("versioned", FASTAPI_API_VERSIONS=VERSIONS):
        assert schema("/api/v1/openapi.json")["paths"]["/api/v1/orders/"]["get"]["deprecated"] is True
        assert "deprecated" not in schema("/api/v2/openapi.json")["paths"]["/api/v2/orders/"]["get"]


def test_docs_deprecated_version_sends_deprecation_header():
    with installed("versioned", FASTAPI_API_VERSIONS=VERSIONS):
        response = Client().get("/api/v1/orders/")
        assert response.json() == ["o-1"]
        assert response.headers["Deprecation"] == "@1767225600"
        assert "Deprecation" not in Client().get("/api/v2/orders/").headers


def test_docs_operation_ids_are_app_label_and_function_name():
    with installed("audiences", "versioned", FASTAPI_API_VERSIONS=VERSIONS):
        operation = schema("/api/openapi.json")["paths"]["/api/audiences/products"]["get"]
        versioned = schema("/api/v2/openapi.json")["paths"]["/api/v2/orders/"]["get"]
    assert operation["operationId"] == "audiences_list_products"
    assert versioned["operationId"] == "versioned_list_orders"


def django_fastapi_ids() -> list[str]:
    return [message.id for message in run_checks() if message.id.startswith("django_fastapi.")]


def test_check_e007_duplicate_operation_ids():
    with installed("clash"):
        (message,) = [m for m in run_checks() if m.id == "django_fastapi.E007"]
    assert "'clash_items'" in message.msg
    assert "GET /api/clash/items" in message.msg and "GET /api/clash/admin/items" in message.msg


def test_check_e008_undeclared_audience():
    with installed("audiences"):
        assert django_fastapi_ids() == ["django_fastapi.E008"]


def test_check_w006_anonymous_docs_without_debug():
    with installed("audiences", FASTAPI_AUDIENCES=INTERNAL, DEBUG=False):
        (message,) = [m for m in run_checks(include_deployment_checks=True) if m.id == "django_fastapi.W006"]
    assert message.obj == "default"
    assert "FASTAPI_DOCS_ACCESS" in message.hint


def test_check_w006_silent_when_docs_guarded():
    with installed(FASTAPI_DOCS_ACCESS="staff", DEBUG=False):
        assert "django_fastapi.W006" not in [m.id for m in run_checks(include_deployment_checks=True)]


def test_check_w006_silent_under_debug():
    with installed(DEBUG=True):
        assert "django_fastapi.W006" not in [m.id for m in run_checks(include_deployment_checks=True)]



def sample_site_schema(document: str) -> dict:
    import json
    import os

    env = {key: value for key, value in os.environ.items() if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    result = subprocess.run(
        [sys.executable, "manage.py", "fastapi_routes", "--openapi", "--document", document],
        cwd=SAMPLE_SITE, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_docs_sample_site_documents_hold_exactly_their_routes():
    catalog = {
        (method, path)
        for method, path in [
            ("GET", "/authors"), ("POST", "/authors"), ("GET", "/authors/{author_id}"),
            ("PUT", "/authors/{author_id}"), ("PATCH", "/authors/{author_id}"),
            ("DELETE", "/authors/{author_id}"), ("GET", "/books"), ("POST", "/books"),
            ("GET", "/books/{pk}"), ("PUT", "/books/{pk}"), ("PATCH", "/books/{pk}"),
            ("DELETE", "/books/{pk}"), ("GET", "/books/{book_id}/card"),
            ("GET", "/books/live"), ("GET", "/books/poll"),
            ("GET", "/tags"), ("POST", "/tags"), ("GET", "/tags/{pk}"), ("PUT", "/tags/{pk}"),
            ("PATCH", "/tags/{pk}"), ("DELETE", "/tags/{pk}"),
        ]
    }
    for document, base in [("default", "/api"), ("v1", "/api/v1"), ("v2", "/api/v2")]:
        expected = {f"{method} {base}/catalog{path}" for method, path in catalog}
        assert operations(sample_site_schema(document)) == expected
    assert operations(sample_site_schema("internal")) == {
        "GET /api/auth/csrf", "POST /api/auth/login", "POST /api/auth/logout", "GET /api/auth/me",
        "POST /api/auth/token", "POST /api/auth/token/refresh", "POST /api/auth/token/revoke",
        "GET /api/auth/token/families", "DELETE /api/auth/token/families/{family_id}",
        "GET /api/benchmark/permissions", "GET /api/benchmark/permissions-async", "GET /api/benchmark/books",
        "GET /api/benchmark/wait", "GET /api/benchmark/events", "POST /api/benchmark/echo",
        "GET /api/benchmark/live", "POST /api/benchmark/publish",
        "GET /api/benchmark/whoami",
    }
