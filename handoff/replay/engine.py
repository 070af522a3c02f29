"""Replaying a rule set over stored history, with the live turn's own decision code.

For each turn, in order, the rule set is asked exactly what ``processing/turn.py`` asks
it: ``signals.after_parse`` on the stored features and NLU result, then, when the bot
really answered, ``signals.after_respond`` on the stored answer. Nothing is re-encoded
and Rasa is not called; marker and backstop lists are the rule set's own, matched
against the stored normalised words and lemmas.

History can only say what happened, so a replay stops at the first turn where the rule
set's decision differs from what happened:

- it hands over at a turn where the bot really went on: ``handoff`` at that turn;
- it lets the bot go on at the turn that really handed over: what the bot would have
  said, and what the customer would have said next, is unknown: ``unknown`` after that
  turn ("onbekend na beurt k");
- it agrees all the way: ``handoff`` at the real turn, or ``bot`` when the conversation
  never reached a person.

Facts no rule set changes are kept as they happened: the widget's person button, Rasa
or the action server failing, a turn the service crashed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from handoff.escalation import explicit, failure, signals
from handoff.escalation.decision import Decision, Reason
from handoff.escalation.signals import CurrentTurn, PastTurn
from handoff.replay.history import History, StoredTurn
from handoff.rulesets.defaults import RuleSetData

Kind = Literal["handoff", "bot", "unknown"]

_UNKNOWN = object()  # the rule set lets the bot answer a turn whose answer never happened


@dataclass(frozen=True)
class Verdict:
    """What a rule set makes of one conversation's history."""

    kind: Kind
    turn: int | None = None  # handoff: the turn handed over; unknown: the last known turn
    reason: str | None = None
    evidence: str | None = None

    @property
    def reaches_person(self) -> bool:
        return self.kind == "handoff"

    def label(self) -> str:
        if self.kind == "handoff":
            return f"medewerker bij beurt {self.turn} ({self.reason})"
        if self.kind == "unknown":
            return f"onbekend na beurt {self.turn}"
        return "bot"


def _recorded(history: History) -> Decision:
    reason = Reason(history.real_reason) if history.real_reason else Reason.bot_failure
    return Decision(reason, history.real_evidence or "", {"recorded": True})


def _decide(
    turn: StoredTurn, past: list[PastTurn], history: History, rules: RuleSetData
) -> Decision | object | None:
    if turn.features is None:
        # A turn the service crashed on: handed over unjudged, whatever the rules.
        return _recorded(history) if turn.handed_over else None
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
        return signals.after_respond(current, turn.respond_result(), past, rules)
    if turn.handed_over and history.real_reason == Reason.bot_failure:
        # Parsed, then respond failed: a fact of that moment, not of the rules.
        return _recorded(history)
    return _UNKNOWN if turn.handed_over else None


def judge(history: History, rules: RuleSetData) -> Verdict:
    """The rule set's verdict on one conversation, judged on the turns that happened."""
    past: list[PastTurn] = []
    for turn in history.turns:
        decision = _decide(turn, past, history, rules)
        if isinstance(decision, Decision):
            return Verdict("handoff", turn.number, decision.reason.value, decision.evidence)
        if decision is _UNKNOWN or turn.handed_over:
            return Verdict("unknown", turn.number)
        if turn.features is not None:
            past.append(turn.as_past())
    return Verdict("bot")


def actual(history: History) -> Verdict:
    """What really happened, in the same terms."""
    if history.real_turn is None:
        return Verdict("bot")
    return Verdict("handoff", history.real_turn, history.real_reason, history.real_evidence)


Flip = Literal["to_person", "from_person"]


@dataclass(frozen=True)
class Compared:
    history: History
    actual: Verdict
    active: Verdict
    draft: Verdict

    @property
    def flip(self) -> Flip | None:
        """``to_person``: the draft hands over where the active set does not;
        ``from_person``: the active set hands over and the draft does not (or not within
        what history can tell)."""
        if self.draft.reaches_person and not self.active.reaches_person:
            return "to_person"
        if self.active.reaches_person and not self.draft.reaches_person:
            return "from_person"
        return None

    @property
    def changed(self) -> bool:
        """Both hand over, at another turn or for another reason."""
        return (
            self.draft.reaches_person
            and self.active.reaches_person
            and (self.draft.turn, self.draft.reason) != (self.active.turn, self.active.reason)
        )


def compare(history: History, *, draft: RuleSetData, active: RuleSetData) -> Compared:
    return Compared(history, actual(history), judge(history, active), judge(history, draft))
