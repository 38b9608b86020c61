"""System checks of the API docs: who may read them, and whether their static assets are installed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .documents import DEFAULT, documents

# The test suite asserts each id is unique and documented.
W006 = "django_fastapi.W006"  # (--deploy) docs or schema readable by anyone while DEBUG is off


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
