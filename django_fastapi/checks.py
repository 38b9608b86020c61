"""System checks of the settings and of the built application: ``manage.py check`` reports
misconfiguration before a request fails.

Ids are stable; README.rst documents each one. Each subsystem's own checks live in its ``checks.py``
(``core``, ``routing``, ``server``, ``security``, ``openapi``); ``apps.py`` registers them all.
"""

from __future__ import annotations

import difflib
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .application import get_application
from .conf import PREFIX, api_settings
from .openapi.documents import duplicate_operation_ids, undeclared_placements
from .routing.dispatch import shadowed_url_patterns

# The test suite asserts each id is unique and documented.
E001 = "django_fastapi.E001"  # invalid FASTAPI_* setting
W003 = "django_fastapi.W003"  # CORS enabled but no origin allowed
W004 = "django_fastapi.W004"  # a Django URL pattern is shadowed by an API route
E007 = "django_fastapi.E007"  # two operations of one OpenAPI document share an operation id
E008 = "django_fastapi.E008"  # a route's audience or version is not declared in the settings
W008 = "django_fastapi.W008"  # a FASTAPI_* setting the bridge does not know (a typo?)


def unknown_settings() -> list[checks.CheckMessage]:
    known = {PREFIX + name for name in api_settings.names()}
    warnings: list[checks.CheckMessage] = []
    for name in sorted(dir(settings)):
        if name.startswith(PREFIX) and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"Did you mean {close[0]}?" if close else "See the settings reference for the names."
            warnings.append(
                checks.Warning(f"{name} is not a setting of the bridge: it has no effect.", hint=hint, id=W008)
            )
    return warnings


@checks.register("django_fastapi")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for name in api_settings.names():
        try:
            getattr(api_settings, name)
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), hint="See the settings section of README.rst.", id=E001))
    errors += unknown_settings()
    if any(error.id == E001 for error in errors):
        return errors
    try:
        api_settings.validate()
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id=E001))
    if api_settings.CORS_ENABLED and not (
        api_settings.CORS_ALLOW_ORIGINS or api_settings.CORS_ALLOW_ORIGIN_REGEX
    ):
        errors.append(
            checks.Warning(
                "FASTAPI_CORS_ENABLED is True but no origin is allowed.",
                hint="List origins in FASTAPI_CORS_ALLOW_ORIGINS, e.g. ['https://app.example.com'].",
                id=W003,
            )
        )
    return errors


@checks.register("django_fastapi", checks.Tags.urls)
def check_shadowed_urls(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        if not api_settings.SERVE_DJANGO or not getattr(settings, "ROOT_URLCONF", None):
            return []
        shadowed = shadowed_url_patterns(get_application())
    except Exception:
        return []  # a broken setting, api module or URLconf is reported by its own check
    return [
        checks.Warning(
            f"The Django URL pattern {pattern!r} ({view}) is shadowed by an API route: requests "
            f"such as {path} go to FastAPI, never to the Django view.",
            hint="Move the Django pattern or the API route, or give the app another "
            "AppConfig.fastapi_prefix or the API another FASTAPI_API_PREFIX.",
            obj=pattern,
            id=W004,
        )
        for pattern, view, path in shadowed
    ]


@checks.register("django_fastapi")
def check_openapi_documents(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        app = get_application()
    except Exception:
        return []  # a broken setting or api module is reported by its own check
    messages: list[checks.CheckMessage] = []
    for document, operation_id, where in duplicate_operation_ids(app):
        messages.append(checks.Error(
            f"The operation id {operation_id!r} is used by {' and '.join(where)} in the {document!r} "
            "OpenAPI document, so generated clients get clashing method names.",
            hint="Rename one endpoint function, or give one route an explicit operation_id=.",
            obj=operation_id,
            id=E007,
        ))
    for kind, name, path in sorted(set(undeclared_placements(app))):
        setting = "FASTAPI_AUDIENCES" if kind == "audience" else "FASTAPI_API_VERSIONS"
        messages.append(checks.Error(
            f"{path} belongs to the {kind} {name!r}, which is not in {setting}, so no document lists it.",
            hint=f'Add {name!r} to {setting}, e.g. {setting} = {{{name!r}: {{"access": "staff"}}}}.',
            obj=path,
            id=E008,
        ))
    return messages
