from fastapi import APIRouter

router = APIRouter()


@router.get("/hello")
def hello():
    return {"app": "prefixed"}


@router.get("/items/{item_id}")
def get_item(item_id: int):
    return {"id": item_id}
