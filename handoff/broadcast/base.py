"""Fan-out of live events (queue changes, messages, typing) to connected sockets.

Everything that must reach a WebSocket goes through a Broadcaster, never straight to a
socket held by this process: with Redis configured, several replicas behave as one.
Topics used: ``agents`` (queue and staff-wide events), ``conversation:<id>`` (one
conversation's events, for the customer's and the agents' sockets).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Event = dict[str, Any]


class Broadcaster(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, event: Event) -> None: ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """``async with broadcaster.subscribe(topic) as events: async for e in events``."""
        ...
