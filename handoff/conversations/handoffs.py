"""Opening a handoff: the conversation moves to the queue with its context packet and
the customer is told, all in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.conversations import store
from handoff.conversations.availability import anyone_available, describe_wait, estimate_wait
from handoff.conversations.context import build_context_packet
from handoff.conversations.models import Conversation, Handoff
from handoff.conversations.state import Move, State
from handoff.escalation.decision import Decision, Reason
from handoff.processing.outbox import enqueue_outbound
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.texts import is_open, system_text


def queue_position(session: Session, conversation: Conversation) -> int:
    """1 for the first in line: waiting conversations that asked no later than this one."""
    handoff = store.current_handoff(session, conversation.id)
    if handoff is None:
        return 1
    ahead = session.scalar(
        select(func.count(Handoff.id))
        .join(Conversation, Conversation.id == Handoff.conversation_id)
        .where(
            Conversation.state == State.waiting,
            Handoff.ended_at.is_(None),
            Handoff.requested_at < handoff.requested_at,
        )
    )
    return int(ahead or 0) + 1


@dataclass
class OpenedHandoff:
    handoff: Handoff
    message_ids: list[int]  # system texts to dispatch after the commit


def open_handoff(
    session: Session,
    *,
    conversation: Conversation,
    decision: Decision,
    ruleset_version: int,
    rules: RuleSetData,
    org_name: str,
) -> OpenedHandoff:
    at = store.now()
    store.apply_move(session, conversation=conversation, move=Move.escalate)
    messages = store.transcript(session, conversation.id, include_internal=True)
    handoff = Handoff(
        conversation_id=conversation.id,
        reason=decision.reason.value,
        evidence={"text": decision.evidence, "details": decision.details},
        ruleset_version=ruleset_version,
        context=build_context_packet(
            conversation=conversation, messages=messages, decision=decision
        ),
        requested_at=at,
    )
    session.add(handoff)
    session.flush()

    # The conversation stays `waiting` in every case; only what the customer is told
    # differs: when the service opens, that nobody is free, or the expected wait.
    first_key = "bot_failure" if decision.reason is Reason.bot_failure else "handoff"
    wait = ""
    if not is_open(rules, at):
        then_key = "out_of_hours"
    elif not anyone_available(session, rules, at):
        then_key = "nobody_available"
    else:
        then_key = "waiting"
        estimate = estimate_wait(session, rules, at, queue_position(session, conversation))
        wait = describe_wait(estimate, conversation.language)
    ids = []
    for key in (first_key, then_key):
        text = system_text(
            rules,
            key,
            conversation.language,
            org_name=org_name,
            at=at,
            wait=wait if key == "waiting" else "",
        )
        message = enqueue_outbound(
            session,
            conversation=conversation,
            author="system",
            text=text,
            payload={"kind": "system_text", "text_key": key, "ruleset_version": ruleset_version},
        )
        ids.append(message.id)
    session.flush()
    return OpenedHandoff(handoff=handoff, message_ids=ids)
