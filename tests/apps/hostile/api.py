"""Endpoints for hostile-input tests: a JSON body, a form, a path parameter, a file, a query."""

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel

router = APIRouter()


class Tag(BaseModel):
    name: str


class ItemIn(BaseModel):
    title: str
    score: float = 0.0
    tags: list[Tag] = []


@router.post("/items")
def create_item(body: ItemIn):
    return {"title": body.title}


@router.post("/form")
def post_form(title: Annotated[str, Form()]):
    return {"title": title}


@router.post("/files")
async def post_file(file: UploadFile):
    return {"size": len(await file.read())}


@router.post("/raw-files")
def post_raw_file(data: Annotated[bytes, File()]):
    return {"size": len(data)}


@router.get("/items/{name}")
def get_item(name: str):
    return {"name": name}


@router.get("/search")
def search(q: str = ""):
    return {"q": q}
