"""Benchmark targets.

``/permissions`` and ``/permissions-async``: the same read-only query served by a sync and an async
endpoint, every auth Permission ordered by pk, so their responses are identical and comparable
across servers and connection settings (bench/run.py).

``/books``: the page of books the catalog's model router lists, written out by hand as a plain
FastAPI endpoint, for bench/model_router.py to compare against the router.
"""
from typing import Annotated

from asgiref.sync import sync_to_async
from catalog.models import Book
from catalog.schemas import BOOKS
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from django_fastapi.orm import Page

router = APIRouter()


class PermissionOut(BaseModel):
    pk: int
    name: str


class PermissionList(BaseModel):
    items: list[PermissionOut]


def _permissions() -> QuerySet:
    return Permission.objects.order_by("pk").values_list("pk", "name")


@router.get("/permissions", response_model=PermissionList)
def list_permissions() -> PermissionList:
    return PermissionList(
        items=[PermissionOut(pk=pk, name=name) for pk, name in _permissions()]
    )


@router.get("/permissions-async", response_model=PermissionList)
async def list_permissions_async() -> PermissionList:
    return PermissionList(
        items=[PermissionOut(pk=pk, name=name) async for pk, name in _permissions()]
    )


@router.get("/books", response_model=Page[BOOKS.read])
async def list_books_by_hand(
    request: Request,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page:
    def fetch() -> tuple[int, list]:
        books = Book.objects.select_related("author").prefetch_related("tags").order_by("pk")
        count = books.count()
        if page > 1 and (page - 1) * page_size >= count:
            raise HTTPException(404, "That page contains no results")
        rows = books[(page - 1) * page_size : page * page_size]
        return count, [BOOKS.read.model_validate(book) for book in rows]

    count, results = await sync_to_async(fetch)()
    more = page * page_size < count
    return Page(
        count=count,
        next=str(request.url.include_query_params(page=page + 1)) if more else None,
        previous=str(request.url.include_query_params(page=page - 1)) if page > 1 else None,
        results=results,
    )
