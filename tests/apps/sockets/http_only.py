"""Websocket routes with HTTP-only dependencies, for the system check (not installed by default)."""

from fastapi import APIRouter, BackgroundTasks, Depends, Request, WebSocket

from django_fastapi.security import DjangoRequest, csrf_protect

router = APIRouter()


def needs_request(request: Request) -> str:
    return request.method


@router.websocket("/csrf", dependencies=[Depends(csrf_protect)])
async def csrf(websocket: WebSocket) -> None:
    await websocket.accept()


@router.websocket("/django-request")
async def django_request(websocket: WebSocket, request: DjangoRequest) -> None:
    await websocket.accept()


@router.websocket("/own")
async def own(websocket: WebSocket, method: str = Depends(needs_request)) -> None:
    await websocket.accept()


@router.websocket("/tasks")
async def tasks(websocket: WebSocket, background: BackgroundTasks) -> None:
    await websocket.accept()


@router.websocket("/fine")
async def fine(websocket: WebSocket) -> None:
    await websocket.accept()
