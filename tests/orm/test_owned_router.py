"""An owner-scoped ModelRouter (tests/apps/owned): the owner is set from the current user on
create (``perform_create``), is read-only in the schemas, and scopes every route
(``get_queryset``) — DRF's ``perform_create(serializer.save(owner=request.user))`` pattern."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from django_fastapi.testing import Client
from tests.apps.owned.models import Memo


@pytest.fixture
def owned_site(db):
    """tests.settings installs the app."""


@pytest.fixture
def ada(owned_site):
    return User.objects.create_user("ada")


@pytest.fixture
def bob(owned_site):
    return User.objects.create_user("bob")


def client_for(user) -> Client:
    client = Client()
    client.force_authenticate(user)
    return client


def test_create_sets_the_owner_from_the_current_user(ada):
    response = client_for(ada).post("/api/owned/memos", json={"text": "milk"})
    assert response.status_code == 201, response.text
    assert response.json() == {"id": response.json()["id"], "owner": ada.pk, "text": "milk"}
    assert Memo.objects.get().owner == ada


def test_owner_sent_by_the_client_is_refused_not_used(ada, bob):
    response = client_for(ada).post("/api/owned/memos", json={"text": "milk", "owner": bob.pk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "owner"]
    assert not Memo.objects.exists()


def test_each_user_sees_and_changes_only_their_own(ada, bob):
    memo = Memo.objects.create(owner=bob, text="bob's")
    ada_client = client_for(ada)
    assert ada_client.get("/api/owned/memos").json() == []
    assert ada_client.get(f"/api/owned/memos/{memo.pk}").status_code == 404
    assert ada_client.patch(f"/api/owned/memos/{memo.pk}", json={"text": "mine"}).status_code == 404
    assert client_for(bob).get("/api/owned/memos").json() == [{"id": memo.pk, "owner": bob.pk, "text": "bob's"}]


def test_anonymous_gets_401(owned_site):
    assert Client().post("/api/owned/memos", json={"text": "milk"}).status_code == 401
