"""The lifecycle sweep applied to stored conversations, on SQLite and PostgreSQL.

Time is moved by handing the sweep a later ``now``, not by waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from handoff.accounts.models import Account
from handoff.agents.operations import claim
from handoff.audit.models import AuditEntry
from handoff.conversations import store
from handoff.conversations.models import Conversation
from handoff.conversations.state import Outcome, State
from handoff.db.session import session_scope
from handoff.lifecycle.rules import Action
from handoff.lifecycle.sweeper import sweep
from handoff.rulesets.defaults import DEFAULT_RULESET
from handoff.rulesets.texts import is_open, system_text
from tests.handoff.accounts.staff import create_staff
from tests.handoff.agents.waiting import (
    bot_conversation,
    stored_conversation,
    stored_handoffs,
    stored_messages,
    waiting_conversation,
)
from tests.handoff.customers import make_app

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    # Driven without its lifespan (the tests call ``sweep`` themselves), so the engine
    # is disposed here.
    app = make_app(database_url)
    yield app
    app.state.engine.dispose()


def later(minutes: float) -> datetime:
    return store.now() + timedelta(minutes=minutes)


def next_moment(open_: bool) -> datetime:
    """A moment, after now, when the default opening hours say open (or closed)."""
    moment = store.now().astimezone(AMSTERDAM).replace(minute=0, second=0, microsecond=0)
    for hours in range(1, 24 * 8):
        candidate = moment + timedelta(hours=hours)
        if is_open(DEFAULT_RULESET, candidate) is open_:
            return candidate.astimezone(UTC)
    raise AssertionError("no such moment in a week")


def claim_as(app: FastAPI, conversation_id: str, account_id: int) -> None:
    with session_scope(app.state.sessionmaker) as session:
        account = session.get(Account, account_id)
        assert account is not None
        claim(session, conversation_id=conversation_id, account=account)


def audit_actions(app: FastAPI) -> list[str]:
    with session_scope(app.state.sessionmaker) as session:
        return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


async def test_quiet_bot_conversation_expires_and_customer_is_told(app: FastAPI) -> None:
    conversation_id = bot_conversation(app)

    assert await sweep(app, now=later(29)) == []
    applied = await sweep(app, now=later(31))

    assert [a.action for a in applied] == [Action.expire]
    stored = stored_conversation(app, conversation_id)
    assert stored.state == State.closed and stored.outcome == Outcome.expired
    last = stored_messages(app, conversation_id)[-1]
    assert last.author == "system" and last.payload["text_key"] == "closed_inactive"
    assert last.text == system_text(
        DEFAULT_RULESET, "closed_inactive", "nl", org_name="Voorbeeld Energie", at=store.now()
    )
    assert "conversation.expired" in audit_actions(app)
    assert await sweep(app, now=later(500)) == []


async def test_waiting_conversation_in_hours_expires(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app, channel="whatsapp")
    moment = next_moment(open_=True)
    if moment - store.now() < timedelta(minutes=240):
        moment += timedelta(days=7)  # same hour next week: open again, and long enough

    applied = await sweep(app, now=moment)

    assert [a.action for a in applied] == [Action.expire]
    [handoff] = stored_handoffs(app, conversation_id)
    assert handoff.end_kind == "expired" and handoff.ended_at is not None


async def test_waiting_conversation_out_of_hours_is_kept(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app, channel="whatsapp")
    moment = next_moment(open_=False) + timedelta(days=7)

    assert await sweep(app, now=moment) == []
    assert stored_conversation(app, conversation_id).state == State.waiting


async def test_waiting_conversation_with_email_is_kept(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app)
    with session_scope(app.state.sessionmaker) as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(email="klant@example.nl")
        )

    assert await sweep(app, now=later(60 * 24 * 3)) == []
    assert stored_conversation(app, conversation_id).state == State.waiting


async def test_web_customer_gone_from_queue_is_abandoned(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app)

    assert await sweep(app, now=later(9)) == []
    applied = await sweep(app, now=later(11))

    assert [a.action for a in applied] == [Action.abandon]
    stored = stored_conversation(app, conversation_id)
    assert stored.state == State.closed and stored.outcome == Outcome.abandoned
    # Nobody is there to read it: no closing text.
    assert stored_messages(app, conversation_id)[-1].payload.get("text_key") != "closed_inactive"


async def test_unanswered_claim_goes_back_to_queue_flagged(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app, channel="whatsapp")
    agent_id = create_staff(app, "anna@example.nl")
    claim_as(app, conversation_id, agent_id)

    assert await sweep(app, now=later(4)) == []
    applied = await sweep(app, now=later(6))

    assert [a.action for a in applied] == [Action.requeue_unanswered]
    stored = stored_conversation(app, conversation_id)
    assert stored.state == State.waiting and stored.assigned_agent_id is None
    assert stored.flagged is True and stored.flag_reason
    first, second = stored_handoffs(app, conversation_id)
    assert first.end_kind == "requeued" and first.claimed_by == agent_id
    assert second.ended_at is None and second.requested_at == first.requested_at
    assert "conversation.requeue_unanswered" in audit_actions(app)


async def test_answered_claim_expires_after_human_timeout(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app, channel="whatsapp")
    agent_id = create_staff(app, "anna@example.nl")
    claim_as(app, conversation_id, agent_id)
    with session_scope(app.state.sessionmaker) as session:
        conversation = store.get_conversation(session, conversation_id)
        assert conversation is not None
        store.append_message(
            session,
            conversation=conversation,
            direction="out",
            author="agent",
            text="Ik help je",
            author_account_id=agent_id,
        )

    assert await sweep(app, now=later(59)) == []
    applied = await sweep(app, now=later(61))

    assert [a.action for a in applied] == [Action.expire]
    assert stored_conversation(app, conversation_id).outcome == Outcome.expired


async def test_sweep_loop_starts_and_stops_with_the_app(database_url: str) -> None:
    app = make_app(database_url, sweep_interval_seconds=0.05)
    conversation_id = bot_conversation(app)
    with session_scope(app.state.sessionmaker) as session:
        session.execute(
            update(Conversation)
            .where(Conversation.id == conversation_id)
            .values(
                updated_at=store.now() - timedelta(hours=2),
                last_customer_message_at=store.now() - timedelta(hours=2),
            )
        )
    async with app.router.lifespan_context(app):
        for _ in range(100):
            if stored_conversation(app, conversation_id).state == State.closed:
                break
            await asyncio.sleep(0.05)
    assert app.state.sweeper is None
    assert stored_conversation(app, conversation_id).outcome == Outcome.expired
    app.state.engine.dispose()  # the check above reconnected after the lifespan ended
