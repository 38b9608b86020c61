"""Keyset positions for cursor pagination: an ordering made unique, its filters, its cursors.

    keyset = Keyset.for_model(Book, parse_ordering(["-published", "title"]))
    books = Book.objects.order_by(*keyset.order_by()).filter(keyset.after(position))

The primary key ends every ordering, so each row has its own position. NULL sorts above every
value on every database (``NULLS LAST`` ascending, ``NULLS FIRST`` descending). A cursor is
Django-signed JSON (``{"p": position, "r": reverse}``): an edited or foreign cursor is refused
before any of its values reach the database.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.duration import duration_iso_string

Ordering = tuple[tuple[str, bool], ...]  # (field name, descending)
UNORDERABLE = (models.JSONField, models.BinaryField)


class InvalidCursor(ValueError):
    pass


def parse_ordering(ordering: str | Sequence[str]) -> Ordering:
    """``"-created_at"`` or ``["author", "-pk"]`` as ((name, descending), ...)."""
    names = [ordering] if isinstance(ordering, str) else list(ordering)
    parsed = []
    for name in names:
        field = name[1:] if isinstance(name, str) and name.startswith("-") else name
        if not isinstance(field, str) or not field.isidentifier() or "__" in field:
            raise ImproperlyConfigured(
                "CursorPagination(ordering=...) must name the model's own fields, such as "
                f"'-created_at' or ['title', 'pk']; {name!r} is not one (a foreign key orders by its id)."
            )
        parsed.append((field, name.startswith("-")))
    fields = [field for field, _ in parsed]
    if not fields or len(set(fields)) != len(fields):
        raise ImproperlyConfigured(
            f"CursorPagination(ordering=...) must name at least one field, each once; got {ordering!r}."
        )
    return tuple(parsed)


@dataclass(frozen=True)
class Keyset:
    """The fields of an ordering on one model, each (field, descending), the primary key last."""

    fields: tuple[tuple[models.Field, bool], ...]

    @classmethod
    @functools.cache
    def for_model(cls, model: type[models.Model], ordering: Ordering) -> Keyset:
        fields = [(_orderable(model, name), descending) for name, descending in ordering]
        pk = model._meta.pk
        if all(field != pk for field, _ in fields):
            fields.append((pk, fields[-1][1]))
        return cls(tuple(fields))

    def order_by(self, reverse: bool = False) -> list[Any]:
        expressions: list[str | models.OrderBy] = []
        for field, descending in self.fields:
            descending = descending != reverse
            column = models.F(field.attname)
            if not field.null:
                expressions.append(f"-{field.attname}" if descending else field.attname)
            elif descending:
                expressions.append(column.desc(nulls_first=True))
            else:
                expressions.append(column.asc(nulls_last=True))
        return expressions

    def after(self, position: Sequence[Any], reverse: bool = False) -> models.Q:
        """Rows that come after ``position`` in ``order_by(reverse)``."""
        disjuncts = []
        same = models.Q()
        for (field, descending), value in zip(self.fields, position):
            name = field.attname
            if descending != reverse:
                below = {f"{name}__isnull": False} if value is None else {f"{name}__lt": value}
                beyond = models.Q(**below)
            elif value is None:
                beyond = None  # nothing sorts above NULL
            else:
                beyond = models.Q(**{f"{name}__gt": value})
                if field.null:
                    beyond |= models.Q(**{f"{name}__isnull": True})
            if beyond is not None:
                disjuncts.append(same & beyond)
            same &= models.Q(**{f"{name}__isnull": True} if value is None else {name: value})
        return functools.reduce(operator.or_, disjuncts)

    def position(self, row: models.Model) -> list[Any]:
        return [getattr(row, field.attname) for field, _ in self.fields]

    def signer(self) -> signing.Signer:
        # Salted with the model and the ordering, so a cursor of another list is refused too.
        # Made per call: Signer reads SECRET_KEY (and its fallbacks) when created.
        model = self.fields[0][0].model._meta.label
        columns = ",".join(("-" if descending else "") + field.attname for field, descending in self.fields)
        return signing.Signer(salt=f"django_fastapi.orm.keyset:{model}:{columns}")

    def encode(self, position: Sequence[Any], reverse: bool) -> str:
        return self.signer().sign_object({"p": [_jsonable(value) for value in position], "r": reverse})

    def decode(self, cursor: str) -> tuple[list[Any], bool]:
        """(position, reverse) of a cursor ``encode`` made, or InvalidCursor."""
        try:
            data = self.signer().unsign_object(cursor)
        except signing.BadSignature:
            raise InvalidCursor("it was not issued for this list, or it was changed") from None
        except ValueError:  # signed by this key and salt, yet not our JSON: refuse as well
            raise InvalidCursor("it is not a cursor") from None
        try:
            position, reverse = data["p"], data["r"]
            if len(position) != len(self.fields) or not isinstance(reverse, bool):
                raise InvalidCursor("it is not a cursor of this list")
            values = [field.to_python(value) for (field, _), value in zip(self.fields, position)]
        except (KeyError, TypeError, ValidationError):
            raise InvalidCursor("it is not a cursor of this list") from None
        return values, reverse


def _orderable(model: type[models.Model], name: str) -> models.Field:
    label = model._meta.label
    try:
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    except FieldDoesNotExist:
        known = ", ".join(sorted(f.name for f in model._meta.concrete_fields))
        raise ImproperlyConfigured(
            f"CursorPagination ordering names {name!r}, which is not a field of {label}; "
            f"use one of: {known}."
        ) from None
    if not field.concrete or field.many_to_many or isinstance(field, UNORDERABLE):
        raise ImproperlyConfigured(
            f"CursorPagination cannot order {label} by {name!r} ({type(field).__name__}): "
            "use a column with an order, such as a date, a number or a string."
        )
    return cast(models.Field, field)  # concrete: a Field


def _jsonable(value: Any) -> Any:
    # Full precision: DjangoJSONEncoder cuts datetimes to milliseconds, which would repeat rows.
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value
