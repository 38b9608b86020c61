"""ASGI entry point: ``uvicorn django_fastapi.asgi:application`` with DJANGO_SETTINGS_MODULE set."""

import django

django.setup(set_prefix=False)

from django_fastapi.application import get_application  # noqa: E402

application = get_application()
