"""Endpoints over both databases of tests/pgsite: reads, and writes that then fail."""

from asgiref.sync import sync_to_async
from catalog.models import Author
from django.db import connections, transaction
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

router = APIRouter()


class Name(BaseModel):
    name: str


def _select_one(alias: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]


def _mark(name: str) -> None:
    with connections["other"].cursor() as cursor:
        cursor.execute("INSERT INTO probe_mark (name) VALUES (%s)", [name])


@router.get("/both")
def both() -> dict[str, int]:
    return {"default": Author.objects.count(), "other": _select_one("other")}


@router.get("/async/both")
async def both_async() -> dict[str, int]:
    return {"default": await Author.objects.acount(), "other": await sync_to_async(_select_one)("other")}


@router.post("/then-fail")
def write_both_then_fail(data: Name) -> None:
    Author.objects.create(name=data.name)
    _mark(data.name)
    raise HTTPException(status_code=409, detail="failed after writing")


@router.post("/async/then-fail")
async def write_both_then_fail_async(data: Name) -> None:
    await Author.objects.acreate(name=data.name)
    await sync_to_async(_mark)(data.name)
    raise HTTPException(status_code=409, detail="failed after writing")


@router.post("/non-atomic/then-fail")
@transaction.non_atomic_requests
def non_atomic_write_then_fail(data: Name) -> None:
    Author.objects.create(name=data.name)
    raise HTTPException(status_code=409, detail="failed after writing")
