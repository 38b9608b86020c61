"""Every use of Django's undocumented internals, in one place.

- ``CsrfViewMiddleware._reject``: the CSRF checks' verdict as a reason, not a rendered
  ``CSRF_FAILURE_VIEW`` response;
- ``HttpRequest._files``: ``FILES`` of an ``ASGIRequest`` has no setter;
- an ``HttpRequest`` that skips ``__init__`` and has only what ``get_host()`` reads (``META``,
  ``path``), as Django's own ``ASGIRequest`` skips it;
- the ``_non_atomic_requests`` attribute that ``transaction.non_atomic_requests`` sets on a view;
- ``connections._connections``: whether this thread (or coroutine) opened a database alias yet;
- the autoreloader's ``DJANGO_AUTORELOAD_ENV`` and ``get_child_arguments()``: how its parent
  process starts the child that serves.

``tests/core/test_compat.py`` fails naming the installed Django version if any of these change.
"""

from __future__ import annotations

import logging
import os
from typing import Any, NoReturn

from django.db import connections
from django.http import HttpRequest, QueryDict
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import autoreload
from django.utils.datastructures import MultiValueDict

csrf_logger = logging.getLogger("django.security.csrf")


class _Rejected:
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _CsrfCheck(CsrfViewMiddleware):
    """Django's checks, answering with the reason instead of rendering ``CSRF_FAILURE_VIEW``."""

    def _reject(self, request: HttpRequest, reason: str) -> Any:
        csrf_logger.warning(
            "Forbidden (%s): %s",
            reason,
            request.path,
            extra={"status_code": 403, "request": request},
        )
        return _Rejected(reason)


def _unused(request: HttpRequest) -> NoReturn:
    raise AssertionError("not called")


def csrf_failure_reason(django_request: HttpRequest, endpoint: Any = None) -> str | None:
    """Why ``CsrfViewMiddleware.process_view`` refuses this request, or None when it passes.

    A refusal is logged to ``django.security.csrf`` as Django logs it.
    """
    verdict = _CsrfCheck(_unused).process_view(django_request, endpoint, (), {})
    return verdict.reason if isinstance(verdict, _Rejected) else None


def set_form(django_request: HttpRequest, form: QueryDict) -> None:
    """``request.POST = form`` with no files, for a body already parsed elsewhere."""
    django_request.POST = form  # type: ignore[assignment]  # stubs: only their _ImmutableQueryDict
    django_request._files = MultiValueDict()  # type: ignore[attr-defined]  # stubs omit the private _files


class _HostRequest(HttpRequest):
    """Just what ``get_host()`` and ``get_port()`` read. Like Django's ASGIRequest it skips
    ``HttpRequest.__init__``, whose empty QueryDicts would cost more than the check itself."""

    def __init__(self, path: str, meta: dict[str, str]) -> None:
        self.path = path
        self.META = meta


def get_host(path: str, meta: dict[str, str]) -> str:
    """``HttpRequest.get_host()`` of a request with this path and ``META`` (``SERVER_NAME``,
    ``SERVER_PORT``, ``HTTP_HOST``, ``HTTP_X_FORWARDED_*``); raises ``DisallowedHost``."""
    return _HostRequest(path, meta).get_host()


def non_atomic_request_aliases(view: Any) -> set[str]:
    """The databases ``@transaction.non_atomic_requests`` exempted ``view`` from."""
    return getattr(view, "_non_atomic_requests", set())


def has_connection(alias: str) -> bool:
    """Whether the current thread (or coroutine) already has a connection object for ``alias``,
    without creating one as ``connections[alias]`` would."""
    return hasattr(connections._connections, alias)  # type: ignore[attr-defined]  # private, not in the stubs


def is_reloader_child() -> bool:
    """Whether this process is the autoreloader's child (the one that serves and watches files)."""
    return os.environ.get(autoreload.DJANGO_AUTORELOAD_ENV) == "true"


def reloader_child() -> tuple[list[str], dict[str, str]]:
    """The command line and environment with which the autoreloader's parent starts its child."""
    return autoreload.get_child_arguments(), {**os.environ, autoreload.DJANGO_AUTORELOAD_ENV: "true"}
