"""``core/signatures.py``: the pieces every signature FastAPI reads is built from."""

from __future__ import annotations

import inspect
from typing import Annotated, get_args

from fastapi import Depends, FastAPI, Request
from fastapi.params import Query
from fastapi.testclient import TestClient

from django_fastapi.core.signatures import (
    dress,
    keyword_parameter,
    map_dependencies,
    query_parameter,
    request_parameter,
    signature,
    signature_of,
)


def test_parameters():
    assert request_parameter().kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert request_parameter().annotation is Request
    assert request_parameter("_r", keyword_only=True).kind is inspect.Parameter.KEYWORD_ONLY
    required = keyword_parameter("x", int)
    assert (required.kind, required.annotation, required.default) == (
        inspect.Parameter.KEYWORD_ONLY, int, inspect.Parameter.empty,
    )
    page = query_parameter("page", int, 1, ge=1)
    base, query = get_args(page.annotation)
    assert (base, page.default, isinstance(query, Query)) == (int, 1, True)


def test_dress_copies_names_and_sets_the_signature():
    def user_function(a: int) -> int:
        """Docs."""
        return a

    def wrapper(**kwargs):
        return user_function(**kwargs)

    built = signature([keyword_parameter("a", int)], return_annotation=int)
    dressed = dress(wrapper, built, like=user_function)
    assert dressed is wrapper
    assert (wrapper.__name__, wrapper.__qualname__, wrapper.__doc__) == (
        "user_function", user_function.__qualname__, "Docs.",
    )
    assert inspect.signature(wrapper) == built
    assert dress(wrapper, built, name="renamed").__qualname__ == "renamed"


def test_fastapi_reads_a_built_signature():
    def total(**values: int) -> int:
        return sum(values.values())

    def endpoint(total: int, request: Request) -> dict:
        return {"total": total, "path": request.url.path}

    dress(total, signature([query_parameter("a", int, 0), query_parameter("b", int, 0)]))
    app = FastAPI()
    app.get("/sum")(dress(endpoint, signature([
        request_parameter(), keyword_parameter("total", Annotated[int, Depends(total)]),
    ]), name="sum"))
    assert TestClient(app).get("/sum?a=2&b=3").json() == {"total": 5, "path": "/sum"}
    assert signature_of(endpoint) == inspect.signature(endpoint)



def _a() -> int:
    return 1


def _b() -> int:
    return 2


def _endpoint(x: Annotated[int, Depends(_a)], y: int = Depends(_a), z: int = 3) -> None: ...


def test_map_dependencies_replaces_depends_in_defaults_and_annotated_metadata():
    replaced, changed = map_dependencies(signature_of(_endpoint), lambda depends, annotation: Depends(_b))
    assert changed
    x, y, z = replaced.parameters.values()
    assert x.annotation.__metadata__[0].dependency is _b
    assert y.default.dependency is _b
    assert z.default == 3


def test_map_dependencies_unchanged_when_replace_returns_its_argument():
    original = signature_of(_endpoint)
    replaced, changed = map_dependencies(original, lambda depends, annotation: depends)
    assert not changed and replaced is original
