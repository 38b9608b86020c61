"""Build a new Django project the way a user would: startproject, two startapp apps, migrate.

``shop`` has a sync ``api.py`` over the ORM, ``blog`` an async one over the async ORM. Two more
endpoints serve the server tests: ``GET /api/shop/slow`` (an in-flight request for graceful
shutdown) and ``GET /api/blog/pid`` (which worker answered, and the client address it saw).

``make_project(base, one_server=True)`` also gives it what the one-server tests need (see
``add_one_server``): Django views, a static and a media file, endpoints that raise or read a body,
lifespan hooks, a superuser. ``one_server_project`` builds that variant.

``shared_project``, ``one_server_project`` and ``sample_site_database`` build once per test session
(in pytest's session temp directory), whichever test module asks first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.serverproc import SAMPLE_SITE

SHOP_MODELS = '''
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)
    price = models.PositiveIntegerField(default=0)
'''

SHOP_API = '''
import time
from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel

from .models import Product

router = APIRouter()


class ProductIn(BaseModel):
    name: str
    price: int = 0


class ProductOut(ProductIn):
    id: int


@router.get("/products", response_model=list[ProductOut])
def list_products():
    return [ProductOut(id=p.pk, name=p.name, price=p.price) for p in Product.objects.order_by("pk")]


@router.post("/products", response_model=ProductOut, status_code=201)
def create_product(body: ProductIn):
    product = Product.objects.create(name=body.name, price=body.price)
    return ProductOut(id=product.pk, name=product.name, price=product.price)


@router.get("/slow")
def slow(marker: str, seconds: float = 2.0):
    # The marker file tells the test the request is in flight before it signals the server.
    Path(marker).touch()
    time.sleep(seconds)
    return {"slept": seconds}
'''

BLOG_MODELS = '''
from django.db import models


class Post(models.Model):
    title = models.CharField(max_length=200)
'''

BLOG_API = '''
import os
import time

from fastapi import APIRouter, Request
from pydantic import BaseModel

from .models import Post

router = APIRouter()


class PostIn(BaseModel):
    title: str


class PostOut(PostIn):
    id: int


@router.get("/posts", response_model=list[PostOut])
async def list_posts():
    return [PostOut(id=p.pk, title=p.title) async for p in Post.objects.order_by("pk")]


@router.post("/posts", response_model=PostOut, status_code=201)
async def create_post(body: PostIn):
    post = await Post.objects.acreate(title=body.title)
    return PostOut(id=post.pk, title=post.title)


@router.get("/pid")
async def pid(request: Request, block: float = 0.0):
    # Blocking the event loop keeps this worker from accepting, so the next connection
    # goes to another worker.
    time.sleep(block)
    return {"pid": os.getpid(), "client": request.client.host if request.client else None}
'''


ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "correct-horse-battery-staple"
STATIC_CSS = "body { color: teal; }\n"
MEDIA_TEXT = "uploaded by a user\n"
BODY_LIMIT = 10_000

ONE_SERVER_API = '''

from fastapi import Request


@router.get("/boom")
def boom():
    return {"ratio": 1 / 0}


@router.post("/echo")
async def echo(request: Request):
    return {"received": len(await request.body())}
'''

ONE_SERVER_VIEWS = '''
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt


def hello(request):
    return HttpResponse("Hello from a Django view")


@csrf_exempt
def upload(request):
    return HttpResponse(f"{len(request.body)} bytes")
'''

ONE_SERVER_URLS = '''

from django.conf import settings
from django.conf.urls.static import static

from shop import views

urlpatterns += [path("hello/", views.hello), path("upload/", views.upload)]
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
'''

# Each hook appends "<event> <pid>" to the file named by HOOKS_LOG, when it is set.
ONE_SERVER_HOOKS = '''
import os


def _record(event):
    if os.environ.get("HOOKS_LOG"):
        with open(os.environ["HOOKS_LOG"], "a") as log:
            log.write(f"{event} {os.getpid()}\\n")


def started():
    _record("startup")


async def stopping():
    _record("shutdown")
'''

ONE_SERVER_SETTINGS = f'''

import os

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = {BODY_LIMIT}
FASTAPI_ON_STARTUP = ["shop.hooks.started"]
FASTAPI_ON_SHUTDOWN = ["shop.hooks.stopping"]
'''


def _env() -> dict[str, str]:
    # pytest-django exports the tests' settings; each manage.py must choose its own.
    return {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}


def run(args: list[str], cwd: Path, timeout: float = 60, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, env={**_env(), **(env or {})}, capture_output=True, text=True,
        timeout=timeout,
    )
    if result.returncode:
        raise RuntimeError(f"{args} failed with {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def make_project(base: Path, *, one_server: bool = False) -> Path:
    """Create ``mysite`` under ``base``, migrated; returns the directory holding manage.py."""
    run(["-m", "django", "startproject", "mysite"], cwd=base)
    root = base / "mysite"
    for app in ("shop", "blog"):
        run(["manage.py", "startapp", app], cwd=root)
    for app, models, api in (("shop", SHOP_MODELS, SHOP_API), ("blog", BLOG_MODELS, BLOG_API)):
        (root / app / "models.py").write_text(textwrap.dedent(models).lstrip())
        (root / app / "api.py").write_text(textwrap.dedent(api).lstrip())
    settings = root / "mysite" / "settings.py"
    text = settings.read_text()
    marker = "INSTALLED_APPS = [\n"
    assert marker in text, "startproject's settings.py changed shape"
    settings.write_text(text.replace(marker, marker + '    "django_fastapi",\n    "shop",\n    "blog",\n', 1))
    if one_server:
        add_one_server(root)
    run(["manage.py", "makemigrations", "shop", "blog", "-v0"], cwd=root)
    run(["manage.py", "migrate", "-v0"], cwd=root)
    if one_server:
        run(["manage.py", "createsuperuser", "--noinput", "--username", ADMIN_USERNAME, "--email",
             "admin@example.com"], cwd=root, env={"DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD})
    return root


def add_one_server(root: Path) -> None:
    """Views, files, endpoints and settings for the one-server tests (before migrating)."""
    shop = root / "shop"
    with (shop / "api.py").open("a") as api:
        api.write(textwrap.dedent(ONE_SERVER_API))
    (shop / "views.py").write_text(textwrap.dedent(ONE_SERVER_VIEWS).lstrip())
    (shop / "hooks.py").write_text(textwrap.dedent(ONE_SERVER_HOOKS).lstrip())
    (shop / "static" / "shop").mkdir(parents=True)
    (shop / "static" / "shop" / "site.css").write_text(STATIC_CSS)
    (root / "media").mkdir()
    (root / "media" / "notes.txt").write_text(MEDIA_TEXT)
    with (root / "mysite" / "urls.py").open("a") as urls:
        urls.write(textwrap.dedent(ONE_SERVER_URLS))
    with (root / "mysite" / "settings.py").open("a") as settings:
        settings.write(textwrap.dedent(ONE_SERVER_SETTINGS))


def one_server_project(tmp_path_factory) -> Path:
    """``make_project(one_server=True)`` once per session."""
    base = tmp_path_factory.getbasetemp() / "one_server_project"
    if not (base / "built").exists():
        base.mkdir()
        make_project(base, one_server=True)
        (base / "built").touch()
    return base / "mysite"


def shared_project(tmp_path_factory) -> Path:
    """``make_project`` once per session."""
    base = tmp_path_factory.getbasetemp() / "new_project"
    if not (base / "built").exists():
        base.mkdir()
        make_project(base)
        (base / "built").touch()
    return base / "mysite"


def sample_site_database(tmp_path_factory) -> Path:
    """A migrated SQLite file for the sample site (pass it as SAMPLE_SITE_SQLITE), once per session."""
    path = tmp_path_factory.getbasetemp() / "sample_site.sqlite3"
    if not path.exists():
        building = path.with_suffix(".building")
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=SAMPLE_SITE, capture_output=True,
            text=True, timeout=60, env={**_env(), "SAMPLE_SITE_SQLITE": str(building)},
        )
        if result.returncode:
            raise RuntimeError(f"migrate failed:\n{result.stdout}{result.stderr}")
        building.rename(path)
    return path
