"""Django models as APIs: schemas from models, saving, the model router, pagination, filters.

    from django_fastapi.orm import FilterSet, ModelRouter, OrderingFilter, SearchFilter
"""

from .field_types import register_field_type
from .filtering import Filters, FilterSet
from .keyset import InvalidCursor
from .ordering import Ordering, OrderingFilter
from .pagination import (
    BasePagination,
    CursorPage,
    CursorPagination,
    LimitOffsetPagination,
    Page,
    PageNumberPagination,
    Paging,
)
from .router import ModelRouter, Permission
from .saving import Conflict, acreate_instance, aupdate_instance, create_instance, update_instance
from .schemas import ModelSchemas, ReadSchema, WriteSchema, model_schema, model_schemas, query_plan
from .search import Search, SearchFilter

__all__ = [
    "BasePagination",
    "Conflict",
    "CursorPage",
    "CursorPagination",
    "FilterSet",
    "Filters",
    "InvalidCursor",
    "LimitOffsetPagination",
    "ModelRouter",
    "ModelSchemas",
    "Ordering",
    "OrderingFilter",
    "Page",
    "PageNumberPagination",
    "Paging",
    "Permission",
    "ReadSchema",
    "Search",
    "SearchFilter",
    "WriteSchema",
    "acreate_instance",
    "aupdate_instance",
    "create_instance",
    "model_schema",
    "model_schemas",
    "query_plan",
    "register_field_type",
    "update_instance",
]
