"""What FilterSet, SearchFilter and OrderingFilter share: model field paths and query parameters.

A strict ``FilterSet`` (the default) answers a query parameter that no dependency of the route
declares with a 422 listing the ones it does, which ``declared_query_params(scope)`` returns:

    GET /books?titel=Dune  ->  422 {"detail": [{"type": "unknown_filter", "loc": ["query", "titel"],
        "msg": "Unknown query parameter 'titel'; allowed: ordering, page, search, title.
        Did you mean 'title'?", "input": "Dune"}]}
"""

from __future__ import annotations

import difflib
import inspect
import weakref
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from ..core import signatures
from ..core.compat_fastapi import query_parameters, serving_route
from .field_types import related_model


def split_commas(values: Any) -> Any:
    if not isinstance(values, list):
        return values
    return [part.strip() for value in values for part in str(value).split(",") if part.strip()]


def keyword_parameter(argument: str, annotation: Any) -> inspect.Parameter:
    """An optional keyword-only parameter (default None): a filter, ordering or search parameter."""
    return signatures.keyword_parameter(argument, annotation, None)


@dataclass(frozen=True)
class FieldPath:
    """A field path resolved through ``_meta``: its last field, and whether it crosses a to-many."""

    text: str
    field: Any
    to_many: bool


def resolve_path(model: type[models.Model], path: str, owner: str) -> FieldPath:
    opts, field, to_many = model._meta, None, False
    for part in path.split(LOOKUP_SEP):
        if field is not None:
            if not field.is_relation or field.related_model is None:
                raise ImproperlyConfigured(
                    f"{owner}: {path!r} is not a field path of {model._meta.label}: "
                    f"{field.name!r} is not a relation, so nothing follows it."
                )
            opts = related_model(field)._meta
        try:
            field = opts.pk if part == "pk" else opts.get_field(part)
        except FieldDoesNotExist:
            names = ", ".join(sorted(f.name for f in opts.get_fields()))
            raise ImproperlyConfigured(
                f"{owner}: {path!r} is not a field path of {model._meta.label}: {opts.label} "
                f"has no field {part!r}. Its fields: {names}."
            ) from None
        to_many = to_many or bool(field.many_to_many or field.one_to_many)
    return FieldPath(path, field, to_many)


def filter_by_key(queryset: models.QuerySet, conditions: Sequence[models.Q]) -> models.QuerySet:
    """``queryset`` narrowed to rows matching all ``conditions`` through a to-many, each row once.

    A subquery on the key rather than a join and ``distinct()``: the outer query keeps one row per
    object, so its annotations (a join would multiply a Count) and its paging count stay right, and
    no DISTINCT is needed, which an ordering by a related field would defeat (Django adds the
    ordering's columns to the SELECT DISTINCT).
    """
    inner = queryset.model._base_manager.all()
    for condition in conditions:
        inner = inner.filter(condition)
    return queryset.filter(pk__in=inner.values("pk"))


def model_class(model: Any, owner: str) -> type[models.Model]:
    if not (isinstance(model, type) and issubclass(model, models.Model)):
        raise ImproperlyConfigured(f"{owner} needs a model class such as Book; got {model!r}.")
    return model


def check_queryset(owner: str, model: type[models.Model], queryset: models.QuerySet) -> None:
    if not issubclass(queryset.model, model):
        raise ImproperlyConfigured(
            f"{owner} was declared for {model._meta.label} and cannot apply to a queryset of "
            f"{queryset.model._meta.label}. Declare one for that model."
        )


# Strict filtering: the query parameters a route declares, through all of its dependencies.

_route_params: dict[int, tuple[weakref.ref, frozenset[str]]] = {}


def _query_names(route: Any) -> frozenset[str]:
    names = set()
    for alias, annotation in query_parameters(route):
        model = next(
            (arg for arg in (annotation, *get_args(annotation))
             if isinstance(arg, type) and issubclass(arg, BaseModel)),
            None,
        )
        if model is None:
            names.add(alias)
        else:
            names.update(info.alias or name for name, info in model.model_fields.items())
    return frozenset(names)


def declared_query_params(scope: MutableMapping[str, Any]) -> frozenset[str] | None:
    """Every query parameter the route serving ``scope`` declares, or None outside a route."""
    route = serving_route(scope)
    if route is None:
        return None
    key = id(route)
    cached = _route_params.get(key)
    if cached is not None and cached[0]() is route:
        return cached[1]
    names = _query_names(route)
    _route_params[key] = (weakref.ref(route, lambda _ref: _route_params.pop(key, None)), names)
    return names


def reject_unknown(request: Request) -> None:
    allowed = declared_query_params(request.scope)
    if allowed is None:
        return
    unknown = [name for name in request.query_params if name not in allowed]
    if not unknown:
        return
    listing = ", ".join(sorted(allowed))
    errors = []
    for name in unknown:
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        errors.append({
            "type": "unknown_filter",
            "loc": ["query", name],
            "msg": f"Unknown query parameter {name!r}; allowed: {listing}.{hint}",
            "input": request.query_params[name],
        })
    if errors:
        raise RequestValidationError(errors)
