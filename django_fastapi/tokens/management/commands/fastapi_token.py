from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from django_fastapi.tokens.models import RefreshFamily, Token


class Command(BaseCommand):
    help = (
        "Create, list or revoke API tokens; issue access/refresh token pairs; list or revoke "
        "sign-ins (refresh families)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{create,list,revoke,pair,families,revoke-family,prune}"
        )
        create = actions.add_parser(
            "create", help="Create a token and print it (it is shown only once)."
        )
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for.")
        create.add_argument(
            "--expires-in", type=int, metavar="DAYS", help="Days until it expires (default: never)."
        )
        _scope_option(create)
        listing = actions.add_parser(
            "list", help="List tokens: prefix, user, name, created, expires, last used, scopes, status."
        )
        listing.add_argument("--user", metavar="USERNAME", help="Only this user's tokens.")
        revoke = actions.add_parser("revoke", help="Revoke the token with this prefix.")
        revoke.add_argument("prefix")
        pair = actions.add_parser(
            "pair", help="Sign a user in: print an access token, then a refresh token (for scripts and tests)."
        )
        pair.add_argument("username")
        pair.add_argument("--name", default="manage.py fastapi_token", help="What signs in.")
        _scope_option(pair)
        families = actions.add_parser(
            "families", help="List sign-ins: id, user, name, created, last used, scopes, status."
        )
        families.add_argument("--user", metavar="USERNAME", help="Only this user's sign-ins.")
        families.add_argument("--all", action="store_true", help="Include revoked sign-ins.")
        revoke_family = actions.add_parser("revoke-family", help="Revoke the sign-in with this id.")
        revoke_family.add_argument("family_id")
        actions.add_parser(
            "prune", help="Delete expired refresh tokens and the sign-ins left without one (run it from cron)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, options["action"].replace("-", "_"))(**options)

    def create(self, username: str, name: str, expires_in: int | None, scope: Sequence[str] | None, **options: Any) -> None:
        if expires_in is not None and expires_in < 1:
            raise CommandError(
                f"--expires-in must be a number of days, 1 or more; got {expires_in!r}."
            )
        expires_at = timezone.now() + datetime.timedelta(days=expires_in) if expires_in else None
        try:
            token, raw = Token.objects.create_token(_user(username), name, expires_at=expires_at, scopes=scope)
        except ValueError as exc:
            raise CommandError(f"--scope: {exc}") from None
        self.stdout.write(raw)
        self.stderr.write(
            f"Created token {token.prefix} for {username!r}; it will not be shown again."
        )

    def list(self, user: str | None, **options: Any) -> None:
        tokens = Token.objects.select_related("user")
        if user is not None:
            tokens = tokens.filter(user=_user(user))
        for token in tokens:
            self.stdout.write(
                "\t".join(
                    [
                        token.prefix,
                        token.user.get_username(),
                        token.name or "-",
                        _when(token.created_at),
                        _when(token.expires_at),
                        _when(token.last_used_at),
                        _scopes(token.scopes),
                        token.status,
                    ]
                )
            )

    def revoke(self, prefix: str, **options: Any) -> None:
        try:
            Token.objects.revoke(prefix)
        except Token.DoesNotExist:
            raise CommandError(
                f"No token has the prefix {prefix!r}; see `manage.py fastapi_token list`."
            ) from None
        self.stdout.write(f"Revoked {prefix}.")

    def pair(self, username: str, name: str, scope: Sequence[str] | None, **options: Any) -> None:
        from django_fastapi.tokens.pairs import issue_pair  # needs PyJWT, the "jwt" extra

        try:
            pair = issue_pair(_user(username), scopes=scope, name=name)
        except ValueError as exc:
            raise CommandError(f"--scope: {exc}") from None
        self.stdout.write(pair.access_token)
        self.stdout.write(pair.refresh_token)
        self.stderr.write(
            f"Signed {username!r} in (sign-in {pair.family.key}): the access token lasts "
            f"{pair.expires_in} s, the refresh token {pair.refresh_expires_in} s."
        )

    def families(self, user: str | None, all: bool, **options: Any) -> None:
        families = RefreshFamily.objects.select_related("user")
        if user is not None:
            families = families.filter(user=_user(user))
        if not all:
            families = families.filter(revoked_at__isnull=True)
        for family in families:
            self.stdout.write(
                "\t".join(
                    [
                        str(family.key),
                        family.user.get_username(),
                        family.name or "-",
                        _when(family.created_at),
                        _when(family.last_used_at),
                        _scopes(family.scopes),
                        family.status,
                    ]
                )
            )

    def revoke_family(self, family_id: str, **options: Any) -> None:
        try:
            RefreshFamily.objects.revoke(family_id, "command")
        except RefreshFamily.DoesNotExist:
            raise CommandError(
                f"No sign-in has the id {family_id!r}; see `manage.py fastapi_token families`."
            ) from None
        self.stdout.write(f"Revoked sign-in {family_id}.")

    def prune(self, **options: Any) -> None:
        from django_fastapi.tokens.pairs import prune

        tokens, families = prune()
        self.stdout.write(f"Deleted {tokens} expired refresh token(s) and {families} sign-in(s).")


def _scope_option(parser: CommandParser) -> None:
    parser.add_argument(
        "--scope", action="append", metavar="PERMISSION",
        help="Limit the token to this permission, e.g. catalog.view_book (repeat for more; default: all the user's).",
    )


def _user(username: str) -> Any:  # the project's user model
    User = get_user_model()
    try:
        return User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        raise CommandError(f"No user is named {username!r}.") from None


def _when(moment: datetime.datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def _scopes(scopes: Sequence[str] | None) -> str:
    return "all" if scopes is None else ",".join(scopes) or "none"
