import pytest
from catalog.models import Author, Book
from django.core.exceptions import ImproperlyConfigured

from django_fastapi.orm.filtering import Filters, FilterSet
from tests.booksite import (  # noqa: F401 (fixtures)
    ALL,
    BOOK_FILTERS,
    DUNES,
    LE_GUIN,
    catalog_fixture,
    errors,
    get,
    parameters_fixture,
    routers,
    titles,
)

# FilterSet: one parameter per declared path and lookup.

EBOOKS = {"Dune Messiah", "Consider Phlebas"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"title": "Dune"}, {"Dune"}),
        ({"title__icontains": "DUNE"}, DUNES),
        ({"title__istartswith": "the "}, LE_GUIN),
        ({"pages__gte": 400}, {"Dune", "Consider Phlebas"}),
        ({"pages__lte": 304}, {"The Left Hand of Darkness", "Dune Messiah"}),
        ({"pages__range": "300,400"}, {"The Left Hand of Darkness", "The Dispossessed"}),
        ({"pages__range": ["300", "400"]}, {"The Left Hand of Darkness", "The Dispossessed"}),
        ({"author__name__icontains": "le guin"}, LE_GUIN),
        ({"published__year": 1969}, {"The Left Hand of Darkness", "Dune Messiah"}),
        ({"published__month__in": "3,5"}, LE_GUIN),
        ({"published__gte": "1969-06-01"}, {"The Dispossessed", "Dune Messiah"}),
        ({"published__isnull": "true"}, {"Consider Phlebas"}),
        ({"published__isnull": "false"}, LE_GUIN | DUNES),
        ({"tags__slug": "classic"}, LE_GUIN | {"Dune"}),
        ({"format": "ebook"}, EBOOKS),
        ({"format__in": "hardcover,ebook"}, {"The Left Hand of Darkness"} | EBOOKS),
        ({"in_stock": "false"}, {"Consider Phlebas"}),
        ({"rating__gte": "4.0"}, {"The Dispossessed"}),
        ({"created_at__gte": "2000-01-01T00:00:00"}, ALL),
    ],
    ids=lambda value: "&".join(value) if isinstance(value, dict) else None,
)
def test_filterset_lookup_selects_rows(catalog, params, expected):
    assert set(titles(**params)) == expected


def test_filterset_foreign_key_matches_primary_key(catalog):
    assert set(titles(author=catalog["herbert"].pk)) == DUNES


def test_filterset_in_takes_repeated_keys_and_commas(catalog):
    authors = [str(catalog["herbert"].pk), f"{catalog['banks'].pk},{catalog['le_guin'].pk}"]
    assert set(titles(author__in=authors)) == ALL


def test_filterset_text_in_does_not_split_on_commas(catalog):
    assert titles(title__in="Dune,Dune Messiah") == []
    assert set(titles(title__in=["Dune", "Dune Messiah"])) == DUNES


def test_filterset_many_to_many_does_not_repeat_rows(catalog):
    tags = [catalog["sf"].pk, catalog["classic"].pk]
    found = titles(tags__in=tags)
    assert sorted(found) == sorted(LE_GUIN | DUNES)


def test_filterset_many_to_many_filters_through_a_subquery(catalog):
    sql = get("/books/sql", tags=catalog["sf"].pk).json()
    assert "DISTINCT" not in sql
    assert "IN (SELECT" in sql


def test_filterset_many_to_many_exact_matches_tag(catalog):
    assert set(titles(tags=catalog["classic"].pk)) == LE_GUIN | {"Dune"}


def test_filterset_choice_outside_choices_is_422_listing_them(catalog):
    (error,) = errors(get("/books", format="audiobook"))
    assert error["loc"] == ["query", "format"]
    assert "'hardcover', 'paperback' or 'ebook'" in error["msg"]


def test_filterset_value_of_wrong_type_is_422(catalog):
    (error,) = errors(get("/books", pages__gte="many"))
    assert error["loc"] == ["query", "pages__gte"]
    assert error["type"] == "int_parsing"


def test_filterset_year_outside_calendar_is_422(catalog):
    (error,) = errors(get("/books", published__year=0))
    assert error["loc"] == ["query", "published__year"]


def test_filterset_integer_beyond_64_bits_is_422(catalog):
    (error,) = errors(get("/books", author=2**70))
    assert error["loc"] == ["query", "author"]


def test_filterset_range_needs_two_values(catalog):
    (error,) = errors(get("/books", pages__range="100"))
    assert error["loc"] == ["query", "pages__range"]


def test_filterset_in_takes_at_most_100_values(catalog):
    (error,) = errors(get("/books", author__in=",".join(str(n) for n in range(101))))
    assert error["type"] == "too_long"


