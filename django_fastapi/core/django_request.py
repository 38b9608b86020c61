"""Django's ``HttpRequest`` for FastAPI endpoints, so code that takes ``request`` can be called.

    from django.template.loader import render_to_string
    from django_fastapi.security import DjangoRequest

    @router.get("/greeting")
    def greeting(request: DjangoRequest) -> dict:
        request.session["visits"] = request.session.get("visits", 0) + 1
        return {"html": render_to_string("greeting.html", request=request)}

One ``HttpRequest`` is built per request, by Django's own ``ASGIRequest`` from the ASGI scope, the
first time something needs it (this dependency, the session authentication source, the CSRF
check). Django's session, CSRF and messages middleware prepare it (``process_request``), and
``DjangoRequestMiddleware`` finishes it as they would (``process_response``): when the response
starts it saves the session and adds the session, CSRF and messages cookies, honouring the
``SESSION_*`` and ``CSRF_*`` settings.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.apps import apps
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import CsrfViewMiddleware
from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .compat_django import set_form

CONTEXT_KEY = "django_fastapi.request"
T = TypeVar("T")


class _Body:
    """The request body for Django's parsers, filled in by ``load_body`` before Django reads it."""

    def __init__(self) -> None:
        self._file: io.BytesIO | None = None

    @property
    def loaded(self) -> bool:
        return self._file is not None

    def load(self, data: bytes) -> None:
        self._file = io.BytesIO(data)

    def _stream(self) -> io.BytesIO:
        if self._file is None:
            raise RuntimeError(
                "The request body was not read for Django. Take the HttpRequest from the "
                "django_fastapi.security.DjangoRequest dependency to use request.body or request.POST."
            )
        return self._file

    def read(self, *args: Any) -> bytes:
        return self._stream().read(*args)

    def readline(self, *args: Any) -> bytes:
        return self._stream().readline(*args)

    def seekable(self) -> bool:
        return True

    def seek(self, *args: Any) -> int:
        return self._stream().seek(*args)

    def tell(self) -> int:
        return self._stream().tell()

    def close(self) -> None:
        pass


@dataclass
class RequestContext:
    """What one request's dependencies share: its HttpRequest and who was authenticated."""

    django_request: HttpRequest | None = None
    authentication: Any = None
    body: _Body = field(default_factory=_Body)
    form: QueryDict | None = None


def request_context(request: HTTPConnection) -> RequestContext:
    try:
        return request.scope[CONTEXT_KEY]
    except KeyError:
        raise RuntimeError(
            "Django authentication and the Django request adapter need DjangoRequestMiddleware, "
            "which get_application() installs. For an app you build yourself, add it: "
            "app.add_middleware(django_fastapi.core.DjangoRequestMiddleware)."
        ) from None


def _unused(request: HttpRequest) -> HttpResponse:  # the get_response the middleware never call
    raise AssertionError("not called")


def _django_middleware() -> list[Any]:
    """Django's middleware the adapter runs, in MIDDLEWARE order (the auth sources stand in for
    AuthenticationMiddleware)."""
    middleware = [SessionMiddleware(_unused), CsrfViewMiddleware(_unused)]
    if apps.is_installed("django.contrib.messages"):
        from django.contrib.messages.middleware import MessageMiddleware

        middleware.append(MessageMiddleware(_unused))
    return middleware


def set_user(django_request: HttpRequest, user: Any) -> None:
    """``request.user`` and ``request.auser()``, as AuthenticationMiddleware provides them."""

    async def auser() -> Any:
        return user

    django_request.user = user
    django_request.auser = auser


