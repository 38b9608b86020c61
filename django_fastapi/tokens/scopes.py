"""Scopes: a token limited to some of its user's Django permissions.

    Token.objects.create_token(user, scopes=["catalog.view_book"])   # can read books, nothing else

A scope is a permission string, ``"app_label.codename"``. A token's scopes are ``None`` (all the
user's permissions, as a session has) or a set of them; what the token may do is the intersection
of its scopes and what the user's ``AUTHENTICATION_BACKENDS`` grant. The request's user is then a
``ScopedUser``: the user model instance, wrapped so that ``has_perm``, ``has_perms``,
``has_module_perms`` and ``get_all_permissions`` answer for the intersection. ``require_perms``,
``check_object_perms`` and the model router all ask ``user.has_perms()``, so they honour it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.utils.functional import SimpleLazyObject

Scopes = frozenset[str] | None
# An app label (a Python identifier) and a codename (Permission.codename: at most 100 characters).
PERMISSION = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_-]{1,100}")


def parse_scopes(value: Any) -> Scopes:
    """``None``, a list of permission strings, or an OAuth ``scope`` string (space-separated)."""
    if value is None:
        return None
    items = value.split() if isinstance(value, str) else value
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise ValueError(f"Scopes are a list of permissions such as ['catalog.view_book']; got {value!r}.")
    items = list(items)
    bad = [item for item in items if not isinstance(item, str) or not PERMISSION.fullmatch(item)]
    if bad:
        raise ValueError(
            f"Scopes are permissions such as 'catalog.view_book' ('app_label.codename'); got {bad[0]!r}."
        )
    return frozenset(items)


def format_scopes(scopes: Scopes) -> str | None:
    """The OAuth ``scope`` string (sorted, space-separated), or None for an unrestricted token."""
    return None if scopes is None else " ".join(sorted(scopes))


class ScopedUser(SimpleLazyObject):
    """``user``, with permissions limited to ``scopes`` (the user is already loaded, not lazy).

    Everything else (attributes, ``save()``, assignment to a foreign key, ``isinstance``) is the
    wrapped user's, as with Django's lazy ``request.user``.
    """

    token_scopes: frozenset[str]

    def __init__(self, user: Any, scopes: frozenset[str]) -> None:
        super().__init__(lambda: user)
        self._wrapped = user
        self.__dict__["token_scopes"] = scopes

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return perm in self.token_scopes and bool(self._wrapped.has_perm(perm, obj))

    def has_perms(self, perm_list: Iterable[str], obj: Any = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        in_scope = any(scope.startswith(f"{app_label}.") for scope in self.token_scopes)
        return in_scope and bool(self._wrapped.has_module_perms(app_label))

    def get_all_permissions(self, obj: Any = None) -> set[str]:
        return set(self._wrapped.get_all_permissions(obj)) & self.token_scopes


def scoped(user: Any, scopes: Scopes) -> Any:
    """``user`` limited to ``scopes``; the user itself when the token is unrestricted."""
    return user if scopes is None else ScopedUser(user, scopes)


def token_scopes(user: Any) -> Scopes:
    """The scopes the request's credential limits ``user`` to, or None (session, unrestricted token)."""
    return user.__dict__.get("token_scopes") if isinstance(user, ScopedUser) else None
