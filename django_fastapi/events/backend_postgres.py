"""PostgreSQL ``LISTEN``/``NOTIFY`` on the channel ``FASTAPI_EVENTS["CHANNEL"]``: no extra server.

Needs psycopg 3. Connection parameters are those of ``DATABASES[FASTAPI_EVENTS["DATABASE"]]``
(or ``FASTAPI_EVENTS["URL"]``, a libpq URL). Publishing from sync code runs ``pg_notify`` on
Django's own connection for that database (after the commit: ``publish`` defers to
``on_commit``); from async code on an autocommit connection per event loop. Each process holds
one more connection, the listener's, outside Django's pool. NOTIFY refuses payloads of 8000
bytes or more, so ``MAX_PAYLOAD`` may not exceed 7,699 bytes with this backend (check
``django_fastapi.E033``). After a PostgreSQL restart the listener reconnects with back-off.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

import psycopg
from django.db import connections

from .backends import Backend, Backoff, Deliver

# Django-only OPTIONS of the PostgreSQL backend, not libpq connection parameters.
DJANGO_OPTIONS = {"pool", "isolation_level", "server_side_binding", "assume_role", "cursor_factory", "context",
                  "prepare_threshold", "client_encoding"}
# Seconds between checks that a silent listening connection is still alive.
IDLE_CHECK = 15.0


def connection_kwargs(alias: str) -> dict[str, Any]:
    settings = connections.settings[alias]
    kwargs = {key: value for key, value in settings.get("OPTIONS", {}).items() if key not in DJANGO_OPTIONS}
    for key, name in (("dbname", "NAME"), ("user", "USER"), ("password", "PASSWORD"), ("host", "HOST"), ("port", "PORT")):
        if settings.get(name):
            kwargs[key] = settings[name]
    kwargs.setdefault("connect_timeout", 5)
    return kwargs


class PostgresBackend(Backend):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.alias: str = config["DATABASE"]
        self.url: str | None = config["URL"]
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, psycopg.AsyncConnection[Any]] = (
            weakref.WeakKeyDictionary()
        )

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        if self.url:
            return await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=5)
        return await psycopg.AsyncConnection.connect(autocommit=True, **connection_kwargs(self.alias))

    def publish(self, message: str) -> None:
        if self.url:
            with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as connection:
                connection.execute("SELECT pg_notify(%s, %s)", [self.channel, message])
            return
        with connections[self.alias].cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [self.channel, message])

    async def apublish(self, message: str) -> None:
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            connection = self._async.get(loop)
            if connection is None or connection.closed:
                connection = self._async[loop] = await self._connect()
            try:
                await connection.execute("SELECT pg_notify(%s, %s)", [self.channel, message])
                return
            except psycopg.OperationalError:
                # A connection from before a restart: one fresh attempt.
                del self._async[loop]
                await connection.close()
                if attempt == 2:
                    raise

    async def listen(self, deliver: Deliver, ready: Callable[[], None]) -> None:
        backoff = Backoff()
        while True:
            try:
                async with await self._connect() as connection:
                    await connection.execute(f'LISTEN "{self.channel}"')  # CHANNEL is a validated identifier
                    backoff.reset()
                    ready()
                    while True:
                        async for notify in connection.notifies(timeout=IDLE_CHECK):
                            self.received(notify.payload, deliver)
                        await connection.execute("SELECT 1")
            except psycopg.Error as exc:
                await backoff.wait(exc, "PostgreSQL LISTEN connection")
            except OSError as exc:
                await backoff.wait(exc, "PostgreSQL LISTEN connection")
