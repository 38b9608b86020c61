from fastapi import APIRouter

import tests.apps.broken.does_not_exist  # noqa: F401

router = APIRouter()
