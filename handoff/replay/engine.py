"""Replaying a rule set over stored history, with the live turn's own decision code.

For each turn, in order, the rule set is asked exactly what ``processing/turn.py`` asks
it: ``signals.after_parse`` on the stored features and NLU result, then, when the bot
really answered, ``signals.after_respond`` on the stored answer. Nothing is re-encoded
and Rasa is not called; marker and backstop lists are the rule set's own, matched
against the stored normalised words and lemmas. As live, each bot phase (from the start
or a hand-back) is judged on its own turns.

History can only say what happened, so a replay stops at the first turn where the rule
set's decision differs from what happened:

- it hands over at a turn where the bot really went on: ``handoff`` at that turn;
- it lets the bot go on at a turn that really handed over: what the bot would have
  said, and what the customer would have said next, is unknown: ``unknown`` after that
  turn ("onbekend na beurt k");
- it hands over at the turn that really handed over, and a person later handed the
  conversation back to the bot: the next bot phase happened as stored, and judging goes
  on there (the handoff is kept in ``Verdict.handed_back``);
- it agrees all the way: ``handoff`` at the real turn when the conversation ended with a
  person, or ``bot`` when it ended with the bot.

Facts no rule set changes are kept as they happened: the widget's person button, Rasa
or the action server failing, a turn the service crashed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from handoff.escalation import explicit, failure, signals
from handoff.escalation.decision import Decision, Reason
from handoff.escalation.signals import CurrentTurn, PastTurn
from handoff.replay.history import History, Phase, StoredTurn
from handoff.rulesets.defaults import RuleSetData

Kind = Literal["handoff", "bot", "unknown"]

_UNKNOWN = object()  # the rule set lets the bot answer a turn whose answer never happened


@dataclass(frozen=True)
class HandedBack:
    """A real handoff the rule set agreed with (it hands over at the same turn, for
    ``reason``), after which a person handed the conversation back to the bot."""

    turn: int
    reason: str | None


@dataclass(frozen=True)
class Verdict:
    """What a rule set makes of one conversation's history: where judging stopped, and
    the handed-back handoffs it agreed with before."""

    kind: Kind
    turn: int | None = None  # handoff: the turn handed over; unknown: the last known turn
    reason: str | None = None
    evidence: str | None = None
    handed_back: tuple[HandedBack, ...] = ()

    @property
    def reaches_person(self) -> bool:
        """Judging ended with the customer at a person."""
        return self.kind == "handoff"

    @property
    def first_handoff(self) -> tuple[int | None, str | None] | None:
        """The turn and reason of the first time it hands the customer to a person."""
        if self.handed_back:
            return self.handed_back[0].turn, self.handed_back[0].reason
        return (self.turn, self.reason) if self.kind == "handoff" else None

    def label(self) -> str:
        if self.kind == "handoff":
            label = f"medewerker bij beurt {self.turn} ({self.reason})"
        elif self.kind == "unknown":
            label = f"onbekend na beurt {self.turn}"
        else:
            label = "bot"
        if not self.handed_back:
            return label
        turns = [str(h.turn) for h in self.handed_back]
        listed = turns[0] if len(turns) == 1 else f"{', '.join(turns[:-1])} en {turns[-1]}"
        return f"{label}; eerder medewerker bij beurt {listed}, daarna terug naar de bot"


def _recorded(phase: Phase) -> Decision:
    real = phase.handoff
    reason = Reason(real.reason) if real is not None and real.reason else Reason.bot_failure
    return Decision(reason, (real.evidence if real is not None else None) or "", {"recorded": True})


def _decide(
    turn: StoredTurn, past: list[PastTurn], phase: Phase, rules: RuleSetData
) -> Decision | object | None:
    if turn.features is None:
        # A turn the service crashed on: handed over unjudged, whatever the rules.
        return _recorded(phase) if turn.handed_over else None
    if turn.kind == "request_human":
        return explicit.button_request()
    if turn.nlu is None:
        # Rasa could not parse it: only the phrase backstop could still decide, as live.
        return explicit.explicit_request(turn.text, None, rules) or failure.unavailable(
            "Rasa niet bereikbaar (opgeslagen)"
        )
    current = CurrentTurn(turn.text, turn.features, turn.form_answer)
    decision = signals.after_parse(current, turn.nlu, past, rules)
    if decision is not None:
        return decision
    if turn.responded:
        return signals.after_respond(current, turn.nlu, turn.respond_result(), past, rules)
    real = phase.handoff
    if turn.handed_over and real is not None and real.reason == Reason.bot_failure:
        # Parsed, then respond failed: a fact of that moment, not of the rules.
        return _recorded(phase)
    return _UNKNOWN if turn.handed_over else None


def judge(history: History, rules: RuleSetData) -> Verdict:
    """The rule set's verdict on one conversation, judged on the turns that happened."""
    handed_back: list[HandedBack] = []
    for phase in history.phases:
        past: list[PastTurn] = []  # as live: the turns since the conversation came back
        for turn in phase.turns:
            decision = _decide(turn, past, phase, rules)
            if isinstance(decision, Decision):
                if turn.handed_over and phase.handed_back:
                    handed_back.append(HandedBack(turn.number, decision.reason.value))
                    break
                return Verdict(
                    "handoff",
                    turn.number,
                    decision.reason.value,
                    decision.evidence,
                    tuple(handed_back),
                )
            if decision is _UNKNOWN or turn.handed_over:
                return Verdict("unknown", turn.number, handed_back=tuple(handed_back))
            if turn.features is not None:
                past.append(turn.as_past())
    return Verdict("bot", handed_back=tuple(handed_back))


