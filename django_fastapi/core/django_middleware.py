"""Django's own middleware around API requests: the security headers, redirects and language that
the project's ``MIDDLEWARE`` gives its Django pages on the same port.

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",        # nosniff, HSTS, Referrer-Policy,
        ...                                                     # COOP, SECURE_SSL_REDIRECT
        "django.middleware.locale.LocaleMiddleware",             # get_language(), Content-Language
        "django.middleware.clickjacking.XFrameOptionsMiddleware",   # X-Frame-Options
    ]
    FASTAPI_DJANGO_MIDDLEWARE = ["myproject.middleware.TenantMiddleware"]   # opt-in, any other

Each of the three runs only when ``MIDDLEWARE`` lists it (or a subclass), in ``MIDDLEWARE`` order,
followed by ``FASTAPI_DJANGO_MIDDLEWARE``. They run with Django's ``process_request`` /
``process_response`` semantics on an ``HttpRequest`` of the API request (no body) and an
``HttpResponse`` standing in for the API response's status and headers: a response returned by
``process_request`` (the HTTPS redirect) answers the request, headers they set are added to the
API response. ``FASTAPI_DJANGO_MIDDLEWARE`` entries run on the request's lane (thread), where the
endpoint's sync code and ORM run.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured
from django.core.handlers.asgi import ASGIRequest
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.locale import LocaleMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils.module_loading import import_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..conf import api_settings

# Applied by default when MIDDLEWARE has them: what they do holds for API responses as for pages.
APPLIED = (SecurityMiddleware, LocaleMiddleware, XFrameOptionsMiddleware)
# Django's own classes (not subclasses) whose process_response only adds headers the response lacks,
# chosen by the settings, whether the request is secure and which headers the response has: for
# the same scheme and header names they add the same headers, so what they added once is replayed
# instead of building an HttpRequest and a stand-in HttpResponse for every request.
REPLAYABLE = (SecurityMiddleware, XFrameOptionsMiddleware)
REPLAY_CACHE_SIZE = 256


def _unused(request: HttpRequest) -> HttpResponse:  # the get_response the middleware never call
    raise AssertionError("not called")


def project_middleware_classes() -> list[type]:
    """The classes of ``APPLIED`` in the project's ``MIDDLEWARE``, in its order."""
    found = []
    for path in settings.MIDDLEWARE:
        try:
            cls = import_string(path)
        except ImportError:
            continue  # Django's own handler reports it
        if isinstance(cls, type) and issubclass(cls, APPLIED):
            found.append(cls)
    return found


def opt_in_classes() -> list[type]:
    """``FASTAPI_DJANGO_MIDDLEWARE``, imported; each must have process_request or process_response."""
    classes = []
    for path in api_settings.DJANGO_MIDDLEWARE:
        try:
            cls = import_string(path)
        except ImportError as exc:
            raise ImproperlyConfigured(
                f"FASTAPI_DJANGO_MIDDLEWARE names {path!r}, which could not be imported: {exc}"
            ) from exc
        if not (hasattr(cls, "process_request") or hasattr(cls, "process_response")):
            raise ImproperlyConfigured(
                f"FASTAPI_DJANGO_MIDDLEWARE names {path!r}, which has neither process_request nor "
                "process_response: the API runs Django middleware by those hooks only. Subclass "
                "django.utils.deprecation.MiddlewareMixin and move the logic into them."
            )
        classes.append(cls)
    return classes


@dataclass(frozen=True)
class Chain:
    inline: list[Any]  # the APPLIED ones: pure Python, run on the event loop
    on_lane: list[Any]  # FASTAPI_DJANGO_MIDDLEWARE: the project's code, run on the request's lane
    # Headers the chain added, by (scheme, SECURE_PROXY_SSL_HEADER's value, response header names);
    # None when the inline ones are not only REPLAYABLE classes that never answer a request.
    replays: dict[tuple[Any, ...], list[tuple[bytes, bytes]] | None] | None = None


def _replayable(inline: list[Any]) -> bool:
    for middleware in inline:
        if type(middleware) not in REPLAYABLE:
            return False
        if isinstance(middleware, SecurityMiddleware) and middleware.redirect:
            return False  # process_request may answer (SECURE_SSL_REDIRECT)
    return True


_chains: dict[str, Chain] = {}


def middleware_chain() -> Chain:
    """The middleware instances, built once (as Django's handler does) and again after a
    settings change (``override_settings``): their ``__init__`` reads settings."""
    chain = _chains.get("current")
    if chain is None:
        builtin = project_middleware_classes()
        opt_in = [cls for cls in opt_in_classes() if cls not in builtin]
        inline, on_lane = [cls(_unused) for cls in builtin], [cls(_unused) for cls in opt_in]
        chain = _chains["current"] = Chain(inline, on_lane, {} if _replayable(inline) else None)
    return chain


def _forget(**kwargs: Any) -> None:
    _chains.clear()


setting_changed.connect(_forget, dispatch_uid="django_fastapi_django_middleware")


