"""Find the routers to serve: each installed app's ``api`` module, then ``FASTAPI_ROUTERS``.

Discovery returns values and changes no global state; ``application.py`` mounts what it finds.
"""

from __future__ import annotations

import sysconfig
import traceback
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from django.apps import AppConfig, apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string, module_has_submodule
from fastapi import APIRouter

from ..conf import api_settings


class RouterImportError(ImproperlyConfigured):
    """A module that exists could not be imported, or does not hold a usable router."""


@dataclass(frozen=True)
class Mount:
    """A router and where it is served, beneath ``FASTAPI_API_PREFIX``."""

    router: APIRouter
    prefix: str
    tags: list[str] = field(default_factory=list)
    app_label: str | None = None
    source: str = ""
    audience: str | None = None
    versions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ApiModule:
    app_config: AppConfig
    module: ModuleType
    router: APIRouter | None


def _describe_failure(dotted: str, exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        # str(SyntaxError) already ends with "(api.py, line N)"; give the full path once instead.
        return f"{type(exc).__name__}: {exc.msg} ({exc.filename}, line {exc.lineno})"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


def import_api_module(app_config: AppConfig, name: str) -> ModuleType | None:
    """Import ``<app>.<name>``; None when the app has no such module, as autodiscover_modules does."""
    dotted = f"{app_config.name}.{name}"
    try:
        return import_module(dotted)
    except Exception as exc:
        if not module_has_submodule(app_config.module, name):
            return None
        raise RouterImportError(
            f"Could not import {dotted!r}, the {name!r} module of app {app_config.label!r}: "
            f"{_describe_failure(dotted, exc)}. Fix the error in that module, or set "
            f"FASTAPI_AUTODISCOVER = False and list routers in FASTAPI_ROUTERS."
        ) from exc


def watch_api_modules(sender: Any, **kwargs: Any) -> None:
    """``autoreload_started`` receiver: watch every app's api module, existing or not yet.

    The reloader watches the files of imported modules only: an ``api.py`` that failed to import
    (a syntax error) or does not exist yet would never bring the server back or in.
    """
    installed = Path(sysconfig.get_paths()["purelib"])
    for app_config in apps.get_app_configs():
        path = Path(app_config.path)
        found = False
        for name in api_settings.AUTODISCOVER_MODULES:
            sender.watch_dir(path, f"{name}.py")
            found = found or (path / f"{name}.py").exists()
            if (path / name).is_dir():
                sender.watch_dir(path / name, "**/*.py")
                found = True
        if not found and not path.is_relative_to(installed):
            # Django's StatReloader sees a new file only as "first seen", never as a change; the
            # directory's own mtime changes when one is created, so the directory is watched.
            sender.extra_files.add(path)


def module_router(module: ModuleType) -> APIRouter | None:
    router = getattr(module, "router", None)
    return router if isinstance(router, APIRouter) else None


def find_api_modules() -> list[ApiModule]:
    """The configured api modules of every installed app, in INSTALLED_APPS order."""
    found = []
    for app_config in apps.get_app_configs():
        for name in api_settings.AUTODISCOVER_MODULES:
            module = import_api_module(app_config, name)
            if module is not None:
                found.append(ApiModule(app_config, module, module_router(module)))
    return found


def _normalize_prefix(value: object, owner: str) -> str:
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"{owner} must be a string such as 'blog' or ''; got {value!r}.")
    value = value.strip("/")
    return f"/{value}" if value else ""


def app_mount(app_config: AppConfig, router: APIRouter, source: str) -> Mount:
    """Mount a router at the app's prefix: ``AppConfig.fastapi_prefix``, else the app label."""
    owner = f"{type(app_config).__module__}.{type(app_config).__qualname__}"
    prefix = _normalize_prefix(
        getattr(app_config, "fastapi_prefix", app_config.label), f"{owner}.fastapi_prefix"
    )
    tags = getattr(app_config, "fastapi_tags", [app_config.label])
    if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
        raise ImproperlyConfigured(f"{owner}.fastapi_tags must be a list of strings; got {tags!r}.")
    audience = getattr(app_config, "fastapi_audience", None)
    if audience is not None and (not isinstance(audience, str) or not audience):
        raise ImproperlyConfigured(f"{owner}.fastapi_audience must be None or a name such as 'internal'; got {audience!r}.")
    versions = getattr(app_config, "fastapi_versions", [])
    if isinstance(versions, str) or not all(isinstance(version, str) for version in versions):
        raise ImproperlyConfigured(f"{owner}.fastapi_versions must be a list of strings such as ['v1']; got {versions!r}.")
    return Mount(router, prefix, list(tags), app_config.label, source, audience, list(versions))


def _app_label_of(dotted: str) -> str | None:
    config = apps.get_containing_app_config(dotted)
    return config.label if config else None


def configured_mounts() -> list[Mount]:
    """The routers listed in ``FASTAPI_ROUTERS``, in order."""
    mounts = []
    for entry in api_settings.ROUTERS:
        dotted = entry["router"]
        try:
            router = import_string(dotted)
        except Exception as exc:
            raise RouterImportError(
                f"FASTAPI_ROUTERS lists {dotted!r}, which could not be imported: "
                f"{_describe_failure(dotted, exc)}."
            ) from exc
        if not isinstance(router, APIRouter):
            raise RouterImportError(
                f"FASTAPI_ROUTERS lists {dotted!r}, which is {type(router).__name__}, "
                f"not a fastapi.APIRouter."
            )
        label = _app_label_of(dotted)
        tags = entry.get("tags", [label] if label else [])
        mounts.append(
            Mount(
                router, entry.get("prefix", ""), list(tags), label, dotted,
                entry.get("audience"), list(entry.get("versions", [])),
            )
        )
    return mounts


def discover() -> list[Mount]:
    """Every router to serve: autodiscovered ones (if enabled), then ``FASTAPI_ROUTERS``."""
    mounts = []
    if api_settings.AUTODISCOVER:
        for api_module in find_api_modules():
            if api_module.router is not None:
                source = f"{api_module.module.__name__}.router"
                mounts.append(app_mount(api_module.app_config, api_module.router, source))
    mounts.extend(configured_mounts())
    return mounts
