"""The per-conversation runner under the turn worker and the WhatsApp courier: in order
within a conversation, conversations side by side up to the limit, leases taken and
freed, and a stop that finishes the work in flight and starts nothing new."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from handoff.processing.runner import ConversationRunner


class Inbox:
    """Work per conversation in memory, with leases as the database would hold them."""

    def __init__(self, work: dict[str, list[str]], *, held_elsewhere: set[str] | None = None):
        self.work = work
        self.held_elsewhere = held_elsewhere or set()
        self.leases: set[str] = set()
        self.released: list[str] = []
        self.handled: list[tuple[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.gate = asyncio.Event()
        self.gate.set()

    def find(self) -> list[str]:
        return [c for c, items in self.work.items() if items and c not in self.held_elsewhere]

    def acquire(self, conversation_id: str) -> bool:
        if conversation_id in self.held_elsewhere:
            return False
        self.leases.add(conversation_id)
        return True

    def claim(self, conversation_id: str) -> tuple[str, str] | None:
        items = self.work[conversation_id]
        return (conversation_id, items.pop(0)) if items else None

    async def handle(self, item: tuple[str, str]) -> bool:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self.gate.wait()
            await asyncio.sleep(0.01)
            self.handled.append(item)
        finally:
            self.in_flight -= 1
        return True

    def release(self, conversation_id: str) -> None:
        self.leases.discard(conversation_id)
        self.released.append(conversation_id)

    def release_all(self) -> None:
        self.released.extend(sorted(self.leases))
        self.leases.clear()

    def runner(
        self,
        *,
        concurrency: int = 8,
        poll_seconds: float = 0.02,
        grace_seconds: float = 5.0,
        handle: Callable[[tuple[str, str]], Awaitable[bool]] | None = None,
    ) -> ConversationRunner[tuple[str, str]]:
        return ConversationRunner[tuple[str, str]](
            name="test-runner",
            find=self.find,
            acquire=self.acquire,
            claim=self.claim,
            handle=handle or self.handle,
            release=self.release,
            release_all=self.release_all,
            rescan_after_drain=True,
            poll_seconds=poll_seconds,
            grace_seconds=grace_seconds,
            concurrency=concurrency,
        )

    def of(self, conversation_id: str) -> list[str]:
        return [item for c, item in self.handled if c == conversation_id]


async def until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_a_conversations_items_are_handled_in_order_one_at_a_time() -> None:
    inbox = Inbox({"a": ["een", "twee", "drie"]})
    runner = inbox.runner()
    await runner.start()
    await until(lambda: len(inbox.handled) == 3)
    await runner.stop()
    assert inbox.of("a") == ["een", "twee", "drie"]
    assert inbox.max_in_flight == 1
    assert inbox.leases == set()


async def test_conversations_run_side_by_side_up_to_the_limit() -> None:
    inbox = Inbox({"a": ["a1"], "b": ["b1"], "c": ["c1"]})
    inbox.gate.clear()
    runner = inbox.runner(concurrency=2)
    await runner.start()
    await until(lambda: inbox.in_flight == 2)
    await asyncio.sleep(0.2)  # several polls: the third still waits for a free place
    assert inbox.in_flight == 2
    inbox.gate.set()
    await until(lambda: len(inbox.handled) == 3)
    await runner.stop()
    assert inbox.max_in_flight == 2
    assert sorted(inbox.handled) == [("a", "a1"), ("b", "b1"), ("c", "c1")]


async def test_work_stored_later_is_picked_up_on_notify() -> None:
    inbox = Inbox({"a": []})
    runner = inbox.runner(poll_seconds=60)  # only the notify can find it in time
    await runner.start()
    await asyncio.sleep(0.05)
    inbox.work["a"].append("later")
    runner.notify()
    await until(lambda: inbox.handled == [("a", "later")])
    await runner.stop()


async def test_a_conversation_leased_elsewhere_is_left_alone() -> None:
    inbox = Inbox({"a": ["a1"], "b": ["b1"]}, held_elsewhere={"b"})
    runner = inbox.runner()
    await runner.start()
    await until(lambda: inbox.handled == [("a", "a1")])
    await asyncio.sleep(0.1)
    await runner.stop()
    assert inbox.handled == [("a", "a1")]
    assert inbox.work["b"] == ["b1"]
    assert "b" not in inbox.released


async def test_a_handler_that_says_stop_ends_the_drain_and_the_rest_comes_later() -> None:
    inbox = Inbox({"a": ["een", "twee"]})
    refused: list[str] = []

    async def refuse_first(item: tuple[str, str]) -> bool:
        if not refused:
            refused.append(item[1])
            return False
        return await inbox.handle(item)

    runner = inbox.runner(handle=refuse_first)
    await runner.start()
    await until(lambda: inbox.handled == [("a", "twee")])
    await runner.stop()
    assert refused == ["een"]
    assert inbox.released.count("a") >= 2  # freed after each drain


async def test_stop_finishes_the_work_in_flight_and_starts_no_new() -> None:
    inbox = Inbox({"a": ["een", "twee", "drie"]})
    inbox.gate.clear()
    runner = inbox.runner()
    await runner.start()
    await until(lambda: inbox.in_flight == 1)
    stopping = asyncio.create_task(runner.stop())
    await asyncio.sleep(0.1)
    assert not stopping.done()  # it waits for the item in flight
    inbox.work["b"] = ["nieuw"]
    runner.notify()
    inbox.gate.set()
    await stopping
    assert inbox.handled == [("a", "een")]
    assert inbox.work == {"a": ["twee", "drie"], "b": ["nieuw"]}
    assert inbox.leases == set()


async def test_work_that_outlives_the_grace_is_cancelled_and_the_leases_freed() -> None:
    inbox = Inbox({"a": ["vast"]})
    inbox.gate.clear()  # never opened
    runner = inbox.runner(grace_seconds=0.2)
    await runner.start()
    await until(lambda: inbox.in_flight == 1)
    started = time.monotonic()
    await runner.stop()
    assert time.monotonic() - started < 2
    assert inbox.in_flight == 0
    assert inbox.handled == []
    assert inbox.leases == set()


async def test_a_lease_whose_release_failed_is_freed_at_stop() -> None:
    inbox = Inbox({"a": ["een"]})

    def broken_release(conversation_id: str) -> None:
        raise RuntimeError("database gone for a moment")

    inbox.release = broken_release  # type: ignore[method-assign]
    runner = inbox.runner()
    await runner.start()
    await until(lambda: inbox.handled == [("a", "een")])
    await asyncio.sleep(0.05)
    assert inbox.leases == {"a"}
    await runner.stop()
    assert inbox.leases == set()


async def test_a_lease_taken_while_stopping_is_given_back_before_stop_returns() -> None:
    inbox = Inbox({"a": ["een"]})
    entered, proceed = threading.Event(), threading.Event()
    take = inbox.acquire

    def slow_acquire(conversation_id: str) -> bool:
        entered.set()
        proceed.wait(5)
        return take(conversation_id)

    give_back = inbox.release

    def slow_release(conversation_id: str) -> None:
        time.sleep(0.1)  # a database round trip
        give_back(conversation_id)

    inbox.acquire = slow_acquire  # type: ignore[method-assign]
    inbox.release = slow_release  # type: ignore[method-assign]
    runner = inbox.runner()
    await runner.start()
    await until(entered.is_set)
    stopping = asyncio.create_task(runner.stop())
    await asyncio.sleep(0.05)
    proceed.set()  # the lease is granted after stop() began
    await stopping
    released_at_stop = list(inbox.released)
    await asyncio.sleep(0.3)
    # Nothing of this runner touches the database after stop() returned.
    assert inbox.released == released_at_stop == ["a"]
    assert inbox.handled == [] and inbox.work == {"a": ["een"]}
    assert inbox.leases == set()
