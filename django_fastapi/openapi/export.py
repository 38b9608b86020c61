"""The OpenAPI documents, written deterministically for CI diffs and client generators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from fastapi import FastAPI

from .documents import DEFAULT, document_named, documents, openapi_document

if TYPE_CHECKING:
    from django.core.management.base import OutputWrapper


def document_names() -> list[str]:
    return [document.name for document in documents()]


def openapi_json(app: FastAPI, document: str = DEFAULT) -> str:
    """The document as JSON: sorted keys, two-space indent, one final newline."""
    schema = openapi_document(app, document_named(document))
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_openapi(app: FastAPI, target: str | IO[str] | OutputWrapper, document: str = DEFAULT) -> int:
    """Write the schema to a path or a text stream; returns its size in bytes (UTF-8)."""
    text = openapi_json(app, document)
    data = text.encode("utf-8")
    if isinstance(target, str):
        # Binary, so the file has "\n" line endings on every platform and ``data`` is its size.
        with open(target, "wb") as handle:
            handle.write(data)
    else:
        # A management command's stdout (an OutputWrapper) adds a newline unless ending="".
        cast(Any, target).write(text, ending="") if hasattr(target, "style_func") else target.write(text)
    return len(data)


def schema_is_current(app: FastAPI, path: str, document: str = DEFAULT) -> bool:
    """Whether the committed schema at ``path`` is what the app would export now."""
    return Path(path).read_bytes() == openapi_json(app, document).encode("utf-8")
