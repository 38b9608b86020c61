"""The OpenAPI documents: one per audience and per API version, with stable operation ids.

A route's audience comes from ``@audience(...)`` on its endpoint, else from its app
(``AppConfig.fastapi_audience`` or a ``FASTAPI_ROUTERS`` entry's ``"audience"``)::

    @router.get("/stats")
    @audience("internal")             # below the route decorator
    def stats() -> dict: ...

The default document holds the unversioned routes without an audience; an audience's document
holds its routes of every version; a version's document holds that version's routes without one.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from ..conf import api_settings
from ..core.compat_fastapi import dependency_chains, route_contexts, routes_version
from ..core.pinning import original
from ..routing.discovery import Mount
from ..security.dependencies import optional_user
from ..security.sources import authenticate

AUDIENCE = "__django_fastapi_audience__"
DEFAULT = "default"


def audience(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Put the decorated endpoint in the document of audience ``name`` only."""

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        setattr(endpoint, AUDIENCE, name)
        return endpoint

    return mark


def owner_of(item: Mount) -> str:
    """The operation id prefix of a mount's routes: its app label, else its module's name."""
    return item.app_label or item.source.rsplit(".", 2)[-2]


def operation_id_function(owner: str) -> Callable[[APIRoute], str]:
    """``<owner>_<endpoint name>``, plus ``_<method>`` for a route answering several methods."""

    def unique_id(route: APIRoute) -> str:
        methods = sorted(route.methods or ())
        suffix = f"_{methods[0].lower()}" if len(methods) > 1 else ""
        return re.sub(r"\W", "_", f"{owner}_{route.name}{suffix}")

    return unique_id


@dataclass(frozen=True)
class Document:
    """One OpenAPI document and its pages; URLs are beneath ``FASTAPI_API_PREFIX``."""

    name: str  # "default", an audience, or a version
    audience: str | None
    version: str | None
    title: str | None
    description: str | None
    openapi_url: str | None
    docs_url: str | None
    redoc_url: str | None
    access: str
    enabled: bool
    deprecated: bool | str = False

    @property
    def oauth2_redirect_url(self) -> str:
        return (self.docs_url or "/docs") + "/oauth2-redirect"


def documents() -> list[Document]:
    """The default document, then each of ``FASTAPI_AUDIENCES``, then each of ``FASTAPI_API_VERSIONS``."""
    found = [
        Document(
            DEFAULT, None, None, None, None, api_settings.OPENAPI_URL, api_settings.DOCS_URL,
            api_settings.REDOC_URL, api_settings.DOCS_ACCESS, True,
        )
    ]
    for name, options in api_settings.AUDIENCES.items():
        found.append(Document(name, name, None, **options))
    for name, options in api_settings.API_VERSIONS.items():
        found.append(Document(name, None, name, **options))
    return found


def document_named(name: str) -> Document:
    for document in documents():
        if document.name == name:
            return document
    raise LookupError(name)


def _state_dict(app: FastAPI, name: str) -> dict[Any, Any]:
    """The dict stored as ``app.state.<name>``, created empty the first time."""
    value = getattr(app.state, name, None)
    if value is None:
        value = {}
        setattr(app.state, name, value)
    return value


def record_placements(app: FastAPI, item: Mount, version: str | None, routes: list[Any]) -> None:
    """Remember which mount and version the newly included ``routes`` came from."""
    placements = _state_dict(app, "django_fastapi_placements")
    for original_route, context in route_contexts(routes):
        placements[(id(original_route), getattr(context, "path", None))] = (item.audience, version)


def placement(app: FastAPI, original_route: Any, path: str | None) -> tuple[str | None, str | None]:
    """(audience, version) of an effective route; routes the bridge did not mount are default."""
    placements = getattr(app.state, "django_fastapi_placements", {})
    route_audience, version = placements.get((id(original_route), path), (None, None))
    endpoint = getattr(original_route, "endpoint", None)
    marked = getattr(original(endpoint), AUDIENCE, None) if endpoint is not None else None
    return marked or route_audience, version


