"""A form that keeps turning the customer's answers down.

While a form asks, its validator judges each answer: the NLU count leaves form answers
out ("12345" parses poorly and is a good answer) and the loop check leaves the form's
re-ask out (it repeats by design after a typo). A customer whose need the form does not
fit, though, answers it with anything but what it asks, and the form asks again for
ever: the live time-to-person benchmark found customers asked for their customer number
five turns running, never handed over. So the form's rejections count: ``required``
rejected answers since the form began hand over, as failed turns (``low_confidence``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handoff.escalation.decision import Decision, Reason
from handoff.escalation.evidence import quotes

# The actions' convention: a validator that turns an answer down says why with an
# `utter_invalid_<slot>[_<why>]` response, then the form asks again.
REJECTION_PREFIX = "utter_invalid_"


@dataclass(frozen=True)
class FormTurn:
    text: str
    form_answer: bool  # a form was active when it arrived
    rejected: bool  # the bot's answer to it included a rejection


def rejects(responses: Sequence[str | None]) -> bool:
    return any(r is not None and r.startswith(REJECTION_PREFIX) for r in responses)


def rejected_since_form_began(turns: Sequence[FormTurn]) -> list[FormTurn]:
    """The rejected answers among the latest turns that answered a form, oldest first."""
    rejected: list[FormTurn] = []
    for turn in reversed(turns):
        if not turn.form_answer:
            break  # the turn that started the form, or no form at all
        if turn.rejected:
            rejected.append(turn)
    rejected.reverse()
    return rejected


def form_rejections(turns: Sequence[FormTurn], required: int) -> Decision | None:
    """``low_confidence`` once the form turned ``required`` answers down."""
    rejected = rejected_since_form_began(turns)
    if len(rejected) < required:
        return None
    return Decision(
        Reason.low_confidence,
        f"{len(rejected)} antwoorden afgewezen door het formulier: "
        f"{quotes(t.text for t in rejected)}",
        {"turns": [t.text for t in rejected], "verdicts": ["form_rejected"] * len(rejected)},
    )
