"""Every use of FastAPI's undocumented internals, in one place.

- ``fastapi.routing.iter_route_contexts`` (FastAPI >= 0.137): the routes under included routers,
  which FastAPI no longer copies into ``routes``;
- ``APIRouter._get_routes_version``: whether routes were added since a document was cached;
- ``scope["fastapi"]["effective_route_context"]``: the inclusion an included route is served by;
- a route's ``dependant`` tree (``Dependant.dependencies``, ``.query_params``, ``.body_params``,
  ``.call``, ``.request_param_name``, ``.background_tasks_param_name``), and ``params.File`` as the ``field_info`` of every file parameter (``UploadFile`` too);
- ``params.Depends`` being a dataclass, copied with ``dataclasses.replace``.

``tests/core/test_compat.py`` fails naming the installed FastAPI version if any of these change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from fastapi import params
from starlette.types import Scope

from .compat_starlette import scope_route


def route_contexts(routes: list[Any]) -> list[tuple[Any, Any]]:
    """(original route, effective route) pairs, looking inside included routers.

    The effective route has the route's attributes (``path``, ``endpoint``, ``methods``...) as
    the inclusion changed them; ``fastapi.openapi.utils.get_openapi`` takes it as a route.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI < 0.137 copies included routes into ``routes``.
        return [(route, route) for route in routes]
    return [(context.original_route, context) for context in iter_route_contexts(routes)]


def routes_version(app: Any) -> int:
    """A number that changes whenever routes are added to ``app`` (or to a router it includes)."""
    return getattr(app.router, "_get_routes_version", lambda: len(app.routes))()


def serving_route(scope: Scope) -> Any:
    """The route serving ``scope``, with the dependencies its inclusion added, or None outside a
    route. It has a ``dependant`` (see ``query_parameters`` and ``dependency_calls``)."""
    route = scope_route(scope)
    # FastAPI >= 0.137 serves an included route from the router's own APIRoute and keeps what the
    # inclusion added (include_router(dependencies=...)) on a per-inclusion context beside it.
    context = scope.get("fastapi", {}).get("effective_route_context")
    if getattr(context, "original_route", None) is route and getattr(context, "dependant", None):
        return context
    return route if getattr(route, "dependant", None) is not None else None


def _dependants(route: Any) -> Iterator[Any]:
    """The route's dependant and every sub-dependant under it (none for a route without one)."""
    pending = [getattr(route, "dependant", None)]
    while pending:
        current = pending.pop()
        if current is None:
            continue
        yield current
        pending.extend(getattr(current, "dependencies", []))


def dependency_chains(route: Any) -> Iterator[tuple[Any, ...]]:
    """For every dependency under the route, the callables from the route's first dependency
    down to it (a dependency reached twice gives two chains)."""
    pending: list[tuple[Any, tuple[Any, ...]]] = [(getattr(route, "dependant", None), ())]
    while pending:
        current, chain = pending.pop()
        for sub in getattr(current, "dependencies", []) if current is not None else []:
            sub_chain = (*chain, sub.call)
            yield sub_chain
            pending.append((sub, sub_chain))


def query_parameters(route: Any) -> list[tuple[str, Any]]:
    """(alias, annotation) of every query parameter the route and its dependencies declare."""
    return [
        (field.alias, field.field_info.annotation)
        for dependant in _dependants(route)
        for field in dependant.query_params
    ]


def declares_files(route: Any) -> bool:
    """Whether the route or one of its dependencies takes a file (``File()``, ``UploadFile``)."""
    return any(
        isinstance(field.field_info, params.File)
        for dependant in _dependants(route)
        for field in dependant.body_params
    )


def reads_form(route: Any) -> bool:
    """Whether FastAPI parses the body as a form for the route (a ``Form()`` or file parameter)."""
    return any(
        isinstance(field.field_info, params.Form)
        for dependant in _dependants(route)
        for field in dependant.body_params
    )


def reads_body(route: Any) -> bool:
    """Whether FastAPI reads (and parses) the request body for the route before calling it."""
    return any(dependant.body_params for dependant in _dependants(route))


def http_only_needs(route: Any) -> list[tuple[Any, list[str]]]:
    """(callable, what it needs) for the route's endpoint and each dependency that needs an HTTP
    request, which a websocket route cannot give: a ``Request`` parameter, a body, ``BackgroundTasks``."""
    found = []
    for dependant in _dependants(route):
        needs = []
        if dependant.request_param_name:
            needs.append("a Request")
        if dependant.body_params:
            needs.append("a request body")
        if dependant.background_tasks_param_name:
            needs.append("BackgroundTasks")
        if needs:
            found.append((dependant.call, needs))
    return found


def dependency_calls(route: Any) -> list[Any]:
    """The callables of every dependency under the route, at any depth (not its endpoint)."""
    return [sub.call for dependant in _dependants(route) for sub in getattr(dependant, "dependencies", [])]


def depends_on(depends: Any, dependency: Any) -> Any:
    """A copy of ``depends`` (a ``Depends(...)``/``Security(...)``) for another callable, its other
    options (``use_cache``, ``scope``, ``scopes``...) kept: ``params.Depends`` is a frozen dataclass,
    and FastAPI itself copies it with ``dataclasses.replace``."""
    return dataclasses.replace(depends, dependency=dependency)
