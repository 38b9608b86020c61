"""Page-number, limit/offset and cursor pagination of querysets, as FastAPI dependencies.

    from django_fastapi.orm import PageNumberPagination, Paging

    pagination = PageNumberPagination()

    @router.get("/books", response_model=pagination.response_model(BookOut))
    def list_books(paging: Paging = Depends(pagination), format: str | None = None):
        books = Book.objects.select_related("author")
        return paging.paginate(books.filter(format=format) if format else books, BookOut)

    GET /api/shop/books?format=ebook&page=2
    {"count": 45, "next": "http://testserver/api/shop/books?format=ebook&page=3",
     "previous": "http://testserver/api/shop/books?format=ebook", "results": [...]}

Sizes not passed come from ``FASTAPI_PAGE_SIZE`` and ``FASTAPI_MAX_PAGE_SIZE``, read when the app
is built (the app is rebuilt when settings change), as the query parameters' default and maximum.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar, cast

from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Model, QuerySet
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from ..conf import api_settings
from ..core.signatures import query_parameter, request_parameter, signature
from .keyset import InvalidCursor, Keyset, parse_ordering

T = TypeVar("T")
# The largest page or offset: a 64-bit OFFSET (past it, SQLite's OverflowError is a 500).
MAX_INDEX = 2**63 - 1
Schema = type[BaseModel] | None


class Page(BaseModel, Generic[T]):
    """A page of a list: how many rows in all, links to the pages either side, the rows."""

    count: int
    next: str | None
    previous: str | None
    results: list[T]


class CursorPage(BaseModel, Generic[T]):
    """A page of a list paged by cursor: links to the pages either side and the rows; no count."""

    next: str | None
    previous: str | None
    results: list[T]


class Paging:
    """What a pagination dependency gives the endpoint: this request's page, ready to apply."""

    def __init__(self, pagination: BasePagination, request: Request, params: dict[str, Any]) -> None:
        self.pagination = pagination
        self.request = request
        self.params = params

    def paginate(self, queryset: QuerySet, schema: Schema = None) -> BaseModel:
        """The page of ``queryset`` the request asks for, each row as ``schema`` when given."""
        return self.pagination.paginate_request(self.request, queryset, schema, **self.params)

    async def apaginate(self, queryset: QuerySet, schema: Schema = None) -> BaseModel:
        """``paginate`` for ``async def`` endpoints, with the same queries."""
        # One hop to the request's thread (its lane under the bridge) for the queries and for
        # from_attributes, which may read related objects: sync-only work.
        return await sync_to_async(self.paginate, thread_sensitive=True)(queryset, schema)

    def response_model(self, schema: Schema = None) -> type[BaseModel]:
        return self.pagination.response_model(schema)


class _QuerySignature:
    """``inspect.signature(pagination)``, which FastAPI reads: the request and the query parameters."""

    def __get__(self, instance: BasePagination | None, owner: type) -> inspect.Signature | None:
        if instance is None:
            return None  # on the class, inspect falls back to __init__
        parameters = [request_parameter(), *instance.query_parameters()]
        return signature(parameters, return_annotation=Paging)


def _link(request: Request, **params: int | str | None) -> str:
    """The request's URL with ``params`` replaced (None removes one), other parameters kept."""
    url = request.url.remove_query_params([name for name, value in params.items() if value is None])
    return str(url.include_query_params(**{name: v for name, v in params.items() if v is not None}))


class BasePagination:
    """A FastAPI dependency, ``Depends(pagination)``, whose value is a ``Paging``."""

    page_model: type[BaseModel] = Page
    size_names = ("page_size", "max_page_size")
    __signature__ = _QuerySignature()

    def __init__(self, page_size: int | None = None, max_page_size: int | None = None) -> None:
        name = type(self).__name__
        for argument, value in zip(self.size_names, (page_size, max_page_size)):
            if value is not None and (type(value) is not int or value < 1):
                raise ImproperlyConfigured(
                    f"{name}({argument}=...) must be a positive integer; got {value!r}."
                )
        if page_size is not None and max_page_size is not None and page_size > max_page_size:
            raise ImproperlyConfigured(
                f"{name}({self.size_names[0]}={page_size}) is above {self.size_names[1]}={max_page_size}; "
                "lower the one or raise the other."
            )
        self.page_size = page_size
        self.max_page_size = max_page_size

    @classmethod
    def response_model(cls, schema: Schema = None) -> type[BaseModel]:
        """The model of a page of ``schema`` rows, for ``response_model=``: ``Page[BookOut]``."""
        # page_model is a generic pydantic model (Page, CursorPage or a subclass): subscriptable.
        return cls.page_model if schema is None else cast(Any, cls.page_model)[schema]

    def sizes(self) -> tuple[int, int]:
        """(default, maximum) page size: the arguments, else the settings."""
        maximum = self.max_page_size or api_settings.MAX_PAGE_SIZE
        if self.page_size is None:
            return min(api_settings.PAGE_SIZE, maximum), maximum
        if self.page_size > maximum:
            raise ImproperlyConfigured(
                f"{type(self).__name__}({self.size_names[0]}={self.page_size}) is above "
                f"FASTAPI_MAX_PAGE_SIZE ({maximum}); pass {self.size_names[1]}= too, or raise the setting."
            )
        return self.page_size, maximum

    def query_parameters(self) -> list[inspect.Parameter]:
        raise NotImplementedError

    def paginate_request(
        self, request: Request, queryset: QuerySet, schema: Schema, *args: Any, **params: Any
    ) -> BaseModel:
        # *args too: to mypy, (..., *args: Any, **params: Any) lets subclasses name their parameters.
        raise NotImplementedError

    async def __call__(self, request: Request, **params: Any) -> Paging:
        return Paging(self, request, params)

    def build(self, schema: Schema, rows: Iterable[Any], **fields: Any) -> BaseModel:
        if schema is not None:
            rows = [schema.model_validate(row, from_attributes=True) for row in rows]
        return self.response_model(schema)(results=list(rows), **fields)


