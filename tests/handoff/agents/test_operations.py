"""Agent operations below the API, on both databases: what they store and which live
events they leave to publish after the commit."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from handoff.agents.errors import Conflict
from handoff.agents.queue import waiting_conversations
from handoff.conversations.state import Outcome, State
from handoff.db.session import session_scope
from tests.handoff.accounts.staff import create_staff
from tests.handoff.agents.acting import act
from tests.handoff.agents.waiting import stored_conversation, stored_handoffs, waiting_conversation


def queue_ids(app: FastAPI) -> list[str]:
    with session_scope(app.state.sessionmaker) as session:
        return [item["conversation_id"] for item in waiting_conversations(session)]


def test_requeued_conversation_keeps_its_place_in_the_queue(app: FastAPI) -> None:
    first = waiting_conversation(app)
    second = waiting_conversation(app)
    anna = create_staff(app, "anna@example.nl")
    act(app, anna, "claim", conversation_id=first)
    assert queue_ids(app) == [second]

    effects = act(app, anna, "transfer", conversation_id=first, to_account_id=None)

    assert queue_ids(app) == [first, second]
    [(topic, event), (customer_topic, state)] = effects.events
    assert topic == "agents" and event["event"] == "added" and event["queue_position"] == 1
    assert customer_topic == f"conversation:{first}" and state["state"] == "waiting"


def test_claim_publishes_queue_and_state_events(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app)
    anna = create_staff(app, "anna@example.nl", name="Anna")

    effects = act(app, anna, "claim", conversation_id=conversation_id)

    assert effects.events == [
        (
            "agents",
            {
                "type": "queue",
                "event": "claimed",
                "conversation_id": conversation_id,
                "agent_id": anna,
                "agent_name": "Anna",
            },
        ),
        (
            f"conversation:{conversation_id}",
            {
                "type": "state",
                "conversation_id": conversation_id,
                "state": "human",
                "agent_id": anna,
                "agent_name": "Anna",
                "queue_position": None,
            },
        ),
    ]


def test_claiming_own_conversation_again_is_a_conflict(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app)
    anna = create_staff(app, "anna@example.nl")
    act(app, anna, "claim", conversation_id=conversation_id)

    with pytest.raises(Conflict, match="Je hebt dit gesprek al overgenomen"):
        act(app, anna, "claim", conversation_id=conversation_id)


def test_transfer_to_colleague_at_capacity_is_a_conflict(app: FastAPI) -> None:
    mine, theirs = waiting_conversation(app), waiting_conversation(app)
    anna = create_staff(app, "anna@example.nl")
    bob = create_staff(app, "bob@example.nl", name="Bob", max_concurrent=1)
    act(app, anna, "claim", conversation_id=mine)
    act(app, bob, "claim", conversation_id=theirs)

    with pytest.raises(Conflict, match="Bob heeft al het maximum van 1 open gesprek;"):
        act(app, anna, "transfer", conversation_id=mine, to_account_id=bob)
    assert stored_conversation(app, mine).assigned_agent_id == anna


def test_closing_a_waiting_conversation_takes_it_off_the_queue(app: FastAPI) -> None:
    conversation_id = waiting_conversation(app)
    anna = create_staff(app, "anna@example.nl")

    effects = act(app, anna, "close", conversation_id=conversation_id, org_name="Energie")

    stored = stored_conversation(app, conversation_id)
    assert stored.state == State.closed and stored.outcome == Outcome.resolved_by_agent
    assert stored_handoffs(app, conversation_id)[0].end_kind == "closed"
    assert (
        "agents",
        {"type": "queue", "event": "removed", "conversation_id": conversation_id, "why": "closed"},
    ) in effects.events
    assert queue_ids(app) == []
