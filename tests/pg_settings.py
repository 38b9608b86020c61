"""tests.settings on PostgreSQL (DJANGO_FASTAPI_TEST_POSTGRES), for tests run again on it.

pytest-django creates, and drops, ``test_<NAME>``; the name carries the process id so that two
runs on one machine never share a database.
"""

import os
from urllib.parse import urlsplit

from tests.settings import *  # noqa: F403

_url = urlsplit(os.environ.get("DJANGO_FASTAPI_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres"))
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": f"dfb_tests_{os.getpid()}",
        "USER": _url.username or "postgres",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "127.0.0.1",
        "PORT": str(_url.port or 5432),
    }
}
