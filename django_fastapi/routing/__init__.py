"""Discovery of api modules, the route table, and the one-server dispatcher.

    from django_fastapi.routing import discover, route_table
"""

from .discovery import Mount, RouterImportError, configured_mounts, discover, find_api_modules
from .dispatch import Dispatcher, django_application, route_path
from .routes import RouteInfo, filter_routes, format_table, route_table

__all__ = [
    "Dispatcher",
    "Mount",
    "RouteInfo",
    "RouterImportError",
    "configured_mounts",
    "discover",
    "django_application",
    "filter_routes",
    "find_api_modules",
    "format_table",
    "route_path",
    "route_table",
]
