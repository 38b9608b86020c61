import pytest
from catalog.models import Book
from django.core.exceptions import ImproperlyConfigured

from django_fastapi.orm.search import SearchFilter
from tests.booksite import (  # noqa: F401 (fixtures)
    ALL,
    DUNES,
    LE_GUIN,
    catalog_fixture,
    errors,
    get,
    parameters_fixture,
    routers,
    titles,
)

# SearchFilter: every term matches at least one field.


def test_search_every_term_must_match(catalog):
    assert titles(search="dune messiah") == ["Dune Messiah"]


def test_search_terms_match_different_fields(catalog):
    assert set(titles(search="darkness ursula")) == {"The Left Hand of Darkness"}


def test_search_across_many_to_many_does_not_repeat_rows(catalog):
    found = titles(search="ic")
    assert sorted(found) == sorted(LE_GUIN | DUNES)


def test_search_quoted_phrase_is_one_term(catalog):
    assert titles(search='"hand of"') == ["The Left Hand of Darkness"]
    assert titles(search='"of hand"') == []


def test_search_caret_field_matches_the_start(catalog):
    assert set(titles(search="frank")) == DUNES
    assert titles(search="herbert") == []


def test_search_equals_field_matches_the_whole_value(catalog):
    assert titles(search="9780061054884") == ["The Dispossessed"]
    assert titles(search="978006105488") == []


def test_search_empty_is_no_filter(catalog):
    assert set(titles(search="")) == ALL


def test_search_longer_than_200_characters_is_422(catalog):
    (error,) = errors(get("/books", search="x" * 201))
    assert error["type"] == "string_too_long"


def test_searchfilter_relation_field_is_improperly_configured():
    message = r"'author' is a relation; search a field of the related model, such as 'author__name'"
    with pytest.raises(ImproperlyConfigured, match=message):
        SearchFilter(Book, ["author"])


def test_openapi_search_is_a_bounded_string(parameters):
    assert (parameters["search"]["type"], parameters["search"]["maxLength"]) == ("string", 200)
