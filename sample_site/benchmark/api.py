"""Benchmark targets: the same read-only query served by a sync and an async endpoint.

Both return every auth Permission ordered by pk, so their responses are identical and
comparable across servers and connection settings.
"""
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from fastapi import APIRouter
from pydantic import BaseModel

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
