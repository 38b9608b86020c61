"""An owner-scoped ModelRouter: the owner is the current user, set on create, never sent."""

from typing import Any

from django.db import models
from fastapi import APIRouter, Request

from django_fastapi.orm import ModelRouter, create_instance, model_schemas

from .models import Memo


class MemoRouter(ModelRouter):
    def get_queryset(self, request: Request, user: Any) -> models.QuerySet:
        return super().get_queryset(request, user).filter(owner=user)

    def perform_create(self, data: Any, request: Request, user: Any) -> models.Model:
        return create_instance(Memo, data, owner=user)


memos = MemoRouter(
    Memo,
    schemas=model_schemas(Memo, fields=["id", "owner", "text"], read_only=["owner"]),
    # Any signed-in user may keep memos; get_queryset makes each see only their own.
    permissions={action: "authenticated" for action in ("list", "retrieve", "create", "update", "partial_update", "destroy")},
    pagination=None,
)

router = APIRouter()
router.include_router(memos, prefix="/memos")
