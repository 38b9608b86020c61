"""Filtering of list endpoints: a FastAPI dependency with a query parameter per field and lookup.

    book_filters = FilterSet(Book, {"title": ["icontains"], "pages": ["gte"], "tags": ["in"]})

    @router.get("/books")
    def books(filters: Filters = Depends(book_filters)) -> list[BookOut]:
        return list(filters.apply(Book.objects.all()))

``book_filters`` reads ``?title__icontains=dune``, ``?pages__gte=100`` and ``?tags__in=1,2``, each
typed in OpenAPI; ``apply(queryset)`` returns the narrowed queryset, running no query.
Search and ordering: ``django_fastapi.orm.search`` and ``django_fastapi.orm.ordering``.
"""

from __future__ import annotations

import datetime
import keyword
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast, get_args, get_origin

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils import timezone
from fastapi import Query, Request
from pydantic import AfterValidator, BeforeValidator, Field

from ..core.signatures import request_parameter, signature
from .field_types import python_type
from .query_params import (
    FieldPath,
    check_queryset,
    filter_by_key,
    keyword_parameter,
    model_class,
    reject_unknown,
    resolve_path,
    split_commas,
)

MAX_IN_VALUES = 100

_COMPARISONS = ("exact", "gt", "gte", "lt", "lte")
_TEXT = ("iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith")
LOOKUPS = (*_COMPARISONS, *_TEXT, "in", "range", "isnull")
# What Django accepts on a relation (it compares the target's key).
_RELATED = ("exact", "gt", "gte", "lt", "lte", "in", "isnull")


def _int(low: int, high: int) -> Any:
    return Annotated[int, Field(ge=low, le=high)]


# Bounded so an out-of-range value is a 422, not an OverflowError or "year 0 is out of range" (500).
_INT64 = _int(-(2**63), 2**63 - 1)
_TRANSFORMS: dict[str, Any] = {
    "year": _int(datetime.MINYEAR, datetime.MAXYEAR),
    "iso_year": _int(datetime.MINYEAR, datetime.MAXYEAR),
    "quarter": _int(1, 4),
    "month": _int(1, 12),
    "week": _int(1, 53),
    "week_day": _int(1, 7),
    "iso_week_day": _int(1, 7),
    "day": _int(1, 31),
    "hour": _int(0, 23),
    "minute": _int(0, 59),
    "second": _int(0, 59),
    "date": datetime.date,
    "time": datetime.time,
}
_PHRASES = {
    "exact": "equals", "iexact": "equals, ignoring case", "contains": "contains",
    "icontains": "contains, ignoring case", "startswith": "starts with",
    "istartswith": "starts with, ignoring case", "endswith": "ends with",
    "iendswith": "ends with, ignoring case", "gt": "is greater than", "gte": "is at least",
    "lt": "is less than", "lte": "is at most", "in": "is one of",
    "range": "is between two values, inclusive", "isnull": "is null (true) or not (false)",
}


def _aware(value: datetime.datetime) -> datetime.datetime:
    # Django would do the same, with a RuntimeWarning per query.
    if settings.USE_TZ and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _value_type(field: Any) -> Any:
    if field.is_relation and field.related_model is not None:
        field = field.target_field if field.concrete else field.related_model._meta.pk
    kind = python_type(field)
    if kind is int:
        return _INT64
    if kind is float:
        # "nan" compares unequal to everything (and SQLite stores it as NULL): a silent wrong answer.
        return Annotated[float, Field(allow_inf_nan=False)]
    if kind is datetime.datetime:
        return Annotated[datetime.datetime, AfterValidator(_aware)]
    return kind


def _allowed_lookups(field: Any) -> list[str]:
    if field.is_relation:
        return list(_RELATED)
    found = [name for name in LOOKUPS if field.get_lookup(name) is not None]
    return found + [name for name in _TRANSFORMS if field.get_transform(name) is not None]


def _splits_on_commas(value: Any) -> bool:
    values = get_args(value) if get_origin(value) is Literal else ()
    return value is not str and not any("," in str(choice) for choice in values)


@dataclass(frozen=True)
class _Param:
    """One query parameter of a FilterSet: its name, its Python argument name and ORM lookup."""

    name: str
    argument: str
    orm: str
    to_many: bool
    annotation: Any


