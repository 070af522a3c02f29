"""What analytics needs to know about one conversation, derived from its stored rows.

Pure: ``facts_of`` takes already-loaded rows (``load.py`` queries them), so every
number can be checked on a hand-built history.

Definitions (docs/replay.md, "Analytics"):

- *topic*: the intent of the first customer turn the NLU understood (the live threshold
  and margin of the active rule set, as ``signals.judge`` judges) that is a need,
  not small talk or a request for a person; None when there is none.
- *handoff episode*: one request for a person. Transfers and requeues add Handoff rows
  that copy the request time; rows with the same ``requested_at`` are one episode.
- *time to a person*: request → the episode's first claim.
- *time in the queue*: the time the episode spent waiting, over all its legs: request →
  first claim (or its end when nobody claimed it), plus, after a requeue, the requeue →
  the next claim (or end). Episodes still waiting have no queue time yet.
- *bot turns before the handoff*: customer turns the bot answered before the
  conversation's first handoff.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handoff.conversations.models import Conversation, Handoff
from handoff.conversations.store import as_utc
from handoff.escalation.confidence import Verdict
from handoff.escalation.frustration import turn_hits
from handoff.escalation.signals import frustration_rules, judge
from handoff.feedback.models import CsatResponse
from handoff.rasa.schemas import ParseResult
from handoff.replay.history import StoredMessage, features_of, history_of
from handoff.rulesets.defaults import RuleSetData

NOT_A_TOPIC = frozenset({
    "greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "inform",
    "request_human", "out_of_scope", "nlu_fallback", "disambiguate",
})  # fmt: skip


@dataclass(frozen=True)
class Episode:
    reason: str
    requested_at: datetime
    claimed_at: datetime | None  # the first claim
    queue_seconds: float | None  # None: still waiting

    @property
    def seconds_to_person(self) -> float | None:
        if self.claimed_at is None:
            return None
        return (self.claimed_at - self.requested_at).total_seconds()


@dataclass(frozen=True)
class ConversationFacts:
    id: str
    contact_id: int
    channel: str
    created_at: datetime
    outcome: str | None
    topic: str | None
    episodes: tuple[Episode, ...]
    bot_turns_before_handoff: int | None  # None: never handed over
    frustrated: bool
    csat_asked: bool
    csat_score: int | None
    generated: bool

    @property
    def handed_over(self) -> bool:
        return bool(self.episodes)


def topic_of(messages: Sequence[StoredMessage], rules: RuleSetData) -> str | None:
    for message in messages:
        if message.author != "customer" or not message.nlu:
            continue
        assessment = judge(ParseResult.model_validate(message.nlu), rules)
        if assessment.verdict is Verdict.understood and assessment.intent not in NOT_A_TOPIC:
            return assessment.intent
    return None


def episodes_of(handoffs: Sequence[Handoff]) -> tuple[Episode, ...]:
    """``handoffs`` in id order."""
    legs: dict[datetime, list[Handoff]] = {}
    for row in handoffs:
        legs.setdefault(as_utc(row.requested_at), []).append(row)
    episodes = []
    for requested, rows in legs.items():
        claims = [as_utc(r.claimed_at) for r in rows if r.claimed_at is not None]
        episodes.append(
            Episode(
                rows[0].reason, requested, min(claims) if claims else None, _queued(requested, rows)
            )
        )
    return tuple(episodes)


def _queued(requested: datetime, rows: Sequence[Handoff]) -> float | None:
    total = 0.0
    waiting_since: datetime | None = requested
    for row in rows:
        if waiting_since is not None:
            stop = row.claimed_at or row.ended_at
            if stop is None:
                return None
            total += (as_utc(stop) - waiting_since).total_seconds()
        # A requeue puts the conversation back in the queue when the leg ends.
        waiting_since = (
            as_utc(row.ended_at) if row.end_kind == "requeued" and row.ended_at else None
        )
    return total


def frustrated(messages: Sequence[StoredMessage], rules: RuleSetData) -> bool:
    markers = frustration_rules(rules)
    for message in messages:
        if message.author != "customer":
            continue
        features = features_of(message.features)
        if features is not None and turn_hits(features, markers):
            return True
    return False


def facts_of(
    conversation: Conversation,
    *,
    messages: Sequence[StoredMessage],
    handoffs: Sequence[Handoff],
    csat: CsatResponse | None,
    rules: RuleSetData,
) -> ConversationFacts:
    """``messages`` in log order (agents' messages may be left out), ``handoffs`` by id."""
    episodes = episodes_of(handoffs)
    bot_turns = None
    if episodes:
        history = history_of(conversation, messages, handoffs)
        # The first bot phase: the turns before the first handoff, not after a hand-back.
        bot_turns = sum(1 for t in history.phases[0].turns if t.responded)
    return ConversationFacts(
        id=conversation.id,
        contact_id=conversation.contact_id,
        channel=conversation.channel,
        created_at=as_utc(conversation.created_at),
        outcome=str(conversation.outcome) if conversation.outcome else None,
        topic=topic_of(messages, rules),
        episodes=episodes,
        bot_turns_before_handoff=bot_turns,
        frustrated=frustrated(messages, rules),
        csat_asked=csat is not None,
        csat_score=csat.score if csat is not None else None,
        generated=any((m.payload or {}).get("generated") for m in messages[:1]),
    )
