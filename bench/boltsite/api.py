"""The seed endpoint for django-bolt: the same query and response shape as sample_site's
``benchmark/api.py``, with django-bolt's msgspec models in place of Pydantic's."""

import msgspec
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from django_bolt import BoltAPI

api = BoltAPI()


class PermissionOut(msgspec.Struct):
    pk: int
    name: str


class PermissionList(msgspec.Struct):
    items: list[PermissionOut]


def _permissions() -> QuerySet:
    return Permission.objects.order_by("pk").values_list("pk", "name")


@api.get("/api/benchmark/permissions", response_model=PermissionList)
def list_permissions() -> PermissionList:
    return PermissionList(items=[PermissionOut(pk=pk, name=name) for pk, name in _permissions()])


@api.get("/api/benchmark/permissions-async", response_model=PermissionList)
async def list_permissions_async() -> PermissionList:
    return PermissionList(items=[PermissionOut(pk=pk, name=name) async for pk, name in _permissions()])
