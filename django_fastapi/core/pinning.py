"""Run the sync endpoints and sync dependencies of mounted routers on the request's lane.

FastAPI runs sync callables on anyio's thread pool, where their Django database connections
cannot be managed (see ``lanes.py``). ``pin_router`` replaces every sync endpoint and dependency
of a router with an ``async`` twin that awaits the original through asgiref's thread-sensitive
``sync_to_async``, so it runs on the thread of the request's lane (or, under the bridge's test
client, on the test's own thread, inside the test's transaction). Signatures, names and docstrings
are kept, so FastAPI sees the same parameters, OpenAPI operations and dependency caching.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction
from fastapi import APIRouter, params
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.security.base import SecurityBase

from .calls import (
    background_on_lane,
    iterate_on_lane,
    pin_sync,
    pin_sync_generator,
    to_the_end_on_lane,
)
from .compat_django import non_atomic_request_aliases
from .compat_fastapi import depends_on, route_contexts
from .signatures import dress, map_dependencies, signature_of
from .transactions import atomic_request_aliases, atomic_requests, enter_atomic, exit_atomic

ORIGINAL = "__django_fastapi_original__"
_pinned: dict[Any, Callable[..., Any]] = {}


def original(call: Callable[..., Any]) -> Callable[..., Any]:
    """The user's callable behind a pinned one."""
    return getattr(call, ORIGINAL, call)


def _pin_depends(depends: params.Depends, annotation: Any) -> params.Depends:
    dependency = depends.dependency if depends.dependency is not None else annotation
    pinned = pin(dependency)
    if pinned is depends.dependency:
        return depends
    return depends_on(depends, pinned)


def _pinned_signature(call: Callable[..., Any]) -> tuple[inspect.Signature, bool]:
    return map_dependencies(signature_of(call), _pin_depends)


def _dress(wrapper: Any, call: Callable[..., Any], signature: inspect.Signature) -> Callable[..., Any]:
    dress(wrapper, signature, like=call)
    setattr(wrapper, ORIGINAL, call)
    return wrapper


def _delegate(call: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isasyncgenfunction(call) or inspect.isasyncgenfunction(getattr(call, "__call__", None)):

        async def dependency_generator(*args: Any, **kwargs: Any) -> Any:
            async for item in call(*args, **kwargs):
                yield item

        return dependency_generator

    async def dependency(*args: Any, **kwargs: Any) -> Any:
        return await call(*args, **kwargs)

    return dependency


def _is_async(call: Any) -> bool:  # a function, a partial, or an instance with __call__
    if inspect.isclass(call):
        return False
    target = call if inspect.isroutine(call) or isinstance(call, functools.partial) else call.__call__
    while isinstance(target, functools.partial):
        target = target.func
    return iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def _is_sync_generator(call: Callable[..., Any]) -> bool:
    if inspect.isclass(call):
        return False
    return inspect.isgeneratorfunction(call) or inspect.isgeneratorfunction(
        getattr(call, "__call__", None)
    )


def pin(call: Any) -> Any:
    """The callable FastAPI should use for ``call``: itself when nothing under it is sync."""
    if call is None or isinstance(call, SecurityBase) or hasattr(call, ORIGINAL):
        return call
    try:
        return _pinned[call]
    except (KeyError, TypeError):
        pass
    signature, changed = _pinned_signature(call)
    if _is_async(call):
        pinned = _dress(_delegate(call), call, signature) if changed else call
    elif _is_sync_generator(call):
        pinned = _dress(pin_sync_generator(call), call, signature)
    else:
        pinned = _dress(pin_sync(call), call, signature)
    try:
        _pinned[call] = pinned
    except TypeError:
        pass
    return pinned


def pin_endpoint(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``pin``, and wraps the endpoint in a transaction per database with ATOMIC_REQUESTS."""
    if hasattr(endpoint, ORIGINAL):
        return endpoint
    signature, changed = _pinned_signature(endpoint)
    if _is_sync_generator(endpoint):
        return _dress(iterate_on_lane(endpoint), endpoint, signature)
    if inspect.isasyncgenfunction(endpoint):
        # FastAPI iterates streaming endpoints itself; only their dependencies move.
        return _dress(_delegate(endpoint), endpoint, signature) if changed else endpoint
    opted_out = non_atomic_request_aliases(endpoint)
    if not _is_async(endpoint):

        def run_in_transactions(*args: Any, **kwargs: Any) -> Any:
            with atomic_requests(atomic_request_aliases(opted_out)):
                return endpoint(*args, **kwargs)

        return _dress(pin_sync(run_in_transactions), endpoint, signature)

    async def run_endpoint(*args: Any, **kwargs: Any) -> Any:
        aliases = atomic_request_aliases(opted_out)
        if not aliases:
            result = await endpoint(*args, **kwargs)
            background_on_lane(result, *kwargs.values())
            return result
        # The lane keeps one thread, hence one connection, for the request, so a transaction
        # may span the async ORM's separate calls.
        blocks = await to_the_end_on_lane(enter_atomic, aliases)
        try:
            result = await endpoint(*args, **kwargs)
        except BaseException as exc:
            await to_the_end_on_lane(exit_atomic, blocks, exc)
            raise
        await to_the_end_on_lane(exit_atomic, blocks, None)
        background_on_lane(result, *kwargs.values())
        return result

    return _dress(run_endpoint, endpoint, signature)


class PinnedAPIRoute(APIRoute):
    """Pins routes added to a router directly, e.g. ``app.get(...)`` in FASTAPI_CONFIGURE_APP."""

    def __init__(self, path: str, endpoint: Callable[..., Any], *, dependencies: Any = None, **kwargs: Any):
        dependencies = [_pin_depends(d, None) for d in dependencies or ()]
        super().__init__(path, pin_endpoint(endpoint), dependencies=dependencies, **kwargs)


def pin_router(router: APIRouter) -> None:
    """Pin, in place, the endpoints and dependencies of every route under ``router``."""
    router.dependencies = [_pin_depends(d, None) for d in router.dependencies]
    for route in api_routes(router.routes):
        route.dependencies = [_pin_depends(d, None) for d in route.dependencies]
        route.endpoint = pin_endpoint(route.endpoint) if isinstance(route, APIRoute) else pin(route.endpoint)


def api_routes(routes: list[Any]) -> list[APIRoute | APIWebSocketRoute]:
    """The API routes under ``routes``, looking inside included routers."""
    candidates = [original_route for original_route, _ in route_contexts(routes)]
    return [route for route in candidates if isinstance(route, (APIRoute, APIWebSocketRoute))]
