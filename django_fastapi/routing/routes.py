"""The route table of the application: what ``fastapi_routes`` prints and checks inspect."""

from __future__ import annotations

import inspect
import re
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import FastAPI
from starlette.routing import Mount as StarletteMount

from ..conf import api_settings
from ..core.compat_fastapi import route_contexts
from ..core.pinning import original
from .discovery import Mount, discover


@dataclass(frozen=True)
class RouteInfo:
    methods: list[str]
    path: str
    name: str
    endpoint: str
    app: str | None
    is_async: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _dotted(call: Any) -> str:
    if call is None:
        return ""
    target = original(call)
    module = getattr(target, "__module__", None) or type(target).__module__
    qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
    return f"{module}.{qualname}"


def _is_async(call: Any) -> bool:
    target: Any = original(call)  # a function, a class, or an instance with __call__
    if not inspect.isroutine(target) and not inspect.isclass(target) and callable(target):
        target = target.__call__
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def _methods(route: Any, original_route: Any) -> list[str]:
    methods = getattr(route, "methods", None)
    if methods:
        return sorted(methods)
    if type(original_route).__name__.endswith("WebSocketRoute"):
        return ["WEBSOCKET"]
    if isinstance(original_route, StarletteMount):
        return ["GET", "HEAD"]  # the static files the docs pages load, the only mount the bridge adds
    return []


def _labels_by_route(mounts: list[Mount]) -> dict[int, str | None]:
    labels = {}
    for item in mounts:
        for original_route, _ in route_contexts(item.router.routes):
            labels[id(original_route)] = item.app_label
    return labels


def route_table(app: FastAPI) -> list[RouteInfo]:
    """Every route of ``app`` in matching order, with the app that contributed it."""
    labels = _labels_by_route(getattr(app.state, "django_fastapi_mounts", []))
    table = []
    for original_route, route in route_contexts(app.routes):
        endpoint = getattr(route, "endpoint", None)
        if endpoint is None and isinstance(original_route, StarletteMount):
            endpoint = type(original_route.app)
        path = getattr(route, "path", "") or ""
        if isinstance(original_route, StarletteMount):
            path += "/{path:path}"
        table.append(
            RouteInfo(
                methods=_methods(route, original_route),
                path=path,
                name=getattr(route, "name", "") or "",
                endpoint=_dotted(endpoint),
                app=labels.get(id(original_route)),
                is_async=_is_async(endpoint) if endpoint is not None else False,
            )
        )
    return table


def filter_routes(table: list[RouteInfo], app: str | None = None, method: str | None = None) -> list[RouteInfo]:
    if app is not None:
        table = [route for route in table if route.app == app]
    if method is not None:
        table = [route for route in table if method.upper() in route.methods]
    return table


def route_conflicts(mounts: list[Mount] | None = None) -> list[tuple[str, str, str, str]]:
    """(method, path, first endpoint, shadowed endpoint) for each method and path declared twice."""
    seen: dict[tuple[str, str], str] = {}
    conflicts = []
    for item in discover() if mounts is None else mounts:
        bases = [api_settings.API_PREFIX + (f"/{v}" if v else "") + item.prefix for v in item.versions or (None,)]
        for base, (original_route, route) in ((base, pair) for base in bases for pair in route_contexts(item.router.routes)):
            path = base + (getattr(route, "path", "") or "")
            pattern = re.sub(r"\{[^}:]+", "{", path)
            endpoint = _dotted(getattr(route, "endpoint", None))
            for method in _methods(route, original_route):
                key = (method, pattern)
                if key in seen and seen[key] != endpoint:
                    conflicts.append((method, path, seen[key], endpoint))
                seen.setdefault(key, endpoint)
    return conflicts


def format_table(table: list[RouteInfo]) -> str:
    headers = ("METHODS", "PATH", "NAME", "ENDPOINT", "APP", "SYNC/ASYNC")
    rows = [
        (",".join(r.methods), r.path, r.name, r.endpoint, r.app or "-", "async" if r.is_async else "sync")
        for r in table
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in (headers, *rows)]
    return "\n".join(lines)
