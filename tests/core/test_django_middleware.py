"""The project's SecurityMiddleware, XFrameOptionsMiddleware and LocaleMiddleware around API
requests, and FASTAPI_DJANGO_MIDDLEWARE. Each header is compared with what Django's own middleware
gives a Django view for the same request and settings (django.test.Client on tests.urls)."""

from __future__ import annotations

import pytest
from django.http import HttpResponse, JsonResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.test import Client as DjangoClient
from django.test import override_settings
from django.urls import path
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin
from fastapi import APIRouter, Response

from django_fastapi.testing.client import Client

router = APIRouter()


@router.get("/language")
def language() -> dict:
    return {"language": translation.get_language()}


@router.get("/framed")
def framed(response: Response) -> dict:
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return {}


@router.get("/tenant")
def tenant() -> dict:
    return {"tenant": TenantMiddleware.current}


def django_view(request):
    return JsonResponse({"language": translation.get_language()})


urlpatterns = [path("page", django_view)]


class TenantMiddleware(MiddlewareMixin):
    """A project middleware: picks a tenant from a header, refuses unknown ones, tags responses."""

    current: str | None = None

    def process_request(self, request):
        name = request.headers.get("X-Tenant")
        if name == "unknown":
            return HttpResponse("No such tenant", status=404)
        TenantMiddleware.current = name
        return None

    def process_response(self, request, response):
        response["X-Tenant"] = TenantMiddleware.current or "-"
        return response


SECURITY = "django.middleware.security.SecurityMiddleware"
XFRAME = "django.middleware.clickjacking.XFrameOptionsMiddleware"
LOCALE = "django.middleware.locale.LocaleMiddleware"
ROUTERS = [{"router": "tests.core.test_django_middleware.router", "prefix": "/mw"}]
SECURE = {
    "SECURE_HSTS_SECONDS": 3600,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
}


@pytest.fixture
def routes():
    with override_settings(FASTAPI_ROUTERS=ROUTERS, ROOT_URLCONF="tests.core.test_django_middleware"):
        yield


def both(url: str, django_url: str = "/page", **headers: str):
    """The API's answer and Django's, for the same request."""
    return Client().get(url, headers=headers), DjangoClient().get(django_url, headers=headers)


def test_api_without_django_middleware_has_no_security_headers(routes):
    with override_settings(MIDDLEWARE=[]):
        response = Client().get("/api/mw/language")
    assert "X-Content-Type-Options" not in response.headers
    assert "X-Frame-Options" not in response.headers


def test_security_middleware_headers_on_api_response_as_on_django_page(routes):
    with override_settings(MIDDLEWARE=[SECURITY], **SECURE):
        api, django = both("/api/mw/language", **{"X-Forwarded-Proto": "https"})
    for name in ("X-Content-Type-Options", "Strict-Transport-Security", "Referrer-Policy",
                 "Cross-Origin-Opener-Policy"):
        assert api.headers[name] == django.headers[name], name
    assert api.headers["Strict-Transport-Security"] == "max-age=3600; includeSubDomains; preload"
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_security_middleware_no_hsts_over_plain_http(routes):
    """Django sends HSTS only over HTTPS; so does the API."""
    with override_settings(MIDDLEWARE=[SECURITY], **SECURE):
        api, django = both("/api/mw/language")
    assert "Strict-Transport-Security" not in api.headers
    assert "Strict-Transport-Security" not in django.headers


def test_ssl_redirect_redirects_api_request_as_django_does(routes):
    with override_settings(MIDDLEWARE=[SECURITY], SECURE_SSL_REDIRECT=True, SECURE_SSL_HOST="secure.example"):
        api = Client().get("/api/mw/language?x=1", follow_redirects=False)
        django = DjangoClient().get("/page?x=1")
    assert api.status_code == django.status_code == 301
    assert api.headers["Location"] == "https://secure.example/api/mw/language?x=1"
    assert django.headers["Location"] == "https://secure.example/page?x=1"


