"""Ordering of list endpoints: an ``?ordering=`` parameter over declared field paths.

    book_ordering = OrderingFilter(Book, ["title", "pages", "author__name"], default="-pages")

    @router.get("/books")
    def books(ordering: Ordering = Depends(book_ordering)) -> list[BookOut]:
        return list(ordering.apply(Book.objects.all()))

``?ordering=-pages,title`` (or ``?ordering=-pages&ordering=title``) orders by pages descending,
then title; any other value is a 422 listing the allowed ones. The primary key always comes last,
so pages of a list do not overlap. ``apply(queryset)`` runs no query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from fastapi import Query
from pydantic import BeforeValidator

from ..core.signatures import signature
from .query_params import check_queryset, keyword_parameter, model_class, resolve_path, split_commas


class Ordering:
    """One request's ordering; ``apply(queryset)`` orders by it, then by primary key."""

    def __init__(self, ordering_filter: OrderingFilter, fields: tuple[str, ...]) -> None:
        self._ordering_filter = ordering_filter
        self.fields = fields

    def apply(self, queryset: models.QuerySet) -> models.QuerySet:
        owner = self._ordering_filter
        check_queryset(repr(owner), owner.model, queryset)
        ordering: list[Any] = list(self.fields)  # names, or the model's expressions too
        if not ordering:
            # Nothing asked and no default: keep the queryset's own ordering, made deterministic.
            query = queryset.query
            meta = queryset.model._meta.ordering if query.default_ordering else ()
            ordering = list(query.order_by or meta)
        pk = queryset.model._meta.pk
        keys = {"pk", pk.name, pk.attname}
        if not any(isinstance(item, str) and item.lstrip("-") in keys for item in ordering):
            ordering.append("pk")
        return queryset.order_by(*ordering)

    def __repr__(self) -> str:
        return f"<Ordering {self.fields!r}>"


class OrderingFilter:
    """An ``?ordering=-pages,title`` parameter over the declared field paths (``-`` for descending).

    Without the parameter the ``default`` applies (else the queryset's own ordering); the primary
    key is always appended as a tie-breaker so pages do not overlap.
    """

    def __init__(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        *,
        default: str | Sequence[str] | None = None,
        param: str = "ordering",
    ) -> None:
        self.model, self.param = model_class(model, type(self).__name__), param
        owner = repr(self)
        if isinstance(fields, str) or not fields:
            raise ImproperlyConfigured(
                f"{owner}: fields must be a non-empty list of field paths; got {fields!r}."
            )
        for path in fields:
            self._check_path(path, owner)
        defaults = [default] if isinstance(default, str) else list(default or ())
        for item in defaults:
            self._check_path(item.removeprefix("-"), owner)
        self.fields, self.default = tuple(fields), tuple(defaults)
        choices = tuple(choice for path in fields for choice in (path, f"-{path}"))
        query = Query(
            alias=param, title=param,
            description="Fields to order by, comma-separated or repeated, '-' for descending: "
            + ", ".join(choices) + ".",
        )
        # A Literal of values known at run time: to mypy, Literal takes only literals.
        annotation: Any = Annotated[list.__class_getitem__(cast(Any, Literal)[choices]), BeforeValidator(split_commas), query]
        self.__signature__ = signature([keyword_parameter("ordering", annotation)])

    def _check_path(self, path: str, owner: str) -> None:
        if resolve_path(self.model, path, owner).to_many:
            raise ImproperlyConfigured(
                f"{owner}: {path!r} crosses a to-many relation, and ordering by it would repeat "
                "rows. Annotate an aggregate (e.g. Min) in the queryset and order by that instead."
            )

    async def __call__(self, ordering: list[str] | None = None) -> Ordering:
        if not ordering:
            return Ordering(self, self.default)
        seen, chosen = set(), []
        for item in ordering:
            if item.lstrip("-") not in seen:
                seen.add(item.lstrip("-"))
                chosen.append(item)
        return Ordering(self, tuple(chosen))

    def __repr__(self) -> str:
        return f"OrderingFilter({self.model.__name__})"
