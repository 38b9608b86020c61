"""Django's users and permissions as FastAPI dependencies, for sync and async endpoints alike.

    from django_fastapi.security import CurrentUser, check_object_perms, require_perms

    @router.get("/me")
    async def me(user: CurrentUser) -> dict:                  # 401 when nobody is authenticated
        return {"username": user.get_username()}

    @router.post("/books", dependencies=[Depends(require_perms("catalog.add_book"))])
    def create_book(body: BookIn) -> BookOut: ...

    @router.patch("/books/{pk}")
    def update_book(pk: int, body: BookPatch, user: CurrentUser) -> BookOut:
        book = get_object_or_404(Book, pk=pk)
        check_object_perms(user, "catalog.change_book", book)  # 403 unless a backend grants it
        ...

Who the user is comes from the ``FASTAPI_AUTHENTICATION`` sources (``sources.py``), once
per request. Permissions are ``user.has_perms()``, so every ``AUTHENTICATION_BACKENDS`` entry
counts, object-level ones (django-guardian and the like) when an object is given. Django's sync
code (permission backends, sessions) runs on the request's thread, via ``sync_to_async``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Annotated, Any, Protocol, cast

from asgiref.sync import sync_to_async
from django.contrib import auth as django_auth
from django.http import HttpRequest
from fastapi import Depends, HTTPException, Request

from ..core.django_request import load_body, run_with_django_request
from .access import insufficient_scope
from .sources import (
    Authentication,
    anonymous_user,
    authenticate,
    challenge,
    resolve,
    set_authentication,
)

if TYPE_CHECKING:
    # Types only: importing models before the app registry is ready raises AppRegistryNotReady.
    # (So dependencies return Any: pinning evaluates their annotations at run time.)
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

FORBIDDEN = "You do not have permission to perform this action."


async def get_django_request(request: Request) -> HttpRequest:
    """Dependency: the request as Django's ``HttpRequest``, with ``user``, ``session``, body."""
    await load_body(request)
    await resolve(request)
    return await run_with_django_request(request, lambda django_request: django_request)


DjangoRequest = Annotated[HttpRequest, Depends(get_django_request)]


def not_authenticated() -> HTTPException:
    return HTTPException(
        401,
        "Authentication credentials were not provided.",
        headers={"WWW-Authenticate": challenge()},
    )


def forbidden(detail: str = FORBIDDEN) -> HTTPException:
    return HTTPException(403, detail)


async def optional_user(authentication: Authentication = Depends(authenticate)) -> Any:
    """The user, or ``AnonymousUser`` when nobody is authenticated (wrong credentials: 401)."""
    return authentication.user


async def current_user(authentication: Authentication = Depends(authenticate)) -> Any:
    """The authenticated user; 401 with ``WWW-Authenticate`` otherwise."""
    if not authentication.user.is_authenticated:
        raise not_authenticated()
    return authentication.user


async def active_user(user: Any = Depends(current_user)) -> Any:
    """An authenticated user whose account is active (403 otherwise)."""
    if not getattr(user, "is_active", True):
        raise forbidden("This account is inactive.")
    return user


async def staff_user(user: Any = Depends(active_user)) -> Any:
    """An active staff user, as the admin requires (403 otherwise)."""
    if not getattr(user, "is_staff", False):
        raise forbidden()
    return user


async def superuser(user: Any = Depends(active_user)) -> Any:
    """An active superuser (403 otherwise)."""
    if not getattr(user, "is_superuser", False):
        raise forbidden()
    return user


if TYPE_CHECKING:
    # What mypy sees: the user model (a custom AUTH_USER_MODEL is an AbstractBaseUser too).
    OptionalUser = Annotated[AbstractBaseUser | AnonymousUser, Depends(optional_user)]
    CurrentUser = Annotated[AbstractBaseUser, Depends(current_user)]
    ActiveUser = Annotated[AbstractBaseUser, Depends(active_user)]
    StaffUser = Annotated[AbstractBaseUser, Depends(staff_user)]
    Superuser = Annotated[AbstractBaseUser, Depends(superuser)]
