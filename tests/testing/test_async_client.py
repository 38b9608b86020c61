"""``AsyncClient`` in ``async def`` tests sees the test's own transaction.

Under pytest-asyncio and anyio the event loop runs on the test's thread, which holds the test's
database connection (pytest-django's ``db``); under Django's async ``TestCase`` methods it runs
elsewhere and the test's thread waits. Either way the endpoints' sync work must use the test's
connection. ``test_async_client_postgres.py`` runs this module again on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.test import TestCase

from django_fastapi.testing import AsyncClient
from tests.apps.notes.models import Note


@pytest.fixture
def note(db):
    return Note.objects.create(title="made by the test")


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def titles(client: AsyncClient, path: str) -> list[str]:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return [row["title"] for row in response.json()]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/api/notes/notes", "/api/notes/async/notes"])
async def test_pytest_asyncio_test_sees_its_rows(note, path):
    async with AsyncClient() as client:
        assert await titles(client, path) == ["made by the test"]


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/api/notes/notes", "/api/notes/async/notes"])
async def test_anyio_test_sees_its_rows(note, path):
    async with AsyncClient() as client:
        assert await titles(client, path) == ["made by the test"]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/api/notes/notes", "/api/notes/async/notes"])
async def test_writes_join_the_test_transaction(note, path):
    async with AsyncClient() as client:
        assert (await client.post(path, json={"title": "made by the app"})).status_code == 201
        assert sorted(await titles(client, "/api/notes/notes")) == ["made by the app", "made by the test"]


@pytest.mark.asyncio
async def test_overlapping_requests_share_the_test_connection(note):
    import asyncio

    async with AsyncClient() as client:
        results = await asyncio.gather(*(titles(client, "/api/notes/async/notes") for _ in range(5)))
    assert results == [["made by the test"]] * 5


def test_rows_written_by_async_tests_roll_back(db):
    assert not Note.objects.exists()


class AsyncTestCaseMethods(TestCase):
    @classmethod
    def setUpTestData(cls):
        Note.objects.create(title="from setUpTestData")

    async def test_async_method_sees_the_test_data(self):
        async with AsyncClient() as client:
            self.assertEqual(await titles(client, "/api/notes/async/notes"), ["from setUpTestData"])

    async def test_async_method_writes_inside_the_test_transaction(self):
        async with AsyncClient() as client:
            response = await client.post("/api/notes/notes", json={"title": "by the app"})
            self.assertEqual(response.status_code, 201)
        self.assertEqual(await Note.objects.acount(), 2)
