"""Endpoints that record which thread ran each part of a request, for tests/core/test_lifecycle.py."""

import asyncio
import threading
import time
from typing import Annotated

from asgiref.sync import sync_to_async
from django.db import OperationalError, transaction
from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    HTTPException,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask

from tests.apps.notes.api import NoteIn
from tests.apps.notes.models import Note

router = APIRouter()

# (event, thread name) in the order they happened; the tests clear it.
events: list[tuple[str, str]] = []
_lock = threading.Lock()


def record(event: str) -> str:
    name = threading.current_thread().name
    with _lock:
        events.append((event, name))
    return name


def sync_dependency() -> str:
    return record("dependency")


def yield_dependency():
    yield record("yield setup")
    record("yield teardown")


Threads = Annotated[str, Depends(sync_dependency)]
YieldThreads = Annotated[str, Depends(yield_dependency)]


@router.get("/threads")
def threads(dependency: Threads, yield_dependency: YieldThreads) -> dict[str, str]:
    Note.objects.count()
    return {"endpoint": record("endpoint"), "dependency": dependency, "yield": yield_dependency}


@router.get("/async/threads")
async def threads_async(dependency: Threads, yield_dependency: YieldThreads) -> dict[str, str]:
    await Note.objects.acount()
    return {"dependency": dependency, "yield": yield_dependency}


@router.get("/async/nothing")
async def nothing() -> dict[str, str]:
    return {}


@router.get("/slow")
def slow() -> dict[str, str]:
    time.sleep(0.02)
    return {"thread": threading.current_thread().name}


@router.get("/sleep")
def sleep(seconds: float) -> dict[str, str]:
    time.sleep(seconds)
    return {"thread": threading.current_thread().name}


def add_hooked_route(app) -> None:
    """FASTAPI_CONFIGURE_APP hook: a sync route added to the app itself."""

    @app.get("/hooked")
    def hooked() -> dict[str, str]:
        Note.objects.count()
        return {"thread": threading.current_thread().name}


@router.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks():
        for index in range(3):
            record(f"chunk {index}")
            yield f"{index}\n"
            await asyncio.sleep(0.01)

    return StreamingResponse(chunks(), media_type="text/plain")


@router.get("/stream/sync", response_class=StreamingResponse)
def stream_sync():
    for index in range(3):
        Note.objects.count()
        yield f"{record(f'chunk {index}')}\n"


@router.post("/background")
def background(tasks: BackgroundTasks) -> dict[str, str]:
    tasks.add_task(lambda: (Note.objects.count(), record("background")))
    return {"thread": record("endpoint")}


@router.post("/background/response")
def background_response() -> JSONResponse:
    task = BackgroundTask(lambda: (Note.objects.count(), record("background")))
    return JSONResponse({"thread": record("endpoint")}, background=task)


@router.websocket("/ws")
async def echo(websocket: WebSocket, dependency: Threads) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text() + " " + dependency)
    except WebSocketDisconnect:
        record("websocket closed")


def label() -> str:
    return "original"


@router.get("/label")
def get_label(value: Annotated[str, Depends(label)]) -> dict[str, str]:
    return {"label": value, "thread": threading.current_thread().name}


@router.post("/non-atomic/then-fail")
@transaction.non_atomic_requests
def non_atomic_then_fail(data: NoteIn) -> None:
    Note.objects.create(title=data.title)
    raise HTTPException(status_code=409, detail="failed after writing")


@router.post("/async/non-atomic/then-fail")
@transaction.non_atomic_requests
async def non_atomic_then_fail_async(data: NoteIn) -> None:
    await Note.objects.acreate(title=data.title)
    raise HTTPException(status_code=409, detail="failed after writing")


@router.get("/database-down")
def database_down() -> None:
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


@router.post("/async/notes/then-wait")
async def create_then_wait(data: NoteIn) -> None:
    await Note.objects.acreate(title=data.title)
    record("written")
    await asyncio.sleep(30)


def atomic_dependency():
    with transaction.atomic():
        yield


