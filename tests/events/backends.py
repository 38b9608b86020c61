"""Shared by the Redis and PostgreSQL backend tests: unique channels, private servers, retries."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from typing import Any

import redis

from django_fastapi.events import Event, Subscription, apublish
from tests.serverproc import free_port


def unique_channel() -> str:
    """A Redis channel / NOTIFY channel of this test run alone (two suites may share a server)."""
    return f"dfb_test_{uuid.uuid4().hex}"


async def publish_until_received(events: Subscription, channel: str, data: Any, attempts: int = 150) -> Event | None:
    """Publish until the subscriber gets it: right after a restart the backend may still be reconnecting."""
    for _ in range(attempts):
        try:
            await apublish(channel, data)
        except Exception:  # the server is not back yet
            pass
        event = await events.get(timeout=0.2)
        if event is not None:
            return event
    return None


class PrivateRedis:
    """``redis-server --port <free port> --save ""``, ours to stop and start again on that port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
