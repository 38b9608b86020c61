"""The OpenAPI document, written deterministically for CI diffs and client generators."""

from __future__ import annotations

import json
from typing import IO

from fastapi import FastAPI


def openapi_json(app: FastAPI) -> str:
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_openapi(app: FastAPI, target: str | IO[str]) -> int:
    """Write the schema to a path or a text stream; returns the number of characters written."""
    text = openapi_json(app)
    if isinstance(target, str):
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        target.write(text, ending="") if hasattr(target, "style_func") else target.write(text)
    return len(text)