@router.post("/notes/in-dependency-transaction/then-wait", dependencies=[Depends(atomic_dependency)])
async def create_in_dependency_transaction_then_wait(data: NoteIn) -> None:
    await Note.objects.acreate(title=data.title)
    record("written")
    await asyncio.sleep(30)


# Tasks an endpoint left running after its request ended, and what their late sync calls met.
_outliving: set[asyncio.Task] = set()


@router.get("/async/outlive")
async def outlive() -> dict[str, str]:
    async def later() -> None:
        await asyncio.sleep(0.05)
        try:
            await sync_to_async(record)("late sync call")
        except RuntimeError as exc:
            record(f"refused: {exc}")

    task = asyncio.create_task(later())
    _outliving.add(task)
    task.add_done_callback(_outliving.discard)
    return {"lane": await sync_to_async(record)("outlive")}


# Requests in flight at once in the endpoints below, and the most seen (tests/test_request_cycle.py).
in_flight = {"now": 0, "peak": 0}
_gates: dict[str, asyncio.Event] = {}


def gate(name: str) -> asyncio.Event:
    if name not in _gates:
        _gates[name] = asyncio.Event()
    return _gates[name]


def reset_in_flight() -> None:
    in_flight.update(now=0, peak=0)
    _gates.clear()


@router.get("/async/hold")
async def hold(seconds: float = 0.0, query: bool = False, until: str = "") -> dict[str, object]:
    in_flight["now"] += 1
    in_flight["peak"] = max(in_flight["peak"], in_flight["now"])
    threads = []
    try:
        if query:
            threads.append(await sync_to_async(record)("before"))
            await Note.objects.acount()
        if until:
            await gate(until).wait()
        else:
            await asyncio.sleep(seconds)
        if query:
            await Note.objects.acount()
            threads.append(await sync_to_async(record)("after"))
    finally:
        in_flight["now"] -= 1
    return {"threads": threads}


@router.post("/async/open/{name}")
async def open_gate(name: str) -> dict[str, int]:
    gate(name).set()
    return dict(in_flight)


@router.get("/async/in-flight")
async def get_in_flight() -> dict[str, int]:
    return dict(in_flight)


@router.get("/sleep/recorded")
def sleep_recorded(seconds: float) -> dict[str, str]:
    record("sleep started")
    time.sleep(seconds)
    return {"thread": record("sleep done")}


@router.post("/async/atomic/wait")
async def atomic_wait(data: NoteIn, seconds: float = 0.2, fail: bool = False) -> dict[str, object]:
    """Under ATOMIC_REQUESTS: two writes with awaits between, on one connection."""
    first = await sync_to_async(lambda: (Note.objects.create(title=data.title + " 1"), record("atomic 1"))[1])()
    await asyncio.sleep(seconds)
    second = await sync_to_async(lambda: (Note.objects.create(title=data.title + " 2"), record("atomic 2"))[1])()
    if fail:
        raise HTTPException(status_code=409, detail="failed after two writes")
    return {"threads": [first, second]}


@router.get("/async/stream/hold")
async def stream_hold(until: str) -> StreamingResponse:
    async def chunks():
        yield "open\n"
        await gate(until).wait()
        yield "closed\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")


@router.websocket("/ws/count")
async def count_socket(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.receive_text()
            count = await Note.objects.acount()
            await websocket.send_text(f"{count} {await sync_to_async(record)('ws message')}")
    except WebSocketDisconnect:
        pass


@router.post("/async/autocommit-off/then-wait")
async def autocommit_off_then_wait(data: NoteIn) -> None:
    """Leaves a transaction open across an await, by hand: the bridge must end it if cancelled."""

    def begin_and_write() -> None:
        transaction.set_autocommit(False)
        Note.objects.create(title=data.title)
        record("written")

    await sync_to_async(begin_and_write)()
    await asyncio.sleep(30)


@router.get("/async/gather")
async def gather_sync_calls() -> dict[str, int]:
    """Two sync calls of one request started together: how many ran at once at most."""
    state = {"now": 0, "peak": 0}

    def work() -> None:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.05)
        state["now"] -= 1

    await asyncio.gather(*(sync_to_async(work)() for _ in range(4)))
    return {"peak": state["peak"]}
