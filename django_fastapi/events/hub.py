"""This process's subscribers, replay buffers and the backend listener that feeds them.

One ``Hub`` per process. Events arrive by ``deliver()`` — from ``publish()`` with the memory
backend, from the backend's listener otherwise — from any thread. Each subscription belongs to
the event loop that created it and is fed with one ``call_soon_threadsafe`` per loop and event,
so a waiting subscriber costs a deque and a future, never a thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Any

from django.utils.module_loading import import_string

from ..conf import api_settings
from .backends import Backend
from .base import Event, check_channel

logger = logging.getLogger("django_fastapi.events")

# Replay buffers are kept for this many channels, the least recently used dropped first.
MAX_BUFFERED_CHANNELS = 1000


class Subscription:
    """``async for event in subscribe("books")``: the events of one or more channels, in order.

    Iteration ends when the subscription is closed (``aclose()``, leaving ``async with``) or when
    the subscriber fell more than ``QUEUE_SIZE`` events behind (``lagged`` is then True: a client
    reconnecting with ``Last-Event-ID`` gets the missed events from the replay buffer).
    Cancelling the task that iterates is safe: nothing is left behind but this object.
    """

    def __init__(self, hub: Hub, channels: tuple[str, ...], queue_size: int) -> None:
        self.hub = hub
        self.channels = channels
        self.loop = asyncio.get_running_loop()
        self.queue: deque[Event] = deque()
        self.queue_size = queue_size
        self.lagged = False
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None
        self._ready: concurrent.futures.Future[None] | None = None

    def _put_many(self, events: Iterable[Event]) -> None:
        if self.closed:
            return
        for event in events:
            if len(self.queue) >= self.queue_size:
                self.lagged = True
                self.close()
                return
            self.queue.append(event)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def ready(self) -> None:
        """Wait until the backend listens, so an event published from now on reaches this subscriber."""
        if self._ready is not None:
            await asyncio.wrap_future(self._ready)
            self._ready = None

    async def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or None after ``timeout`` seconds or once closed."""
        await self.ready()
        while not self.queue:
            if self.closed:
                return None
            self._waiter = self.loop.create_future()
            try:
                if timeout is None:
                    await self._waiter
                else:
                    done, _ = await asyncio.wait([self._waiter], timeout=timeout)
                    if not done:
                        return None
            finally:
                self._waiter = None
        return self.queue.popleft()

    def drain(self) -> list[Event]:
        """The events already received and not yet read."""
        events = list(self.queue)
        self.queue.clear()
        return events

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        event = await self.get()
        if event is None:
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.hub.unsubscribe(self)
            self._wake()

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> Subscription:
        await self.ready()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()


class _Listener:
    def __init__(self, loop: asyncio.AbstractEventLoop, backend: Backend) -> None:
        self.loop = loop
        self.backend = backend
        self.ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self.task is not None and not self.task.done() and not self.loop.is_closed()


class Hub:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.subscribers: dict[str, weakref.WeakSet[Subscription]] = {}
        self.buffers: OrderedDict[str, deque[Event]] = OrderedDict()
        self._backend: Backend | None = None
        self._config: dict[str, Any] | None = None
        self._listener: _Listener | None = None

    @property
    def config(self) -> dict[str, Any]:
        return api_settings.EVENTS

    def backend(self) -> Backend:
        """The configured backend; a changed ``FASTAPI_EVENTS`` (``override_settings``) replaces it."""
        config = self.config
        with self.lock:
            if self._backend is None or config != self._config:
                old, self._backend = self._backend, import_string(config["BACKEND"])(config)
                self._config = config
                self.buffers.clear()
                listener, self._listener = self._listener, None
                if listener is not None and listener.alive and listener.task is not None:
                    listener.loop.call_soon_threadsafe(listener.task.cancel)
                if old is not None:
                    old.close()
            return self._backend

    def deliver(self, event: Event) -> None:
        """Hand ``event`` to this process's subscribers of its channel (from any thread)."""
        replay = self.config["REPLAY"]
        with self.lock:
            if replay:
                buffer = self.buffers.get(event.channel)
                if buffer is None:
                    buffer = self.buffers[event.channel] = deque(maxlen=replay)
                    if len(self.buffers) > MAX_BUFFERED_CHANNELS:
                        self.buffers.popitem(last=False)
                else:
                    self.buffers.move_to_end(event.channel)
                buffer.append(event)
            by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
            for subscription in self.subscribers.get(event.channel, ()):
                by_loop.setdefault(subscription.loop, []).append(subscription)
        for loop, subscriptions in by_loop.items():
            try:
                loop.call_soon_threadsafe(_feed, subscriptions, event)
            except RuntimeError:  # the loop is closed: its subscribers are gone
                for subscription in subscriptions:
                    subscription.closed = True
                    self.unsubscribe(subscription)

    def subscribe(self, channels: Iterable[str], last_event_id: str | None = None) -> Subscription:
        names = tuple(dict.fromkeys(check_channel(channel) for channel in channels))
        backend = self.backend()
        subscription = Subscription(self, names, self.config["QUEUE_SIZE"])
        with self.lock:
            if last_event_id:
                subscription._put_many(self._missed(names, last_event_id))
            for channel in names:
                self.subscribers.setdefault(channel, weakref.WeakSet()).add(subscription)
        if backend.listens:
            subscription._ready = self._ensure_listener(backend)
        return subscription

    def _missed(self, channels: tuple[str, ...], last_event_id: str) -> list[Event]:
        """Buffered events after ``last_event_id``, in arrival order; none when it is no longer buffered."""
        missed: list[Event] = []
        for channel in channels:
            buffered = list(self.buffers.get(channel, ()))
            ids = [event.id for event in buffered]
            if last_event_id in ids:
                missed += buffered[ids.index(last_event_id) + 1:]
        return missed if len(channels) == 1 else sorted(missed, key=_arrival_key)

    def unsubscribe(self, subscription: Subscription) -> None:
        with self.lock:
            for channel in subscription.channels:
                subscribers = self.subscribers.get(channel)
                if subscribers is not None:
                    subscribers.discard(subscription)
                    if not subscribers:
                        del self.subscribers[channel]

    def _ensure_listener(self, backend: Backend) -> concurrent.futures.Future[None]:
        # The listener runs on the loop of the first subscriber (a server's one loop); a test's
        # short-lived loop takes it along when it closes, and the next subscriber starts another.
        with self.lock:
            listener = self._listener
            if listener is None or not listener.alive or listener.backend is not backend:
                listener = self._listener = _Listener(asyncio.get_running_loop(), backend)
                listener.task = listener.loop.create_task(self._listen(listener))
            return listener.ready

    async def _listen(self, listener: _Listener) -> None:
        def ready() -> None:
            if not listener.ready.done():
                listener.ready.set_result(None)

        try:
            await listener.backend.listen(self.deliver, ready)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a backend: say so, and let waiting subscribers go
            logger.exception("The event backend's listener stopped")
            if not listener.ready.done():
                listener.ready.set_exception(exc)
        finally:
            if not listener.ready.done():
                listener.ready.cancel()


def _feed(subscriptions: list[Subscription], event: Event) -> None:
    for subscription in subscriptions:
        subscription._put_many((event,))


def _arrival_key(event: Event) -> int:
    head = event.id.partition("-")[0]
    return int(head) if head.isdigit() else 0


hub = Hub()
