"""The lifecycle sweep: a thin loop that gathers each open conversation's facts, asks
``rules.decide`` and applies the answer, one conversation per transaction.

Each change goes through the core's conditional ``apply_move``: when an agent or the
customer moved the conversation in the meantime, the sweep's move fails and it leaves
that conversation alone until the next round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.agents.effects import Effects, apply_effects
from handoff.agents.operations import continue_handoff, end_handoff, state_event
from handoff.agents.queue import queue_item
from handoff.audit.record import record
from handoff.conversations import store
from handoff.conversations.events import AGENTS_TOPIC, topic
from handoff.conversations.handoffs import queue_position
from handoff.conversations.models import Conversation, Handoff
from handoff.conversations.state import IllegalTransition, Move, Outcome, State
from handoff.db.session import session_scope
from handoff.lifecycle.rules import Action, Facts, Limits, decide
from handoff.processing.outbox import enqueue_outbound
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.store import active_ruleset
from handoff.rulesets.texts import is_open, system_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Applied:
    conversation_id: str
    action: Action


def _latest(*moments: datetime | None) -> datetime | None:
    present = [store.as_utc(m) for m in moments if m is not None]
    return max(present) if present else None


def facts_of(conversation: Conversation, handoff: Handoff | None, *, out_of_hours: bool) -> Facts:
    claimed_at = handoff.claimed_at if handoff is not None else None
    requested_at = handoff.requested_at if handoff is not None else None
    last_activity = _latest(
        conversation.updated_at,
        conversation.last_customer_message_at,
        conversation.last_agent_message_at,
        claimed_at,
    )
    # The web socket refreshes last_seen_at while it is open; a message or the handoff
    # request also shows the customer was there.
    customer_seen = _latest(
        conversation.last_seen_at, conversation.last_customer_message_at, requested_at
    )
    return Facts(
        state=State(conversation.state),
        channel=conversation.channel,
        last_activity_at=last_activity or store.as_utc(conversation.created_at),
        last_customer_message_at=_latest(conversation.last_customer_message_at),
        last_agent_message_at=_latest(conversation.last_agent_message_at),
        claimed_at=_latest(claimed_at),
        customer_seen_at=customer_seen,
        email_left=bool(conversation.email),
        out_of_hours=out_of_hours,
    )


def _candidates(session: Session, now: datetime, limits: Limits) -> list[str]:
    # Every action needs at least the shortest limit of quiet; the rest are skipped
    # without loading them.
    return list(
        session.scalars(
            select(Conversation.id).where(
                Conversation.state != State.closed,
                Conversation.updated_at <= now - limits.shortest,
            )
        )
    )


def _close(
    session: Session,
    conversation: Conversation,
    handoff: Handoff | None,
    *,
    outcome: Outcome,
    rules: RuleSetData,
    version: int,
    org_name: str,
    now: datetime,
) -> Effects:
    was_waiting = conversation.state == State.waiting
    store.apply_move(session, conversation=conversation, move=Move.close, outcome=outcome)
    end_handoff(handoff, by=None, kind=outcome.value, at=now)
    effects = Effects()
    if outcome is Outcome.expired:
        message = enqueue_outbound(
            session,
            conversation=conversation,
            author="system",
            text=system_text(
                rules, "closed_inactive", conversation.language, org_name=org_name, at=now
            ),
            payload={
                "kind": "system_text",
                "text_key": "closed_inactive",
                "ruleset_version": version,
            },
        )
        effects.message_ids.append(message.id)
    record(
        session,
        action=f"conversation.{outcome.value}",
        object_type="conversation",
        object_id=conversation.id,
    )
    effects.publish(topic(conversation.id), state_event(conversation, None))
    if was_waiting:
        effects.publish(
            AGENTS_TOPIC,
            {
                "type": "queue",
                "event": "removed",
                "conversation_id": conversation.id,
                "why": outcome.value,
            },
        )
    return effects


def _requeue(
    session: Session, conversation: Conversation, handoff: Handoff | None, *, now: datetime
) -> Effects:
    from_id = conversation.assigned_agent_id
    store.apply_move(session, conversation=conversation, move=Move.requeue)
    conversation.flagged = True
    conversation.flag_reason = "Klant wachtte te lang op antwoord; terug in de wachtrij gezet"
    end_handoff(handoff, by=None, kind="requeued", at=now)
    new = continue_handoff(session, handoff, conversation)
    record(
        session,
        action="conversation.requeue_unanswered",
        object_type="conversation",
        object_id=conversation.id,
        details={"from_account_id": from_id},
    )
    session.flush()
    position = queue_position(session, conversation)
    effects = Effects()
    effects.publish(
        AGENTS_TOPIC,
        {"type": "queue", "event": "added", "requeued_from_agent_id": from_id}
        | queue_item(conversation, new)
        | {"queue_position": position},
    )
    effects.publish(
        topic(conversation.id), state_event(conversation, None) | {"queue_position": position}
    )
    return effects


def _sweep_one(
    app: FastAPI, conversation_id: str, now: datetime, limits: Limits
) -> tuple[Applied, Effects] | None:
    with session_scope(app.state.sessionmaker) as session:
        # Locked until the commit, so a customer message arriving while we decide
        # waits for us (PostgreSQL) instead of landing in a conversation we then close
        # for inactivity. SQLite serialises writers anyway.
        conversation = session.get(Conversation, conversation_id, with_for_update=True)
        if conversation is None:
            return None
        version, rules = active_ruleset(session)
        handoff = store.current_handoff(session, conversation.id)
        facts = facts_of(conversation, handoff, out_of_hours=not is_open(rules, now))
        action = decide(facts, now, limits)
        if action is None:
            return None
        org_name = app.state.settings.org_name
        try:
            if action is Action.requeue_unanswered:
                effects = _requeue(session, conversation, handoff, now=now)
            else:
                outcome = Outcome.expired if action is Action.expire else Outcome.abandoned
                effects = _close(
                    session,
                    conversation,
                    handoff,
                    outcome=outcome,
                    rules=rules,
                    version=version,
                    org_name=org_name,
                    now=now,
                )
        except IllegalTransition:
            session.rollback()
            return None
        return Applied(conversation.id, action), effects


def _candidate_ids(app: FastAPI, now: datetime, limits: Limits) -> list[str]:
    with session_scope(app.state.sessionmaker) as session:
        return _candidates(session, now, limits)


async def sweep(app: FastAPI, now: datetime | None = None) -> list[Applied]:
    """One round over all open conversations; returns what it did."""
    now = now or store.now()
    limits = Limits.from_settings(app.state.settings)
    applied = []
    for conversation_id in await run_in_threadpool(_candidate_ids, app, now, limits):
        try:
            done = await run_in_threadpool(_sweep_one, app, conversation_id, now, limits)
        except Exception:
            log.exception("lifecycle sweep of conversation %s failed", conversation_id)
            continue
        if done is not None:
            result, effects = done
            await apply_effects(app, effects)
            applied.append(result)
    return applied


STOP_GRACE_SECONDS = 10.0


async def _loop(app: FastAPI, stopping: asyncio.Event) -> None:
    interval = app.state.settings.sweep_interval_seconds
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), interval)
        if stopping.is_set():
            return
        try:
            await sweep(app)
        except Exception:
            log.exception("lifecycle sweep failed")


async def start(app: FastAPI) -> None:
    app.state.sweeper_stopping = asyncio.Event()
    app.state.sweeper = asyncio.create_task(
        _loop(app, app.state.sweeper_stopping), name="lifecycle-sweeper"
    )


async def stop(app: FastAPI) -> None:
    """Lets a sweep in progress finish before the engine goes away.

    Cancelling is the last resort: a cancelled task does not stop the database call its
    thread is making, and that call must not outlive the engine.
    """
    task: asyncio.Task[None] | None = getattr(app.state, "sweeper", None)
    if task is None:
        return
    app.state.sweeper_stopping.set()
    _done, late = await asyncio.wait([task], timeout=STOP_GRACE_SECONDS)
    for pending in late:
        pending.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    app.state.sweeper = None
