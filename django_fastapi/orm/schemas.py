"""Pydantic schemas generated from Django models, for responses and request bodies.

    AuthorRef = model_schema(Author, fields=["id", "name"], name="AuthorRef")
    books = model_schemas(Book, fields="__all__", nested={"author": AuthorRef})
    books.read      # "Book": every field; author as an AuthorRef, tags as a list of Tag keys
    books.create    # "BookCreate": writable fields, the model's constraints and defaults
    books.update    # "BookUpdate": as create, for PUT
    books.patch     # "BookPatch": every writable field optional; dump with exclude_unset=True

    select, prefetch = query_plan(books.read)
    Book.objects.select_related(*select).prefetch_related(*prefetch)   # a bounded number of queries

Each distinct set of arguments builds one class, once; its name is its OpenAPI component name,
so two different schemas may not share one (pass ``name=``).

As DRF's ``ModelSerializer``: ``fields=[...]``, ``exclude=[...]`` or ``fields="__all__"`` is
required, so a column added to a model later is never exposed by accident. A user model (one with
``set_password``) never shows ``password``, and takes it, and ``is_superuser``, ``is_staff``,
``groups`` and ``user_permissions``, in a request body only when ``fields=`` names them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.fields.reverse_related import ForeignObjectRel
from pydantic import (
    BaseModel,
    ConfigDict,
    SerializerFunctionWrapHandler,
    create_model,
    model_serializer,
)
from pydantic.fields import FieldInfo

from .schema_fields import (
    extra_definition,
    is_read_only,
    leave_unset,
    read_definition,
    write_definition,
)

Mode = Literal["read", "create", "update", "patch"]
Fields = Sequence[str] | Literal["__all__"]
ALL_FIELDS = "__all__"
# Fields of a user model a request body sets only when fields= names them explicitly.
PRIVILEGED_USER_FIELDS = ("password", "is_superuser", "is_staff", "groups", "user_permissions")
_SUFFIXES: dict[str, str] = {"read": "", "create": "Create", "update": "Update", "patch": "Patch"}


class ReadSchema(BaseModel):
    """Base of generated read schemas: filled from model instances."""

    model_config = ConfigDict(
        from_attributes=True,
        # Responses promise every field, including those an ``extra=`` entry gives a default.
        json_schema_serialization_defaults_required=True,
        protected_namespaces=(),
    )
    __django_model__: ClassVar[type[models.Model]]
    __django_mode__: ClassVar[str]
    __query_plan__: ClassVar[tuple[tuple[str, ...], tuple[str, ...]]]


class WriteSchema(BaseModel):
    """Base of generated create, update and patch schemas."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, protected_namespaces=())
    __django_model__: ClassVar[type[models.Model]]
    __django_mode__: ClassVar[str]
    __query_plan__: ClassVar[tuple[tuple[str, ...], tuple[str, ...]]]

    @model_serializer(mode="wrap")
    def _leave_unsent_defaults_out(self, handler: SerializerFunctionWrapHandler):
        # Even a full model_dump() (a PUT) must not turn "the model's callable default" or "the
        # stored value" into None: such fields appear only when the client sent them. (No return
        # annotation: pydantic would document that type instead of the fields.)
        data = handler(self)
        for field_name, info in type(self).model_fields.items():
            if info.default_factory is leave_unset and field_name not in self.model_fields_set:
                data.pop(field_name, None)
                data.pop(info.serialization_alias or info.alias or field_name, None)
        return data


_lock = threading.Lock()
_schemas: dict[tuple[Any, ...], type[BaseModel]] = {}
_names: dict[str, tuple[Any, ...]] = {}


@dataclass(frozen=True)
class ModelSchemas:
    """The four schemas of one model: ``read`` for responses, the others for request bodies."""

    read: type[BaseModel]
    create: type[BaseModel]
    update: type[BaseModel]
    patch: type[BaseModel]


