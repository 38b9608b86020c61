from fastapi import APIRouter

router = APIRouter()


@router.get("/hello")
def hello_again():
    return {"app": "conflict"}


@router.post("/hello")
def post_hello():
    return {"posted": True}


@router.get("/items/{pk}")
def get_item_by_pk(pk: int):
    return {"pk": pk}
