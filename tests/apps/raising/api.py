from fastapi import APIRouter

router = APIRouter()

raise RuntimeError("raising.api failed at import")
