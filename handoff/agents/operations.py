"""Agent operations on conversations: claim, send, close, transfer.

Plain functions over a Session that raise ``AgentActionError``s; the caller commits and
then applies the returned ``Effects``. Every state change goes through the core's
``store.apply_move``, whose UPDATE is conditional on the state we read: of two agents
claiming at once exactly one row update succeeds, the other gets ``IllegalTransition``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.accounts.models import Account, Role
from handoff.agents.effects import Effects
from handoff.agents.errors import (
    CLAIM_FIRST,
    COLLEAGUE_OWNS_IT,
    CONVERSATION_NOT_FOUND,
    TAKEN_BY_COLLEAGUE,
    Conflict,
    NotAllowed,
    NotFound,
    wrong_state,
)
from handoff.agents.queue import queue_item
from handoff.audit.record import record
from handoff.conversations import store
from handoff.conversations.events import AGENTS_TOPIC, message_event, topic
from handoff.conversations.handoffs import queue_position
from handoff.conversations.models import Conversation, Handoff
from handoff.conversations.state import IllegalTransition, Move, Outcome, State
from handoff.feedback.survey import ask_csat
from handoff.processing.outbox import enqueue_outbound


def load_conversation(session: Session, conversation_id: str) -> Conversation:
    conversation = store.get_conversation(session, conversation_id)
    if conversation is None:
        raise NotFound(CONVERSATION_NOT_FOUND)
    return conversation


def check_may_act(conversation: Conversation, account: Account) -> None:
    """An agent acts only on conversations nobody owns or they own themselves;
    supervisors may step into any conversation."""
    if (
        conversation.state == State.human
        and conversation.assigned_agent_id != account.id
        and account.role is not Role.supervisor
    ):
        raise NotAllowed(COLLEAGUE_OWNS_IT)


def open_conversations_of(session: Session, account_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Conversation.id)).where(
                Conversation.state == State.human, Conversation.assigned_agent_id == account_id
            )
        )
        or 0
    )


def _check_capacity(session: Session, account: Account, *, whose: str = "Je hebt") -> None:
    limit = account.max_concurrent
    if open_conversations_of(session, account.id) >= limit:
        noun = "gesprek" if limit == 1 else "gesprekken"
        raise Conflict(
            f"{whose} al het maximum van {limit} open {noun}; sluit of draag er eerst een over"
        )


def state_event(conversation: Conversation, agent: Account | None) -> dict[str, Any]:
    """The ``state`` frame of the customer protocol, plus ids for the agents' consoles."""
    return {
        "type": "state",
        "conversation_id": conversation.id,
        "state": str(conversation.state),
        "agent_id": agent.id if agent else None,
        "agent_name": agent.display_name if agent else None,
        "queue_position": None,
    }


def _move(
    session: Session, conversation: Conversation, move: Move, outcome: Outcome | None = None
) -> None:
    try:
        store.apply_move(session, conversation=conversation, move=move, outcome=outcome)
    except IllegalTransition as error:
        if move is Move.claim and error.state is State.human:
            raise Conflict(TAKEN_BY_COLLEAGUE) from error
        raise wrong_state(error) from error


def audit(
    session: Session,
    conversation: Conversation,
    *,
    action: str,
    account: Account,
    details: dict[str, Any] | None = None,
) -> None:
    """The audit entry for an agent's action on a conversation, in the same transaction."""
    record(
        session,
        action=action,
        account_id=account.id,
        object_type="conversation",
        object_id=conversation.id,
        details=details,
    )


def claim_handoff(handoff: Handoff | None, *, by: int, at: datetime) -> None:
    if handoff is not None:
        handoff.claimed_at = at
        handoff.claimed_by = by


def end_handoff(handoff: Handoff | None, *, by: int | None, kind: str, at: datetime) -> None:
    if handoff is not None:
        handoff.ended_at = at
        handoff.ended_by = by
        handoff.end_kind = kind


def continue_handoff(
    session: Session, previous: Handoff | None, conversation: Conversation
) -> Handoff | None:
    """A transferred or requeued conversation keeps its reason, context and place in
    the queue (the customer has waited already); a new row records the new leg."""
    if previous is None:
        return None
    handoff = Handoff(
        conversation_id=conversation.id,
        reason=previous.reason,
        evidence=previous.evidence,
        ruleset_version=previous.ruleset_version,
        context=previous.context,
        requested_at=previous.requested_at,
    )
    session.add(handoff)
    return handoff


# Stored as a system message, so the transcript (and an e-mailed copy) shows the moment
# a person took over, not only the customer's widget.
AGENT_JOINED = {
    "nl": "Je praat nu met {name}, medewerker klantenservice.",
    "en": "You are now talking to {name}, customer service team member.",
}


def _announce_agent(session: Session, conversation: Conversation, agent: Account) -> int:
    text = AGENT_JOINED.get(conversation.language, AGENT_JOINED["nl"])
    message = enqueue_outbound(
        session,
        conversation=conversation,
        author="system",
        text=text.format(name=agent.display_name),
        payload={"kind": "agent_joined", "agent_name": agent.display_name},
    )
    session.flush()
    return message.id


