"""The combined application: API routes first, Django's URLconf for every other path, static files.

Requests go in-process to ``get_asgi_application()`` through the bridge's test client; the Django
side is Django's own ASGI handler. tests/apps/web has the API routes and the Django URLconf.
"""

import pytest

from django_fastapi.application import get_application, get_asgi_application
from django_fastapi.testing.client import Client


@pytest.fixture(autouse=True)
def web(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.contrib.staticfiles", "tests.apps.web"]
    settings.ROOT_URLCONF = "tests.apps.web.urls"
    settings.STATIC_URL = "/static/"


def client(**kwargs) -> Client:
    return Client(get_asgi_application(**kwargs))


def test_dispatch_api_route_answered_by_the_api(db):
    response = client().get("/api/notes/notes")
    assert response.status_code == 200
    assert response.json() == []


def test_dispatch_other_path_answered_by_django():
    response = client().get("/")
    assert response.status_code == 200
    assert response.text == "Home, from a Django view"


def test_dispatch_api_wins_where_both_match():
    response = client().get("/api/web/hello")
    assert response.json() == {"from": "api"}


def test_dispatch_unmatched_path_under_api_prefix_is_the_apis_json_404():
    response = client().get("/api/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_dispatch_django_pattern_under_api_prefix_answered_by_django():
    response = client().get("/api/legacy/")
    assert response.text == "A Django view under the API prefix"


def test_dispatch_django_pattern_under_api_prefix_gets_append_slash_redirect(settings):
    settings.MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
    response = client().get("/api/legacy")
    assert response.status_code == 301
    assert response.headers["location"] == "/api/legacy/"


def test_dispatch_unmatched_path_outside_api_prefix_is_djangos_404():
    response = client().get("/nothing/here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_dispatch_wrong_method_on_api_route_is_the_apis_405():
    response = client().delete("/api/web/hello")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}


def test_dispatch_trailing_slash_on_api_route_redirected_by_the_api():
    response = client().get("/api/web/hello/")
    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/api/web/hello"


def test_dispatch_serve_django_off_answers_every_path_from_the_api(settings):
    settings.FASTAPI_SERVE_DJANGO = False
    response = client().get("/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_dispatch_api_prefix_empty_leaves_unmatched_paths_to_django(settings):
    settings.FASTAPI_API_PREFIX = ""
    assert client().get("/web/hello").json() == {"from": "api"}
    assert client().get("/").text == "Home, from a Django view"


def test_dispatch_static_file_served_when_asked():
    response = client(serve_static=True).get("/static/web/site.css")
    assert response.status_code == 200
    assert response.text == "body { color: teal; }\n"


def test_dispatch_static_file_not_served_when_not_asked():
    assert client(serve_static=False).get("/static/web/site.css").status_code == 404


def test_dispatch_static_served_by_default_under_debug(settings):
    settings.DEBUG = True
    assert client().get("/static/web/site.css").status_code == 200


def test_dispatch_static_not_served_by_default_without_debug():
    assert client().get("/static/web/site.css").status_code == 404


def test_dispatch_static_not_served_without_staticfiles_app(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "django.contrib.staticfiles"]
    assert client(serve_static=True).get("/static/web/site.css").status_code == 404


def test_dispatch_reported_server_error_not_raised_to_the_server(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.errors"]
    response = client().get("/api/errors/sync/error")  # the client would raise what the app raised
    assert response.status_code == 500


def test_dispatch_fastapi_app_alone_still_raises_to_the_caller(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.errors"]
    with pytest.raises(ZeroDivisionError):
        Client(get_application()).get("/api/errors/sync/error")