def test_filterset_async_endpoint_filters(catalog):
    response = get("/async-books", title__icontains="dune", ordering="title")
    assert response.json() == ["Dune", "Dune Messiah"]


def test_filterset_apply_runs_no_query(catalog, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = get("/books/sql", tags__in=catalog["sf"].pk, search="dune", title__icontains="d")
    assert response.status_code == 200


def test_filterset_list_runs_one_query(catalog, django_assert_num_queries):
    params = {
        "tags__in": [catalog["sf"].pk, catalog["classic"].pk],
        "search": "e i",
        "ordering": "author__name",
        "author__name__icontains": "e",
        "published__year": 1969,
    }
    with django_assert_num_queries(1):
        response = get("/books", **params)
    assert response.json() == ["Dune Messiah", "The Left Hand of Darkness"]


def test_filters_apply_rejects_a_queryset_of_another_model(db):
    message = r"FilterSet\(Book\) was declared for catalog.Book .* catalog.Author"
    with pytest.raises(ImproperlyConfigured, match=message):
        Filters(BOOK_FILTERS, []).apply(Author.objects.all())


# Declaration errors: at construction, naming the model, the path and what is allowed.


def test_filterset_unknown_field_is_improperly_configured():
    message = (
        r"FilterSet\(Book\): 'titel' is not a field path of catalog.Book: catalog.Book has no "
        r"field 'titel'. Its fields: author, created_at"
    )
    with pytest.raises(ImproperlyConfigured, match=message):
        FilterSet(Book, ["titel"])


def test_filterset_unknown_related_field_names_the_related_model():
    message = (
        r"'author__nom' is not a field path of catalog.Book: catalog.Author has no field 'nom'. "
        r"Its fields: bio, books,"
    )
    with pytest.raises(ImproperlyConfigured, match=message):
        FilterSet(Book, ["author__nom"])


def test_filterset_of_something_not_a_model_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match=r"FilterSet needs a model class such as Book; got 'Book'"):
        FilterSet("Book", ["title"])


def test_filterset_path_through_a_plain_field_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match=r"'title' is not a relation"):
        FilterSet(Book, ["title__length"])


def test_filterset_unsupported_lookup_lists_the_allowed_ones():
    message = (
        r"FilterSet\(Book\): lookup 'regex' is not supported on catalog.Book.pages \(PositiveIntegerField\). "
        r"Allowed lookups: exact, gt, gte, lt, lte, iexact, contains, icontains"
    )
    with pytest.raises(ImproperlyConfigured, match=message):
        FilterSet(Book, {"pages": ["regex"]})


def test_filterset_text_lookup_on_a_relation_lists_related_lookups():
    message = r"catalog.Book.author \(ForeignKey\). Allowed lookups: exact, gt, gte, lt, lte, in, isnull;"
    with pytest.raises(ImproperlyConfigured, match=message):
        FilterSet(Book, {"author": ["icontains"]})


def test_filterset_date_part_of_a_text_field_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match=r"lookup 'year' is not supported on catalog.Book.title"):
        FilterSet(Book, {"title": ["year"]})


def test_filterset_lookups_given_as_a_string_are_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match=r"the lookups of 'title' must be a non-empty list"):
        FilterSet(Book, {"title": "icontains"})


def test_filterset_same_parameter_twice_is_improperly_configured():
    with pytest.raises(ImproperlyConfigured, match=r"query parameter 'author' is declared twice"):
        FilterSet(Book, {"author": ["exact", "exact"]})


# OpenAPI: typed query parameters.


def test_openapi_integer_filter(parameters):
    assert parameters["pages__gte"]["type"] == "integer"


def test_openapi_date_part_filter_is_a_bounded_integer(parameters):
    year = parameters["published__year"]
    assert (year["type"], year["minimum"], year["maximum"]) == ("integer", 1, 9999)


def test_openapi_text_filter(parameters):
    assert parameters["title__icontains"]["type"] == "string"


def test_openapi_date_filter(parameters):
    published = parameters["published__gte"]
    assert (published["type"], published["format"]) == ("string", "date")


def test_openapi_in_filter_is_an_array(parameters):
    assert parameters["author__in"]["type"] == "array"
    assert parameters["author__in"]["items"]["type"] == "integer"
    assert parameters["author__in"]["maxItems"] == 100


def test_openapi_choices_filter_is_an_enum(parameters):
    assert parameters["format"]["enum"] == ["hardcover", "paperback", "ebook"]
    assert parameters["format__in"]["items"]["enum"] == ["hardcover", "paperback", "ebook"]


def test_openapi_isnull_filter_is_a_boolean(parameters):
    assert parameters["published__isnull"]["type"] == "boolean"



@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity"])
def test_filterset_decimal_not_a_number_is_422(catalog, value):
    (error,) = errors(get("/books", rating__gte=value))
    assert error["loc"] == ["query", "rating__gte"]
