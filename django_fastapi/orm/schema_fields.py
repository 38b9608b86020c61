"""How one model field reads and writes in a schema that ``schemas.py`` generates.

Each ``*_definition`` returns the ``(annotation, FieldInfo)`` pair ``pydantic.create_model`` takes.
Reading is lenient (stored rows may predate a constraint) and cheap (a foreign key is its key
column); writing carries the model's constraints and defaults.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Optional, Union, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.fields import NOT_PROVIDED, AutoFieldMixin
from django.db.models.fields.files import FieldFile
from django.db.models.fields.reverse_related import ForeignObjectRel
from django.db.models.manager import BaseManager
from django.utils.text import capfirst
from pydantic import AliasChoices, BeforeValidator, Field
from pydantic.fields import FieldInfo

from .field_types import choice_values, constraints, key_type, python_type, related_model

AnyField = Union[models.Field, ForeignObjectRel]
Definition = tuple[Any, FieldInfo]


def is_read_only(field: AnyField, mode: str, read_only: Sequence[str]) -> bool:
    """Whether ``field`` stays out of a ``mode`` ("create", "update", "patch") schema."""
    if field.name in read_only or isinstance(field, ForeignObjectRel) or not field.editable:
        return True  # not editable: auto_now, auto_now_add, GeneratedField, editable=False
    if isinstance(field, models.FileField):
        return True  # a JSON body cannot upload, and naming a stored file could reach others' files
    if field.primary_key:
        # A key the database or the model generates is never the client's; a natural key is set
        # on create only, as saving under a new key would insert a copy, not rename.
        return mode != "create" or _generated(field)
    return False


def read_definition(
    field: AnyField, nested: type | None, select: list[str], prefetch: list[str]
) -> Definition:
    """The field as a response reads it from an instance; adds the paths it needs to the plan."""
    info = _labels(field)
    if field.is_relation:
        return _read_relation(field, nested, info, select, prefetch)
    if isinstance(field, models.FileField):
        return Annotated[Optional[str], BeforeValidator(_file_url)], Field(**info)
    annotation = _value_type(cast(models.Field, field))  # a ForeignObjectRel is a relation
    return (Optional[annotation] if field.null else annotation), Field(**info)


def write_definition(field: models.Field, mode: str) -> Definition:
    """The field in a request body: the model's constraints, and its default unless ``patch``."""
    if field.many_to_many:
        annotation: Any = list.__class_getitem__(key_type(related_model(field)._meta.pk))
        if not field.blank:
            annotation = Annotated[annotation, Field(min_length=1)]  # as ModelForm and DRF
    else:
        annotation = _value_type(field)
        limits = constraints(field)
        if limits:
            annotation = Annotated[annotation, Field(**limits)]
    if field.null:
        annotation = Optional[annotation]
    return annotation, Field(**_write_default(field, mode), **_labels(field))


