"""Request and response bodies for the catalog API.

``*In`` bodies replace every field (POST, PUT), ``*Patch`` bodies change only the fields sent
(PATCH), ``*Out`` bodies are read from model instances and expose the primary key as ``id``.
"""
import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

# PositiveIntegerField's range is the same on every backend Django supports.
PAGES_MAX = 2_147_483_647

AuthorName = Annotated[str, Field(min_length=1, max_length=100)]
BookTitle = Annotated[str, Field(min_length=1, max_length=200)]
Pages = Annotated[int, Field(ge=0, le=PAGES_MAX)]
AuthorId = Annotated[int, Field(gt=0)]


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


class AuthorRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class BookIn(_Input):
    title: BookTitle
    author_id: AuthorId
    published: datetime.date | None = None
    pages: Pages = 0
    in_stock: bool = True


class BookPatch(_Patch):
    nullable = frozenset({"published"})

    title: BookTitle | None = None
    author_id: AuthorId | None = None
    published: datetime.date | None = None
    pages: Pages | None = None
    in_stock: bool | None = None


class BookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    author: AuthorRef
    published: datetime.date | None
    pages: int
    in_stock: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
