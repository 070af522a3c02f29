"""The tasks a web socket handler runs beside itself (reader, forwarder, presence tick,
watchers): none may outlive the handler.

A handler is cancelled when the server shuts down or the test client closes the socket,
and every ``await`` in its ``finally`` is then cancelled too. Without a shield the
handler's tasks were left running: a presence tick or a reader still writing after the
app had disposed its engine opened a connection nobody would close (the tests' PostgreSQL
guard in ``tests/handoff/conftest.py`` caught one), and the "left at" time was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

import anyio

T = TypeVar("T")


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]], *ignored: type[BaseException]) -> None:
    """Cancels ``tasks`` and waits until each has ended, also while the caller itself is
    being cancelled; their cancellation and exceptions of the ``ignored`` types are dropped."""
    stopping = list(tasks)
    for task in stopping:
        task.cancel()
    with anyio.CancelScope(shield=True):
        for task in stopping:
            with contextlib.suppress(asyncio.CancelledError, *ignored):
                await task


async def finish(work: Awaitable[T]) -> T:
    """Awaits ``work`` to the end even while the caller is being cancelled: the last
    write of a handler on its way out."""
    with anyio.CancelScope(shield=True):
        result = await work
    return result
