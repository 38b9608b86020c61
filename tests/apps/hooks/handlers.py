from fastapi import Request
from fastapi.responses import JSONResponse


class Teapot(Exception):
    pass


async def teapot(request: Request, exc: Teapot) -> JSONResponse:
    return JSONResponse({"detail": f"teapot: {exc}"}, status_code=418)


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"nothing at {request.url.path}"}, status_code=404)
