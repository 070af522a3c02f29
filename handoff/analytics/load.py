"""The edge of analytics: the rows of a period's conversations, turned into facts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.analytics.facts import ConversationFacts, facts_of
from handoff.analytics.gaps import GapGroup, knowledge_gaps
from handoff.analytics.metrics import REPEAT_WINDOW, AnalyticsReport, compute
from handoff.analytics.period import Period
from handoff.core.collector import collector_paused
from handoff.feedback.models import CsatResponse
from handoff.replay.period import (
    chunks,
    conversation_ids,
    ids_between,
    load_histories,
    load_stored,
)
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.store import active_ruleset


def csat_of(session: Session, ids: Sequence[str]) -> dict[str, CsatResponse]:
    found: dict[str, CsatResponse] = {}
    for chunk in chunks(ids):
        query = select(CsatResponse).where(CsatResponse.conversation_id.in_(chunk))
        found.update((r.conversation_id, r) for r in session.scalars(query))
    return found


def load_facts(session: Session, ids: Sequence[str], rules: RuleSetData) -> list[ConversationFacts]:
    csat = csat_of(session, ids)
    return [
        facts_of(
            stored.conversation,
            messages=stored.messages,
            handoffs=stored.handoffs,
            csat=csat.get(stored.conversation.id),
            rules=rules,
        )
        for stored in load_stored(session, ids)
    ]


def analyse(session: Session, period: Period) -> tuple[AnalyticsReport, list[ConversationFacts]]:
    """The period's numbers (judged with the active rule set's thresholds, markers and
    Value Matrix) and the facts they came from."""
    _version, rules = active_ruleset(session)
    begin, until = period.bounds()
    with collector_paused():
        facts = load_facts(session, ids_between(session, begin, until), rules)
        earlier = load_facts(session, ids_between(session, begin - REPEAT_WINDOW, begin), rules)
        return compute(period, facts, rules, earlier=earlier), facts


def period_gaps(session: Session, period: Period) -> list[GapGroup]:
    """The knowledge gaps of the conversations created in ``period``, judged with the
    active rule set."""
    _version, rules = active_ruleset(session)
    with collector_paused():
        return knowledge_gaps(load_histories(session, conversation_ids(session, period)), rules)
