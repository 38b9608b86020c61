"""Search for list endpoints: a ``?search=`` parameter whose every term must match a declared field.

    book_search = SearchFilter(Book, ["title", "^author__name", "=isbn"])

    @router.get("/books")
    def books(search: Search = Depends(book_search)) -> list[BookOut]:
        return list(search.apply(Book.objects.all()))

``?search=le guin`` keeps the books where each of "le" and "guin" is in the title (``icontains``),
starts the author's name (``^``: ``istartswith``) or is the whole ISBN (``=``: ``iexact``);
``?search="left hand"`` is one term. ``apply(queryset)`` returns the narrowed queryset, running no
query.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import reduce
from typing import Annotated

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils.text import smart_split, unescape_string_literal
from fastapi import Query

from ..core.signatures import signature
from .query_params import (
    check_queryset,
    filter_by_key,
    keyword_parameter,
    model_class,
    resolve_path,
)

MAX_SEARCH_LENGTH = 200

_SEARCH_LOOKUPS = {"^": "istartswith", "=": "iexact"}


class Search:
    """The terms of one request's search; ``apply(queryset)`` keeps rows matching every term."""

    def __init__(self, search_filter: SearchFilter, terms: tuple[str, ...]) -> None:
        self._search_filter = search_filter
        self.terms = terms

    def apply(self, queryset: models.QuerySet) -> models.QuerySet:
        owner = self._search_filter
        check_queryset(repr(owner), owner.model, queryset)
        if not self.terms:
            return queryset
        conditions = [
            reduce(operator.or_, (models.Q(**{lookup: term}) for lookup in owner.lookups))
            for term in self.terms
        ]
        if owner.to_many:
            return filter_by_key(queryset, conditions)
        return queryset.filter(*conditions)

    def __repr__(self) -> str:
        return f"<Search {self.terms!r}>"


def _terms(text: str) -> tuple[str, ...]:
    terms = []
    for chunk in smart_split(text.replace("\x00", "")):
        if len(chunk) > 1 and chunk[0] in "\"'" and chunk[-1] == chunk[0]:
            chunk = unescape_string_literal(chunk)
        if chunk.strip():
            terms.append(chunk.strip())
    return tuple(terms)


class SearchFilter:
    """A ``?search=`` parameter: each space-separated term (or "quoted phrase") must match a field.

    Fields match with ``icontains``; ``"^name"`` matches the start (``istartswith``) and ``"=isbn"``
    the whole value (``iexact``), as in Django REST framework.
    """

    def __init__(
        self,
        model: type[models.Model],
        fields: Sequence[str],
        *,
        param: str = "search",
        max_length: int = MAX_SEARCH_LENGTH,
    ) -> None:
        self.model, self.param = model_class(model, type(self).__name__), param
        owner = repr(self)
        if isinstance(fields, str) or not fields:
            raise ImproperlyConfigured(
                f"{owner}: fields must be a non-empty list of field paths; got {fields!r}."
            )
        lookups, to_many = [], False
        for entry in fields:
            prefix = entry[:1] if entry[:1] in _SEARCH_LOOKUPS else ""
            path, lookup = entry[len(prefix):], _SEARCH_LOOKUPS.get(prefix, "icontains")
            resolved = resolve_path(model, path, owner)
            if resolved.field.is_relation:
                raise ImproperlyConfigured(
                    f"{owner}: {path!r} is a relation; search a field of the related model, "
                    f"such as {path + LOOKUP_SEP + 'name'!r}."
                )
            lookups.append(f"{path}{LOOKUP_SEP}{lookup}")
            to_many = to_many or resolved.to_many
        self.lookups, self.to_many = tuple(lookups), to_many
        searched = ", ".join(i.rsplit(LOOKUP_SEP, 1)[0].replace(LOOKUP_SEP, ".") for i in lookups)
        description = f'Terms ("quote" a phrase), each to be found in one of: {searched}.'
        query = Query(alias=param, title=param, max_length=max_length, description=description)
        self.__signature__ = signature([keyword_parameter("search", Annotated[str, query])])

    async def __call__(self, search: str | None = None) -> Search:
        return Search(self, _terms(search or ""))

    def __repr__(self) -> str:
        return f"SearchFilter({self.model.__name__})"