class PageNumberPagination(BasePagination):
    """``?page=2&page_size=50``: a count and a page, through Django's ``Paginator``.

    A page past the last is a 404 with the paginator's message; an empty list still has page 1.
    """

    def __init__(self, *, page_size: int | None = None, max_page_size: int | None = None) -> None:
        super().__init__(page_size, max_page_size)

    def query_parameters(self) -> list[inspect.Parameter]:
        size, maximum = self.sizes()
        return [
            query_parameter("page", int, 1, ge=1, le=MAX_INDEX, description="A page number within the list."),
            query_parameter("page_size", int, size, ge=1, le=maximum, description="Results per page."),
        ]

    def paginate_request(
        self, request: Request, queryset: QuerySet, schema: Schema, *, page: int, page_size: int
    ) -> BaseModel:
        paginator = Paginator(queryset, page_size)
        try:
            found = paginator.page(page)
        except EmptyPage as exc:
            raise HTTPException(404, str(exc)) from exc
        return self.build(
            schema,
            found.object_list,
            count=paginator.count,
            next=_link(request, page=page + 1) if found.has_next() else None,
            # The first page's link has no page parameter, as DRF's.
            previous=_link(request, page=page - 1 if page > 2 else None) if page > 1 else None,
        )


class LimitOffsetPagination(BasePagination):
    """``?limit=50&offset=100``: a count and a slice; an offset past the end gives no rows."""

    size_names = ("default_limit", "max_limit")

    def __init__(self, *, default_limit: int | None = None, max_limit: int | None = None) -> None:
        super().__init__(default_limit, max_limit)

    def query_parameters(self) -> list[inspect.Parameter]:
        size, maximum = self.sizes()
        return [
            query_parameter("limit", int, size, ge=1, le=maximum, description="Results to return."),
            query_parameter("offset", int, 0, ge=0, le=MAX_INDEX, description="Index of the first result."),
        ]

    def paginate_request(
        self, request: Request, queryset: QuerySet, schema: Schema, *, limit: int, offset: int
    ) -> BaseModel:
        count = queryset.count()
        # Past the end, no second query (and no huge OFFSET for the database).
        rows = queryset[offset : offset + limit] if offset < count else []
        return self.build(
            schema,
            rows,
            count=count,
            next=_link(request, offset=offset + limit) if offset + limit < count else None,
            previous=_link(request, offset=offset - limit if offset > limit else None) if offset else None,
        )


class CursorPagination(BasePagination):
    """``?cursor=...&page_size=50``: one query and no count, for large tables; stable under inserts.

    Rows come in ``ordering`` (the model's own fields; the primary key is added as the last
    tie-breaker), replacing the queryset's ordering. ``next``/``previous`` carry an opaque cursor;
    an edited one is a 422.
    """

    page_model = CursorPage

    def __init__(
        self,
        *,
        ordering: str | Sequence[str] = "-pk",
        page_size: int | None = None,
        max_page_size: int | None = None,
    ) -> None:
        super().__init__(page_size, max_page_size)
        self.ordering = parse_ordering(ordering)

    def check(self, model: type[Model]) -> None:
        """Raise ``ImproperlyConfigured`` now if ``model`` cannot be paged in this ordering."""
        Keyset.for_model(model, self.ordering)

    def query_parameters(self) -> list[inspect.Parameter]:
        size, maximum = self.sizes()
        return [
            query_parameter("cursor", str | None, None, description="A next or previous link's cursor."),
            query_parameter("page_size", int, size, ge=1, le=maximum, description="Results per page."),
        ]

    def paginate_request(
        self, request: Request, queryset: QuerySet, schema: Schema, *, cursor: str | None, page_size: int
    ) -> BaseModel:
        model: type[Model] = queryset.model
        keyset = Keyset.for_model(model, self.ordering)
        position, reverse = _decode(keyset, cursor) if cursor is not None else (None, False)
        ordered = queryset.order_by(*keyset.order_by(reverse))
        if position is not None:
            ordered = ordered.filter(keyset.after(position, reverse))
        rows = list(ordered[: page_size + 1])  # the extra row tells whether there is a further page
        further = len(rows) > page_size
        del rows[page_size:]
        if reverse:
            rows.reverse()
        first = keyset.position(rows[0]) if rows else position
        last = keyset.position(rows[-1]) if rows else position
        has_next, has_previous = (True, further) if reverse else (further, position is not None)
        return self.build(
            schema,
            rows,
            next=_link(request, cursor=keyset.encode(last, False)) if has_next and last else None,
            previous=_link(request, cursor=keyset.encode(first, True)) if has_previous and first else None,
        )


def _decode(keyset: Keyset, cursor: str) -> tuple[list[Any], bool]:
    try:
        return keyset.decode(cursor)
    except InvalidCursor as exc:
        error = {"type": "value_error", "loc": ("query", "cursor"), "msg": f"Invalid cursor: {exc}."}
        raise RequestValidationError([{**error, "input": cursor}]) from None
