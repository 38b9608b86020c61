"""The path a new user takes: startproject, two apps with an ``api.py`` each, then runfastapi.

``tests/projects.py`` builds the project with Django's own commands (startproject, startapp,
makemigrations, migrate) and adds only ``django_fastapi``, ``shop`` and ``blog`` to INSTALLED_APPS.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.projects import shared_project
from tests.serverproc import ServerProcess

pytestmark = pytest.mark.server

APP_ROUTES = {
    ("GET", "/api/shop/products"), ("POST", "/api/shop/products"),
    ("GET", "/api/blog/posts"), ("POST", "/api/blog/posts"),
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return shared_project(tmp_path_factory)


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn"])
def server(request, project):
    with ServerProcess.runfastapi("--server", request.param, cwd=project) as proc:
        yield proc


def test_new_project_settings_add_only_the_bridge_and_the_apps(project):
    settings = (project / "mysite" / "settings.py").read_text()
    assert '"django_fastapi",\n    "shop",\n    "blog",\n' in settings
    assert "FASTAPI_" not in settings


def test_runfastapi_new_project_sync_app_creates_and_lists(server):
    name = f"product {uuid.uuid4()}"
    with server.client(timeout=10) as client:
        created = client.post("/api/shop/products", json={"name": name, "price": 3})
        listed = client.get("/api/shop/products")
    assert created.status_code == 201
    assert {"id": created.json()["id"], "name": name, "price": 3} in listed.json()


def test_runfastapi_new_project_async_app_creates_and_lists(server):
    title = f"post {uuid.uuid4()}"
    with server.client(timeout=10) as client:
        created = client.post("/api/blog/posts", json={"title": title})
        listed = client.get("/api/blog/posts")
    assert created.status_code == 201
    assert {"id": created.json()["id"], "title": title} in listed.json()


def test_runfastapi_new_project_serves_docs(server):
    with server.client(timeout=10) as client:
        response = client.get("/api/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text


def test_fastapi_routes_new_project_lists_every_route(project):
    result = subprocess.run(
        [sys.executable, "manage.py", "fastapi_routes", "--format", "json"],
        cwd=project, env=ServerProcess([]).env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    routes = json.loads(result.stdout)
    listed = {(method, route["path"]) for route in routes for method in route["methods"]}
    assert APP_ROUTES <= listed
    assert {(route["path"], route["app"], route["is_async"]) for route in routes if route["app"]} >= {
        ("/api/shop/products", "shop", False), ("/api/blog/posts", "blog", True),
    }
