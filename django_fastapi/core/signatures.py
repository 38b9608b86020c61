"""The one module that builds every signature FastAPI reads.

FastAPI learns a dependency's or an endpoint's parameters from ``inspect.signature``: the bridge's
dependencies (pagination, filter sets, ordering, search, the authentication sources), the ORM
router's generated endpoints and the pinned twins of sync callables (``pinning.py``) give it one
built here, from these few pieces:

- ``request_parameter()``: the ``Request`` FastAPI passes;
- ``connection_parameter()``: the ``Request`` or ``WebSocket`` it passes (``HTTPConnection``);
- ``keyword_parameter(name, annotation, default)``: a keyword-only parameter, e.g. a query
  parameter, a ``Depends(...)`` or ``Security(...)`` sub-dependency, a path or body parameter;
- ``query_parameter(name, annotation, default, **Query options)``: one with ``Query(...)`` metadata;
- ``signature(parameters, return_annotation)``: those, as FastAPI will read them;
- ``signature_of(call)``: a callable's own signature, string annotations resolved;
- ``map_dependencies(signature, replace)``: the same signature with each ``Depends(...)`` (in a
  default or in ``Annotated`` metadata) replaced by ``replace(depends, annotation)``;
- ``dress(wrapper, signature, like=..., name=...)``: a wrapper FastAPI sees as ``like`` (name,
  qualname, module, docstring) with ``signature``; the names show in OpenAPI operation ids and
  ``fastapi_routes``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar, get_args, get_origin

from fastapi import Query, Request, params
from starlette.requests import HTTPConnection

F = TypeVar("F", bound=Callable[..., Any])
EMPTY = inspect.Parameter.empty
KEYWORD_ONLY = inspect.Parameter.KEYWORD_ONLY


def request_parameter(name: str = "request", *, keyword_only: bool = False) -> inspect.Parameter:
    """The request FastAPI passes, as ``name``."""
    kind = KEYWORD_ONLY if keyword_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Parameter(name, kind, annotation=Request)


def connection_parameter(name: str = "request") -> inspect.Parameter:
    """The ``Request`` or ``WebSocket`` FastAPI passes (``HTTPConnection``), as ``name``."""
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=HTTPConnection)


def keyword_parameter(
    name: str, annotation: Any = EMPTY, default: Any = EMPTY
) -> inspect.Parameter:
    """A keyword-only parameter (required when it has no ``default``)."""
    return inspect.Parameter(name, KEYWORD_ONLY, annotation=annotation, default=default)


def query_parameter(name: str, annotation: Any, default: Any, **options: Any) -> inspect.Parameter:
    """A keyword-only query parameter; ``options`` go to ``fastapi.Query``."""
    return keyword_parameter(name, Annotated[annotation, Query(**options)], default)


def signature(
    parameters: Iterable[inspect.Parameter], return_annotation: Any = EMPTY
) -> inspect.Signature:
    return inspect.Signature(list(parameters), return_annotation=return_annotation)


def signature_of(call: Callable[..., Any]) -> inspect.Signature:
    """``call``'s signature with string annotations evaluated, as FastAPI resolves them."""
    return inspect.signature(call, eval_str=True)


def _mapped_parameter(
    parameter: inspect.Parameter, replace: Callable[[params.Depends, Any], params.Depends]
) -> inspect.Parameter:
    annotation, default = parameter.annotation, parameter.default
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        new_metadata = [replace(item, base) if isinstance(item, params.Depends) else item for item in metadata]
        if any(new is not old for new, old in zip(new_metadata, metadata)):
            annotation = Annotated[(base, *new_metadata)]
    if isinstance(default, params.Depends):
        default = replace(default, annotation)
    if annotation is parameter.annotation and default is parameter.default:
        return parameter
    return parameter.replace(annotation=annotation, default=default)


def map_dependencies(
    call_signature: inspect.Signature, replace: Callable[[params.Depends, Any], params.Depends]
) -> tuple[inspect.Signature, bool]:
    """``call_signature`` with every ``Depends`` replaced by ``replace(depends, annotation)``
    (``annotation``: the parameter's type, which a bare ``Depends()`` depends on), and whether
    anything changed (``replace`` returning its argument changes nothing)."""
    old = list(call_signature.parameters.values())
    new = [_mapped_parameter(parameter, replace) for parameter in old]
    changed = any(a is not b for a, b in zip(new, old))
    return (call_signature.replace(parameters=new) if changed else call_signature), changed


def dress(
    wrapper: F, signature: inspect.Signature, *, like: Any = None, name: str | None = None
) -> F:
    """Give ``wrapper`` the signature FastAPI will read and, from ``like``, its name, qualname,
    module and docstring (``name`` sets name and qualname instead)."""
    if like is not None:
        like_name = getattr(like, "__name__", type(like).__name__)
        wrapper.__name__ = like_name
        wrapper.__qualname__ = getattr(like, "__qualname__", like_name)
        wrapper.__module__ = getattr(like, "__module__", wrapper.__module__)
        wrapper.__doc__ = getattr(like, "__doc__", None)
    if name is not None:
        wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    return wrapper
