"""Request and response bodies for the catalog API.

Authors have hand-written schemas (``*In`` replaces every field, ``*Patch`` changes only the fields
sent, ``*Out`` is read from instances); books and tags have schemas generated from their models,
the same fields, constraints and choices with nothing written twice.
"""
import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from django_fastapi.orm import model_schema, model_schemas

from .models import Author, Book, Tag

AuthorName = Annotated[str, Field(min_length=1, max_length=100)]


class _Input(BaseModel):
    # Unknown keys are refused so a misspelt PATCH field is an error, not a silent no-op.
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class _Patch(_Input):
    """Fields default to None, but sending an explicit null for a non-nullable field is an error."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _reject_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError(f"{info.field_name} may be omitted but not null")
        return value


class AuthorIn(_Input):
    name: AuthorName
    bio: str = ""


class AuthorPatch(_Patch):
    name: AuthorName | None = None
    bio: str | None = None


class AuthorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    bio: str
    created_at: datetime.datetime


AuthorRef = model_schema(Author, fields=["id", "name"], name="AuthorRef")
TagRef = model_schema(Tag, fields=["id", "slug", "name"], name="TagRef")
TAGS = model_schemas(Tag, fields=["id", "name", "slug"])
BOOK_FIELDS = [
    "id", "title", "author", "published", "pages", "in_stock", "format", "rating", "isbn", "tags",
    "created_at", "updated_at",
]
BOOKS = model_schemas(Book, fields=BOOK_FIELDS, nested={"author": AuthorRef, "tags": TagRef})
