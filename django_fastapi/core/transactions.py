"""``ATOMIC_REQUESTS`` for endpoints: one transaction per database that asks for it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

from django.db import connections, transaction


def atomic_request_aliases(opted_out: Iterable[str] = ()) -> list[str]:
    """The databases whose ``ATOMIC_REQUESTS`` is on, less those a view opted out of."""
    return [
        alias
        for alias, config in connections.settings.items()
        if config.get("ATOMIC_REQUESTS") and alias not in opted_out
    ]


@contextmanager
def atomic_requests(aliases: list[str]) -> Iterator[None]:
    with ExitStack() as stack:
        for alias in aliases:
            stack.enter_context(transaction.atomic(using=alias))
        yield


def enter_atomic(aliases: list[str]) -> list[transaction.Atomic]:
    blocks = []
    try:
        for alias in aliases:
            block = transaction.atomic(using=alias)
            block.__enter__()
            blocks.append(block)
    except BaseException as exc:
        exit_atomic(blocks, exc)
        raise
    return blocks


def exit_atomic(blocks: list[transaction.Atomic], exc: BaseException | None) -> None:
    """Leave the blocks innermost first; an exception, or a failed commit, rolls back the rest."""
    error = exc
    for block in reversed(blocks):
        if error is None:
            try:
                block.__exit__(None, None, None)
            except BaseException as commit_error:
                error = commit_error
        else:
            block.__exit__(type(error), error, error.__traceback__)
    if error is not None and error is not exc:
        raise error
