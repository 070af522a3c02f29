"""Work that is done per conversation: in order within a conversation, several
conversations side by side.

The turn worker and the WhatsApp courier both run their work this way. The loop lives
here, once, so that how they stop and how they take and free a conversation's lease
stay the same for both: a fix to shutdown or leases lands in both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)

Item = TypeVar("Item")


class ConversationRunner(Generic[Item]):
    """Looks for conversations with work and drains each in a task of its own.

    One task a conversation, so its items are handled one after the other, in the order
    ``claim`` gives them; at most ``concurrency`` conversations are drained at once. It
    looks on every ``notify()`` and otherwise every ``poll_seconds``.

    The synchronous callables talk to the database and run in the thread pool:

    - ``find()``: the conversations that have work, oldest work first.
    - ``claim(conversation_id)``: the next item, or None when the conversation has
      nothing (more) to do now; its drain then ends.
    - ``acquire(conversation_id)``: takes the conversation's lease, False when another
      holds it. Without it, every conversation found is drained.
    - ``release(conversation_id)``: frees the lease once the drain is over.
    - ``release_all()``: frees every lease still held, after ``stop``.

    ``handle(item)`` runs on the event loop and says whether to go on with the
    conversation (True) or end its drain (False); what is left waits for a later scan.

    ``rescan_after_drain`` looks again as soon as a drain ends, for work stored while
    it was finishing; only where ``find`` leaves out a conversation that cannot go on
    (else the scan would find it again at once, and spin).
    """

    def __init__(
        self,
        *,
        name: str,
        find: Callable[[], list[str]],
        claim: Callable[[str], Item | None],
        handle: Callable[[Item], Awaitable[bool]],
        poll_seconds: float,
        grace_seconds: float,
        concurrency: int,
        acquire: Callable[[str], bool] | None = None,
        release: Callable[[str], None] | None = None,
        release_all: Callable[[], None] | None = None,
        rescan_after_drain: bool = False,
    ) -> None:
        self.name = name
        self.poll_seconds = poll_seconds
        self.grace_seconds = grace_seconds
        self._find = find
        self._claim = claim
        self._handle = handle
        self._acquire = acquire
        self._release = release
        self._release_all = release_all
        self._rescan_after_drain = rescan_after_drain
        self._limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._running: dict[str, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        """Lets the work in progress finish (up to ``grace_seconds``), then stops; no
        new work is started meanwhile.

        Cancelling is the last resort: a cancelled task does not stop the database call
        its thread is making, and that call must not outlive the engine.
        """
        self._stopping = True
        self._wake.set()
        tasks = [t for t in [self._loop_task, *self._running.values()] if t is not None]
        if tasks:
            _done, late = await asyncio.wait(tasks, timeout=self.grace_seconds)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._release_all is not None:
            # Half-done work keeps its state; freeing the leases lets the next start (or
            # another replica) pick it up at once instead of after the lease.
            await run_in_threadpool(self._release_all)

    def notify(self) -> None:
        """New work was stored; look now rather than at the next poll."""
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._scan()
            except Exception:
                log.exception("%s: scan failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def _scan(self) -> None:
        for conversation_id in await run_in_threadpool(self._find):
            if self._stopping:
                return
            if conversation_id in self._running:
                continue
            if self._acquire is None or await run_in_threadpool(self._acquire, conversation_id):
                if self._stopping:
                    # stop() began while the lease was being taken: it waits only for
                    # the drains it saw, so start none, and give the lease back.
                    if self._release is not None:
                        await run_in_threadpool(self._release, conversation_id)
                    return
                self._running[conversation_id] = asyncio.create_task(
                    self._drain(conversation_id), name=f"{self.name}:{conversation_id}"
                )

    async def _drain(self, conversation_id: str) -> None:
        try:
            async with self._limit:
                while not self._stopping:
                    item = await run_in_threadpool(self._claim, conversation_id)
                    if item is None or not await self._handle(item):
                        break
        finally:
            try:
                if self._release is not None:
                    await run_in_threadpool(self._release, conversation_id)
            finally:
                # Only now: stop() waits for the drains in _running, and the release is
                # a database write that must not outlive the engine (a drain that left
                # before its release once returned a connection to a disposed pool).
                self._running.pop(conversation_id, None)
            if self._rescan_after_drain:
                self._wake.set()
