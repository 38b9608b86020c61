"""Endpoints over the auth dependencies, the Django request adapter and throttles."""

from typing import Any

from django.template.loader import render_to_string
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from django_fastapi.security.csrf import csrf_exempt
from django_fastapi.security.dependencies import (
    ActiveUser,
    CurrentUser,
    DjangoRequest,
    OptionalUser,
    StaffUser,
    Superuser,
    acheck_object_perms,
    check_object_perms,
    require_perms,
)
from django_fastapi.security.throttling import client_ip, throttle
from tests.apps.notes.models import Note

from .views import count_visit, leave_message, read_messages

router = APIRouter()


class NoteIn(BaseModel):
    title: str


def get_note(pk: int) -> Note:
    note = Note.objects.filter(pk=pk).first()
    if note is None:
        raise HTTPException(404, f"Note {pk} not found")
    return note


def named(user: Any) -> dict:
    return {"username": user.get_username()}


@router.get("/optional")
async def optional(user: OptionalUser) -> dict:
    return {"authenticated": user.is_authenticated, "username": user.get_username() or None}


@router.get("/me")
async def me(user: CurrentUser) -> dict:
    return named(user)


@router.get("/me/sync")
def me_sync(user: CurrentUser) -> dict:
    return named(user)


@router.get("/active")
async def active(user: ActiveUser) -> dict:
    return named(user)


@router.get("/staff")
async def staff(user: StaffUser) -> dict:
    return named(user)


@router.get("/superuser")
def superuser_only(user: Superuser) -> dict:
    return named(user)


@router.get("/notes/perm", dependencies=[Depends(require_perms("notes.view_note"))])
def notes_with_perm() -> dict:
    return {"ok": True}


@router.get("/notes/perms")
async def notes_with_perms(
    user: Any = Depends(require_perms("notes.view_note", "notes.add_note")),
) -> dict:
    return named(user)


@router.get("/notes/{pk}/object-perm")
def note_object_perm(
    pk: int, user: Any = Depends(require_perms("notes.change_note", obj=get_note))
) -> dict:
    return named(user)


@router.patch("/notes/{pk}")
def rename_note(pk: int, body: NoteIn, user: CurrentUser) -> dict:
    note = get_note(pk)
    check_object_perms(user, "notes.change_note", note)
    note.title = body.title
    note.save()
    return {"title": note.title}


@router.patch("/async/notes/{pk}")
async def rename_note_async(pk: int, body: NoteIn, user: CurrentUser) -> dict:
    note = await Note.objects.filter(pk=pk).afirst()
    if note is None:
        raise HTTPException(404)
    await acheck_object_perms(user, "notes.change_note", note)
    note.title = body.title
    await note.asave()
    return {"title": note.title}


@router.delete("/unsafe")
@router.patch("/unsafe")
@router.put("/unsafe")
@router.post("/unsafe")
async def unsafe(user: CurrentUser) -> dict:
    return named(user)


@router.post("/unsafe/sync")
def unsafe_sync(user: CurrentUser) -> dict:
    return named(user)


@router.post("/exempt")
@csrf_exempt
async def exempt(user: CurrentUser) -> dict:
    return named(user)


@router.get("/visits")
def visits(request: DjangoRequest) -> dict:
    return count_visit(request)


@router.get("/greeting")
def greeting(request: DjangoRequest) -> dict:
    return {"html": render_to_string("secure/greeting.html", request=request)}


@router.get("/describe")
async def describe(request: DjangoRequest) -> dict:
    return {
        "method": request.method,
        "path": request.path,
        "GET": request.GET.dict(),
        "COOKIES": request.COOKIES,
        "user_agent": request.META.get("HTTP_USER_AGENT"),
        "host": request.get_host(),
        "absolute_uri": request.build_absolute_uri(),
        "is_secure": request.is_secure(),
        "user": (await request.auser()).get_username(),
    }


@router.post("/form")
def form(request: DjangoRequest) -> dict:
    return {"POST": request.POST.dict(), "body_length": len(request.body)}


@router.post("/messages")
def add_message(request: DjangoRequest, text: str) -> dict:
    leave_message(request, text)
    return {}


@router.get("/messages")
def list_messages(request: DjangoRequest) -> list[str]:
    return read_messages(request)


@router.get("/throttled/ip", dependencies=[Depends(throttle("3/min", key="ip"))])
async def throttled_ip(request: Request) -> dict:
    return {"ip": client_ip(request)}


@router.get("/throttled/user", dependencies=[Depends(throttle("2/min"))])
async def throttled_user() -> dict:
    return {}


@router.get("/throttled/token", dependencies=[Depends(throttle("2/min", key="token"))])
async def throttled_token() -> dict:
    return {}


@router.get("/throttled/shared-a", dependencies=[Depends(throttle("2/min", scope="shared"))])
async def shared_a() -> dict:
    return {}


@router.get("/throttled/shared-b", dependencies=[Depends(throttle("2/min", scope="shared"))])
def shared_b() -> dict:
    return {}


@router.get("/throttled/tuned", dependencies=[Depends(throttle(scope="tuned", key="ip"))])
async def tuned() -> dict:
    return {}


@router.get("/session/interrupted")
def session_interrupted(request: DjangoRequest) -> dict:
    from django.contrib.sessions.models import Session

    # As if a logout in another request deleted the session while this one was running.
    Session.objects.filter(session_key=request.session.session_key).delete()
    request.session["visits"] = 1
    return {}
