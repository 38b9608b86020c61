"""ASGI entry point: ``uvicorn sample_site.asgi:application``."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample_site.settings")

from django_fastapi.asgi import application  # noqa: E402

__all__ = ["application"]
