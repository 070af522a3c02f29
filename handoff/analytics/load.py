"""The edge of analytics: the rows of a period's conversations, turned into facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.analytics.facts import ConversationFacts, facts_of
from handoff.analytics.metrics import REPEAT_WINDOW, AnalyticsReport, compute
from handoff.analytics.period import Period
from handoff.conversations.models import Conversation, Handoff, Message
from handoff.feedback.models import CsatResponse
from handoff.replay.history import StoredMessage
from handoff.replay.period import MESSAGE_COLUMNS
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.store import active_ruleset

CHUNK = 500


def conversations_between(session: Session, begin: datetime, until: datetime) -> list[str]:
    return list(
        session.scalars(
            select(Conversation.id)
            .where(Conversation.created_at >= begin, Conversation.created_at < until)
            .order_by(Conversation.created_at, Conversation.id)
        )
    )


def load_facts(session: Session, ids: Sequence[str], rules: RuleSetData) -> list[ConversationFacts]:
    found: list[ConversationFacts] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        conversations = session.scalars(select(Conversation).where(Conversation.id.in_(chunk)))
        by_id = {c.id: c for c in conversations}
        messages: dict[str, list[StoredMessage]] = defaultdict(list)
        for message in session.execute(
            select(*MESSAGE_COLUMNS)
            .where(Message.conversation_id.in_(chunk), Message.author != "agent")
            .order_by(Message.id)
        ):
            messages[message.conversation_id].append(cast(StoredMessage, message))
        handoffs: dict[str, list[Handoff]] = defaultdict(list)
        for handoff in session.scalars(
            select(Handoff).where(Handoff.conversation_id.in_(chunk)).order_by(Handoff.id)
        ):
            handoffs[handoff.conversation_id].append(handoff)
        csat = {
            r.conversation_id: r
            for r in session.scalars(
                select(CsatResponse).where(CsatResponse.conversation_id.in_(chunk))
            )
        }
        for conversation_id in chunk:
            found.append(
                facts_of(
                    by_id[conversation_id],
                    messages=messages[conversation_id],
                    handoffs=handoffs[conversation_id],
                    csat=csat.get(conversation_id),
                    rules=rules,
                )
            )
        session.expunge_all()
    return found


def analyse(session: Session, period: Period) -> tuple[AnalyticsReport, list[ConversationFacts]]:
    """The period's numbers (judged with the active rule set's thresholds, markers and
    Value Matrix) and the facts they came from."""
    _version, rules = active_ruleset(session)
    begin, until = period.bounds()
    facts = load_facts(session, conversations_between(session, begin, until), rules)
    earlier = load_facts(
        session, conversations_between(session, begin - REPEAT_WINDOW, begin), rules
    )
    return compute(period, facts, rules, earlier=earlier), facts
