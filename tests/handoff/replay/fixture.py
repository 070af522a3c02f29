"""A small fixture history for the replay tests, written as the live turn stores it.

Six conversations on 2 November 2026 (Amsterdam) and one just after midnight, whose
verdicts under the default (active) rule set and the test's draft are worked out by hand
in test_replay.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from handoff.conversations.state import Outcome
from handoff.demo.writer import Script, ScriptHandoff, ScriptTurn, Writer
from handoff.escalation.decision import Reason
from handoff.rulesets.defaults import DEFAULT_RULESET

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REPHRASE_ASK = ("Sorry, dat begreep ik niet. Kun je het anders zeggen?", "utter_ask_rephrase")
BILL = ("Op je jaarafrekening zie je je verbruik.", "utter_explain_bill")
FINE = ("Fijn!", "utter_affirm")
METER = ("Wat is je klantnummer?", "utter_ask_customer_number")


def _turn(
    text: str, intent: str | None, confidence: float, seconds: int, **kw: object
) -> ScriptTurn:
    return ScriptTurn(text, intent, confidence, at=timedelta(seconds=seconds), **kw)  # type: ignore[arg-type]


def _handoff(reason: Reason, evidence: str) -> ScriptHandoff:
    return ScriptHandoff(reason, evidence, claimed_after=timedelta(minutes=2), claimed_by=None)


SCRIPTS = {
    # Two turns not understood: handed over for low confidence at turn 2.
    "A": Script(
        DAY,
        [
            _turn("asdf qwer", "greet", 0.2, 0, answers=[REPHRASE_ASK]),
            _turn("zxcv uiop", "out_of_scope", 0.3, 30, responded=False),
        ],
        handoff=_handoff(Reason.low_confidence, "2 beurten achter elkaar niet begrepen"),
    ),
    # "terugbellen" is only in the draft's backstop.
    "B": Script(
        DAY + timedelta(minutes=5),
        [
            _turn("kunnen jullie mij terugbellen", "explain_bill", 0.9, 0, answers=[BILL]),
            _turn("ja", "affirm", 0.95, 20, answers=[FINE]),
        ],
        outcome=Outcome.expired,
    ),
    # A strong frustration marker: every rule set hands over at turn 1.
    "C": Script(
        DAY + timedelta(minutes=10),
        [_turn("dit is belachelijk", "greet", 0.9, 0, responded=False)],
        handoff=_handoff(Reason.frustration, "Tekenen van frustratie"),
    ),
    # The widget's person button at turn 2.
    "D": Script(
        DAY + timedelta(minutes=15),
        [
            _turn(
                "ik wil mijn meterstand doorgeven",
                "submit_meter_reading",
                0.9,
                0,
                answers=[METER],
                active_form="meter_reading_form",
            ),
            _turn(
                "Ik wil graag een medewerker spreken.",
                None,
                0.0,
                25,
                kind="request_human",
                responded=False,
            ),
        ],
        handoff=_handoff(Reason.explicit_request, "De klant klikte op de knop"),
    ),
    # Handed over at turn 3 under an older rule set that allowed 3 failed turns.
    "E": Script(
        DAY + timedelta(minutes=20),
        [
            _turn("asdf qwer", "greet", 0.2, 0, answers=[REPHRASE_ASK]),
            _turn("zxcv uiop", "greet", 0.3, 30, answers=[REPHRASE_ASK]),
            _turn("hjkl vbnm", "greet", 0.1, 60, responded=False),
        ],
        handoff=_handoff(Reason.low_confidence, "3 beurten achter elkaar niet begrepen"),
    ),
    # Parsed fine, then Rasa's respond failed: a fact no rule set changes.
    "F": Script(
        DAY + timedelta(minutes=25),
        [_turn("wanneer is de storing voorbij", "report_outage", 0.9, 0, responded=False)],
        handoff=_handoff(Reason.bot_failure, "De assistent was niet bereikbaar"),
    ),
    # 00:30 in Amsterdam on 3 November: outside a period that ends on 2 November.
    "G": Script(
        datetime(2026, 11, 2, 23, 30, tzinfo=UTC),
        [_turn("dit is belachelijk", "greet", 0.9, 0, responded=False)],
        handoff=_handoff(Reason.frustration, "Tekenen van frustratie"),
    ),
}


def write_fixture(session: Session) -> dict[str, str]:
    """Writes the scripts; returns letter → conversation id."""
    writer = Writer(session, DEFAULT_RULESET, 1)
    return {
        letter: writer.write(script, index).id
        for index, (letter, script) in enumerate(SCRIPTS.items())
    }
