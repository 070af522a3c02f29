"""The replay's answer for a period: counts per rule set and the conversations that
flip, as pydantic models (what the API returns)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel

from handoff.replay.engine import Compared, Flip, Kind, Verdict


class VerdictPublic(BaseModel):
    kind: Kind
    turn: int | None
    reason: str | None
    evidence: str | None
    label: str  # Dutch, for the console: "onbekend na beurt 3"

    @classmethod
    def of(cls, verdict: Verdict) -> VerdictPublic:
        return cls(
            kind=verdict.kind,
            turn=verdict.turn,
            reason=verdict.reason,
            evidence=verdict.evidence,
            label=verdict.label(),
        )


class Totals(BaseModel):
    """How one rule set judges the period. A conversation counts once, by the first time
    the rule set hands it to a person (a later bot phase after a hand-back shows in the
    flips, not here)."""

    reached_person: int  # conversations it hands over, within what history can tell
    stayed_with_bot: int
    unknown: int  # the bot would have gone on past a real handoff: what followed is unknown
    by_reason: dict[str, int]  # the reason of the first handoff → conversations
    by_turn: dict[int, int]  # the turn of the first handoff → conversations


class FlippedConversation(BaseModel):
    conversation_id: str
    channel: str
    created_at: datetime
    flip: Flip
    turns: int
    actual: VerdictPublic
    active: VerdictPublic
    draft: VerdictPublic


class ReplayReport(BaseModel):
    conversations: int
    turns: int
    active_version: int
    active: Totals
    draft: Totals
    to_person: int  # the draft hands over, the active set does not
    from_person: int  # the active set hands over, the draft does not
    changed: int  # both hand over, at another turn or for another reason
    flipped: list[FlippedConversation]


def totals(verdicts: Sequence[Verdict]) -> Totals:
    handed = [first for v in verdicts if (first := v.first_handoff) is not None]
    return Totals(
        reached_person=len(handed),
        stayed_with_bot=sum(1 for v in verdicts if v.kind == "bot" and not v.handed_back),
        unknown=sum(1 for v in verdicts if v.kind == "unknown" and not v.handed_back),
        by_reason=dict(sorted(Counter(str(reason) for _, reason in handed).items())),
        by_turn=dict(sorted(Counter(int(turn or 0) for turn, _ in handed).items())),
    )


def report(compared: Sequence[Compared], *, active_version: int) -> ReplayReport:
    flipped = [
        FlippedConversation(
            conversation_id=c.history.conversation_id,
            channel=c.history.channel,
            created_at=c.history.created_at,
            flip=flip,
            turns=len(c.history.turns),
            actual=VerdictPublic.of(c.actual),
            active=VerdictPublic.of(c.active),
            draft=VerdictPublic.of(c.draft),
        )
        for c in compared
        if (flip := c.flip) is not None
    ]
    return ReplayReport(
        conversations=len(compared),
        turns=sum(len(c.history.turns) for c in compared),
        active_version=active_version,
        active=totals([c.active for c in compared]),
        draft=totals([c.draft for c in compared]),
        to_person=sum(1 for f in flipped if f.flip == "to_person"),
        from_person=sum(1 for f in flipped if f.flip == "from_person"),
        changed=sum(1 for c in compared if c.changed),
        flipped=flipped,
    )
