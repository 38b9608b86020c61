from fastapi import APIRouter, WebSocket

router = APIRouter()


@router.get("/ping")
async def ping():
    return {"pong": True}


@router.websocket("/ws")
async def echo(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text(await websocket.receive_text())
    await websocket.close()
