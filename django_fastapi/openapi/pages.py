"""The schema, Swagger UI and ReDoc pages of each OpenAPI document, guarded and offline.

Swagger UI and ReDoc are served by the app itself, under ``<API prefix>/docs-assets/``, from the
``drf_spectacular_sidecar`` package (a dependency; it need not be in ``INSTALLED_APPS``) and this
package's own ``swagger-ui-init.js``: the pages work offline, with or without ``DEBUG``, without
``collectstatic``, with ``"django_fastapi"`` the only line added to ``INSTALLED_APPS``.
``FASTAPI_DOCS_ASSETS = "cdn"`` opts back in to FastAPI's CDN URLs. The local Swagger UI page has
no inline script and sends ``Content-Security-Policy: default-src 'self'``.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Callable
from typing import Any, cast

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
    swagger_ui_default_parameters,
)
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.routing import Match
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..conf import api_settings
from ..routing.dispatch import route_path
from ..security.dependencies import current_user, require_perms, staff_user, superuser
from .documents import DEFAULT, Document, documents, openapi_document

ASSETS_PATH = "/docs-assets"
# Where StaticFiles finds them: each package's static/ directory, as staticfiles would.
ASSET_PACKAGES: list[str | tuple[str, str]] = [("drf_spectacular_sidecar", "static"), ("django_fastapi", "static")]
SWAGGER_DIR = "drf_spectacular_sidecar/swagger-ui-dist/"
REDOC_JS = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
SWAGGER_INIT = "django_fastapi/swagger-ui-init.js"
_GUARDS: dict[str, Callable[..., Any]] = {
    "authenticated": current_user,
    "staff": staff_user,
    "superuser": superuser,
}


def guard(access: str) -> list[Any]:
    """The dependencies that let only ``access`` through (none for ``"anonymous"``)."""
    if access == "anonymous":
        return []
    return [Depends(_GUARDS.get(access) or require_perms(access))]


def asset_url(root_path: str, name: str) -> str:
    return f"{root_path}{api_settings.API_PREFIX}{ASSETS_PATH}/{name}"


def swagger_assets(root_path: str) -> dict[str, str]:
    if api_settings.DOCS_ASSETS == "cdn":
        return {}
    return {
        "swagger_js_url": asset_url(root_path, SWAGGER_DIR + "swagger-ui-bundle.js"),
        "swagger_css_url": asset_url(root_path, SWAGGER_DIR + "swagger-ui.css"),
        "swagger_favicon_url": asset_url(root_path, SWAGGER_DIR + "favicon-32x32.png"),
        "swagger_init_url": asset_url(root_path, SWAGGER_INIT),
    }


# The page loads only its own origin's files: no inline script, no CDN, no fonts.
STRICT_CSP = "default-src 'self'; img-src 'self' data:"


def local_swagger_ui_html(
    *,
    openapi_url: str,
    title: str,
    oauth2_redirect_url: str | None,
    init_oauth: dict[str, Any] | None,
    swagger_ui_parameters: dict[str, Any] | None,
    swagger_js_url: str,
    swagger_css_url: str,
    swagger_favicon_url: str,
    swagger_init_url: str,
) -> HTMLResponse:
    """FastAPI's Swagger UI page, with its start-up script moved to a static file."""
    parameters = {**swagger_ui_default_parameters, **(swagger_ui_parameters or {})}
    attributes = {
        "data-openapi-url": openapi_url,
        "data-parameters": json.dumps(parameters),
        "data-oauth2-redirect-url": oauth2_redirect_url or "",
        "data-init-oauth": json.dumps(init_oauth) if init_oauth else "",
    }
    data = " ".join(f'{name}="{html.escape(value)}"' for name, value in attributes.items())
    page = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<link type="text/css" rel="stylesheet" href="{html.escape(swagger_css_url)}">
