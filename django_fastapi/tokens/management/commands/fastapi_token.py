import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from django_fastapi.tokens.models import Token


class Command(BaseCommand):
    help = "Create, list or revoke API tokens for bearer authentication."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", required=True, metavar="{create,list,revoke}"
        )
        create = actions.add_parser(
            "create", help="Create a token and print it (it is shown only once)."
        )
        create.add_argument("username")
        create.add_argument("--name", default="", help="What the token is for.")
        create.add_argument(
            "--expires-in", type=int, metavar="DAYS", help="Days until it expires (default: never)."
        )
        listing = actions.add_parser(
            "list", help="List tokens: prefix, user, name, created, expires, last used, status."
        )
        listing.add_argument("--user", metavar="USERNAME", help="Only this user's tokens.")
        revoke = actions.add_parser("revoke", help="Revoke the token with this prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, options["action"])(**options)

    def create(self, username: str, name: str, expires_in: int | None, **options: Any) -> None:
        if expires_in is not None and expires_in < 1:
            raise CommandError(
                f"--expires-in must be a number of days, 1 or more; got {expires_in!r}."
            )
        expires_at = timezone.now() + datetime.timedelta(days=expires_in) if expires_in else None
        token, raw = Token.objects.create_token(_user(username), name, expires_at=expires_at)
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


def _user(username: str) -> Any:  # the project's user model
    User = get_user_model()
    try:
        return User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        raise CommandError(f"No user is named {username!r}.") from None


def _when(moment: datetime.datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"
