"""File uploads (needs python-multipart, as FastAPI's forms do), saved to Django's storage."""

from django.core.files.base import File as DjangoFile
from django.core.files.storage import default_storage
from fastapi import APIRouter, UploadFile

router = APIRouter()


@router.post("/files", status_code=201)
def upload(file: UploadFile):
    name = default_storage.save(f"uploads/{file.filename}", DjangoFile(file.file))
    return {"name": name, "size": default_storage.size(name)}
