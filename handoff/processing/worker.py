"""The turn worker: pending customer messages, one turn at a time per conversation, in
the order they were stored.

A conversation is processed by whoever holds its lease, a row-level claim in the
database, so two replicas never run turns of one conversation side by side; a lease
that expires (a crashed process) frees the conversation for another worker, and
everything still pending or half-processed is picked up again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import and_, or_, select, update
from starlette.concurrency import run_in_threadpool

from handoff.conversations import store
from handoff.conversations.models import Conversation, Message
from handoff.db.session import session_scope
from handoff.processing.runner import ConversationRunner
from handoff.processing.turn import fail_turn, run_turn

log = logging.getLogger(__name__)

UNFINISHED = ("pending", "processing")


class Worker:
    def __init__(
        self,
        app: FastAPI,
        *,
        poll_seconds: float,
        lease_seconds: float,
        grace_seconds: float = 30.0,
        concurrency: int = 8,
    ) -> None:
        self.app = app
        self.owner = uuid.uuid4().hex
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.grace_seconds = grace_seconds
        self._runner = ConversationRunner[int](
            name="turn-worker",
            find=self._conversations_with_work,
            acquire=self._acquire,
            claim=self._next_message,
            handle=self._turn,
            release=self._release,
            release_all=self._release_all,
            # Safe: a conversation without unfinished messages or whose lease is held
            # elsewhere is not found again.
            rescan_after_drain=True,
            poll_seconds=poll_seconds,
            grace_seconds=grace_seconds,
            concurrency=concurrency,
        )

    async def start(self) -> None:
        await self._runner.start()

    async def stop(self) -> None:
        """Lets the turn in progress finish (up to ``grace_seconds``), then stops and
        frees this worker's leases; half-done turns stay "processing" for the next
        holder."""
        await self._runner.stop()

    def notify(self) -> None:
        """New work was stored; look now rather than at the next poll."""
        self._runner.notify()

    async def _turn(self, message_id: int) -> bool:
        try:
            await run_turn(self.app, message_id)
        except Exception as exc:
            log.exception("turn for message %s failed", message_id)
            await self._fail(message_id, exc)
        return True  # the next message of the conversation goes on regardless

    async def _fail(self, message_id: int, exc: Exception) -> None:
        try:
            await fail_turn(self.app, message_id, f"{type(exc).__name__}: {exc}")
        except Exception:
            log.exception("could not hand over after the failed turn of message %s", message_id)
        await run_in_threadpool(self._mark_failed_if_unfinished, message_id)

    # --- database (run in the thread pool) ---

    def _conversations_with_work(self) -> list[str]:
        at = store.now()
        with session_scope(self.app.state.sessionmaker) as session:
            rows = session.execute(
                select(Message.conversation_id, Message.id)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    Message.direction == "in",
                    Message.processing_status.in_(UNFINISHED),
                    or_(
                        Conversation.lease_owner.is_(None),
                        Conversation.lease_owner == self.owner,
                        Conversation.lease_expires_at < at,
                    ),
                )
                .order_by(Message.id)
                .limit(500)
            ).all()
        seen: dict[str, None] = {}
        for conversation_id, _ in rows:
            seen.setdefault(conversation_id, None)
        return list(seen)

    def _acquire(self, conversation_id: str) -> bool:
        at = store.now()
        with session_scope(self.app.state.sessionmaker) as session:
            result = session.execute(
                update(Conversation)
                .where(
                    Conversation.id == conversation_id,
                    or_(
                        Conversation.lease_owner.is_(None),
                        Conversation.lease_owner == self.owner,
                        Conversation.lease_expires_at < at,
                    ),
                )
                .values(lease_owner=self.owner, lease_expires_at=at + self.lease)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    def _next_message(self, conversation_id: str) -> int | None:
        """The oldest unfinished message, marked processing; the lease is renewed."""
        at = store.now()
        with session_scope(self.app.state.sessionmaker) as session:
            renewed = session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.lease_owner == self.owner)
                .values(lease_expires_at=at + self.lease)
                .execution_options(synchronize_session=False)
            )
            if renewed.rowcount != 1:  # type: ignore[attr-defined]
                return None  # the lease was lost; its new holder carries on
            message = session.scalar(
                select(Message)
                .where(
                    and_(
                        Message.conversation_id == conversation_id,
                        Message.direction == "in",
                        Message.processing_status.in_(UNFINISHED),
                    )
                )
                .order_by(Message.id)
                .limit(1)
            )
            if message is None:
                return None
            message.processing_status = "processing"
            return message.id

    def _release(self, conversation_id: str) -> None:
        with session_scope(self.app.state.sessionmaker) as session:
            session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.lease_owner == self.owner)
                .values(lease_owner=None, lease_expires_at=None)
                .execution_options(synchronize_session=False)
            )

    def _release_all(self) -> None:
        with session_scope(self.app.state.sessionmaker) as session:
            session.execute(
                update(Conversation)
                .where(Conversation.lease_owner == self.owner)
                .values(lease_owner=None, lease_expires_at=None)
                .execution_options(synchronize_session=False)
            )

    def _mark_failed_if_unfinished(self, message_id: int) -> None:
        with session_scope(self.app.state.sessionmaker) as session:
            message = session.get(Message, message_id)
            if message is not None and message.processing_status in UNFINISHED:
                message.processing_status = "failed"
