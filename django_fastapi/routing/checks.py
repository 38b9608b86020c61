"""System checks of the routers: api modules that fail to import or lack a router, route conflicts."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from fastapi import APIRouter

from ..conf import api_settings
from .discovery import RouterImportError, configured_mounts, find_api_modules
from .routes import route_conflicts

# The test suite asserts each id is unique and documented.
E002 = "django_fastapi.E002"  # api module or listed router cannot be imported / is not a router
E003 = "django_fastapi.E003"  # two endpoints declare the same method and path
W001 = "django_fastapi.W001"  # api module without a router


@checks.register("django_fastapi")
def check_routers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        api_settings.validate()
    except ImproperlyConfigured:
        return []  # reported by check_settings
    messages: list[checks.CheckMessage] = []
    try:
        modules = find_api_modules() if api_settings.AUTODISCOVER else []
        configured_mounts()
    except (RouterImportError, ImproperlyConfigured) as exc:
        return [checks.Error(str(exc), id=E002)]
    for api_module in modules:
        if api_module.router is None and not api_module.app_config.name.startswith("django."):
            messages.append(_missing_router(api_module.module, api_module.app_config.label))
    try:
        conflicts = route_conflicts()
    except ImproperlyConfigured as exc:
        return messages + [checks.Error(str(exc), id=E002)]
    for method, path, first, second in conflicts:
        messages.append(
            checks.Error(
                f"{method} {path} is declared by both {first} and {second}; only {first} would answer.",
                hint="Change one path, or give one app another prefix with AppConfig.fastapi_prefix.",
                id=E003,
            )
        )
    return messages


def _missing_router(module: Any, label: str) -> checks.Warning:
    name = module.__name__
    found = getattr(module, "router", None)
    others = [attr for attr, value in vars(module).items() if isinstance(value, APIRouter)]
    if found is not None:
        detail = f"{name}.router is {type(found).__name__}, not a fastapi.APIRouter"
    elif others:
        detail = f"{name} defines an APIRouter named {others[0]!r} but no module-level 'router'"
    else:
        detail = f"{name} has no module-level 'router'"
    return checks.Warning(
        f"{detail}; nothing from it is served.",
        hint=f"Assign `router = APIRouter()` in {name}. If the module is not a FastAPI module, "
        f"add {W001!r} to SILENCED_SYSTEM_CHECKS.",
        obj=label,
        id=W001,
    )