def test_ssl_redirect_spares_exempt_paths_and_secure_requests(routes):
    with override_settings(MIDDLEWARE=[SECURITY], SECURE_SSL_REDIRECT=True,
                           SECURE_REDIRECT_EXEMPT=[r"^api/mw/lang"], **SECURE):
        assert Client().get("/api/mw/language", follow_redirects=False).status_code == 200
        forwarded = Client().get("/api/mw/framed", headers={"X-Forwarded-Proto": "https"}, follow_redirects=False)
        assert forwarded.status_code == 200


def test_x_frame_options_on_api_response_as_on_django_page(routes):
    with override_settings(MIDDLEWARE=[XFRAME], X_FRAME_OPTIONS="DENY"):
        api, django = both("/api/mw/language")
    assert api.headers["X-Frame-Options"] == django.headers["X-Frame-Options"] == "DENY"


def test_x_frame_options_set_by_endpoint_is_kept(routes):
    """As XFrameOptionsMiddleware leaves a view's own X-Frame-Options alone."""
    with override_settings(MIDDLEWARE=[XFRAME], X_FRAME_OPTIONS="DENY"):
        response = Client().get("/api/mw/framed")
    assert response.headers.get_list("X-Frame-Options") == ["SAMEORIGIN"]


def test_hsts_follows_each_request_scheme_on_repeated_requests(routes):
    """What Django's middleware added to one response is reused only for the same scheme."""
    https = {"X-Forwarded-Proto": "https"}
    with override_settings(MIDDLEWARE=[SECURITY, XFRAME], **SECURE):
        client = Client()
        seen = [client.get("/api/mw/language", headers=headers).headers.get("Strict-Transport-Security")
                for headers in (https, {}, https, {}, {"X-Forwarded-Proto": "http"})]
    hsts = "max-age=3600; includeSubDomains; preload"
    assert seen == [hsts, None, hsts, None, None]


def test_x_frame_options_follows_each_response_on_repeated_requests(routes):
    with override_settings(MIDDLEWARE=[SECURITY, XFRAME], X_FRAME_OPTIONS="DENY"):
        client = Client()
        seen = [client.get(f"/api/mw/{name}").headers.get_list("X-Frame-Options")
                for name in ("framed", "language", "framed", "language")]
    assert seen == [["SAMEORIGIN"], ["DENY"], ["SAMEORIGIN"], ["DENY"]]


def test_repeated_api_responses_get_the_headers_of_a_django_page(routes):
    with override_settings(MIDDLEWARE=[SECURITY, XFRAME], **SECURE):
        for _ in range(3):
            api, django = both("/api/mw/language", **{"X-Forwarded-Proto": "https"})
            for name in ("X-Content-Type-Options", "Strict-Transport-Security", "Referrer-Policy",
                         "Cross-Origin-Opener-Policy", "X-Frame-Options"):
                assert api.headers[name] == django.headers[name], name


