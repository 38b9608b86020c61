"""A project's own authentication source: the username in a header (for tests only!)."""

from django.contrib.auth import get_user_model
from fastapi.security import APIKeyHeader

from django_fastapi.security.sources import Authentication


class HeaderSource:
    name = "header"
    challenge = 'Header realm="tests"'

    def scheme(self):
        return APIKeyHeader(name="X-Test-User", scheme_name="test-header", auto_error=False)

    async def authenticate(self, request):
        username = request.headers.get("x-test-user")
        if username is None:
            return None
        return Authentication(await get_user_model().objects.aget(username=username), self.name)
