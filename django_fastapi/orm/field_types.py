"""What a Django model field holds, as a Python type and Pydantic constraints.

    python_type(Book._meta.get_field("pages"))     # int
    python_type(Book._meta.get_field("author"))    # int: a foreign key is its target's primary key
    python_type(Book._meta.get_field("format"))    # Literal["hardcover", "paperback", "ebook"]
    constraints(Book._meta.get_field("pages"))     # {"ge": 0, "le": 2147483647}

Schemas (``schemas.py``) and filters (``filtering.py``) both start here, so a field means the
same type in a body, a response and a query parameter. A project's own field classes are added with
``register_field_type(MoneyField, Decimal)``.
"""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from django.core import validators
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.fields.reverse_related import ForeignObjectRel
from pydantic import Field

if TYPE_CHECKING:
    from django.contrib.contenttypes.fields import GenericForeignKey

_TYPES: dict[type[models.Field], Any] = {
    models.BooleanField: bool,
    models.CharField: str,
    models.TextField: str,
    models.GenericIPAddressField: str,
    models.FilePathField: str,
    models.FileField: str,
    models.IntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
    models.SmallAutoField: int,
    models.FloatField: float,
    models.DecimalField: decimal.Decimal,
    models.DateTimeField: datetime.datetime,
    models.DateField: datetime.date,
    models.TimeField: datetime.time,
    models.DurationField: datetime.timedelta,
    models.UUIDField: uuid.UUID,
    models.JSONField: Any,
    models.BinaryField: bytes,
}

# JSON Schema formats OpenAPI clients understand; full_clean() still does the checking.
_FORMATS: dict[type[models.Field], str] = {
    models.EmailField: "email",
    models.URLField: "uri",
}


def register_field_type(field_class: type[models.Field], python_type: Any) -> None:
    """Map a custom model field class (and its subclasses) to the Python type of its values."""
    if not (isinstance(field_class, type) and issubclass(field_class, models.Field)):
        raise TypeError(f"register_field_type() needs a models.Field subclass; got {field_class!r}.")
    _TYPES[field_class] = python_type


def related_model(field: models.Field | ForeignObjectRel | GenericForeignKey) -> type[models.Model]:
    """The model a relation points to: a class once the app registry is ready (the stubs also
    allow the unresolved ``"self"``, and None for a field that is not a relation)."""
    return cast("type[models.Model]", field.related_model)


def target_field(field: models.Field) -> models.Field:
    """The field of the related model that a foreign key or one-to-one stores."""
    return cast(models.ForeignObject, field).target_field


def choice_values(field: models.Field) -> tuple[Any, ...]:
    """The stored values of a field's ``choices`` (groups flattened), or () without choices."""
    if not field.choices:
        return ()
    return tuple(value for value, _label in field.flatchoices if value not in field.empty_values)


def python_type(field: models.Field) -> Any:
    """The type of one value of ``field``, without ``None`` (``null=True`` is the caller's choice).

    Relations are their target's key: a foreign key or one-to-one is one key, a many-to-many a list.
    Choices become a ``Literal`` of the stored values.
    """
    if isinstance(field, models.GeneratedField):
        return python_type(cast(models.Field, field.output_field))  # set when the model is
    if field.many_to_many or field.one_to_many:
        return list.__class_getitem__(python_type(related_model(field)._meta.pk))
    if field.is_relation:
        if field.related_model is None or not hasattr(field, "target_field"):
            raise _unsupported(field)
        return python_type(target_field(field))
    values = choice_values(field)
    if values:
        return Literal[values]
    for klass in type(field).__mro__:
        if klass in _TYPES:
            return _TYPES[klass]
    raise _unsupported(field)


def constraints(field: models.Field) -> dict[str, Any]:
    """Keyword arguments for ``pydantic.Field`` that mirror the model field's own validation.

    Lengths, numeric bounds (integer fields within their portable range), decimal digits and,
    for text that may not be blank, a minimum length of one.
    """
    if field.is_relation or isinstance(field, models.GeneratedField) or choice_values(field):
        return {}
    found: dict[str, Any] = {}
    backend_low, backend_high = _backend_integer_range(field)
    for validator in field.validators:
        if (type(validator), validator.limit_value if hasattr(validator, "limit_value") else None) in {
            (validators.MinValueValidator, backend_low),
            (validators.MaxValueValidator, backend_high),
        }:
            continue
        if isinstance(validator, validators.MaxLengthValidator):
            _tighten(found, "max_length", validator.limit_value, min)
        elif isinstance(validator, validators.MinLengthValidator):
            _tighten(found, "min_length", validator.limit_value, max)
        elif isinstance(validator, validators.MaxValueValidator):
            _tighten(found, "le", validator.limit_value, min)
        elif isinstance(validator, validators.MinValueValidator):
            _tighten(found, "ge", validator.limit_value, max)
        elif isinstance(validator, validators.StepValueValidator) and validator.offset is None:
            found["multiple_of"] = validator.limit_value
    low, high = BaseDatabaseOperations.integer_field_ranges.get(field.get_internal_type(), (None, None))
    if low is not None:
        _tighten(found, "ge", low, max)
        _tighten(found, "le", high, min)
    if isinstance(field, models.DecimalField):
        found["max_digits"] = field.max_digits
        found["decimal_places"] = field.decimal_places
    if python_type(field) is str and not field.blank and not choice_values(field):
        _tighten(found, "min_length", 1, max)
    for klass, name in _FORMATS.items():
        if isinstance(field, klass):
            found["json_schema_extra"] = {"format": name}
    return found


def key_type(pk: models.Field) -> Any:
    """One key of a to-many relation as a client sends it: an integer key held to its column's
    portable range, so an id out of range is a 422 (SQLite raised OverflowError: a 500)."""
    kind = python_type(pk)
    low, high = BaseDatabaseOperations.integer_field_ranges.get(pk.get_internal_type(), (None, None))
    if kind is int and low is not None:
        return Annotated[int, Field(ge=low, le=high)]
    return kind


def _backend_integer_range(field: models.Field) -> tuple[Any, Any]:
    # Django appends the default database's integer range to field.validators; SQLite's is 64-bit
    # for every integer field. The schema uses the portable ranges instead, the same on every backend.
    if not isinstance(field, models.IntegerField):
        return (None, None)
    return connection.ops.integer_field_range(field.get_internal_type())


def _tighten(found: dict[str, Any], key: str, value: Any, pick: Any) -> None:
    if callable(value):
        return
    found[key] = pick(found[key], value) if key in found else value


def _unsupported(field: models.Field) -> ImproperlyConfigured:
    model = getattr(field, "model", None)
    label = f"{model._meta.label}.{field.name}" if model is not None else f"The field {field.name!r}"
    return ImproperlyConfigured(
        f"{label} is a {type(field).__name__}, which django_fastapi "
        "cannot map to a Python type. Call django_fastapi.orm.field_types.register_field_type("
        f"{type(field).__name__}, <type>) at import time, or declare the field yourself in the schema."
    )
