"""Chat rooms over a websocket, with Django's authentication: ``/api/room/{name}``.

Logged-in users join: from a page of the site (the admin's session cookie; the Origin is
checked) or with an API token (``new WebSocket(url, ["bearer", token])`` in a browser, or
``Authorization: Bearer`` from a script). Anonymous sockets are refused (403). Every text message
goes to everyone in the room as ``{"type": "message", "user": <sender's username>, "text": ...}``;
joins and leaves as ``{"type": "joined"|"left", "user": ...}``.

Each room is an events channel (``room:<name>``, django_fastapi.events): members connected to
other workers and hosts get the messages too, with the site's ``FASTAPI_EVENTS`` backend (Redis or
PostgreSQL; the default in-memory backend reaches one process).
"""

import asyncio
import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, WebSocket

from django_fastapi.events import Subscription, apublish, subscribe
from django_fastapi.security import CurrentUser

router = APIRouter()

# Characters of a message passed on; the rest is cut. 1,000 characters stay within the events'
# payload limit (7,000 bytes of JSON) whatever they are.
MAX_TEXT = 1000
RoomName = Annotated[str, Path(min_length=1, max_length=50, pattern=r"^[\w-]+$")]



async def broadcast(room: str, event: dict[str, Any]) -> None:
    """Send ``event`` to everyone in ``room``, on every worker and host."""
    await apublish(f"room:{room}", event)


async def forward(events: Subscription, websocket: WebSocket) -> None:
    async for event in events:
        await websocket.send_json(event.data)


@router.websocket("/{name}")
async def room(websocket: WebSocket, name: RoomName, user: CurrentUser) -> None:
    username = user.get_username()
    await websocket.accept()
    try:
        async with subscribe(f"room:{name}") as events:
            forwarding = asyncio.create_task(forward(events, websocket))
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
                forwarding.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await forwarding
    finally:
        await broadcast(name, {"type": "left", "user": username})
