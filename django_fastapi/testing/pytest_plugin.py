"""pytest fixtures (registered automatically when pytest-django is installed).

``api_client``: a ``django_fastapi.testing.Client`` that sees the test's transaction (ask for ``db``).
``admin_api_client``: the same, logged in as pytest-django's ``admin_user``.
``live_api_server``: a real uvicorn server with ``transactional_db``; ``live_api_server.url``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .client import Client
    from .live_server import LiveServer


@pytest.fixture
def api_client() -> Client:
    # pytest loads this plugin in every run, before Django is configured: the clients load on use.
    from .client import Client

    return Client()


@pytest.fixture
def admin_api_client(db: None, admin_user: Any) -> Client:
    """A ``Client`` logged in (``force_login``) as pytest-django's ``admin_user``."""
    from .client import Client

    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def live_api_server(transactional_db: None) -> Iterator[LiveServer]:
    # Loaded on use, as in api_client.
    from .live_server import LiveServer

    with LiveServer() as server:
        yield server
