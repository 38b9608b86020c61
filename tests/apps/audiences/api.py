from fastapi import APIRouter
from pydantic import BaseModel

from django_fastapi.openapi.documents import audience

router = APIRouter()


class Product(BaseModel):
    name: str


class SalesReport(BaseModel):
    total: int


@router.get("/products")
def list_products() -> list[Product]:
    return [Product(name="tea")]


@router.get("/sales")
@audience("internal")
def sales_report() -> SalesReport:
    return SalesReport(total=3)
