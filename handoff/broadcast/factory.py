"""Chooses the broadcaster: Redis pub/sub when configured, else in-process."""

from __future__ import annotations

from handoff.broadcast.base import Broadcaster
from handoff.broadcast.memory import MemoryBroadcaster
from handoff.core.config import Settings


def make_broadcaster(settings: Settings) -> Broadcaster:
    if settings.redis_url:
        from handoff.broadcast.redis import RedisBroadcaster

        return RedisBroadcaster(settings.redis_url)
    return MemoryBroadcaster()