def model_schema(
    model: type[models.Model],
    *,
    mode: Mode = "read",
    fields: Fields | None = None,
    exclude: Sequence[str] = (),
    read_only: Sequence[str] = (),
    nested: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> type[BaseModel]:
    """The schema of ``model`` for ``mode``; the same arguments always return the same class.

    ``extra`` maps a name to an annotation or ``(annotation, default or Field(...))``, adding a
    field or replacing a generated one.
    """
    _check_arguments(model, mode, fields, exclude, read_only, name)
    nested, extra = dict(nested or {}), dict(extra or {})
    name = name or f"{model.__name__}{_SUFFIXES[mode]}"
    key = (
        model,
        mode,
        fields if fields is None or isinstance(fields, str) else tuple(fields),
        frozenset(exclude),
        frozenset(read_only),
        tuple(sorted(nested.items(), key=lambda item: item[0])),
        tuple((field_name, _freeze(value)) for field_name, value in extra.items()),
        name,
    )
    with _lock:
        if key in _schemas:
            return _schemas[key]
        if name in _names:
            other_model, other_mode = _names[name][:2]
            raise ImproperlyConfigured(
                f"model_schema({model._meta.label}, mode={mode!r}) would be named {name!r}, which "
                f"the {other_mode} schema of {other_model._meta.label} built from other arguments "
                "already uses. Pass name= to give this schema its own OpenAPI name."
            )
        schema = _build(model, mode, fields, exclude, read_only, nested, extra, name)
        _schemas[key], _names[name] = schema, key
    return schema


def model_schemas(
    model: type[models.Model],
    *,
    fields: Fields | None = None,
    exclude: Sequence[str] = (),
    read_only: Sequence[str] = (),
    nested: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    name: str | None = None,
) -> ModelSchemas:
    """The read, create, update and patch schemas, named ``name``, ``nameCreate``, ...

    ``nested`` applies to the read schema. ``extra`` entries that add a name apply to the read
    schema; those that replace a model field apply wherever that field is writable too (a custom
    model field needs its type declared for writing as much as for reading).
    """
    _check_arguments(model, "read", fields, exclude, read_only, name)
    base = name or model.__name__
    common: dict[str, Any] = {"exclude": exclude, "read_only": read_only}
    readable = fields
    if is_user_model(model) and fields is not None and not isinstance(fields, str):
        readable = [field_name for field_name in fields if field_name != "password"]
    variants = {
        "read": model_schema(model, fields=readable, nested=nested, extra=extra, name=base, **common)
    }
    known = _known_fields(model)
    for mode in ("create", "update", "patch"):
        overrides = {
            field_name: value
            for field_name, value in (extra or {}).items()
            if field_name in known and not is_read_only(known[field_name], mode, read_only)
        }
        # Names only an extra= entry defines belong to the read schema.
        selected: Fields | None = fields
        if fields is not None and not isinstance(fields, str):
            selected = [n for n in fields if n in known or n in overrides]
        variant = base + _SUFFIXES[mode]
        variants[mode] = model_schema(
            model, mode=mode, fields=selected, extra=overrides, name=variant, **common
        )
    return ModelSchemas(**variants)


def query_plan(schema: type[BaseModel]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(select_related paths, prefetch_related paths)`` for reading ``schema`` from instances.

    Pass only non-empty lists on: ``select_related()`` without arguments joins every foreign key.
    """
    plan = getattr(schema, "__query_plan__", None)
    if plan is None:
        raise TypeError(
            f"{schema!r} was not built by model_schema(), so its query plan is unknown. Build it "
            "with model_schema() (or subclass such a schema), or select related rows yourself."
        )
    return plan


def _build(model, mode, fields, exclude, read_only, nested, extra, name) -> type[BaseModel]:
    known = _known_fields(model)
    names = _selected_names(model, known, fields, exclude, read_only, nested, extra, mode)
    definitions: dict[str, Any] = {}
    select: list[str] = []
    prefetch: list[str] = []
    for field_name in names:
        field: Any = known.get(field_name)  # None only for a name that extra= adds
        if field_name in extra:
            definitions[field_name] = extra_definition(extra[field_name], field, mode)
        elif mode == "read":
            nested_schema = nested.get(field_name)
            definitions[field_name] = read_definition(field, nested_schema, select, prefetch)
        elif not is_read_only(field, mode, read_only):
            definitions[field_name] = write_definition(field, mode)
    for field_name, value in extra.items():
        definitions.setdefault(field_name, extra_definition(value, known.get(field_name), mode))
    base: type[ReadSchema | WriteSchema] = ReadSchema if mode == "read" else WriteSchema
    # create_model() returns a subclass of __base__; its stub says BaseModel for a union of bases.
    schema = cast(
        "type[ReadSchema | WriteSchema]",
        create_model(name, __base__=base, __module__=model.__module__, **definitions),
    )
    schema.__django_model__ = model
    schema.__django_mode__ = mode
    schema.__query_plan__ = (tuple(dict.fromkeys(select)), tuple(dict.fromkeys(prefetch)))
    return schema


def _known_fields(model: type[models.Model]) -> dict[str, Any]:
    """Forward fields in declaration order (as ModelForm), then reverse relations by accessor."""
    opts = model._meta
    # Field.__lt__ orders by creation_counter; django-stubs does not declare it.
    found: dict[str, Any] = {
        field.name: field
        for field in sorted([*opts.concrete_fields, *opts.many_to_many])  # type: ignore[type-var]
    }
    for field in opts.get_fields():
        if isinstance(field, ForeignObjectRel):
            found.setdefault(cast(str, field.get_accessor_name()), field)  # get_fields() hides the hidden
        else:
            found.setdefault(field.name, field)  # private fields: generic relations
    return found


def _selected_names(model, known, fields, exclude, read_only, nested, extra, mode) -> list[str]:
    opts = model._meta
    defaults = [field.name for field in sorted([*opts.concrete_fields, *opts.many_to_many])]
    explicit = fields is not None and fields != ALL_FIELDS
    if is_user_model(model):
        # A password hash is never shown; privileged fields are written only when named in fields=.
        hidden = {"password"} if mode == "read" else set()
        hidden |= set() if explicit or mode == "read" else set(PRIVILEGED_USER_FIELDS)
        if mode == "read" and explicit and "password" in fields:
            raise ImproperlyConfigured(
                f"model_schema({opts.label}) fields= names 'password': a user's password hash is "
                "never readable. Leave it out of the read schema; set it with set_password()."
            )
        defaults = [field_name for field_name in defaults if field_name not in hidden]
    if fields == ALL_FIELDS:
        fields = None
    _check_names(model, "fields", fields or (), {**known, **extra})
    for argument, values in (("exclude", exclude), ("read_only", read_only), ("nested", nested)):
        _check_names(model, argument, values, known)
    if nested and mode != "read":
        raise ImproperlyConfigured(
            f"model_schema({model._meta.label}, mode={mode!r}) got nested=; nested schemas are for "
            "reading. Request bodies name related objects by primary key."
        )
    if fields is None:
        names = defaults + [n for n in known if n in nested and n not in defaults]
    else:
        names = list(dict.fromkeys(fields))
    names = [n for n in names if n not in exclude]
    for field_name, schema in nested.items():
        field = known[field_name]
        if field_name not in names or not field.is_relation:
            reason = "is not among the schema's fields" if field.is_relation else "is no relation"
            raise ImproperlyConfigured(
                f"nested={{{field_name!r}: ...}} for {model._meta.label}: {field_name!r} {reason}."
            )
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            target = field.related_model.__name__
            raise ImproperlyConfigured(
                f"nested[{field_name!r}] for {model._meta.label} must be a pydantic model class "
                f"(the schema of one {target}), e.g. model_schema({target}); got {schema!r}."
            )
        if not schema.model_config.get("from_attributes"):
            raise ImproperlyConfigured(
                f"nested[{field_name!r}] ({schema.__name__}) cannot read model instances. Set "
                "model_config = ConfigDict(from_attributes=True) on it, or build it with "
                "model_schema()."
            )
    return names


def is_user_model(model: type[models.Model]) -> bool:
    """Whether ``model`` keeps a password hash (``AbstractBaseUser``'s ``set_password``)."""
    return callable(getattr(model, "set_password", None)) and any(
        field.name == "password" for field in model._meta.concrete_fields
    )


def _check_arguments(model, mode, fields, exclude, read_only, name) -> None:
    if not (isinstance(model, type) and issubclass(model, models.Model)) or model._meta.abstract:
        raise TypeError(f"model_schema() needs a concrete Django model class; got {model!r}.")
    if fields is None and not exclude:
        raise ImproperlyConfigured(
            f"model_schema({model._meta.label}) needs the fields to expose, as a DRF ModelSerializer: "
            f"fields=[...] naming them, exclude=[...], or fields={ALL_FIELDS!r} to expose every "
            "field deliberately."
        )
    if mode not in _SUFFIXES:
        modes = ", ".join(_SUFFIXES)
        raise ImproperlyConfigured(f"model_schema() mode must be one of {modes}; got {mode!r}.")
    for argument, values in (("fields", fields), ("exclude", exclude), ("read_only", read_only)):
        if isinstance(values, str) and not (argument == "fields" and values == ALL_FIELDS):
            raise ImproperlyConfigured(
                f"model_schema({model._meta.label}) {argument}= must be a list of field names, "
                f"not the string {values!r}; write {argument}=[{values!r}]."
            )
    if name is not None and not (isinstance(name, str) and name.isidentifier()):
        raise ImproperlyConfigured(
            "model_schema() name= must be a Python identifier (it names an OpenAPI component); "
            f"got {name!r}."
        )


def _check_names(model, argument: str, names, valid: Mapping[str, Any]) -> None:
    unknown = [field_name for field_name in names if field_name not in valid]
    if unknown:
        raise ImproperlyConfigured(
            f"model_schema({model._meta.label}) {argument}= names {', '.join(map(repr, unknown))}, "
            f"which {'is' if len(unknown) == 1 else 'are'} not a field of {model._meta.label}. "
            f"Choose from: {', '.join(valid)}."
        )


def _freeze(value: Any) -> Any:
    """A hashable stand-in for an ``extra=`` value, equal for equal specifications."""
    if isinstance(value, FieldInfo):
        return ("field", repr(value))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, *map(_freeze, value))
    try:
        hash(value)
    except TypeError:
        return ("repr", repr(value))
    return (type(value), value)
