"""Endpoints and dependencies that raise Django's exceptions the way project code meets them."""

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404
from fastapi import APIRouter, Depends

from tests.apps.notes.models import Note

router = APIRouter()


def raise_for(kind: str) -> None:
    if kind == "http404":
        raise Http404("No note 7.")
    if kind == "does-not-exist":
        Note.objects.get(pk=-1)
    if kind == "multiple-objects":
        Note.objects.get(title="twin")
    if kind == "permission-denied":
        raise PermissionDenied("Only editors may do that.")
    if kind == "bad-request":
        raise BadRequest("The page parameter is required.")
    if kind == "suspicious":
        raise SuspiciousOperation("Tampered signature.")
    if kind == "validation":
        Note(title="x" * 101).full_clean()
    if kind == "validation-non-field":
        raise ValidationError("Notes are read-only on Sundays.", code="closed")
    if kind == "error":
        raise ZeroDivisionError("division by zero")


async def araise_for(kind: str) -> None:
    if kind == "does-not-exist":
        await Note.objects.aget(pk=-1)
    if kind == "multiple-objects":
        await Note.objects.aget(title="twin")
    raise_for(kind)


def sync_dependency(kind: str) -> None:
    raise_for(kind)


async def async_dependency(kind: str) -> None:
    await araise_for(kind)


@router.get("/sync/{kind}")
def sync_endpoint(kind: str):
    raise_for(kind)
    return {"raised": False}


@router.get("/async/{kind}")
async def async_endpoint(kind: str):
    await araise_for(kind)
    return {"raised": False}


@router.get("/sync-dependency/{kind}", dependencies=[Depends(sync_dependency)])
def with_sync_dependency(kind: str):
    return {"raised": False}


@router.get("/async-dependency/{kind}", dependencies=[Depends(async_dependency)])
async def with_async_dependency(kind: str):
    return {"raised": False}
