"""The numbers of a period, computed from conversation facts (pure).

Definitions beyond those in ``facts.py`` (docs/replay.md, "Analytics"):

- a conversation is *handed over* when it has a handoff episode and did not end as
  ``abandoned``; *abandoned* when its outcome is ``abandoned`` (the customer left while
  waiting for a person); *contained* (by the bot) otherwise, i.e. it never asked for
  a person, whether it is closed or still open;
- handoffs over time: episodes per reason, on the local day their conversation started;
- median: the middle value (the mean of the two middle values for an even count);
  p90: nearest rank, the value at position ceil(0.9·n) in ascending order;
- *repeat contact*: a conversation whose contact had an earlier conversation with the
  same topic that started at most 7 days before it (the earlier one may lie before the
  period); the share is over the period's conversations with a topic.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import timedelta

from pydantic import BaseModel

from handoff.analytics.facts import ConversationFacts
from handoff.analytics.period import Period
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.value_matrix import QUADRANTS, quadrant

REPEAT_WINDOW = timedelta(days=7)
TOP_INTENTS = 5
NO_TOPIC = "(geen onderwerp)"


class Durations(BaseModel):
    count: int
    median_seconds: float | None
    p90_seconds: float | None


class IntentRow(BaseModel):
    intent: str
    conversations: int
    handed_over: int
    quadrant: str | None


class ValueMatrixView(BaseModel):
    volume: dict[str, int]  # quadrant → conversations with a topic in it
    top_simplify: list[IntentRow]
    top_eliminate: list[IntentRow]


class Csat(BaseModel):
    asked: int
    answered: int
    mean: float | None
    distribution: dict[int, int]  # score 1..5 → answers
    mean_per_channel: dict[str, float | None]


class AnalyticsReport(BaseModel):
    period: Period
    conversations: int
    generated: int  # of which from the demo history
    per_channel: dict[str, int]
    outcomes: dict[str, int]  # contained, handed_over, abandoned
    handoffs_by_reason: dict[str, int]
    handoffs_per_day: dict[str, dict[str, int]]  # ISO day → reason → episodes
    time_to_person: Durations
    time_in_queue: Durations
    intents: list[IntentRow]
    value_matrix: ValueMatrixView
    repeat_contacts: int
    repeat_share: float | None
    bot_turns_before_handoff: dict[int, int]
    bot_turns_before_handoff_mean: float | None
    frustrated: int
    frustrated_share: float | None
    csat: Csat


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def durations(values: Sequence[float]) -> Durations:
    return Durations(count=len(values), median_seconds=median(values), p90_seconds=p90(values))


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def outcome_of(facts: ConversationFacts) -> str:
    if facts.outcome == "abandoned":
        return "abandoned"
    return "handed_over" if facts.handed_over else "contained"


def _intents(facts: Sequence[ConversationFacts], rules: RuleSetData) -> list[IntentRow]:
    volume = Counter(f.topic or NO_TOPIC for f in facts)
    handed = Counter(f.topic or NO_TOPIC for f in facts if f.handed_over)
    return [
        IntentRow(
            intent=intent,
            conversations=count,
            handed_over=handed[intent],
            quadrant=quadrant(rules, intent) if intent != NO_TOPIC else None,
        )
        for intent, count in sorted(volume.items(), key=lambda item: (-item[1], item[0]))
    ]


def _value_matrix(rows: Sequence[IntentRow]) -> ValueMatrixView:
    volume: dict[str, int] = dict.fromkeys(QUADRANTS, 0)
    for row in rows:
        if row.quadrant is not None:
            volume[row.quadrant] += row.conversations
    return ValueMatrixView(
        volume=volume,
        top_simplify=[r for r in rows if r.quadrant == "simplify"][:TOP_INTENTS],
        top_eliminate=[r for r in rows if r.quadrant == "eliminate"][:TOP_INTENTS],
    )


def repeats(
    facts: Sequence[ConversationFacts], earlier: Sequence[ConversationFacts]
) -> list[ConversationFacts]:
    """The conversations of ``facts`` that repeat one of ``earlier`` (which may include
    ``facts`` themselves and conversations before the period)."""
    seen: dict[tuple[int, str], list[ConversationFacts]] = defaultdict(list)
    for other in earlier:
        if other.topic is not None:
            seen[(other.contact_id, other.topic)].append(other)
    found = []
    for conversation in facts:
        if conversation.topic is None:
            continue
        if any(
            timedelta(0) < conversation.created_at - o.created_at <= REPEAT_WINDOW
            for o in seen[(conversation.contact_id, conversation.topic)]
        ):
            found.append(conversation)
    return found


def _csat(facts: Sequence[ConversationFacts]) -> Csat:
    answered = [f for f in facts if f.csat_score is not None]
    scores = [int(f.csat_score) for f in answered if f.csat_score is not None]
    per_channel: dict[str, float | None] = {}
    for channel in sorted({f.channel for f in facts}):
        channel_scores = [
            int(f.csat_score) for f in answered if f.channel == channel and f.csat_score
        ]
        per_channel[channel] = statistics.fmean(channel_scores) if channel_scores else None
    return Csat(
        asked=sum(1 for f in facts if f.csat_asked),
        answered=len(scores),
        mean=statistics.fmean(scores) if scores else None,
        distribution={score: scores.count(score) for score in range(1, 6)},
        mean_per_channel=per_channel,
    )


def compute(
    period: Period,
    facts: Sequence[ConversationFacts],
    rules: RuleSetData,
    *,
    earlier: Sequence[ConversationFacts] = (),
) -> AnalyticsReport:
    """``facts``: the period's conversations; ``earlier``: those of the 7 days before it
    (for repeat contact)."""
    episodes = [e for f in facts for e in f.episodes]
    per_day: dict[str, dict[str, int]] = {d.isoformat(): {} for d in period.days()}
    for conversation in facts:
        day = per_day.setdefault(period.local_day(conversation.created_at).isoformat(), {})
        for episode in conversation.episodes:
            day[episode.reason] = day.get(episode.reason, 0) + 1
    intents = _intents(facts, rules)
    with_topic = sum(1 for f in facts if f.topic is not None)
    repeated = repeats(facts, [*earlier, *facts])
    handed = [f for f in facts if f.bot_turns_before_handoff is not None]
    bot_turns = [int(f.bot_turns_before_handoff or 0) for f in handed]
    frustrated = sum(1 for f in facts if f.frustrated)
    return AnalyticsReport(
        period=period,
        conversations=len(facts),
        generated=sum(1 for f in facts if f.generated),
        per_channel=dict(sorted(Counter(f.channel for f in facts).items())),
        outcomes={
            kind: sum(1 for f in facts if outcome_of(f) == kind)
            for kind in ("contained", "handed_over", "abandoned")
        },
        handoffs_by_reason=dict(sorted(Counter(e.reason for e in episodes).items())),
        handoffs_per_day=dict(sorted(per_day.items())),
        time_to_person=durations([s for e in episodes if (s := e.seconds_to_person) is not None]),
        time_in_queue=durations([e.queue_seconds for e in episodes if e.queue_seconds is not None]),
        intents=intents,
        value_matrix=_value_matrix(intents),
        repeat_contacts=len(repeated),
        repeat_share=share(len(repeated), with_topic),
        bot_turns_before_handoff=dict(sorted(Counter(bot_turns).items())),
        bot_turns_before_handoff_mean=statistics.fmean(bot_turns) if bot_turns else None,
        frustrated=frustrated,
        frustrated_share=share(frustrated, len(facts)),
        csat=_csat(facts),
    )
