"""Redis pub/sub: every process subscribes to one Redis channel, ``FASTAPI_EVENTS["CHANNEL"]``.

Needs the ``redis`` extra (redis-py 5+, its asyncio client). Publishing from sync code uses a
sync client (a connection pool shared by the threads); from async code an asyncio client per
event loop. A Redis restart ends the subscription with a ``ConnectionError``: the listener
reconnects with back-off, and the process's subscribers keep waiting meanwhile.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any

import redis
import redis.asyncio as aioredis

from .backends import Backend, Backoff, Deliver

# Detects a connection that went silent (a host vanished without a reset) within this many seconds.
HEALTH_CHECK_INTERVAL = 15


class RedisBackend(Backend):
    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.url: str = config["URL"]
        self._sync: redis.Redis | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = weakref.WeakKeyDictionary()

    def _client(self) -> redis.Redis:
        if self._sync is None:
            self._sync = redis.Redis.from_url(self.url, socket_connect_timeout=5, socket_timeout=5)
        return self._sync

    def publish(self, message: str) -> None:
        self._client().publish(self.channel, message)

    async def apublish(self, message: str) -> None:
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            client = self._async[loop] = aioredis.Redis.from_url(self.url, socket_connect_timeout=5, socket_timeout=5)
        await client.publish(self.channel, message)

    async def listen(self, deliver: Deliver, ready: Callable[[], None]) -> None:
        backoff = Backoff()
        while True:
            client = aioredis.Redis.from_url(
                self.url, socket_connect_timeout=5, health_check_interval=HEALTH_CHECK_INTERVAL
            )
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    backoff.reset()
                    ready()
                    while True:
                        message = await pubsub.get_message(timeout=HEALTH_CHECK_INTERVAL)
                        if message is not None and message["type"] == "message":
                            self.received(message["data"], deliver)
            except (redis.RedisError, OSError) as exc:
                await backoff.wait(exc, f"Redis subscription at {self.url}")
            finally:
                await client.aclose()

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
