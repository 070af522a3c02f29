"""Redis pub/sub broadcaster: several replicas behave as one.

One pub/sub connection per process, read by one task that hands each message to the
local subscribers of its topic (the same queues the memory broadcaster uses), so a
hundred open agent consoles cost one Redis connection, not a hundred.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from handoff.broadcast.base import Event
from handoff.broadcast.memory import QUEUE_SIZE

log = logging.getLogger(__name__)

# Keeps the pub/sub connection subscribed (and so readable) while no socket listens.
KEEPALIVE_CHANNEL = "keepalive"
RECONNECT_SECONDS = 1.0
SUBSCRIBE_CONFIRM_SECONDS = 5.0


class RedisBroadcaster:
    def __init__(self, url: str, *, prefix: str = "handoff:") -> None:
        self._url = url
        self._prefix = prefix
        self._redis: Redis | None = None
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._lock = asyncio.Lock()
        self._confirmed: dict[str, asyncio.Event] = {}

    def _channel(self, topic: str) -> str:
        return self._prefix + topic

    async def start(self) -> None:
        self._redis = Redis.from_url(self._url)
        self._pubsub = self._redis.pubsub()
        await self._pubsub.subscribe(self._channel(KEEPALIVE_CHANNEL))
        self._reader = asyncio.create_task(self._read(), name="redis-broadcaster")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._pubsub is not None:
            with suppress(RedisError, OSError):
                await self._pubsub.aclose()
            self._pubsub = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
        self._subscribers.clear()

    async def publish(self, topic: str, event: Event) -> None:
        if self._redis is None:
            raise RuntimeError("RedisBroadcaster.publish before start")
        await self._redis.publish(self._channel(topic), json.dumps(event, default=str))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[Event]]:
        if self._pubsub is None:
            raise RuntimeError("RedisBroadcaster.subscribe before start")
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_SIZE)
        async with self._lock:
            if not self._subscribers[topic]:
                await self._subscribe_confirmed(self._channel(topic))
            self._subscribers[topic].add(queue)

        async def events() -> AsyncIterator[Event]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            async with self._lock:
                self._subscribers[topic].discard(queue)
                if not self._subscribers[topic]:
                    del self._subscribers[topic]
                    if self._pubsub is not None:
                        with suppress(RedisError, OSError):
                            await self._pubsub.unsubscribe(self._channel(topic))

    async def _subscribe_confirmed(self, channel: str) -> None:
        """Returns once Redis confirmed the subscription, so an event published right
        after ``subscribe`` returns (by any replica) reaches this subscriber."""
        assert self._pubsub is not None
        confirmed = self._confirmed.setdefault(channel, asyncio.Event())
        confirmed.clear()
        await self._pubsub.subscribe(channel)
        try:
            async with asyncio.timeout(SUBSCRIBE_CONFIRM_SECONDS):
                await confirmed.wait()
        except TimeoutError:
            log.warning("no subscribe confirmation from redis for %s", channel)

    async def _read(self) -> None:
        assert self._pubsub is not None
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except (RedisError, OSError):
                # redis-py reconnects and re-subscribes on the next read; events published
                # meanwhile are lost here, and sockets replay from the database.
                log.warning("redis pub/sub connection lost; reconnecting", exc_info=True)
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            if message is None:
                continue
            if message.get("type") == "subscribe":
                channel = _text(message["channel"])
                if channel in self._confirmed:
                    self._confirmed[channel].set()
            elif message.get("type") == "message":
                self._deliver(message)

    def _deliver(self, message: dict[str, Any]) -> None:
        channel = _text(message["channel"])
        topic = channel.removeprefix(self._prefix)
        try:
            event = json.loads(message["data"])
        except (TypeError, ValueError):
            log.warning("ignoring a malformed event on %s", channel)
            return
        for queue in list(self._subscribers.get(topic, ())):
            # A subscriber that stopped reading must not stall everybody else.
            if not queue.full():
                queue.put_nowait(event)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