<link rel="shortcut icon" href="{html.escape(swagger_favicon_url)}">
</head>
<body>
<div id="swagger-ui" {data}></div>
<script src="{html.escape(swagger_js_url)}"></script>
<script src="{html.escape(swagger_init_url)}"></script>
</body>
</html>
"""
    return HTMLResponse(page, headers={"Content-Security-Policy": STRICT_CSP})


def redoc_assets(root_path: str) -> dict[str, Any]:
    if api_settings.DOCS_ASSETS == "cdn":
        return {}
    return {
        "redoc_js_url": asset_url(root_path, REDOC_JS),
        "redoc_favicon_url": asset_url(root_path, SWAGGER_DIR + "favicon-32x32.png"),
        "with_google_fonts": False,
    }


def _with_root_path(app: FastAPI, schema: dict[str, Any], root_path: str) -> dict[str, Any]:
    """As FastAPI's own schema route does: the proxy's root path becomes the first server."""
    if root_path and app.root_path_in_servers:
        if root_path not in {server.get("url") for server in schema.get("servers", [])}:
            schema = {**schema, "servers": [{"url": root_path}, *schema.get("servers", [])]}
    return schema


class DocsRouter(APIRouter):
    """The pages' routes. Included first, so no API route shadows them; their paths are fixed, so
    any other request is turned away by one set lookup, not a match against every page's route."""

    _paths: tuple[int, frozenset[str]] = (0, frozenset())

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self._paths[0] != len(self.routes):
            # Only add_document_routes() adds routes here: APIRoutes, each with a path.
            self._paths = (len(self.routes), frozenset(cast(Any, route).path for route in self.routes))
        if scope["type"] == "http" and route_path(scope) not in self._paths[1]:
            return Match.NONE, {}
        return super().matches(scope)


def add_document_routes(app: FastAPI, router: APIRouter, document: Document) -> None:
    prefix = api_settings.API_PREFIX
    dependencies = guard(document.access)
    title = document.title or (app.title if document.name == DEFAULT else f"{app.title} ({document.name})")

    def add(url: str, endpoint: Callable[..., Any]) -> None:
        router.add_api_route(
            prefix + url, endpoint, methods=["GET", "HEAD"], include_in_schema=False, dependencies=dependencies
        )

    async def schema(request: Request) -> JSONResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        return JSONResponse(_with_root_path(app, openapi_document(app, document), root_path))

    async def swagger_ui(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html if api_settings.DOCS_ASSETS == "cdn" else local_swagger_ui_html
        return page(
            openapi_url=root_path + prefix + document.openapi_url,
            title=f"{title} - Swagger UI",
            oauth2_redirect_url=root_path + prefix + document.oauth2_redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
            **swagger_assets(root_path),
        )

    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        return get_redoc_html(
            openapi_url=root_path + prefix + document.openapi_url, title=f"{title} - ReDoc", **redoc_assets(root_path)
        )

    add(cast(str, document.openapi_url), schema)  # add_docs() passes documents that have one
    if document.docs_url is not None:
        add(document.docs_url, swagger_ui)
        router.add_api_route(
            prefix + document.oauth2_redirect_url, oauth2_redirect, methods=["GET", "HEAD"], include_in_schema=False
        )
    if document.redoc_url is not None:
        add(document.redoc_url, redoc)


def add_docs(app: FastAPI) -> None:
    router = DocsRouter()
    for document in documents():
        if document.enabled and document.openapi_url is not None:
            add_document_routes(app, router, document)
    if router.routes:
        if api_settings.DOCS_ASSETS == "local":
            app.mount(
                api_settings.API_PREFIX + ASSETS_PATH,
                StaticFiles(packages=ASSET_PACKAGES),
                name="django_fastapi_docs_assets",
            )
        app.include_router(router)


def deprecation_value(deprecated: bool | str) -> str:
    """RFC 9745's ``@<timestamp>`` for a date, ``true`` (the draft's form) when no date is given."""
    if deprecated is True:
        return "true"
    day = datetime.date.fromisoformat(str(deprecated))
    return f"@{int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).timestamp())}"


class DeprecationMiddleware:
    """Adds ``Deprecation`` to every response under a deprecated version's prefix."""

    def __init__(self, app: ASGIApp, prefixes: dict[str, str]) -> None:
        self.app = app
        self.prefixes = prefixes  # "/api/v1" -> header value
        self._starts = tuple(prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        value = None
        if scope["type"] == "http" and scope["path"].startswith(self._starts):
            path = scope["path"]
            value = next((v for p, v in self.prefixes.items() if path == p or path.startswith(p + "/")), None)
        if value is None:
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"deprecation", value.encode())]}
            await send(message)

        await self.app(scope, receive, send_with_header)


def deprecated_prefixes() -> dict[str, str]:
    return {
        f"{api_settings.API_PREFIX}/{name}": deprecation_value(options["deprecated"])
        for name, options in api_settings.API_VERSIONS.items()
        if options["deprecated"]
    }
