from django_fastapi.testing.client import Client
from tests.booksite import catalog_fixture, errors, get, routers  # noqa: F401 (fixtures)

# Strict FilterSet: a query parameter no dependency of the route declares is a 422.


def test_filterset_unknown_parameter_is_422_listing_allowed(catalog):
    (error,) = errors(get("/books", titel="Dune"))
    assert error["type"] == "unknown_filter"
    assert error["loc"] == ["query", "titel"]
    assert error["input"] == "Dune"
    assert error["msg"].startswith("Unknown query parameter 'titel'; allowed: author, author__in, ")
    for name in ("page", "page_size", "search", "ordering", "title__icontains", "published__month__in"):
        assert f" {name}," in error["msg"]
    assert error["msg"].endswith("Did you mean 'title'?")


def test_filterset_unknown_parameter_on_async_endpoint_is_422(catalog):
    (error,) = errors(get("/async-books", pgae="2"))
    assert error["loc"] == ["query", "pgae"]
    assert "Did you mean 'page'?" in error["msg"]


def test_filterset_every_unknown_parameter_is_reported(catalog):
    found = errors(get("/books", a="1", b="2"))
    assert [error["loc"] for error in found] == [["query", "a"], ["query", "b"]]



def test_filterset_allows_fields_of_a_query_parameter_model(catalog):
    response = get("/model-params-books", title="Dune", offset=0, limit=1)
    assert response.json() == ["Dune"]


def test_filterset_not_strict_ignores_unknown_parameters(catalog):
    response = get("/lenient-books", title="Dune", titel="x")
    assert response.json() == ["Dune"]


def test_filterset_allows_parameters_of_an_including_routers_dependencies(catalog):
    response = Client().get("/api/nested/inner/books", params={"title": "Dune", "api_version": 2})
    assert response.json() == ["Dune"]


def test_filterset_under_nested_include_lists_the_including_routers_parameters(catalog):
    (error,) = errors(Client().get("/api/nested/inner/books", params={"version": 2}))
    assert error["msg"] == (
        "Unknown query parameter 'version'; allowed: api_version, title. Did you mean 'api_version'?"
    )

