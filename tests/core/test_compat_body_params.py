"""FastAPI's dependant tree tells which routes read a body and which take files.

``server/body_limit.py`` chooses the body limit by ``declares_files``; ``core/request_values.py``
checks a body only where ``reads_body``. Each test names the installed FastAPI when it fails.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.testclient import TestClient
from pydantic import BaseModel

from django_fastapi.core import compat_fastapi

FASTAPI = f"FastAPI {version('fastapi')}"


class Body(BaseModel):
    name: str


def _describe(request: Request) -> dict:
    route = compat_fastapi.serving_route(request.scope)
    return {
        "files": compat_fastapi.declares_files(route),
        "form": compat_fastapi.reads_form(route),
        "body": compat_fastapi.reads_body(route),
    }


def _app() -> FastAPI:
    router = APIRouter()

    @router.post("/json")
    def json_body(body: Body, request: Request) -> dict:
        return _describe(request)

    @router.post("/form")
    def form(name: Annotated[str, Form()], request: Request) -> dict:
        return _describe(request)

    @router.post("/upload")
    def upload(file: UploadFile, request: Request) -> dict:
        return _describe(request)

    def takes_bytes(data: Annotated[bytes, File()]) -> None:
        pass

    @router.post("/dependency-file", dependencies=[Depends(takes_bytes)])
    def dependency_file(request: Request) -> dict:
        return _describe(request)

    @router.post("/none")
    def none(request: Request) -> dict:
        return _describe(request)

    app = FastAPI()
    app.include_router(router, prefix="/v1")
    return app


def test_fastapi_dependant_tells_json_and_form_bodies_from_files():
    client = TestClient(_app())
    found = {
        "json": client.post("/v1/json", json={"name": "a"}).json(),
        "form": client.post("/v1/form", data={"name": "a"}).json(),
        "upload": client.post("/v1/upload", files={"file": ("a", b"a")}).json(),
        "dependency-file": client.post("/v1/dependency-file", files={"data": ("a", b"a")}).json(),
        "none": client.post("/v1/none").json(),
    }
    assert found == {
        "json": {"files": False, "form": False, "body": True},
        "form": {"files": False, "form": True, "body": True},
        "upload": {"files": True, "form": True, "body": True},
        "dependency-file": {"files": True, "form": True, "body": True},
        "none": {"files": False, "form": False, "body": False},
    }, f"{FASTAPI}: Dependant.body_params or params.File changed"
