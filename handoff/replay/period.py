"""The edge of replay: the conversations created in a period, loaded as histories, and
the replay run over them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.analytics.period import Period
from handoff.conversations.models import Conversation, Handoff, Message
from handoff.replay.engine import compare
from handoff.replay.history import History, StoredMessage, history_of
from handoff.replay.report import ReplayReport, report
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.store import active_ruleset

# Conversations loaded per query: bounded memory, few round trips.
CHUNK = 500
# Plain rows, not ORM objects: building thousands of instances costs more than the query.
MESSAGE_COLUMNS = (
    Message.id,
    Message.conversation_id,
    Message.author,
    Message.internal,
    Message.processing_status,
    Message.text,
    Message.payload,
    Message.nlu,
    Message.features,
)


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def conversation_ids(session: Session, period: Period) -> list[str]:
    begin, until = period.bounds()
    return list(
        session.scalars(
            select(Conversation.id)
            .where(Conversation.created_at >= begin, Conversation.created_at < until)
            .order_by(Conversation.created_at, Conversation.id)
        )
    )


def load_histories(session: Session, ids: Sequence[str]) -> list[History]:
    histories: list[History] = []
    for chunk in _chunks(ids):
        conversations = {
            c.id: c for c in session.scalars(select(Conversation).where(Conversation.id.in_(chunk)))
        }
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
        for conversation_id in chunk:
            conversation = conversations[conversation_id]
            histories.append(
                history_of(
                    conversation_id=conversation.id,
                    channel=conversation.channel,
                    created_at=conversation.created_at,
                    messages=messages[conversation_id],
                    handoffs=handoffs[conversation_id],
                )
            )
        session.expunge_all()  # the rows are not needed any more; keep memory flat
    return histories


def replay_period(session: Session, period: Period, draft: RuleSetData) -> ReplayReport:
    """The draft against the active rule set over the conversations of ``period``."""
    version, active = active_ruleset(session)
    histories = load_histories(session, conversation_ids(session, period))
    return report(
        [compare(h, draft=draft, active=active) for h in histories], active_version=version
    )
