"""Event endpoints for the events tests (mounted with FASTAPI_ROUTERS, also by tests/eventsite.py).

``/stream/{channel}`` streams ``private:<user pk>`` to its owner only, any ``open:`` or ``sync:``
channel to anyone (``sync:`` checked by a sync rule), with the answering worker's pid in ``X-Worker``; ``/publish`` sends
from the worker that answers it.
"""

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from django_fastapi.events import EVENT_STREAM, apublish, channel_access, event_stream, publish
from django_fastapi.security import OptionalUser

router = APIRouter()


@channel_access("private:*")
def owner_only(user: Any, channel: str) -> bool:
    return user.is_authenticated and channel == f"private:{user.pk}"


@channel_access("open:*")
async def anyone(user: Any, channel: str) -> bool:
    return True


@channel_access("sync:*")
def anyone_checked_on_a_lane(user: Any, channel: str) -> bool:
    return True  # a sync rule: runs on a lane, which the stream gives back before waiting


@router.get("/stream/{channel}", response_class=StreamingResponse, responses=EVENT_STREAM)
async def stream(channel: str, request: Request, user: OptionalUser) -> StreamingResponse:
    response = await event_stream(request, channel, user=user)
    response.headers["X-Worker"] = str(os.getpid())
    return response


@router.post("/publish/{channel}")
async def publish_async(channel: str, body: dict[str, Any]) -> dict[str, str]:
    return {"id": await apublish(channel, body), "worker": str(os.getpid())}


@router.post("/publish-sync/{channel}")
def publish_sync(channel: str, body: dict[str, Any]) -> dict[str, str]:
    return {"id": publish(channel, body), "worker": str(os.getpid())}
