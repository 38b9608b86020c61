"""The ``HttpRequest`` that error reports and ``render`` hand to Django code.

Django's error reports, the ``django.request`` handlers (``mail_admins``) and template context
processors take an ``HttpRequest``. This is the request's own one when the Django request adapter
already built it (``django_fastapi.requests``: user, session), otherwise a plain one from the ASGI
scope: method, path, query string, headers, cookies, client address, no body. Endpoints that want
Django's request take the ``DjangoRequest`` dependency instead.
"""

from __future__ import annotations

import io

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from starlette.requests import Request

from .requests import CONTEXT_KEY


def django_request(request: Request) -> HttpRequest:
    context = request.scope.get(CONTEXT_KEY)
    built = getattr(context, "django_request", None)
    if isinstance(built, HttpRequest):
        return built
    return ASGIRequest(request.scope, io.BytesIO())
