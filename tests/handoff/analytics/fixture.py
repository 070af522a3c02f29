"""A hand-built history for the analytics tests; the expected numbers are worked out in
test_metrics.py from these scripts alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from handoff.conversations.state import Outcome
from handoff.demo.writer import Script, ScriptHandoff, ScriptTurn, Writer
from handoff.escalation.decision import Reason
from handoff.rulesets.defaults import DEFAULT_RULESET

ASK = ("Sorry, dat begreep ik niet. Kun je het anders zeggen?", "utter_ask_rephrase")
METER = ("Wat is je klantnummer?", "utter_ask_customer_number")
BILL = ("Op je jaarafrekening zie je je verbruik.", "utter_explain_bill")
S = timedelta(seconds=1)


def _t(text: str, intent: str | None, confidence: float, seconds: int, **kw: object) -> ScriptTurn:
    return ScriptTurn(text, intent, confidence, at=seconds * S, **kw)  # type: ignore[arg-type]


def _at(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


SCRIPTS = {
    # Anna asks about her meter reading twice: C2 repeats C1 the next day.
    "C1": Script(
        _at(2, 9),
        [_t("ik wil mijn meterstand doorgeven", "submit_meter_reading", 0.9, 0, answers=[METER])],
        contact_key="anna",
        outcome=Outcome.expired,
    ),
    "C2": Script(
        _at(3, 10),
        [
            _t("meterstand doorgeven", "submit_meter_reading", 0.8, 0, answers=[METER]),
            _t("dit werkt niet!!!", "greet", 0.9, 30, responded=False),
        ],
        contact_key="anna",
        handoff=ScriptHandoff(
            Reason.frustration,
            "Tekenen van frustratie",
            claimed_after=60 * S,
            agent_replies=["Ik help je verder."],
            ended_after=600 * S,
            end_kind="closed",
        ),
        outcome=Outcome.resolved_by_agent,
        csat=4,
    ),
    # Bob on WhatsApp: his bill question repeats C6 of three days before the period.
    "C3": Script(
        _at(2, 12),
        [
            _t("ik heb een vraag over mijn jaarafrekening", "explain_bill", 0.9, 0, answers=[BILL]),
            _t("medewerker", "request_human", 0.95, 40, responded=False),
        ],
        channel="whatsapp",
        contact_key="bob",
        handoff=ScriptHandoff(
            Reason.explicit_request,
            "De klant vroeg om een medewerker",
            claimed_after=300 * S,
            ended_after=1200 * S,
            end_kind="closed",
        ),
        outcome=Outcome.resolved_by_agent,
        csat=2,
    ),
    # Not understood twice, nobody came, the customer left after 10 minutes.
    "C4": Script(
        _at(2, 15),
        [
            _t("asdf qwer", "greet", 0.2, 0, answers=[ASK]),
            _t("zxcv uiop", "out_of_scope", 0.3, 30, responded=False),
        ],
        handoff=ScriptHandoff(
            Reason.low_confidence,
            "2 beurten niet begrepen",
            ended_after=600 * S,
            end_kind="abandoned",
        ),
        outcome=Outcome.abandoned,
    ),
    # Claimed after 2 minutes, requeued at 5, claimed again at 7: 4 minutes in the queue.
    "C5": Script(
        _at(3, 8),
        [_t("wanneer is de storing voorbij", "report_outage", 0.9, 0, responded=False)],
        handoff=ScriptHandoff(
            Reason.bot_failure,
            "De assistent was niet bereikbaar",
            claimed_after=120 * S,
            requeued_after=300 * S,
            reclaimed_after=420 * S,
            ended_after=900 * S,
            end_kind="closed",
        ),
        outcome=Outcome.resolved_by_agent,
        csat_asked=True,
    ),
    "C6": Script(
        _at(30, 12, month=10),
        [_t("ik heb een vraag over mijn rekening", "explain_bill", 0.9, 0, answers=[BILL])],
        channel="whatsapp",
        contact_key="bob",
        outcome=Outcome.expired,
    ),
    # 00:30 on 4 November in Amsterdam: after the period.
    "C7": Script(
        datetime(2026, 11, 3, 23, 30, tzinfo=UTC),
        [_t("ik heb een vraag over mijn rekening", "explain_bill", 0.9, 0, answers=[BILL])],
        outcome=Outcome.expired,
    ),
}


def write_fixture(session: Session) -> dict[str, str]:
    writer = Writer(session, DEFAULT_RULESET, 1)
    return {name: writer.write(s, i).id for i, (name, s) in enumerate(SCRIPTS.items())}
