"""WSGI entry point (``gunicorn django_fastapi.wsgi:application``): the compatibility path.

The ASGI app runs behind a2wsgi's adapter, one request per WSGI worker thread: slower than an ASGI
server and without websockets. Needs the ``wsgi`` extra.
"""

import django
from django.core.exceptions import ImproperlyConfigured

try:
    from a2wsgi import ASGIMiddleware
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImproperlyConfigured(
        "django_fastapi.wsgi needs a2wsgi: pip install 'django-fastapi-bridge[wsgi]'."
    ) from exc

django.setup(set_prefix=False)

from django_fastapi.application import get_asgi_application  # noqa: E402

# a2wsgi's ASGIApp type wants its own TypedDict scopes; Starlette's ASGIApp is the generic ASGI 3 one.
application = ASGIMiddleware(get_asgi_application())  # type: ignore[arg-type]
