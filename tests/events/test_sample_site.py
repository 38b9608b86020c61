"""The sample site's "books" events: a new book reaches the live stream and the long poll."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from catalog.models import Author, Book
from catalog.views import live
from django.db import transaction

from django_fastapi.testing import AsyncClient, Client, EventStream

STREAM = "/api/catalog/books/live"
POLL = "/api/catalog/books/poll"


@pytest.fixture
def author(transactional_db):
    return Author.objects.create(name="Frank Herbert")


@pytest.fixture
def admin(transactional_db, django_user_model):
    return django_user_model.objects.create_superuser("admin", password="x")


@pytest.mark.asyncio
async def test_book_created_through_the_api_is_streamed(author, admin):
    client = AsyncClient()
    client.force_authenticate(admin)
    async with EventStream(client, STREAM) as stream:
        response = await client.post("/api/catalog/books", json={"title": "Dune", "author": author.pk})
        assert response.status_code == 201, response.text
        event = await stream.next_event()
    assert event.json() == {"id": response.json()["id"], "title": "Dune", "author_id": author.pk}


@pytest.mark.asyncio
async def test_book_saved_by_django_code_is_streamed_and_a_rolled_back_one_is_not(author):
    def save() -> None:  # as the admin or a management command would
        try:
            with transaction.atomic():
                Book.objects.create(title="Never", author=author)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        Book.objects.create(title="Children of Dune", author=author)

    async with EventStream(AsyncClient(), STREAM) as stream:
        await sync_to_async(save)()
        assert (await stream.next_event()).json()["title"] == "Children of Dune"


@pytest.mark.asyncio
async def test_long_poll_answers_the_events_after_the_given_id(author):
    client = AsyncClient()
    async with EventStream(client, STREAM) as stream:
        await sync_to_async(Book.objects.create)(title="One", author=author)
        first = await stream.next_event()
        await sync_to_async(Book.objects.create)(title="Two", author=author)
        await stream.next_event()
    response = await client.get(POLL, params={"after": first.id, "timeout": 5})
    assert [event["book"]["title"] for event in response.json()["events"]] == ["Two"]


def test_long_poll_answers_an_empty_list_after_its_timeout(db):
    response = Client().get(POLL, params={"timeout": 0.05})
    assert response.json() == {"events": []}


@pytest.mark.parametrize("params", [{"timeout": 61}, {"timeout": -1}, {"after": "x" * 201}])
def test_long_poll_refuses_bad_parameters_with_422(db, params):
    assert Client().get(POLL, params=params).status_code == 422


def test_live_page_opens_an_event_source_on_the_stream(rf):
    response = live(rf.get("/live/"))
    assert response.status_code == 200
    assert f'new EventSource("{STREAM}")' in response.content.decode()