def actual(history: History) -> Verdict:
    """What really happened, in the same terms: a rule set that decides every turn as
    it was decided."""
    handed_back: list[HandedBack] = []
    for phase in history.phases:
        real = phase.handoff
        if real is None or real.turn is None:
            continue
        if not phase.handed_back:
            return Verdict("handoff", real.turn, real.reason, real.evidence, tuple(handed_back))
        handed_back.append(HandedBack(real.turn, real.reason))
    return Verdict("bot", handed_back=tuple(handed_back))


Flip = Literal["to_person", "from_person"]


def _in_phase(verdict: Verdict, phase: int) -> Verdict:
    """The verdict's decision in its ``phase``-th bot phase that ended with a person
    (counting from 0), given it had not stopped before it."""
    if phase < len(verdict.handed_back):
        agreed = verdict.handed_back[phase]
        return Verdict("handoff", agreed.turn, agreed.reason)
    return verdict


@dataclass(frozen=True)
class Compared:
    history: History
    actual: Verdict
    active: Verdict
    draft: Verdict

    def _diverging(self) -> tuple[Verdict, Verdict]:
        """Draft and active set in the first bot phase where either departs from what
        happened; before it both handed over where history did, and after it the one
        that departed has nothing more to say."""
        phase = min(len(self.draft.handed_back), len(self.active.handed_back))
        return _in_phase(self.draft, phase), _in_phase(self.active, phase)

    @property
    def flip(self) -> Flip | None:
        """In the first bot phase where they differ, ``to_person``: the draft hands over
        and the active set does not; ``from_person``: the active set hands over and the
        draft does not (or not within what history can tell)."""
        draft, active = self._diverging()
        if draft.reaches_person and not active.reaches_person:
            return "to_person"
        if active.reaches_person and not draft.reaches_person:
            return "from_person"
        return None

    @property
    def changed(self) -> bool:
        """Both hand over, at another turn or for another reason (in the diverging bot
        phase, or in an earlier one both agreed with history on, then handed back)."""
        draft, active = self._diverging()
        if draft.reaches_person != active.reaches_person:
            return False  # a flip
        phase = min(len(self.draft.handed_back), len(self.active.handed_back))
        if self.draft.handed_back[:phase] != self.active.handed_back[:phase]:
            return True
        return draft.reaches_person and (draft.turn, draft.reason) != (active.turn, active.reason)


def compare(history: History, *, draft: RuleSetData, active: RuleSetData) -> Compared:
    return Compared(history, actual(history), judge(history, active), judge(history, draft))