def routes_for(app: FastAPI, document: Document) -> list[Any]:
    selected = []
    for original_route, context in route_contexts(app.routes):
        route_audience, version = placement(app, original_route, getattr(context, "path", None))
        if document.audience is not None:
            keep = route_audience == document.audience
        else:
            keep = route_audience in (None, DEFAULT) and version == document.version
        if keep:
            selected.append(context)
    return selected


def build_document(app: FastAPI, document: Document) -> dict[str, Any]:
    """The OpenAPI schema of ``document``: only its routes, and only the components they use."""
    title = document.title or (app.title if document.name == DEFAULT else f"{app.title} ({document.name})")
    routes = routes_for(app, document)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Duplicate Operation ID")  # reported by check E007
        schema = get_openapi(
            title=title,
            version=app.version,
            openapi_version=app.openapi_version,
            summary=app.summary,
            description=document.description if document.description is not None else app.description,
            routes=routes,
            tags=app.openapi_tags,
            servers=app.servers,
            terms_of_service=app.terms_of_service,
            contact=app.contact,
            license_info=app.license_info,
            separate_input_output_schemas=app.separate_input_output_schemas,
            webhooks=app.webhooks.routes if document.name == DEFAULT else None,
            external_docs=getattr(app, "openapi_external_docs", None),
        )
    mark_optional_security(schema, routes)
    return schema


def optionally_authenticated(route: Any) -> bool:
    """Whether the route authenticates only through ``OptionalUser``: anonymous calls succeed."""
    chains = [chain for chain in dependency_chains(route) if chain[-1] is authenticate]
    return bool(chains) and all(optional_user in chain for chain in chains)


def mark_optional_security(schema: dict[str, Any], routes: list[Any]) -> None:
    """Give operations whose authentication is optional an empty alternative (``{}``) in their
    ``security``, as OpenAPI spells "no credentials also work": no lock in Swagger UI, no token
    demanded by generated clients."""
    for route in routes:
        path_format = getattr(route, "path_format", None)
        if path_format is None or not optionally_authenticated(route):
            continue
        for method in getattr(route, "methods", None) or ():
            operation = schema.get("paths", {}).get(path_format, {}).get(method.lower())
            if operation is not None and operation.get("security") and {} not in operation["security"]:
                operation["security"].append({})


def openapi_document(app: FastAPI, document: Document) -> dict[str, Any]:
    """``build_document``, cached on the app (the routes do not change once it is built)."""
    if document.name == DEFAULT:
        return app.openapi()
    cache = _state_dict(app, "django_fastapi_documents")
    key = (document, routes_version(app))
    if key not in cache:
        cache[key] = build_document(app, document)
    return cache[key]


def duplicate_operation_ids(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(document name, operation id, ["GET /path", ...]) for each id used twice in one document."""
    duplicates: list[tuple[str, str, list[str]]] = []
    for document in documents():
        seen: dict[str, list[str]] = {}
        for path, operations in build_document(app, document).get("paths", {}).items():
            for method, operation in operations.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    seen.setdefault(operation["operationId"], []).append(f"{method.upper()} {path}")
        duplicates.extend((document.name, op, where) for op, where in seen.items() if len(where) > 1)
    return duplicates


def undeclared_placements(app: FastAPI) -> list[tuple[str, str, str]]:
    """("audience" or "version", name, route path) for names missing from the settings."""
    audiences, versions = set(api_settings.AUDIENCES) | {DEFAULT}, set(api_settings.API_VERSIONS)
    missing = []
    for original_route, context in route_contexts(app.routes):
        path = getattr(context, "path", None)
        route_audience, version = placement(app, original_route, path)
        if route_audience is not None and route_audience not in audiences:
            missing.append(("audience", route_audience, path or ""))
        if version is not None and version not in versions:
            missing.append(("version", version, path or ""))
    return missing
