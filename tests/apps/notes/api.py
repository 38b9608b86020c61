import threading

from django.db import connection
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from .models import Note

router = APIRouter()


class NoteIn(BaseModel):
    title: str


class NoteOut(BaseModel):
    id: int
    title: str


@router.get("/notes", response_model=list[NoteOut])
def list_notes():
    return [NoteOut(id=note.pk, title=note.title) for note in Note.objects.all()]


@router.post("/notes", response_model=NoteOut, status_code=201)
def create_note(data: NoteIn):
    note = Note.objects.create(title=data.title)
    return NoteOut(id=note.pk, title=note.title)


@router.get("/async/notes", response_model=list[NoteOut])
async def list_notes_async():
    return [NoteOut(id=note.pk, title=note.title) async for note in Note.objects.all()]


@router.post("/async/notes", response_model=NoteOut, status_code=201)
async def create_note_async(data: NoteIn):
    note = await Note.objects.acreate(title=data.title)
    return NoteOut(id=note.pk, title=note.title)


@router.post("/notes/then-fail", status_code=201)
def create_then_fail(data: NoteIn):
    Note.objects.create(title=data.title)
    raise HTTPException(status_code=409, detail="failed after writing")


@router.post("/async/notes/then-fail", status_code=201)
async def create_then_fail_async(data: NoteIn):
    await Note.objects.acreate(title=data.title)
    raise HTTPException(status_code=409, detail="failed after writing")


@router.get("/thread")
def which_thread():
    return {"thread": threading.current_thread().name, "in_atomic_block": connection.in_atomic_block}
