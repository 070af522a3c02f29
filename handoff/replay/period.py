"""The edge of replay: the conversations created in a period, loaded as histories, and
the replay run over them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.analytics.period import Period
from handoff.conversations.models import Conversation, Handoff, Message
from handoff.core.collector import collector_paused
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


def chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def ids_between(session: Session, begin: datetime, until: datetime) -> list[str]:
    """The conversations created in ``[begin, until)``, oldest first."""
    return list(
        session.scalars(
            select(Conversation.id)
            .where(Conversation.created_at >= begin, Conversation.created_at < until)
            .order_by(Conversation.created_at, Conversation.id)
        )
    )


def conversation_ids(session: Session, period: Period) -> list[str]:
    return ids_between(session, *period.bounds())


@dataclass(frozen=True)
class StoredConversation:
    """One conversation's rows as replay and analytics read them: the conversation, its
    messages in log order without the agents' (replay never reads them), its handoffs in
    id order."""

    conversation: Conversation
    messages: list[StoredMessage]
    handoffs: list[Handoff]


def load_stored(session: Session, ids: Sequence[str]) -> Iterator[StoredConversation]:
    """The rows of ``ids``, in that order, a chunk of conversations per query."""
    for chunk in chunks(ids):
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
        session.expunge_all()  # detached, the loaded rows stay readable; keep memory flat
        for conversation_id in chunk:
            yield StoredConversation(
                conversations[conversation_id], messages[conversation_id], handoffs[conversation_id]
            )


def load_histories(session: Session, ids: Sequence[str]) -> list[History]:
    return [
        history_of(stored.conversation, stored.messages, stored.handoffs)
        for stored in load_stored(session, ids)
    ]


def replay_conversations(session: Session, ids: Sequence[str], draft: RuleSetData) -> ReplayReport:
    """The draft against the active rule set over the conversations ``ids``."""
    with collector_paused():
        version, active = active_ruleset(session)
        histories = load_histories(session, ids)
        return report(
            [compare(h, draft=draft, active=active) for h in histories], active_version=version
        )


def replay_period(session: Session, period: Period, draft: RuleSetData) -> ReplayReport:
    """The draft against the active rule set over the conversations created in ``period``."""
    return replay_conversations(session, conversation_ids(session, period), draft)