class ChangingXFrameOptions(XFrameOptionsMiddleware):
    """A subclass may change what is there already: it runs for every response."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        response["X-Frame-Options"] = request.headers.get("X-Wanted-Frame", "DENY")
        return response


def test_subclass_of_django_middleware_runs_for_every_response(routes):
    changing = "tests.core.test_django_middleware.ChangingXFrameOptions"
    with override_settings(MIDDLEWARE=[changing]):
        client = Client()
        seen = [client.get("/api/mw/framed", headers={"X-Wanted-Frame": value}).headers["X-Frame-Options"]
                for value in ("SAMEORIGIN", "DENY")]
    assert seen == ["SAMEORIGIN", "DENY"]


def test_locale_middleware_activates_accept_language_in_endpoint(routes):
    with override_settings(MIDDLEWARE=[LOCALE], LANGUAGES=[("en", "English"), ("fr", "French")], LANGUAGE_CODE="en"):
        api, django = both("/api/mw/language", **{"Accept-Language": "fr"})
    assert api.json() == django.json() == {"language": "fr"}
    assert api.headers["Content-Language"] == django.headers["Content-Language"] == "fr"
    assert "Accept-Language" in api.headers["Vary"]


def test_locale_middleware_reads_language_cookie(routes):
    with override_settings(MIDDLEWARE=[LOCALE], LANGUAGES=[("en", "English"), ("fr", "French")], LANGUAGE_CODE="en"):
        response = Client(cookies={"django_language": "fr"}).get("/api/mw/language")
    assert response.json() == {"language": "fr"}


def test_without_locale_middleware_endpoint_has_default_language(routes):
    with override_settings(MIDDLEWARE=[], LANGUAGES=[("en", "English"), ("fr", "French")], LANGUAGE_CODE="en"):
        response = Client().get("/api/mw/language", headers={"Accept-Language": "fr"})
    assert response.json() == {"language": "en"}
    assert "Content-Language" not in response.headers


def test_opt_in_django_middleware_runs_around_api_request(routes):
    with override_settings(FASTAPI_DJANGO_MIDDLEWARE=["tests.core.test_django_middleware.TenantMiddleware"]):
        response = Client().get("/api/mw/tenant", headers={"X-Tenant": "acme"})
    assert response.json() == {"tenant": "acme"}
    assert response.headers["X-Tenant"] == "acme"


def test_opt_in_django_middleware_process_request_response_answers(routes):
    with override_settings(FASTAPI_DJANGO_MIDDLEWARE=["tests.core.test_django_middleware.TenantMiddleware"],
                           MIDDLEWARE=[SECURITY]):
        response = Client().get("/api/mw/tenant", headers={"X-Tenant": "unknown"})
    assert response.status_code == 404
    assert response.text == "No such tenant"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the outer middleware saw it


def test_opt_in_middleware_without_hooks_is_refused(routes):
    from django.core.exceptions import ImproperlyConfigured

    with override_settings(FASTAPI_DJANGO_MIDDLEWARE=["tests.core.test_django_middleware.django_view"]):
        with pytest.raises(ImproperlyConfigured, match="neither process_request nor process_response"):
            Client().get("/api/mw/tenant")


def test_check_w011_lists_middleware_not_run_for_api_with_reason():
    from django.core import checks

    middleware = [SECURITY, "django.contrib.sessions.middleware.SessionMiddleware",
                  "django.middleware.common.CommonMiddleware", "tests.core.test_django_middleware.TenantMiddleware",
                  XFRAME]
    with override_settings(MIDDLEWARE=middleware):
        messages = [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "django_fastapi.W011"]
    assert [m.obj for m in messages] == ["django.middleware.common.CommonMiddleware",
                                         "tests.core.test_django_middleware.TenantMiddleware"]
    assert "APPEND_SLASH" in messages[0].msg
    assert "FASTAPI_DJANGO_MIDDLEWARE" in messages[1].hint


def test_check_w011_silent_for_opted_in_middleware():
    from django.core import checks

    tenant = "tests.core.test_django_middleware.TenantMiddleware"
    with override_settings(MIDDLEWARE=[tenant], FASTAPI_DJANGO_MIDDLEWARE=[tenant]):
        messages = [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "django_fastapi.W011"]
    assert messages == []


def test_check_w011_not_run_without_deploy():
    from django.core import checks

    with override_settings(MIDDLEWARE=["django.middleware.common.CommonMiddleware"]):
        assert not [m for m in checks.run_checks() if m.id == "django_fastapi.W011"]


def test_security_headers_on_bad_host_answer(routes):
    """The bridge's own 400 for a Host outside ALLOWED_HOSTS, given before any lane, carries them
    too, as Django's 400 page does."""
    with override_settings(MIDDLEWARE=[SECURITY, XFRAME], ALLOWED_HOSTS=["testserver"]):
        response = Client().get("/api/mw/language", headers={"Host": "evil.test"})
    assert response.status_code == 400
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_security_headers_on_cors_preflight_answer(routes):
    cors = {"FASTAPI_CORS_ENABLED": True, "FASTAPI_CORS_ALLOW_ORIGINS": ["https://app.example"]}
    with override_settings(MIDDLEWARE=[SECURITY, XFRAME], **cors):
        response = Client().options("/api/mw/language", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
