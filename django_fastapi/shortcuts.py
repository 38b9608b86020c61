"""Django's shortcuts for endpoints: a 404 for a missing object, an HTML page from a template.

    from django_fastapi.shortcuts import aget_object_or_404, get_object_or_404, render

    @router.get("/books/{pk}", response_model=BookOut)
    def get_book(pk: int):
        return get_object_or_404(Book, pk=pk)        # 404 {"detail": "No Book matches the given query."}

    @router.get("/books/{pk}/page", response_class=HTMLResponse)
    def book_page(request: Request, pk: int):
        return render(request, "shop/book.html", {"book": get_object_or_404(Book, pk=pk)})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django import shortcuts
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import requires_csrf_token
from fastapi import HTTPException, Request
from starlette.responses import HTMLResponse

from .core.django_request import django_request


def get_object_or_404(klass: Any, *args: Any, **kwargs: Any) -> Any:
    """``klass`` (a model, manager or queryset) ``.get(*args, **kwargs)``, or a 404 ``HTTPException``."""
    try:
        return shortcuts.get_object_or_404(klass, *args, **kwargs)
    except Http404 as exc:
        raise HTTPException(404, str(exc)) from exc


async def aget_object_or_404(klass: Any, *args: Any, **kwargs: Any) -> Any:
    """The async ORM's ``aget()``, or a 404 ``HTTPException``; for ``async def`` endpoints."""
    try:
        return await shortcuts.aget_object_or_404(klass, *args, **kwargs)
    except Http404 as exc:
        raise HTTPException(404, str(exc)) from exc


def render(
    request: Request,
    template_name: str | list[str],
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    using: str | None = None,
) -> HTMLResponse:
    """An ``HTMLResponse`` of a Django template, as ``django.shortcuts.render`` renders it.

    Context processors receive a Django ``HttpRequest`` built from ``request``; ``{% csrf_token %}``
    works and sets the CSRF cookie, so a form can post to a Django view. Use it in sync endpoints
    (a lazy queryset in the context queries while rendering); ``arender`` in async ones.
    """

    def view(http_request: HttpRequest) -> HttpResponse:
        return shortcuts.render(http_request, template_name, context, status=status_code, using=using)

    if not settings.CSRF_USE_SESSIONS:
        # There is no session here to keep the token in; the cookie is the other place.
        view = requires_csrf_token(view)
    page = view(django_request(request))
    response = HTMLResponse(page.content, status_code=page.status_code, headers=headers)
    for name, value in page.items():
        if name.lower() not in ("content-type", "content-length"):
            response.headers.append(name, value)
    for cookie in page.cookies.values():
        response.headers.append("set-cookie", cookie.output(header="").strip())
    return response


async def arender(
    request: Request,
    template_name: str | list[str],
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    using: str | None = None,
) -> HTMLResponse:
    """``render`` for ``async def`` endpoints: renders on the request's thread for sync work."""
    return await sync_to_async(render, thread_sensitive=True)(
        request, template_name, context, status_code=status_code, headers=headers, using=using
    )
