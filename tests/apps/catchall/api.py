"""A route at the API root whose path parameter matches the docs pages' paths too."""

from fastapi import APIRouter

router = APIRouter()


@router.get("/{name}")
async def anything(name: str) -> dict[str, str]:
    return {"name": name}