def claim(session: Session, *, conversation_id: str, account: Account) -> Effects:
    conversation = load_conversation(session, conversation_id)
    if conversation.state == State.human:
        if conversation.assigned_agent_id == account.id:
            raise Conflict("Je hebt dit gesprek al overgenomen")
        raise Conflict(TAKEN_BY_COLLEAGUE)
    _check_capacity(session, account)
    _move(session, conversation, Move.claim)
    at = store.now()
    conversation.assigned_agent_id = account.id
    claim_handoff(store.current_handoff(session, conversation.id), by=account.id, at=at)
    audit(session, conversation, action="conversation.claim", account=account)
    session.flush()
    effects = Effects(result={"conversation_id": conversation.id, "state": "human"})
    effects.message_ids.append(_announce_agent(session, conversation, account))
    effects.publish(
        AGENTS_TOPIC,
        {
            "type": "queue",
            "event": "claimed",
            "conversation_id": conversation.id,
            "agent_id": account.id,
            "agent_name": account.display_name,
        },
    )
    effects.publish(topic(conversation.id), state_event(conversation, account))
    return effects


def send_message(
    session: Session, *, conversation_id: str, account: Account, text: str, internal: bool
) -> Effects:
    conversation = load_conversation(session, conversation_id)
    check_may_act(conversation, account)
    if conversation.state == State.closed:
        raise Conflict("Dit gesprek is gesloten")
    if not internal and conversation.state != State.human:
        raise Conflict(CLAIM_FIRST)
    if internal:
        # Stored straight into the log, never through the outbox, and announced on the
        # staff-only topic: no channel or customer socket ever sees a note.
        message = store.append_message(
            session,
            conversation=conversation,
            direction="out",
            author="agent",
            text=text,
            author_account_id=account.id,
            internal=True,
            payload={"kind": "internal_note"},
        )
        session.flush()
        effects = Effects(result={"message_id": message.id, "internal": True})
        effects.publish(AGENTS_TOPIC, message_event(message, author_name=account.display_name))
        return effects
    message = enqueue_outbound(
        session,
        conversation=conversation,
        author="agent",
        text=text,
        author_account_id=account.id,
    )
    session.flush()
    effects = Effects(result={"message_id": message.id, "internal": False})
    effects.message_ids.append(message.id)
    return effects


def close(session: Session, *, conversation_id: str, account: Account, org_name: str) -> Effects:
    conversation = load_conversation(session, conversation_id)
    check_may_act(conversation, account)
    was_waiting = conversation.state == State.waiting
    handoff = store.current_handoff(session, conversation.id)
    _move(session, conversation, Move.close, Outcome.resolved_by_agent)
    end_handoff(handoff, by=account.id, kind="closed", at=store.now())
    audit(
        session,
        conversation,
        action="conversation.close",
        account=account,
        details={"outcome": Outcome.resolved_by_agent.value},
    )
    session.flush()
    effects = Effects(result={"conversation_id": conversation.id, "state": "closed"})
    if (question := ask_csat(session, conversation, org_name=org_name)) is not None:
        effects.message_ids.append(question.id)
    effects.publish(topic(conversation.id), state_event(conversation, None))
    if was_waiting:
        effects.publish(AGENTS_TOPIC, _removed(conversation, "closed"))
    return effects


def transfer(
    session: Session, *, conversation_id: str, account: Account, to_account_id: int | None
) -> Effects:
    conversation = load_conversation(session, conversation_id)
    check_may_act(conversation, account)
    if to_account_id is None:
        return _requeue(session, conversation, account)
    if conversation.state == State.waiting and account.role is not Role.supervisor:
        raise NotAllowed("Alleen een supervisor kan een wachtend gesprek aan iemand toewijzen")
    target = session.get(Account, to_account_id)
    if target is None or not target.active:
        raise NotFound("Collega niet gevonden of niet actief")
    if target.id == conversation.assigned_agent_id:
        raise Conflict("Dit gesprek is al van deze collega")
    _check_capacity(session, target, whose=f"{target.display_name} heeft")
    previous = store.current_handoff(session, conversation.id)
    _move(session, conversation, Move.transfer)
    at = store.now()
    from_id = conversation.assigned_agent_id
    conversation.assigned_agent_id = target.id
    end_handoff(previous, by=account.id, kind="transferred", at=at)
    claim_handoff(continue_handoff(session, previous, conversation), by=target.id, at=at)
    audit(
        session,
        conversation,
        action="conversation.transfer",
        account=account,
        details={"from_account_id": from_id, "to_account_id": target.id},
    )
    session.flush()
    effects = Effects(
        result={"conversation_id": conversation.id, "state": "human", "agent_id": target.id}
    )
    effects.message_ids.append(_announce_agent(session, conversation, target))
    effects.publish(
        AGENTS_TOPIC,
        {
            "type": "transfer",
            "conversation_id": conversation.id,
            "from_agent_id": from_id,
            "agent_id": target.id,
            "agent_name": target.display_name,
        },
    )
    effects.publish(topic(conversation.id), state_event(conversation, target))
    return effects


def _requeue(session: Session, conversation: Conversation, account: Account) -> Effects:
    previous = store.current_handoff(session, conversation.id)
    from_id = conversation.assigned_agent_id
    _move(session, conversation, Move.requeue)
    end_handoff(previous, by=account.id, kind="requeued", at=store.now())
    handoff = continue_handoff(session, previous, conversation)
    audit(
        session,
        conversation,
        action="conversation.transfer",
        account=account,
        details={"from_account_id": from_id, "to_account_id": None},
    )
    session.flush()
    position = queue_position(session, conversation)
    effects = Effects(result={"conversation_id": conversation.id, "state": "waiting"})
    effects.publish(
        AGENTS_TOPIC,
        {"type": "queue", "event": "added"}
        | queue_item(conversation, handoff)
        | {"queue_position": position},
    )
    effects.publish(
        topic(conversation.id), state_event(conversation, None) | {"queue_position": position}
    )
    return effects


def _removed(conversation: Conversation, why: str) -> dict[str, Any]:
    return {"type": "queue", "event": "removed", "conversation_id": conversation.id, "why": why}
