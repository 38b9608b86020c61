from fastapi import APIRouter

router = APIRouter()


@router.get("/endpoint")
def endpoint():
    return {"module": "endpoints"}
