"""OpenAPI documents per audience and version, their docs pages, and the schema export.

    from django_fastapi.openapi import audience

``documents()`` stays in ``openapi.documents``: bound here, it would hide that module.
"""

from .documents import DEFAULT, Document, audience, document_named, openapi_document
from .export import document_names, openapi_json, schema_is_current, write_openapi
from .pages import add_docs

__all__ = [
    "DEFAULT",
    "Document",
    "add_docs",
    "audience",
    "document_named",
    "document_names",
    "openapi_document",
    "openapi_json",
    "schema_is_current",
    "write_openapi",
]
