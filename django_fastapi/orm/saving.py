"""Create and update model instances from request data, validated by Django and saved atomically.

    book = create_instance(Book, body, owner=request.user)    # POST: defaults for what was not sent
    book = update_instance(book, body)                         # PUT: every field of the schema
    book = update_instance(book, body, partial=True)           # PATCH: only what the client sent
    book = await acreate_instance(Book, body)                  # async endpoints: a/ prefix

Keys are model field names: ``author=3`` sets ``author_id`` without fetching the author, and
``tags=[1, 2]`` sets the many-to-many after the save. ``values`` are the server's own values
(validated too, and allowed on non-editable fields). Errors of ``full_clean()`` raise Django's
``ValidationError`` (422 per field); a duplicate of a unique field or constraint, and nothing else,
raises ``Conflict`` (409) naming the field, or each field of a multi-field constraint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from asgiref.sync import sync_to_async
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import IntegrityError, models, router, transaction
from fastapi import HTTPException
from pydantic import BaseModel

from ..core.exceptions import validation_errors
from .field_types import related_model, target_field

M = TypeVar("M", bound=models.Model)
Errors = dict[str, list[ValidationError]]


class Conflict(HTTPException):
    """409 in FastAPI's error shape: FastAPI's own ``HTTPException`` handler answers it.

    ``{"detail": [{"type": "unique", "loc": ["body", "isbn"],
    "msg": "Book with this ISBN already exists.", "input": "9780141439518"}]}``
    """

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__(status_code=409, detail=detail)


def create_instance(model: type[M], data: BaseModel | Mapping[str, Any], **values: Any) -> M:
    """Insert a ``model`` row from ``data`` (fields the client left unset get the model's defaults)."""
    changes = _changes(model, data, values, creating=True, every_field=False)
    return _write(model(), changes, partial=False)


def update_instance(
    instance: M, data: BaseModel | Mapping[str, Any], *, partial: bool = False, **values: Any
) -> M:
    """Apply ``data`` to ``instance`` and save it; ``partial`` validates only the fields sent.

    ``clean()``, unique fields and constraints are always checked over the whole instance, so a
    PATCH of ``title`` alone still meets ``UniqueConstraint(fields=["author", "title"])``.
    """
    changes = _changes(type(instance), data, values, creating=False, every_field=not partial)
    return _write(instance, changes, partial=partial)


async def acreate_instance(model: type[M], data: BaseModel | Mapping[str, Any], **values: Any) -> M:
    # thread_sensitive: on the request's thread, so on its connection (and ATOMIC_REQUESTS transaction).
    return await sync_to_async(create_instance, thread_sensitive=True)(model, data, **values)


async def aupdate_instance(
    instance: M, data: BaseModel | Mapping[str, Any], *, partial: bool = False, **values: Any
) -> M:
    update = sync_to_async(update_instance, thread_sensitive=True)
    return await update(instance, data, partial=partial, **values)


def _changes(
    model: type[models.Model],
    data: Any,
    values: Mapping[str, Any],
    *,
    creating: bool,
    every_field: bool,
) -> dict[models.Field, Any]:
    if isinstance(data, BaseModel):
        sent = data.model_dump(exclude_unset=not every_field)
    elif isinstance(data, Mapping):
        sent = dict(data)
    else:
        raise TypeError(
            f"data must be a pydantic model or a mapping of field names; got {type(data).__name__}."
        )
    changes = {_field(model, key, creating, client=True): value for key, value in sent.items()}
    for key, value in values.items():
        changes[_field(model, key, creating, client=False)] = value
    return changes


def _field(model: type[models.Model], key: str, creating: bool, *, client: bool) -> models.Field:
    opts = model._meta
    name = f"{model.__name__}.{key}"
    try:
        # A field, a reverse relation or a GenericForeignKey: the checks below keep only fields.
        field: Any = opts.get_field(key)
    except FieldDoesNotExist:
        fields = [*opts.concrete_fields, *opts.many_to_many]
        names = ", ".join(f.name for f in fields if f.editable and not isinstance(f, models.AutoField))
        raise TypeError(f"{model.__name__} has no field {key!r}; its fields are: {names}.") from None
    if field.auto_created and not field.concrete:
        raise TypeError(f"{name} is a reverse relation; set it on {field.related_model.__name__}.")
    if not (field.concrete or field.many_to_many):
        raise TypeError(f"{name} is not stored in a column; set the fields it is made of.")
    if field.primary_key and not creating:
        raise ValueError(f"{name} is the primary key and cannot change on update.")
    if client and (not field.editable or (field.primary_key and isinstance(field, models.AutoField))):
        raise ValueError(
            f"{name} is read-only: leave it out of the input schema, "
            "or pass a server-side value as a keyword argument."
        )
    return field


def _write(instance: M, changes: dict[models.Field, Any], *, partial: bool) -> M:
    related: dict[models.Field, Any] = {}
    for field, value in changes.items():
        if field.many_to_many:
            related[field] = value
        elif field.is_relation and isinstance(value, models.Model):
            setattr(instance, field.name, value)
        else:
            setattr(instance, field.attname, value)  # a foreign key as a pk: no fetch of the row
    # A PATCH validates what it sends: stored values of the other fields may predate a validator.
    touched = {field.name for field in changes}
    untouched = {f.name for f in instance._meta.concrete_fields} - touched if partial else set()
    _raise_errors(instance, untouched, related)
    creating = instance._state.adding
    using = router.db_for_write(type(instance), instance=instance)
    try:
        # A savepoint inside the caller's transaction: an IntegrityError leaves that one usable.
        with transaction.atomic(using=using):
            instance.save(using=using, force_insert=creating)
            for field, keys in related.items():
                manager = getattr(instance, field.name)
                if not creating:
                    manager.set(keys)
                elif keys:
                    manager.add(*keys)
    except IntegrityError as error:
        # Another request changed the table since the checks: run them again to name the field.
        _raise_errors(instance, untouched, related)
        if _is_unique_violation(error):
            message = str(error).splitlines()[0] if str(error) else "A unique constraint failed."
            detail = [{"type": "unique", "loc": ["body"], "msg": message, "input": None}]
            raise Conflict(detail) from error
        raise
    return instance


def _raise_errors(
    instance: models.Model, untouched: set[str], related: dict[models.Field, Any]
) -> None:
    errors, conflicts = _errors(instance, untouched, related)
    if errors:
        for name, found in conflicts.items():
            errors.setdefault(name, []).extend(found)
        raise ValidationError(errors)
    if conflicts:
        raise Conflict(validation_errors(ValidationError(conflicts)))


def _errors(
    instance: models.Model, untouched: set[str], related: dict[models.Field, Any]
) -> tuple[Errors, Errors]:
    """(errors, conflicts): conflicts are the duplicates of unique fields and constraints."""
    errors: Errors = {}
    for check, kwargs in ((instance.clean_fields, {"exclude": untouched}), (instance.clean, {})):
        try:
            check(**kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    for field, value in related.items():
        try:
            related[field] = _existing_keys(instance, field, value)
        except ValidationError as error:
            errors.setdefault(field.name, []).extend(error.error_list)
    failed = {name for name in errors if name != NON_FIELD_ERRORS}
    conflicts: Errors = {}
    try:
        instance.validate_unique(exclude=failed)
    except ValidationError as error:
        for name, found in error.error_dict.items():
            for item in found:
                # unique_together: Django files it under NON_FIELD_ERRORS; name its fields instead.
                params = item.params if isinstance(item.params, dict) else {}
                names = [name] if name != NON_FIELD_ERRORS else params.get("unique_check", ())
                _add_conflict(conflicts, instance, names, item)
    using = router.db_for_write(type(instance), instance=instance)
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                # django-stubs lacks BaseConstraint.validate() (Django 4.1+ has it on every constraint).
                constraint.validate(model_class, instance, exclude=failed, using=using)  # type: ignore[attr-defined]
            except ValidationError as error:
                if isinstance(constraint, models.UniqueConstraint):
                    for item in error.error_list:
                        _add_conflict(conflicts, instance, constraint.fields, item)
                else:
                    errors = error.update_error_dict(errors)
    return errors, conflicts


def _add_conflict(
    conflicts: Errors, instance: models.Model, names: Iterable[str], error: ValidationError
) -> None:
    # One entry per field of a multi-field constraint, so a form can mark each; loc ["body"] when
    # the constraint has no fields (expressions). "value" in params becomes the entry's input.
    for name in list(names) or [NON_FIELD_ERRORS]:
        entry = error
        if name != NON_FIELD_ERRORS and isinstance(error.params, dict):
            concrete = cast(models.Field, instance._meta.get_field(name))  # a constraint's field
            value = getattr(instance, concrete.attname)
            params = {**error.params, "value": value}
            entry = ValidationError(error.message, code=error.code, params=params)
        conflicts.setdefault(name, []).append(entry)


def _existing_keys(instance: models.Model, field: models.Field, value: Any) -> list[Any]:
    """The target keys of a many-to-many value, all checked to exist in one query."""
    if value is None or isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise ValidationError("Enter a list of primary keys.", code="list_type")
    target, related = target_field(field), related_model(field)
    keys = list(dict.fromkeys(_target_key(field, item) for item in value))
    if not keys:
        if not field.blank:
            raise ValidationError(field.error_messages["blank"], code="blank")
        return keys
    rows = related._base_manager.using(router.db_for_read(related, instance=instance))
    found = set(rows.filter(**{f"{target.name}__in": keys}).values_list(target.attname, flat=True))
    missing = [key for key in keys if key not in found]
    if missing:
        message = models.ForeignKey.default_error_messages["invalid"]
        raise ValidationError(
            [
                ValidationError(
                    message,
                    code="invalid",
                    params={"model": related._meta.verbose_name, "field": target.name, "value": key},
                )
                for key in missing
            ]
        )
    return keys


def _target_key(field: models.Field, item: Any) -> Any:
    if not isinstance(item, models.Model):
        return target_field(field).to_python(item)
    if not isinstance(item, related_model(field)):
        raise TypeError(f"{field} takes {related_model(field).__name__} instances or keys; got {item!r}.")
    return getattr(item, target_field(field).attname)


def _is_unique_violation(error: IntegrityError) -> bool:
    driver_error = error.__cause__
    sqlstate = getattr(driver_error, "sqlstate", None) or getattr(driver_error, "pgcode", None)
    if sqlstate:
        return sqlstate == "23505"
    text = str(error).lower()
    return "unique" in text or "duplicate" in text
