"""FastAPI's 422 answers with a short, JSON-safe excerpt of the input, never a 500.

JSON edge values (``NaN``, ``Infinity``, ``-Infinity``, ``1e999``) used to make
FastAPI's own 422 handler fail to serialise the input it echoes (a 500, logged with a traceback);
a large invalid body was echoed whole. Django's forms answer the same requests with a 400 naming
the field and never echo the value.
"""

import json

import pytest

from django_fastapi.core.exceptions import EXCERPT
from django_fastapi.testing.client import Client


@pytest.fixture(autouse=True)
def hostile(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.hostile"]


def post_raw(body: str):
    return Client().post("/api/hostile/items", content=body.encode("utf-8", "surrogatepass"),
                         headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_number_in_a_string_field_is_422_naming_it(literal):
    response = post_raw(f'{{"title": {literal}}}')
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "title"]]


def test_non_finite_number_is_never_logged_as_a_server_error(caplog):
    post_raw('{"title": NaN}')
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_invalid_long_string_input_is_cut_to_an_excerpt():
    response = post_raw(json.dumps("x" * 100_000))  # a string where an object is expected
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "x" * EXCERPT


def test_invalid_long_list_input_is_cut_to_an_excerpt():
    response = post_raw(json.dumps({"title": list(range(10_000))}))
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == list(range(EXCERPT))


def test_invalid_input_response_is_small_whatever_the_body(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    response = post_raw(json.dumps({"title": {str(i): "y" * 1000 for i in range(1000)}}))
    assert response.status_code == 422
    assert len(response.content) < 20_000
