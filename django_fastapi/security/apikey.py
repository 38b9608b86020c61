"""API tokens in a header of their own, ``X-API-Key: dfb_…`` (``FASTAPI_API_KEY_HEADER``).

The same tokens as ``Authorization: Bearer`` (``django_fastapi.tokens``), for clients and gateways
that keep API keys in a header of their own. The source's name is ``"apikey"``.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from fastapi.security import APIKeyHeader
from fastapi.security.base import SecurityBase
from starlette.requests import HTTPConnection

from ..conf import api_settings
from ..tokens.scopes import scoped
from .sources import Authentication, unauthorized


class APIKeySource:
    name = "apikey"
    challenge = None  # a client without credentials is told about Bearer, which takes the same tokens

    def scheme(self) -> SecurityBase:
        return APIKeyHeader(
            name=api_settings.API_KEY_HEADER or "X-API-Key",
            scheme_name="apikey",
            description="An API token from `manage.py fastapi_token create` or the admin.",
            auto_error=False,
        )

    async def authenticate(self, request: HTTPConnection) -> Authentication | None:
        header = api_settings.API_KEY_HEADER
        raw = request.headers.get(header) if header else None
        if raw is None:
            return None
        if not apps.is_installed("django_fastapi.tokens"):
            raise ImproperlyConfigured(
                'FASTAPI_AUTHENTICATION uses "apikey" but "django_fastapi.tokens" is not in INSTALLED_APPS.'
            )
        from ..tokens.models import InvalidToken, Token  # models import once the registry is ready

        try:
            token = await sync_to_async(Token.objects.authenticate, thread_sensitive=True)(raw.strip())
        except InvalidToken as exc:
            raise unauthorized(str(exc), 'Bearer realm="api", error="invalid_token"') from None
        return Authentication(scoped(token.user, token.scope_set), self.name, token)
