"""API routes beside the Django views of ``urls.py``, and endpoints using the shortcuts."""

from fastapi import APIRouter, Request
from pydantic import BaseModel

from django_fastapi.shortcuts import aget_object_or_404, arender, get_object_or_404, render
from tests.apps.notes.models import Note

router = APIRouter()


class NoteIn(BaseModel):
    title: str


@router.get("/hello")
def hello():
    return {"from": "api"}


@router.post("/echo")
async def echo(request: Request):
    return {"received": len(await request.body())}


@router.post("/notes")
def create_note(body: NoteIn):
    return {"title": body.title}


@router.get("/notes/{pk}")
def get_note(pk: int):
    return {"title": get_object_or_404(Note, pk=pk).title}


@router.get("/async/notes/{pk}")
async def get_note_async(pk: int):
    return {"title": (await aget_object_or_404(Note.objects.all(), pk=pk)).title}


@router.get("/pages/note/{pk}")
def note_page(request: Request, pk: int):
    return render(request, "web/note.html", {"note": get_object_or_404(Note, pk=pk)})


@router.get("/pages/missing")
def missing_page(request: Request):
    return render(request, "web/note.html", {"note": None}, status_code=404, headers={"x-page": "missing"})


@router.get("/async/pages/notes")
async def notes_page(request: Request):
    # The queryset runs while the template renders.
    return await arender(request, "web/notes.html", {"notes": Note.objects.all()})
