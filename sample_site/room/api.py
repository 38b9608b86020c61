"""Chat rooms over a websocket, with Django's authentication: ``/api/room/{name}``.

Logged-in users join: from a page of the site (the admin's session cookie; the Origin is
checked) or with an API token (``new WebSocket(url, ["bearer", token])`` in a browser, or
``Authorization: Bearer`` from a script). Anonymous sockets are refused (403). Every text message
goes to everyone in the room as ``{"type": "message", "user": <sender's username>, "text": ...}``;
joins and leaves as ``{"type": "joined"|"left", "user": ...}``.

The rooms live in this process only: ``broadcast`` is the one function to change to reach the
members connected to other workers and hosts.
"""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, WebSocket

from django_fastapi.security import CurrentUser

router = APIRouter()

MAX_TEXT = 2000  # characters of a message passed on; the rest is cut
RoomName = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[\w-]+$")]

# Room name -> the sockets in it, in this process.
members: dict[str, set[WebSocket]] = {}


async def broadcast(room: str, event: dict[str, Any]) -> None:
    """Send ``event`` to everyone in ``room``; a member whose socket fails is dropped."""
    sockets = list(members.get(room, ()))
    results = await asyncio.gather(*(socket.send_json(event) for socket in sockets), return_exceptions=True)
    for socket, result in zip(sockets, results):
        if isinstance(result, Exception):
            members.get(room, set()).discard(socket)


@router.websocket("/{name}")
async def room(websocket: WebSocket, name: RoomName, user: CurrentUser) -> None:
    username = user.get_username()
    await websocket.accept()
    members.setdefault(name, set()).add(websocket)
    try:
        await broadcast(name, {"type": "joined", "user": username})
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                continue  # binary frames are not chat
            await broadcast(name, {"type": "message", "user": username, "text": text[:MAX_TEXT]})
    finally:
        sockets = members.get(name, set())
        sockets.discard(websocket)
        if not sockets:
            members.pop(name, None)
        else:
            await broadcast(name, {"type": "left", "user": username})
