"""Websocket routes over the auth dependencies: each accepts, then says who the user is."""

from typing import Any

from asgiref.sync import sync_to_async
from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect

from django_fastapi.security import (
    CurrentUser,
    OptionalUser,
    StaffUser,
    Superuser,
    acheck_perms,
    require_perms,
    throttle,
)
from tests.apps.notes.models import Note

router = APIRouter()


async def greet(websocket: WebSocket, user: Any) -> None:
    await websocket.accept()
    await websocket.send_json({
        "username": user.get_username() if user.is_authenticated else None,
        "subprotocol": websocket.scope.get("subprotocols") and "offered",
    })
    try:
        while True:
            await websocket.send_text("echo " + await websocket.receive_text())
    except WebSocketDisconnect:
        pass


@router.websocket("/me")
async def me(websocket: WebSocket, user: CurrentUser) -> None:
    await greet(websocket, user)


@router.websocket("/optional")
async def optional(websocket: WebSocket, user: OptionalUser) -> None:
    await greet(websocket, user)


@router.websocket("/notes-writer", dependencies=[Depends(require_perms("notes.add_note"))])
async def notes_writer(websocket: WebSocket, user: CurrentUser) -> None:
    await greet(websocket, user)


@router.websocket("/staff")
async def staff(websocket: WebSocket, user: StaffUser) -> None:
    await greet(websocket, user)


@router.websocket("/superuser")
async def superuser(websocket: WebSocket, user: Superuser) -> None:
    await greet(websocket, user)


@router.websocket("/checked-after-accept")
async def checked_after_accept(websocket: WebSocket, user: OptionalUser) -> None:
    """Accepts anyone, then checks: 4401 for the anonymous, 4403 without the permission."""
    await websocket.accept()
    await acheck_perms(user, "notes.add_note")
    await websocket.send_text("allowed")
    await websocket.receive_text()


@router.websocket("/notes")
async def notes(websocket: WebSocket, user: CurrentUser) -> None:
    """Each message: the titles of the notes (a query on a lane, or the test's thread)."""
    await websocket.accept()
    try:
        while True:
            await websocket.receive_text()
            titles = await sync_to_async(lambda: sorted(Note.objects.values_list("title", flat=True)))()
            await websocket.send_json(titles)
    except WebSocketDisconnect:
        pass


@router.websocket("/broken")
async def broken(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.receive_text()
    raise ZeroDivisionError("a bug")


@router.websocket("/throttled", dependencies=[Depends(throttle("1/min", key="ip"))])
async def throttled(websocket: WebSocket, user: OptionalUser) -> None:
    await greet(websocket, user)


@router.websocket("/echoes-offer")
async def echoes_offer(websocket: WebSocket, user: CurrentUser) -> None:
    """Accepts the last subprotocol offered: with ["bearer", token], the token (never sent)."""
    await websocket.accept(subprotocol=websocket.scope["subprotocols"][-1])
    await websocket.send_text("accepted")


class Teapot(Exception):
    pass


@router.websocket("/teapot")
async def teapot(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.receive_text()
    raise Teapot("short and stout")


def teapot_handler(request: Any, exc: Exception) -> Any:
    from fastapi.responses import JSONResponse

    return JSONResponse({"detail": str(exc)}, status_code=418)
