"""Refuse, with FastAPI's 422, values that no database column can store.

A NUL character is refused by PostgreSQL (``DataError``, a 500) and stored by SQLite; a lone
surrogate (``"\\ud800"``) cannot be encoded as UTF-8 at all; ``NaN``, ``Infinity`` and ``1e999``
are not JSON numbers a column holds. Django's forms refuse NUL with
``ProhibitNullCharactersValidator`` and DRF's JSON parser refuses ``NaN``: here every path, query,
header and cookie value, and every string and number of a JSON or form body, is checked before
the endpoint runs, the same on every database backend, and each bad value is named by its ``loc``.

``reject_unstorable_values`` is a dependency of every route (``FastAPI(dependencies=...)``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile
from starlette.requests import HTTPConnection

from .compat_fastapi import reads_body, reads_form, serving_route

NULL = {"type": "null_character", "msg": "Null characters are not allowed."}
UNICODE = {
    "type": "string_unicode",
    "msg": "Input should be a valid string, unable to parse raw data as a unicode string",
}
FINITE = {"type": "finite_number", "msg": "Input should be a finite number"}
# Only a JSON body holding one of these can carry a NUL, a surrogate or a non-finite number.
_SUSPECT_JSON = re.compile(rb"\\u|NaN|Infinity|[eE][+-]?\d{3}")


async def reject_unstorable_values(request: HTTPConnection) -> None:
    """Raise ``RequestValidationError`` naming every path, query, header, cookie or body value
    holding a NUL character, a lone surrogate or a non-finite number (a WebSocket: no body)."""
    errors = [] if _plain(request.scope) else [
        *_text_errors("path", request.path_params.items()),
        *_text_errors("query", request.query_params.multi_items()),
        *_text_errors("header", request.headers.items()),
        *_text_errors("cookie", request.cookies.items()),
    ]
    route = serving_route(request.scope)
    if not errors and isinstance(request, Request) and route is not None and reads_body(route):
        errors.extend(await _body_errors(request, form=reads_form(route)))
    if errors:
        raise RequestValidationError(errors)


def _plain(scope: Any) -> bool:
    """Whether no path, query, header or cookie value can hold a NUL or a lone surrogate, read
    off the raw scope without building Starlette's parsed views (the common case, cheaply).

    Starlette decodes query strings and percent-escapes with ``errors="replace"`` and headers as
    latin-1, so only a NUL (raw, ``%00``, or a cookie's ``\\000`` escape) or a path that is not
    ASCII can make a problem there.
    """
    path = scope.get("path", "")
    if not path.isascii() or "\x00" in path:
        return False
    query = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        return False
    for name, value in scope.get("headers", ()):
        if b"\x00" in value or b"\x00" in name or (name == b"cookie" and b"\\" in value):
            return False
    return True


def _text_errors(where: str, pairs: Any) -> Iterator[dict[str, Any]]:
    for name, value in pairs:
        for text in (name, value):
            problem = _text_problem(text) if isinstance(text, str) else None
            if problem:
                yield {**problem, "loc": (where, _safe_name(name)), "input": value}
                break


async def _body_errors(request: Request, *, form: bool) -> list[dict[str, Any]]:
    content_type = request.headers.get("content-type", "").lower()
    if form:
        # FastAPI parsed the form already; Starlette returns the same form again.
        parsed_form = await request.form()
        fields = [(name, value) for name, value in parsed_form.multi_items() if not isinstance(value, UploadFile)]
        return list(_text_errors("body", fields))
    if content_type and not (content_type.startswith("application/") and "json" in content_type):
        return []  # bytes or text: the endpoint reads them as such
    body = await request.body()
    if not _SUSPECT_JSON.search(body):
        return []
    try:
        parsed = await request.json()  # parsed (and kept) by FastAPI already
    except ValueError:
        return []  # not JSON: FastAPI's own validation answers for it
    return [{**problem, "loc": ("body", *loc), "input": value} for loc, value, problem in _walk(parsed, ())]


def _walk(value: Any, loc: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any, dict[str, str]]]:
    # Iterative: a body nested as deep as the JSON parser allows must not exhaust the stack.
    pending = [(value, loc)]
    while pending:
        value, loc = pending.pop()
        if isinstance(value, str):
            problem = _text_problem(value)
            if problem:
                yield loc, value, problem
        elif isinstance(value, float):
            if not math.isfinite(value):
                yield loc, value, FINITE
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                problem = _text_problem(key)
                if problem:
                    pending.append((key, (*loc, _safe_name(key))))
                else:
                    pending.append((item, (*loc, key)))
        elif isinstance(value, list):
            pending.extend((item, (*loc, index)) for index, item in reversed(list(enumerate(value))))


def _text_problem(text: str) -> dict[str, str] | None:
    if "\x00" in text:
        return NULL
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return UNICODE
    return None


def _safe_name(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("utf-8")
