"""Serve FastAPI routers from your Django apps.

Imported while Django sets up: this module builds nothing and touches no model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

__version__ = "0.3.0"


def get_application() -> FastAPI:
    """The project's FastAPI application (see ``django_fastapi.application``)."""
    # Not at the top: this module is imported during django.setup(), before any app can be built.
    from .application import get_application as get

    return get()
