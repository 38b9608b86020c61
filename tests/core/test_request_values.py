"""NUL characters, lone surrogates and non-finite numbers are a 422 naming the value.

PostgreSQL refuses a NUL in any string (``DataError``: a 500); SQLite stores it. The bridge
refuses it the same on every backend, before the endpoint runs. Django's forms and DRF answer a
NUL with a 400 (``ProhibitNullCharactersValidator``: "Null characters are not allowed.").
"""

import pytest

from django_fastapi.testing.client import Client


@pytest.fixture(autouse=True)
def hostile(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.apps.hostile"]


def post_json(body: str):
    return Client().post("/api/hostile/items", content=body.encode("utf-8", "surrogatepass"),
                         headers={"Content-Type": "application/json"})


def errors(response):
    assert response.status_code == 422, response.text
    return [(error["type"], error["loc"]) for error in response.json()["detail"]]


def test_nul_in_a_json_body_field_is_422_naming_it():
    response = Client().post("/api/hostile/items", content=b'{"title": "a\\u0000b"}',
                             headers={"Content-Type": "application/json"})
    assert errors(response) == [("null_character", ["body", "title"])]


def test_nul_in_a_nested_json_value_names_its_path():
    response = Client().post("/api/hostile/items", json={"title": "a", "tags": [{"name": "x\x00"}]})
    assert errors(response) == [("null_character", ["body", "tags", 0, "name"])]


def test_nul_in_a_query_value_is_422_naming_the_parameter():
    response = Client().get("/api/hostile/search?name__icontains=a%00b")
    assert errors(response) == [("null_character", ["query", "name__icontains"])]


def test_nul_in_a_path_parameter_is_422_naming_it():
    response = Client().get("/api/hostile/items/a%00b")
    assert errors(response) == [("null_character", ["path", "name"])]


def test_nul_in_a_cookie_is_422_naming_it():
    response = Client().get("/api/hostile/search", headers={"Cookie": 'theme="a\\000b"'})
    assert errors(response) == [("null_character", ["cookie", "theme"])]


def test_nul_in_a_form_field_is_422_naming_it():
    pytest.importorskip("python_multipart")
    response = Client().post("/api/hostile/form", data={"title": "a\x00b"})
    assert errors(response) == [("null_character", ["body", "title"])]


def test_nan_for_a_float_is_422_naming_it():
    response = Client().post("/api/hostile/items", content=b'{"title": "a", "score": NaN}',
                             headers={"Content-Type": "application/json"})
    assert errors(response) == [("finite_number", ["body", "score"])]


def test_lone_surrogate_is_422_naming_the_field():
    response = post_json('{"title": "\\ud800"}')
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]


def test_lone_surrogate_in_a_key_is_422():
    response = post_json('{"title": "a", "\\udfff": 1}')
    assert response.status_code == 422


def test_clean_values_pass():
    assert Client().post("/api/hostile/items", json={"title": "plain"}).json() == {"title": "plain"}


def test_deeply_nested_nul_is_422_not_a_recursion_error():
    body = '{"title": "a", "tags": ' + "[" * 900 + '"\\u0000"' + "]" * 900 + "}"
    response = post_json(body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "null_character"


def test_form_content_type_to_a_json_endpoint_is_not_parsed_as_a_form():
    response = Client().post("/api/hostile/items", content=b"--x\r\nbroken",
                             headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code == 422  # FastAPI's own answer: the body is not the JSON expected
