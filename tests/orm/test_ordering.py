import pytest
from catalog.models import Book
from django.core.exceptions import ImproperlyConfigured

from django_fastapi.orm.ordering import OrderingFilter
from tests.booksite import (  # noqa: F401 (fixtures)
    ALL,
    catalog_fixture,
    errors,
    get,
    parameters_fixture,
    routers,
    titles,
)

BY_AUTHOR_THEN_LONGEST = [
    "Dune", "Dune Messiah", "Consider Phlebas", "The Dispossessed", "The Left Hand of Darkness",
]


# OrderingFilter: declared fields, '-' for descending, then the primary key.


def test_ordering_ascending(catalog):
    assert titles(ordering="title") == sorted(ALL)


def test_ordering_descending(catalog):
    assert titles(ordering="-title") == sorted(ALL, reverse=True)


def test_ordering_several_fields_comma_separated(catalog):
    assert titles(ordering="author__name,-pages") == BY_AUTHOR_THEN_LONGEST


def test_ordering_several_fields_as_repeated_keys(catalog):
    assert titles(ordering=["author__name", "-pages"]) == BY_AUTHOR_THEN_LONGEST


def test_ordering_unknown_field_is_422_listing_allowed(catalog):
    (error,) = errors(get("/books", ordering="title,isbn"))
    assert error["loc"] == ["query", "ordering", 1]
    assert error["msg"] == (
        "Input should be 'title', '-title', 'pages', '-pages', 'published', '-published', "
        "'author__name' or '-author__name'"
    )


LONGEST_FIRST = [
    "Consider Phlebas", "Dune", "The Dispossessed", "The Left Hand of Darkness", "Dune Messiah",
]


def test_ordering_absent_uses_the_default(catalog):
    assert titles() == LONGEST_FIRST


def test_ordering_empty_uses_the_default(catalog):
    assert titles(ordering="") == LONGEST_FIRST


def test_ordering_ties_break_on_primary_key(catalog):
    author = catalog["banks"]
    Book.objects.create(title="Zeta", author=author, pages=100)
    Book.objects.create(title="Alpha", author=author, pages=100)
    assert titles(ordering="pages", pages__lte=100) == ["Zeta", "Alpha"]
    assert titles(ordering="-pages", pages__lte=100) == ["Zeta", "Alpha"]


def test_ordering_appends_primary_key_to_the_sql(db):
    sql = get("/books/sql", ordering="title").json()
    assert sql.endswith('ORDER BY "catalog_book"."title" ASC, "catalog_book"."id" ASC')


def test_ordering_without_default_keeps_the_querysets_ordering(db):
    sql = get("/tags/sql").json()
    assert sql.endswith('ORDER BY "catalog_tag"."name" ASC, "catalog_tag"."id" ASC')


def test_orderingfilter_to_many_path_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match=r"'tags__name' crosses a to-many relation"):
        OrderingFilter(Book, ["tags__name"])


def test_orderingfilter_unknown_default_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match=r"'rank' is not a field path of catalog.Book"):
        OrderingFilter(Book, ["title"], default="-rank")


def test_openapi_ordering_is_an_array_of_allowed_values(parameters):
    assert parameters["ordering"]["type"] == "array"
    assert parameters["ordering"]["items"]["enum"][:4] == ["title", "-title", "pages", "-pages"]
