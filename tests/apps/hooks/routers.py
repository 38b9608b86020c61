from fastapi import APIRouter

from .handlers import Teapot

router = APIRouter()
second = APIRouter()
NOT_A_ROUTER = 3


@router.get("/teapot")
def brew():
    raise Teapot("short and stout")


@router.get("/extra")
def extra():
    return {"router": "router"}


@second.get("/second")
async def second_route():
    return {"router": "second"}