def extra_definition(value: Any, field: AnyField | None, mode: str) -> Definition:
    """An ``extra=`` entry: an annotation or ``(annotation, default or Field(...))``."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ImproperlyConfigured(
                "model_schema() extra= entries are an annotation or (annotation, default); "
                f"got {value!r}."
            )
        annotation, default = value
        info = default if isinstance(default, FieldInfo) else Field(default=default)
    else:
        annotation, info = value, Field(**(_labels(field) if field is not None else {}))
    if mode == "patch" and info.is_required():
        # pydantic types Field() as its default's type (for `x: int = Field(...)`), here None.
        return Annotated[annotation, info], Field(default_factory=leave_unset)  # type: ignore[return-value]
    return annotation, info


def leave_unset() -> None:
    # A factory, not default=None: the field is optional yet has no default in the OpenAPI
    # document, and stays out of model_fields_set, so the model's default (or for PATCH the stored
    # value) applies. WriteSchema's serializer drops such fields from every dump.
    return None


def _read_relation(
    field: AnyField,
    nested: type | None,
    info: dict[str, Any],
    select: list[str],
    prefetch: list[str],
) -> Definition:
    reverse = isinstance(field, ForeignObjectRel)
    to_many = field.many_to_many or field.one_to_many
    if not reverse and not to_many:
        forward = cast(models.Field, field)  # not reverse
        annotation = python_type(forward)  # also refuses a generic foreign key, naming it
        if nested is None:
            # The key column: no query, whether or not the related row was selected.
            alias = AliasChoices(forward.attname, forward.name)
            annotation = Optional[annotation] if field.null else annotation
            return annotation, Field(validation_alias=alias, **info)
    nested_select, nested_prefetch = getattr(nested, "__query_plan__", ((), ()))
    # A reverse relation in a schema has an accessor (only a hidden one has none).
    attribute = cast(str, field.get_accessor_name()) if isinstance(field, ForeignObjectRel) else field.name
    key = python_type(related_model(field)._meta.pk)
    if to_many:
        prefetch.append(attribute)
        prefetch.extend(f"{attribute}__{path}" for path in (*nested_select, *nested_prefetch))
        item, read = (nested, _objects) if nested is not None else (key, _keys)
        return Annotated[list.__class_getitem__(item), BeforeValidator(read)], Field(**info)
    # select_related() names a reverse one-to-one by its query name, prefetch_related by attribute.
    query_name = field.field.related_query_name() if isinstance(field, ForeignObjectRel) else field.name
    select.append(query_name)
    select.extend(f"{query_name}__{path}" for path in nested_select)
    prefetch.extend(f"{attribute}__{path}" for path in nested_prefetch)
    target = nested if nested is not None else Annotated[key, BeforeValidator(_key)]
    if reverse:  # a missing reverse one-to-one raises an AttributeError, which leaves the default
        return Optional[target], Field(default=None, **info)
    return (Optional[target] if field.null else target), Field(**info)


def _write_default(field: models.Field, mode: str) -> dict[str, Any]:
    if mode == "patch":
        return {"default_factory": leave_unset}
    if field.has_default():
        if callable(field.default):
            return {"default_factory": leave_unset}  # called by Django, not on the event loop
        value = field.default
        return {"default": value.value if isinstance(value, enum.Enum) else value}
    if field.null:
        return {"default": None}
    if field.blank and field.many_to_many:
        return {"default": []}
    if field.blank and field.empty_strings_allowed:
        return {"default": ""}
    if field.blank or field.db_default is not NOT_PROVIDED:
        return {"default_factory": leave_unset}
    return {}


def _generated(field: models.Field) -> bool:
    return (
        isinstance(field, AutoFieldMixin)
        or field.auto_created
        or field.has_default()
        or field.db_default is not NOT_PROVIDED
    )


def _value_type(field: models.Field) -> Any:
    annotation = python_type(field)
    values = choice_values(field)
    if values and field.blank and field.empty_strings_allowed:
        annotation = Literal[(*values, "")]  # Django accepts a blank value beside the choices
    return annotation


def _labels(field: AnyField) -> dict[str, Any]:
    if isinstance(field, ForeignObjectRel):
        opts = related_model(field)._meta
        to_many = field.many_to_many or field.one_to_many
        return {"title": str(capfirst(opts.verbose_name_plural if to_many else opts.verbose_name))}
    labels = {"title": str(capfirst(field.verbose_name))}
    if field.help_text:
        labels["description"] = str(field.help_text)
    return labels


def _keys(value: Any) -> Any:
    # .all() rather than values_list(): it is served from prefetch_related's cache.
    return [item.pk for item in value.all()] if isinstance(value, BaseManager) else value


def _objects(value: Any) -> Any:
    return list(value.all()) if isinstance(value, BaseManager) else value


def _key(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _file_url(value: Any) -> Any:
    if isinstance(value, FieldFile):
        return value.url if value else None
    return value