def _prepare(context: RequestContext, scope: Scope) -> HttpRequest:
    """Build the request once (sync: CSRF_USE_SESSIONS reads the session, on the lane)."""
    if context.django_request is None:
        if scope["type"] == "websocket":
            scope = {**scope, "method": "GET"}  # the handshake, as Django would see it
        django_request = ASGIRequest(scope, context.body)  # type: ignore[arg-type]  # stubs want IO[bytes]; Django calls read()/readline()/seek()
        for middleware in _django_middleware():
            middleware.process_request(django_request)
        if context.form is not None:
            set_form(django_request, context.form)
        if context.authentication is not None:
            set_user(django_request, context.authentication.user)
        context.django_request = django_request
    return context.django_request


async def run_with_django_request(request: HTTPConnection, func: Callable[..., T], *args: Any) -> T:
    """Call ``func(django_request, *args)`` on the request's thread (its lane), where Django's
    sync code, sessions and the ORM belong."""
    context = request_context(request)

    def call() -> T:
        return func(_prepare(context, request.scope), *args)

    return await sync_to_async(call, thread_sensitive=True)()


async def load_body(request: Request) -> None:
    """Give Django the body: read it (FastAPI caches it), or the form FastAPI already parsed."""
    context = request_context(request)
    if context.body.loaded or context.form is not None:
        return
    try:
        context.body.load(await request.body())
    except RuntimeError:  # "Stream consumed": the endpoint's Form parameters parsed it.
        fields = QueryDict(mutable=True)
        for name, value in (await request.form()).multi_items():
            if not isinstance(value, UploadFile):
                fields.appendlist(name, value)
        context.form = fields
        if context.django_request is not None:
            set_form(context.django_request, fields)


def _finish(django_request: HttpRequest, status: int, vary: str | None) -> HttpResponse:
    """Django's process_response of the session, CSRF and messages middleware (reversed order)."""
    response = HttpResponse(status=status)
    if vary:
        response.headers["Vary"] = vary
    for middleware in reversed(_django_middleware()):
        response = middleware.process_response(django_request, response)
    return response


class DjangoRequestMiddleware:
    """Gives each request a ``RequestContext``; saves what its Django request changed.

    Innermost of the bridge's middleware, so on the request's lane. A 5xx answer saves no session,
    as with Django; a session deleted meanwhile by another request (``SessionInterrupted``)
    becomes a 400, as with Django. A websocket gets a context too (its handshake is a request
    the sources authenticate), but sets no cookies: nothing is saved for it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                scope[CONTEXT_KEY] = RequestContext()
            await self.app(scope, receive, send)
            return
        context = scope[CONTEXT_KEY] = RequestContext()
        replaced = False

        async def finishing_send(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if message["type"] == "http.response.start" and context.django_request is not None:
                try:
                    message = await _with_django_headers(context.django_request, message)
                except SessionInterrupted as exc:
                    replaced = True
                    await JSONResponse({"detail": str(exc)}, status_code=400)(scope, receive, send)
                    return
            await send(message)

        await self.app(scope, receive, finishing_send)


async def _with_django_headers(django_request: HttpRequest, message: Message) -> Message:
    headers = list(message.get("headers", []))
    vary = ", ".join(value.decode("latin-1") for name, value in headers if name.lower() == b"vary")
    response = await sync_to_async(_finish, thread_sensitive=True)(
        django_request, message["status"], vary or None
    )
    if response.has_header("Vary"):
        headers = [(name, value) for name, value in headers if name.lower() != b"vary"]
        headers.append((b"vary", response.headers["Vary"].encode("latin-1")))
    for cookie in response.cookies.values():
        headers.append((b"set-cookie", cookie.OutputString().encode("latin-1")))
    return {**message, "headers": headers}


def django_request(request: Request) -> HttpRequest:
    """The request's own ``HttpRequest`` when the adapter built it (user, session), else a plain
    one from the ASGI scope: method, path, query string, headers, cookies, client, no body.

    What error reports and ``render`` hand to Django code (``mail_admins``, context processors).
    """
    context = request.scope.get(CONTEXT_KEY)
    built = getattr(context, "django_request", None)
    if isinstance(built, HttpRequest):
        return built
    return ASGIRequest(request.scope, io.BytesIO())
