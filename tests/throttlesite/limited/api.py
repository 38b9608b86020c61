import os
import time

from fastapi import APIRouter, Depends

from django_fastapi.security.throttling import throttle

router = APIRouter()
LIMIT = 6


@router.get("/ping", dependencies=[Depends(throttle(f"{LIMIT}/min", key="ip"))])
async def ping(block: float = 0.0) -> dict:
    # Blocking the event loop keeps this worker from accepting, so the next connection goes to
    # the other worker.
    time.sleep(block)
    return {"pid": os.getpid()}
