from fastapi import APIRouter

router = APIRouter()


@router.get("/")
def list_orders() -> list[str]:
    return ["o-1"]