class DjangoMiddleware:
    """Runs the project's Django middleware (see the module) around each API request.

    Two layers: ``on_lane=False`` runs the ``APPLIED`` ones, outermost, so that responses the
    bridge gives before any lane (a bad Host, a CORS preflight, lanes busy) get their headers too;
    ``on_lane=True`` runs ``FASTAPI_DJANGO_MIDDLEWARE`` inside the request cycle, on the lane.
    """

    def __init__(self, app: ASGIApp, on_lane: bool = False) -> None:
        self.app = app
        self.on_lane = on_lane
        middleware_chain()  # a bad FASTAPI_DJANGO_MIDDLEWARE fails when the app is built

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chain = middleware_chain()
        middleware = chain.on_lane if self.on_lane else chain.inline
        if scope["type"] != "http" or not middleware:
            await self.app(scope, receive, send)
            return
        if not self.on_lane and chain.replays is not None:
            await self.app(scope, receive, _replaying_send(chain, chain.replays, scope, send))
            return
        request = ASGIRequest(scope, io.BytesIO())
        try:
            answer = await self._process_request(middleware, request)
        except DisallowedHost:
            answer = HttpResponse("Bad Request: invalid Host header", status=400, content_type="text/plain")
        if answer is not None:
            await _send_django_response(answer, send)
            return
        replaced = False

        async def finishing_send(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                response = _stand_in(message)
                finished = await self._process_response(middleware, request, response)
                if finished is not response:  # a middleware answered in the response's place
                    replaced = True
                    await _send_django_response(finished, send)
                    return
                message = {**message, "headers": _merged(message.get("headers", []), finished)}
            await send(message)

        await self.app(scope, receive, finishing_send)

    async def _process_request(self, middleware: list[Any], request: HttpRequest) -> HttpResponseBase | None:
        if self.on_lane:
            return await sync_to_async(_requests, thread_sensitive=True)(middleware, request)
        return _requests(middleware, request)

    async def _process_response(
        self, middleware: list[Any], request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if self.on_lane:
            return await sync_to_async(_responses, thread_sensitive=True)(request, response, middleware)
        return _responses(request, response, middleware)


def _replaying_send(chain: Chain, replays: dict[tuple[Any, ...], list[tuple[bytes, bytes]] | None],
                    scope: Scope, send: Send) -> Send:
    async def replaying_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            key = _replay_key(scope, headers)
            try:
                added = replays[key]
            except KeyError:
                added = replays[key] = _added_headers(chain, scope, message)
                if len(replays) > REPLAY_CACHE_SIZE:
                    replays.clear()
            if added is None:  # the chain changed a header: run it for every such response
                request = ASGIRequest(scope, io.BytesIO())
                response = _responses(request, _stand_in(message), chain.inline)
                message = {**message, "headers": _merged(headers, response)}
            elif added:
                message = {**message, "headers": [*headers, *added]}
        await send(message)

    return replaying_send


def _replay_key(scope: Scope, headers: Any) -> tuple[Any, ...]:
    proxy_header = settings.SECURE_PROXY_SSL_HEADER  # is_secure() reads it
    proxied = None
    if proxy_header:
        name = proxy_header[0].removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        proxied = tuple(value for key, value in scope.get("headers", ()) if key.lower() == name)
    return scope.get("scheme"), proxied, frozenset(bytes(name).lower() for name, _ in headers)


def _added_headers(chain: Chain, scope: Scope, message: Message) -> list[tuple[bytes, bytes]] | None:
    """What the chain adds to this response; None if it changed or removed one of its headers."""
    headers = list(message.get("headers", []))
    response = _responses(ASGIRequest(scope, io.BytesIO()), _stand_in(message), chain.inline)
    merged = _merged(headers, response)
    return merged[len(headers):] if merged[: len(headers)] == headers else None


def _requests(chain: list[Any], request: HttpRequest) -> HttpResponseBase | None:
    for index, middleware in enumerate(chain):
        answer = middleware.process_request(request) if hasattr(middleware, "process_request") else None
        if answer is not None:
            # As Django: the middleware that answered and those before it see the answer.
            return _responses(request, answer, chain[: index + 1])
    return None


def _responses(request: HttpRequest, response: HttpResponseBase, chain: list[Any]) -> HttpResponseBase:
    for middleware in reversed(chain):
        if hasattr(middleware, "process_response"):
            response = middleware.process_response(request, response)
    return response


def _stand_in(message: Message) -> HttpResponse:
    """An HttpResponse with the API response's status and headers, for process_response."""
    response = HttpResponse(status=message["status"])
    del response.headers["Content-Type"]
    for name, value in message.get("headers", []):
        response.headers[name.decode("latin-1")] = value.decode("latin-1")
    return response


def _merged(headers: list[tuple[bytes, bytes]], response: HttpResponseBase) -> list[tuple[bytes, bytes]]:
    """The API response's headers with what the middleware added or changed (setdefault-style
    headers the endpoint set stay as they were)."""
    merged = list(headers)
    last = {name.lower(): value for name, value in headers}
    for name, value in response.items():
        key, encoded = name.lower().encode("latin-1"), value.encode("latin-1")
        if key not in last:
            merged.append((key, encoded))
        elif last[key] != encoded:  # e.g. Vary with Accept-Language added
            merged = [(n, v) for n, v in merged if n.lower() != key] + [(key, encoded)]
    for cookie in response.cookies.values():
        merged.append((b"set-cookie", cookie.OutputString().encode("latin-1")))
    return merged


async def _send_django_response(response: HttpResponseBase, send: Send) -> None:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
    headers += [(b"set-cookie", c.OutputString().encode("latin-1")) for c in response.cookies.values()]
    body = response.content if isinstance(response, HttpResponse) else b""
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
