"""System checks of the API docs: who may read them, and whether their static assets are installed."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from ..conf import api_settings
from .documents import DEFAULT, documents
from .pages import ASSETS_APP

# The test suite asserts each id is unique and documented.
W006 = "django_fastapi.W006"  # (--deploy) docs or schema readable by anyone while DEBUG is off
W007 = "django_fastapi.W007"  # local docs assets, but their static files are not installed


@checks.register("django_fastapi", checks.Tags.security, deploy=True)
def check_docs_access(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        found = documents()
    except ImproperlyConfigured:
        return []
    if settings.DEBUG:
        return []
    messages: list[checks.CheckMessage] = []
    for document in found:
        if not document.enabled or document.openapi_url is None or document.access != "anonymous":
            continue
        if document.name == DEFAULT:
            fix = 'Set FASTAPI_DOCS_ACCESS = "staff" (or "authenticated", or a permission), or FASTAPI_OPENAPI_URL = None'
        else:
            setting = "FASTAPI_AUDIENCES" if document.audience else "FASTAPI_API_VERSIONS"
            fix = f'Set "access": "staff" (or "authenticated", or a permission), or "enabled": False, in {setting}[{document.name!r}]'
        messages.append(checks.Warning(
            f"The {document.name!r} OpenAPI schema and docs are served to anyone while DEBUG is False.",
            hint=f"{fix}; if the API is public on purpose, add {W006!r} to SILENCED_SYSTEM_CHECKS.",
            obj=document.name,
            id=W006,
        ))
    return messages


@checks.register("django_fastapi", checks.Tags.staticfiles)
def check_docs_assets(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        if api_settings.DOCS_ASSETS != "local" or not any(
            document.enabled and document.openapi_url and (document.docs_url or document.redoc_url)
            for document in documents()
        ):
            return []
    except ImproperlyConfigured:
        return []
    missing = []
    if not apps.is_installed(ASSETS_APP):
        missing.append(f"{ASSETS_APP!r} is not in INSTALLED_APPS")
    if not getattr(settings, "STATIC_URL", None):
        missing.append("STATIC_URL is not set")
    if not missing:
        return []
    return [checks.Warning(
        f"The API docs pages load Swagger UI and ReDoc from static files, but {' and '.join(missing)}: "
        "the pages would stay blank.",
        hint=f'Add "{ASSETS_APP}" to INSTALLED_APPS and set STATIC_URL = "static/", '
        'or set FASTAPI_DOCS_ASSETS = "cdn" to load them from a CDN.',
        id=W007,
    )]
