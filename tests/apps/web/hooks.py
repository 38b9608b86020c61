"""Lifespan hooks that record what ran, and where."""

import threading

from django.db import connection

events: list[tuple[str, str]] = []
connections_used = []


def record(name: str) -> None:
    events.append((name, threading.current_thread().name))


def sync_startup():
    record("sync_startup")


async def async_startup():
    record("async_startup")


def sync_shutdown():
    record("sync_shutdown")


async def async_shutdown():
    record("async_shutdown")


def failing():
    record("failing")
    raise RuntimeError("the cache server is down")


def uses_database():
    connection.ensure_connection()
    connections_used.append(connection)
    record("uses_database")


NOT_CALLABLE = 3
