from django.db import connection
from django.test import TestCase

from django_fastapi.testing.client import Client
from tests.apps.notes.models import Note


def test_client_sees_rows_created_by_the_test(db):
    Note.objects.create(title="made by the test")
    response = Client().get("/api/notes/notes")
    assert response.status_code == 200
    assert [note["title"] for note in response.json()] == ["made by the test"]


def test_client_async_endpoint_sees_rows_created_by_the_test(db):
    Note.objects.create(title="made by the test")
    response = Client().get("/api/notes/async/notes")
    assert [note["title"] for note in response.json()] == ["made by the test"]


def test_client_writes_are_visible_to_the_test(db):
    response = Client().post("/api/notes/notes", json={"title": "via api"})
    assert response.status_code == 201
    assert Note.objects.get(pk=response.json()["id"]).title == "via api"


def test_client_async_writes_are_visible_to_the_test(db):
    response = Client().post("/api/notes/async/notes", json={"title": "via async api"})
    assert response.status_code == 201
    assert Note.objects.filter(title="via async api").exists()


def test_client_runs_sync_endpoint_on_the_test_thread(db):
    import threading

    assert Client().get("/api/notes/thread").json()["thread"] == threading.current_thread().name


def test_client_keeps_the_test_connection_open(db):
    Client().get("/api/notes/notes")
    assert connection.connection is not None
    assert connection.in_atomic_block


class ClientInTestCase(TestCase):
    def test_sees_testcase_rows(self):
        Note.objects.create(title="testcase row")
        response = Client().get("/api/notes/notes")
        self.assertEqual([n["title"] for n in response.json()], ["testcase row"])
