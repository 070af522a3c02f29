"""The Redis broadcaster against the local Redis (127.0.0.1:6379): two broadcasters
stand for two replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from handoff.broadcast.factory import make_broadcaster
from handoff.broadcast.redis import RedisBroadcaster
from handoff.core.config import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def replicas() -> AsyncIterator[tuple[RedisBroadcaster, RedisBroadcaster]]:
    # A prefix of its own keeps parallel test runs on one Redis apart.
    prefix = f"test-{uuid.uuid4().hex}:"
    first, second = (
        RedisBroadcaster(REDIS_URL, prefix=prefix),
        RedisBroadcaster(REDIS_URL, prefix=prefix),
    )
    await first.start()
    await second.start()
    yield first, second
    await first.stop()
    await second.stop()


async def test_event_published_on_one_replica_reaches_subscriber_on_another(
    replicas: tuple[RedisBroadcaster, RedisBroadcaster],
) -> None:
    first, second = replicas
    async with second.subscribe("agents") as events:
        await first.publish("agents", {"type": "queue", "event": "added", "n": 1})
        event = await asyncio.wait_for(anext(events), 5)
    assert event == {"type": "queue", "event": "added", "n": 1}


async def test_subscriber_gets_only_its_topic(
    replicas: tuple[RedisBroadcaster, RedisBroadcaster],
) -> None:
    first, second = replicas
    async with second.subscribe("conversation:a") as events:
        await first.publish("conversation:b", {"for": "b"})
        await first.publish("conversation:a", {"for": "a"})
        event = await asyncio.wait_for(anext(events), 5)
    assert event == {"for": "a"}


async def test_every_local_subscriber_of_a_topic_gets_the_event(
    replicas: tuple[RedisBroadcaster, RedisBroadcaster],
) -> None:
    first, second = replicas
    async with second.subscribe("agents") as one, second.subscribe("agents") as two:
        await first.publish("agents", {"hello": True})
        got = await asyncio.gather(asyncio.wait_for(anext(one), 5), asyncio.wait_for(anext(two), 5))
    assert got == [{"hello": True}, {"hello": True}]


async def test_last_unsubscribe_leaves_the_redis_channel(
    replicas: tuple[RedisBroadcaster, RedisBroadcaster],
) -> None:
    _first, second = replicas
    async with second.subscribe("agents"):
        assert "agents" in second._subscribers
    assert "agents" not in second._subscribers
    # Still usable afterwards.
    async with second.subscribe("agents") as events:
        await second.publish("agents", {"again": True})
        assert await asyncio.wait_for(anext(events), 5) == {"again": True}


async def test_settings_choose_redis_when_configured() -> None:
    assert isinstance(make_broadcaster(Settings(redis_url=REDIS_URL)), RedisBroadcaster)
    assert not isinstance(make_broadcaster(Settings(redis_url=None)), RedisBroadcaster)


async def test_publish_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError):
        await RedisBroadcaster(REDIS_URL).publish("agents", {})
