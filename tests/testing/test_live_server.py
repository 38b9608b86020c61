"""``LiveServer``: a real server in a thread, under uvicorn or hypercorn."""

from __future__ import annotations

import httpx
import pytest

from django_fastapi.application import get_application
from django_fastapi.testing import LiveServer

pytestmark = pytest.mark.server


@pytest.fixture
def notes_app(transactional_db, settings):
    return get_application()


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_live_server_serves_the_app(notes_app, server):
    with LiveServer(notes_app, server=server) as live:
        response = httpx.get(f"{live.url}/api/notes/thread", timeout=10)
    assert response.status_code == 200


def test_live_server_allows_its_own_host_with_empty_allowed_hosts(notes_app, settings):
    settings.ALLOWED_HOSTS = []
    settings.DEBUG = False
    with LiveServer(get_application()) as live:
        response = httpx.get(f"{live.url}/api/notes/thread", timeout=10)
    assert response.status_code == 200
    assert settings.ALLOWED_HOSTS == []


def test_live_server_refuses_an_unknown_server():
    with pytest.raises(ValueError, match="server must be one of 'uvicorn', 'hypercorn'; got 'gunicorn'"):
        LiveServer(server="gunicorn")
