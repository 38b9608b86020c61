"""The request cycle: lanes (threads), Django's request signals, transactions, pools, exceptions.

    from django_fastapi.core import DjangoRequestMiddleware, run_with_django_request

``django_request()`` stays in ``core.django_request``: bound here, it would hide that module.
"""

from .calls import on_lane
from .django_request import DjangoRequestMiddleware, request_context, run_with_django_request
from .exceptions import validation_errors
from .heap import freeze_startup_heap
from .hooks import Lifespan, import_hooks
from .lanes import LanePool
from .lifecycle import RequestLifecycleMiddleware, lifespan_for
from .overrides import OverridesProvider
from .pinning import PinnedAPIRoute, original, pin_router

__all__ = [
    "DjangoRequestMiddleware",
    "LanePool",
    "Lifespan",
    "OverridesProvider",
    "PinnedAPIRoute",
    "RequestLifecycleMiddleware",
    "freeze_startup_heap",
    "import_hooks",
    "lifespan_for",
    "on_lane",
    "original",
    "pin_router",
    "request_context",
    "run_with_django_request",
    "validation_errors",
]
