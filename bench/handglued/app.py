"""The baseline run.py compares the bridge against: the sample site's benchmark router in a bare
FastAPI app, glued by hand the way people usually do it, with no bridge in between.

``django.setup()`` then ``include_router``: no lanes, no request_started/request_finished, so sync
endpoints run on anyio's worker threads and the async ORM on asgiref's single shared thread.
Serve with ``uvicorn handglued.app:app`` from a copy of sample_site/ (run.py does this).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_site.settings")

import django  # noqa: E402

django.setup()

from benchmark.api import router  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.routing import APIRoute  # noqa: E402

# The bridge pins a router in place only when it builds its own app; nothing here builds one,
# so the endpoints must be the user's plain functions. Fail loudly if that ever changes.
_pinned = [
    route.path
    for route in router.routes
    if isinstance(route, APIRoute) and hasattr(route.endpoint, "__django_fastapi_original__")
]
if _pinned:
    raise RuntimeError(f"hand-glued baseline got bridge-pinned endpoints: {_pinned}")

app = FastAPI()
app.include_router(router, prefix="/api/benchmark")
