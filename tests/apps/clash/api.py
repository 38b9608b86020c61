from fastapi import APIRouter

router = APIRouter()
admin = APIRouter(prefix="/admin")


@router.get("/items")
def items() -> list[str]:
    return []


@admin.get("/items")
def items() -> list[str]:  # noqa: F811 (the same endpoint name: a clashing operation id)
    return []


router.include_router(admin)
