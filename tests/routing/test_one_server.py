"""One server for the whole project: runfastapi serves the API and Django's admin, views, static and
media files on one port, as ``runserver`` would serve the Django half.

Real servers, started as subprocesses on 127.0.0.1, on the project ``tests/projects.py`` builds
with ``one_server=True`` (startproject's admin and staticfiles, a Django view, a static and a media
file, a superuser), and on the sample site.
"""

from __future__ import annotations

import re
import sys

import httpx
import pytest

from tests.projects import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    MEDIA_TEXT,
    STATIC_CSS,
    one_server_project,
    sample_site_database,
)
from tests.serverproc import SAMPLE_SITE, ServerProcess, free_port

pytestmark = pytest.mark.server

ADMIN_CSS = "/static/admin/css/base.css"
WSGIREF = (
    "import sys\n"
    "from wsgiref.simple_server import make_server\n"
    "from django_fastapi.wsgi import application\n"
    "make_server('127.0.0.1', int(sys.argv[1]), application).serve_forever()\n"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return one_server_project(tmp_path_factory)


@pytest.fixture(scope="module", params=["uvicorn", "hypercorn", "granian"])
def server(request, project):
    with ServerProcess.runfastapi("--server", request.param, cwd=project) as proc:
        yield proc


def get(proc: ServerProcess, path: str) -> httpx.Response:
    with proc.client(timeout=10) as client:
        return client.get(path)


def log_in(client: httpx.Client, next_url: str) -> httpx.Response:
    page = client.get("/admin/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    form = {"csrfmiddlewaretoken": token, "username": ADMIN_USERNAME, "password": ADMIN_PASSWORD, "next": next_url}
    return client.post(f"/admin/login/?next={next_url}", data=form)


def test_runfastapi_admin_login_page_on_the_api_port(server):
    with server.client(timeout=10) as client:
        admin = client.get("/admin/login/")
        api = client.get("/api/shop/products")
    assert admin.status_code == 200
    assert "<title>Log in | Django site admin</title>" in admin.text
    assert api.status_code == 200


def test_runfastapi_admin_sends_anonymous_users_to_log_in(server):
    response = get(server, "/admin/")
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/login/?next=/admin/"


def test_runfastapi_admin_login_then_changelist(server):
    with server.client(timeout=10) as client:
        logged_in = log_in(client, "/admin/auth/user/")
        changelist = client.get("/admin/auth/user/")
    assert logged_in.status_code == 302
    assert logged_in.headers["location"] == "/admin/auth/user/"
    assert changelist.status_code == 200
    assert "Select user to change" in changelist.text
    assert f">{ADMIN_USERNAME}</a>" in changelist.text


def test_runfastapi_django_view_on_the_api_port(server):
    response = get(server, "/hello/")
    assert response.status_code == 200
    assert response.text == "Hello from a Django view"


def test_runfastapi_admin_static_file_served_under_debug(server):
    response = get(server, ADMIN_CSS)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")


def test_runfastapi_app_static_file_served_under_debug(server):
    assert get(server, "/static/shop/site.css").text == STATIC_CSS


def test_runfastapi_media_file_served_under_debug(server):
    assert get(server, "/media/notes.txt").text == MEDIA_TEXT


def test_runfastapi_unknown_api_path_is_the_apis_json_404(server):
    response = get(server, "/api/shop/nothing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_runfastapi_unknown_path_is_djangos_404(server):
    response = get(server, "/nothing/")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


# runserver's static-file flags.


def test_runfastapi_nostatic_does_not_serve_static_files(project):
    with ServerProcess.runfastapi("--nostatic", cwd=project) as proc:
        assert get(proc, "/admin/login/").status_code == 200
        assert get(proc, ADMIN_CSS).status_code == 404


def test_runfastapi_without_debug_does_not_serve_static_files(project):
    with ServerProcess.runfastapi(cwd=project, env={"DJANGO_DEBUG": "0"}) as proc:
        assert get(proc, "/admin/login/").status_code == 200
        assert get(proc, ADMIN_CSS).status_code == 404


def test_runfastapi_insecure_serves_static_files_without_debug(project):
    with ServerProcess.runfastapi("--insecure", cwd=project, env={"DJANGO_DEBUG": "0"}) as proc:
        assert get(proc, "/static/shop/site.css").text == STATIC_CSS


@pytest.mark.parametrize("server_name", ["uvicorn", "hypercorn", "granian"])
def test_runfastapi_workers_serve_django_and_static_files(project, server_name):
    with ServerProcess.runfastapi("--server", server_name, "--workers", "2", cwd=project) as proc:
        assert get(proc, "/admin/login/").status_code == 200
        assert get(proc, "/static/shop/site.css").text == STATIC_CSS


def test_runfastapi_workers_honour_nostatic(project):
    with ServerProcess.runfastapi("--workers", "2", "--nostatic", cwd=project) as proc:
        assert get(proc, "/admin/login/").status_code == 200
        assert get(proc, "/static/shop/site.css").status_code == 404


# The deployment entry points serve the same combined application.


def test_asgi_entry_point_serves_the_admin_beside_the_api(project):
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "django_fastapi.asgi:application", "--host", "127.0.0.1",
            "--port", str(port)]
    with ServerProcess(args, cwd=project, port=port, env={"DJANGO_SETTINGS_MODULE": "mysite.settings"}) as proc:
        assert get(proc, "/admin/login/").status_code == 200
        assert get(proc, "/api/shop/products").status_code == 200


def test_wsgi_entry_point_serves_the_admin_beside_the_api(project):
    port = free_port()
    args = [sys.executable, "-c", WSGIREF, str(port)]
    with ServerProcess(args, cwd=project, port=port, env={"DJANGO_SETTINGS_MODULE": "mysite.settings"}) as proc:
        assert get(proc, "/admin/login/").status_code == 200
        assert get(proc, "/api/shop/products").status_code == 200


# The sample site.


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory):
    env = {"SAMPLE_SITE_SQLITE": str(sample_site_database(tmp_path_factory))}
    with ServerProcess.runfastapi(cwd=SAMPLE_SITE, env=env) as proc:
        yield proc


def test_runfastapi_sample_site_home_page_links_admin_and_docs(sample_server):
    response = get(sample_server, "/")
    assert response.status_code == 200
    assert 'href="/admin/"' in response.text
    assert 'href="/api/docs"' in response.text


def test_runfastapi_sample_site_admin_with_its_styles(sample_server):
    login = get(sample_server, "/admin/login/")
    assert login.status_code == 200
    assert f'href="{ADMIN_CSS}"' in login.text
    assert get(sample_server, ADMIN_CSS).status_code == 200
