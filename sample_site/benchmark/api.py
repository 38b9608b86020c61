"""Benchmark targets.

``/permissions`` and ``/permissions-async``: the same read-only query served by a sync and an async
endpoint, every auth Permission ordered by pk, so their responses are identical and comparable
across servers and connection settings (bench/run.py).

``/wait`` (``?seconds=1&query=1``): an ``async def`` endpoint that awaits, with an ORM query before and
after the wait when asked; ``/events``: a server-sent event stream from an async generator. Both
for bench/concurrency.py.

``/live`` and ``/publish``: server-sent events of the channel "bench" and an ``apublish`` to it, for
bench/events.py (delivery latency to many subscribers, memory per idle stream); ``/idle``: a
websocket that is accepted and waits for its close, for the same script's memory per idle websocket
beside the room's (sample_site/room).

``/echo``: a sync endpoint with a JSON body, which clients trickling bodies aim at.

``/whoami``: who the request is from (``OptionalUser``), for bench/auth.py to compare the cost of
each credential (session, API token, access token) against an anonymous request.

``/books``: the page of books the catalog's model router lists, written out by hand as a plain
FastAPI endpoint, for bench/model_router.py to compare against the router.
"""
import asyncio
from typing import Annotated

from asgiref.sync import sync_to_async
from catalog.models import Book
from catalog.schemas import BOOKS
from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from fastapi import APIRouter, HTTPException, Query, Request, WebSocket
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from django_fastapi.events import apublish, event_stream
from django_fastapi.orm import Page
from django_fastapi.security import OptionalUser

router = APIRouter()


class PermissionOut(BaseModel):
    pk: int
    name: str


class PermissionList(BaseModel):
    items: list[PermissionOut]


def _permissions() -> QuerySet:
    return Permission.objects.order_by("pk").values_list("pk", "name")


@router.get("/permissions", response_model=PermissionList)
def list_permissions() -> PermissionList:
    return PermissionList(
        items=[PermissionOut(pk=pk, name=name) for pk, name in _permissions()]
    )


@router.get("/permissions-async", response_model=PermissionList)
async def list_permissions_async() -> PermissionList:
    return PermissionList(
        items=[PermissionOut(pk=pk, name=name) async for pk, name in _permissions()]
    )


@router.get("/books", response_model=Page[BOOKS.read])
async def list_books_by_hand(
    request: Request,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page:
    def fetch() -> tuple[int, list]:
        books = Book.objects.select_related("author").prefetch_related("tags").order_by("pk")
        count = books.count()
        if page > 1 and (page - 1) * page_size >= count:
            raise HTTPException(404, "That page contains no results")
        rows = books[(page - 1) * page_size : page * page_size]
        return count, [BOOKS.read.model_validate(book) for book in rows]

    count, results = await sync_to_async(fetch)()
    more = page * page_size < count
    return Page(
        count=count,
        next=str(request.url.include_query_params(page=page + 1)) if more else None,
        previous=str(request.url.include_query_params(page=page - 1)) if page > 1 else None,
        results=results,
    )


# /wait requests in this process now, and the most there have been at once.
_waiting = {"now": 0, "peak": 0}


@router.get("/wait")
async def wait(seconds: Annotated[float, Query(ge=0, le=60)] = 1.0, query: bool = False) -> dict[str, int]:
    _waiting["now"] += 1
    _waiting["peak"] = max(_waiting["peak"], _waiting["now"])
    try:
        count = await Permission.objects.acount() if query else 0
        await asyncio.sleep(seconds)
        if query:
            count = await Permission.objects.acount()
    finally:
        _waiting["now"] -= 1
    return {"permissions": count, "peak_in_flight": _waiting["peak"]}


@router.get("/events")
async def events(
    count: Annotated[int, Query(ge=1, le=1000)] = 3,
    interval: Annotated[float, Query(ge=0, le=60)] = 0.5,
) -> StreamingResponse:
    async def stream():
        for index in range(count):
            await asyncio.sleep(interval)
            yield f"id: {index}\ndata: {index}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream")


@router.get("/live", response_class=StreamingResponse)
async def live(request: Request) -> StreamingResponse:
    return await event_stream(request, "bench", authorize_user=False)


@router.websocket("/idle")
async def idle(websocket: WebSocket) -> None:
    await websocket.accept()
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass  # whatever a client sends is dropped


class Published(BaseModel):
    sent: float


@router.post("/publish")
async def publish(body: Published) -> dict[str, str]:
    return {"id": await apublish("bench", body.model_dump())}


class Echo(BaseModel):
    text: str


@router.post("/echo")
def echo(body: Echo) -> Echo:
    return body


@router.get("/whoami")
async def whoami(user: OptionalUser) -> dict[str, str | None]:
    return {"username": user.get_username() if user.is_authenticated else None}