else:
    # At run time FastAPI reads only the dependency, and the models may not be importable yet.
    OptionalUser = Annotated[Any, Depends(optional_user)]
    CurrentUser = Annotated[Any, Depends(current_user)]
    ActiveUser = Annotated[Any, Depends(active_user)]
    StaffUser = Annotated[Any, Depends(staff_user)]
    Superuser = Annotated[Any, Depends(superuser)]


class _PermissionsUser(Protocol):
    # Django's user models (via PermissionsMixin) and AnonymousUser; AbstractBaseUser alone does
    # not declare has_perms().
    @property
    def is_authenticated(self) -> bool: ...

    def has_perms(self, perm_list: Iterable[str], obj: Any = None) -> bool: ...


def _perm_list(perms: str | Iterable[str]) -> tuple[str, ...]:
    perm_list = (perms,) if isinstance(perms, str) else tuple(perms)
    bad = [perm for perm in perm_list if not isinstance(perm, str) or "." not in perm]
    if not perm_list or bad:
        raise ValueError(
            f"Permissions are 'app_label.codename' strings such as 'catalog.add_book'; got {perms!r}."
        )
    return perm_list


def require_perms(*perms: str, obj: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """A dependency: the user, who must hold every permission (401 if anonymous, 403 if not).

    ``obj``: a dependency returning the object the permissions are about, e.g. one loading the
    book of the path; then only backends that answer for objects grant them (Django's ModelBackend
    answers only for models), as with ``user.has_perms(perms, obj)``.
    """
    perm_list = _perm_list(perms)

    if obj is None:

        async def has_perms(user: Any = Depends(current_user)) -> Any:
            await acheck_perms(user, perm_list)
            return user

        return has_perms

    async def has_object_perms(
        user: Any = Depends(current_user), target: Any = Depends(obj)
    ) -> Any:
        await acheck_perms(user, perm_list, target)
        return user

    return has_object_perms


def check_perms(user: AbstractBaseUser | AnonymousUser, perms: str | Iterable[str], obj: Any = None) -> None:
    """401 for an anonymous user; 403 unless ``user.has_perms(perms, obj)``. For sync endpoints."""
    if not user.is_authenticated:
        raise not_authenticated()
    perm_list = _perm_list(perms)
    if not cast(_PermissionsUser, user).has_perms(perm_list, obj):
        raise insufficient_scope(user, perm_list) or forbidden()


async def acheck_perms(user: AbstractBaseUser | AnonymousUser, perms: str | Iterable[str], obj: Any = None) -> None:
    """``check_perms`` for async endpoints: the backends run on the request's thread."""
    await sync_to_async(check_perms, thread_sensitive=True)(user, perms, obj)


def check_object_perms(user: AbstractBaseUser | AnonymousUser, perms: str | Iterable[str], obj: Any) -> None:
    """403 unless a backend grants ``perms`` on ``obj``, which the endpoint has just loaded."""
    check_perms(user, perms, obj)


async def acheck_object_perms(user: AbstractBaseUser | AnonymousUser, perms: str | Iterable[str], obj: Any) -> None:
    """``check_object_perms`` for async endpoints."""
    await acheck_perms(user, perms, obj)


async def authenticate_user(request: Request, **credentials: Any) -> AbstractBaseUser | None:
    """``django.contrib.auth.authenticate(request, **credentials)``: the user, or None (and
    ``user_login_failed`` sent)."""
    return await run_with_django_request(
        request, lambda django_request: django_auth.authenticate(django_request, **credentials)
    )


async def login(request: Request, user: AbstractBaseUser, backend: str | None = None) -> None:
    """Log ``user`` in to the session as ``django.contrib.auth.login`` does: a new session key, a
    new CSRF token, ``user_logged_in`` sent; the response sets the cookies."""
    await run_with_django_request(request, django_auth.login, user, backend)
    set_authentication(request, Authentication(user, "session"))


async def logout(request: Request) -> None:
    """``django.contrib.auth.logout``: ``user_logged_out`` sent, the session flushed."""
    await resolve(request)
    await run_with_django_request(request, django_auth.logout)
    set_authentication(request, Authentication(anonymous_user()))
