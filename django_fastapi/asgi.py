"""ASGI entry point: ``uvicorn django_fastapi.asgi:application`` with DJANGO_SETTINGS_MODULE set.

The API and, on the same port, the rest of the project's Django (admin, views, static files under DEBUG).
"""

import django

django.setup(set_prefix=False)

from django_fastapi.application import get_asgi_application  # noqa: E402
from django_fastapi.routing.dispatch import static_from_environ  # noqa: E402
from django_fastapi.server.servers import Hypercorn, ServeOptions, granian_proxied  # noqa: E402

# runfastapi --workers says whether to serve static files (--nostatic, --insecure); else DEBUG does.
application = get_asgi_application(serve_static=static_from_environ())


def hypercorn_proxied_application() -> object:
    """The ASGI application behind hypercorn's proxy-headers middleware, for each hypercorn worker."""
    return Hypercorn().wrap(application, ServeOptions(proxy_headers=True))


def granian_proxied_application() -> object:
    """The ASGI application behind granian's proxy-headers wrapper, for each granian worker."""
    return granian_proxied(application)
