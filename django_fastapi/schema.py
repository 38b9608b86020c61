"""The OpenAPI document, written deterministically for CI diffs and client generators."""

from __future__ import annotations

import json
from typing import IO

from fastapi import FastAPI


def openapi_json(app: FastAPI) -> str:
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_openapi(app: FastAPI, target: str | IO[str]) -> int:
    """Write the schema to a path or a text stream; returns its size in bytes (UTF-8)."""
    text = openapi_json(app)
    data = text.encode("utf-8")
    if isinstance(target, str):
        # Binary, so the file has "\n" line endings on every platform and ``data`` is its size.
        with open(target, "wb") as handle:
            handle.write(data)
    else:
        target.write(text, ending="") if hasattr(target, "style_func") else target.write(text)
    return len(data)