def _param(
    model: type[models.Model], path: FieldPath, lookup: str, owner: str, index: int
) -> _Param:
    field, parts, subject = path.field, lookup.split(LOOKUP_SEP), path.text.replace(LOOKUP_SEP, ".")
    value = _value_type(field)
    transform = parts[0] if parts[0] in _TRANSFORMS and not field.is_relation else None
    if transform and field.get_transform(transform) is not None:
        value, subject = _TRANSFORMS[transform], f"{transform} of {subject}"
        parts = parts[1:] or ["exact"]
        supported = parts[0] in (*_COMPARISONS, "in", "range")
    elif field.is_relation:
        supported = parts[0] in _RELATED
    else:
        supported = parts[0] in LOOKUPS and field.get_lookup(parts[0]) is not None
    if len(parts) != 1 or not supported:
        raise ImproperlyConfigured(
            f"{owner}: lookup {lookup!r} is not supported on {model._meta.label}.{path.text} "
            f"({type(field).__name__}). Allowed lookups: {', '.join(_allowed_lookups(field))}; "
            "a date part such as 'year' may be followed by a comparison, as in 'year__gte'."
        )
    name = path.text if lookup == "exact" else f"{path.text}{LOOKUP_SEP}{lookup}"
    final, description = parts[0], f"{subject} {_PHRASES[parts[0]]}"
    metadata: list[Any] = []
    if final in _TEXT:
        value = str
    elif final == "isnull":
        value = bool
    elif final in ("in", "range"):
        commas = _splits_on_commas(value)
        value = list.__class_getitem__(value)
        low, high = (1, MAX_IN_VALUES) if final == "in" else (2, 2)
        metadata.append(Field(min_length=low, max_length=high))
        if commas:
            metadata.append(BeforeValidator(split_commas))
        description += " (repeat the parameter" + (", or separate with commas)" if commas else ")")
    argument = name if name.isidentifier() and not keyword.iskeyword(name) else f"param_{index}"
    query = Query(alias=name, title=name, description=description)
    # Annotated built from values: to mypy, Annotated[...] takes only types.
    annotation = cast(Any, Annotated)[(value, *metadata, query)]
    return _Param(name, argument, f"{path.text}{LOOKUP_SEP}{lookup}", path.to_many, annotation)


_REQUEST = request_parameter("_request", keyword_only=True)


class Filters:
    """What a ``FilterSet`` read from a request: ``values`` by name, and ``apply(queryset)``."""

    def __init__(self, filter_set: FilterSet, given: list[tuple[_Param, Any]]) -> None:
        self._filter_set = filter_set
        self._given = given
        self.values: dict[str, Any] = {param.name: value for param, value in given}

    def apply(self, queryset: models.QuerySet) -> models.QuerySet:
        check_queryset(repr(self._filter_set), self._filter_set.model, queryset)
        direct = {param.orm: value for param, value in self._given if not param.to_many}
        if direct:
            queryset = queryset.filter(**direct)
        for param, value in self._given:
            if param.to_many:
                queryset = filter_by_key(queryset, [models.Q(**{param.orm: value})])
        return queryset

    def __repr__(self) -> str:
        return f"<Filters {self.values!r}>"


class FilterSet:
    """Query parameters filtering ``model``, one per declared field path and lookup.

    ``FilterSet(Book, {"title": ["exact", "icontains"], "author__name": ["icontains"]})`` reads
    ``?title=...``, ``?title__icontains=...`` and ``?author__name__icontains=...``; a list of paths
    means ``exact`` for each. With ``strict`` (the default) a query parameter the route does not
    declare anywhere is a 422 naming the allowed ones.
    """

    def __init__(
        self,
        model: type[models.Model],
        fields: Mapping[str, Sequence[str]] | Sequence[str],
        *,
        strict: bool = True,
    ) -> None:
        self.model, self.strict = model_class(model, type(self).__name__), strict
        owner = repr(self)
        if isinstance(fields, str) or not fields:
            raise ImproperlyConfigured(
                f"{owner}: fields must be a non-empty list of field paths or dict of lookups; "
                f"got {fields!r}."
            )
        declared = fields if isinstance(fields, Mapping) else {path: ["exact"] for path in fields}
        self.params: dict[str, _Param] = {}
        for path, lookups in declared.items():
            if isinstance(lookups, str) or not lookups:
                raise ImproperlyConfigured(
                    f"{owner}: the lookups of {path!r} must be a non-empty list such as "
                    f"['exact']; got {lookups!r}."
                )
            resolved = resolve_path(model, path, owner)
            for lookup in lookups:
                param = _param(model, resolved, lookup, owner, len(self.params))
                if param.name in self.params:
                    raise ImproperlyConfigured(
                        f"{owner}: query parameter {param.name!r} is declared twice."
                    )
                self.params[param.name] = param
        parameters = [keyword_parameter(p.argument, p.annotation) for p in self.params.values()]
        self.__signature__ = signature([_REQUEST, *parameters])

    async def __call__(self, _request: Request, **values: Any) -> Filters:
        if self.strict:
            reject_unknown(_request)
        given = [(param, values[param.argument]) for param in self.params.values()]
        return Filters(self, [(param, value) for param, value in given if value is not None])

    def __repr__(self) -> str:
        return f"FilterSet({self.model.__name__})"

