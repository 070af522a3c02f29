"""Knowledge gaps on a hand-built history: which turns failed, and how they group."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from handoff.analytics.gaps import knowledge_gaps
from handoff.analytics.period import Period
from handoff.conversations.state import Outcome
from handoff.demo.writer import Script, ScriptHandoff, ScriptTurn, Writer
from handoff.escalation.decision import Reason
from handoff.replay.period import conversation_ids, load_histories
from handoff.rulesets.defaults import DEFAULT_RULESET

ASK = ("Sorry, dat begreep ik niet. Kun je het anders zeggen?", "utter_ask_rephrase")
BILL = ("Op je jaarafrekening zie je je verbruik.", "utter_explain_bill")
DEFAULT = ("Sorry, daar kan ik je niet mee helpen.", "utter_default")
METER = ("Wat is je klantnummer?", "utter_ask_customer_number")
INVALID = ("Dat lijkt geen klantnummer.", "utter_invalid_customer_number")
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _t(text: str, intent: str, confidence: float, seconds: int, **kw: object) -> ScriptTurn:
    return ScriptTurn(text, intent, confidence, at=timedelta(seconds=seconds), **kw)  # type: ignore[arg-type]


SCRIPTS = [
    # Not understood, then restated (understood, but a restatement of a failed need).
    Script(
        DAY,
        [
            _t("wat kost mijn stroom per maand", "explain_bill", 0.3, 0, answers=[ASK]),
            _t("hoeveel betaal ik per maand voor stroom", "explain_bill", 0.9, 30, answers=[BILL]),
        ],
        outcome=Outcome.expired,
    ),
    # The same question not understood, then a person.
    Script(
        DAY + timedelta(hours=1),
        [
            _t("wat kost stroom per maand", "explain_bill", 0.4, 0, answers=[ASK]),
            _t("medewerker", "request_human", 0.95, 30, responded=False),
        ],
        handoff=ScriptHandoff(Reason.explicit_request, "De klant vroeg om een medewerker"),
    ),
    # Two unrelated failures, then a person.
    Script(
        DAY + timedelta(hours=2),
        [
            _t("asdf qwer", "greet", 0.2, 0, answers=[ASK]),
            _t("zxcv uiop", "out_of_scope", 0.3, 30, responded=False),
        ],
        handoff=ScriptHandoff(Reason.low_confidence, "2 beurten niet begrepen"),
    ),
    # Understood by the NLU, but the bot had no answer (Rasa's core fallback).
    Script(
        DAY + timedelta(hours=4),
        [_t("Mag de verwarming op 19?", "inform", 0.9, 0, answers=[DEFAULT])],
        outcome=Outcome.expired,
    ),
    # A misread that started a form, the question restated where the form asked: the
    # first turn was understood, the restatement is the gap.
    Script(
        DAY + timedelta(hours=5),
        [
            _t(
                "registreert de meterkast vermogen",
                "submit_meter_reading",
                0.66,
                0,
                answers=[METER],
                active_form="meter_reading_form",
            ),
            _t(
                "wordt er door de meterkast power geregistreerd",
                "inform",
                0.3,
                30,
                answers=[INVALID, METER],
                active_form="meter_reading_form",
            ),
        ],
        handoff=ScriptHandoff(Reason.rephrase, "herformuleerde 1×"),
    ),
    # Understood: no gap.
    Script(
        DAY + timedelta(hours=3),
        [
            _t("ik wil mijn meterstand doorgeven", "submit_meter_reading", 0.9, 0, answers=[METER]),
        ],
        outcome=Outcome.expired,
    ),
]


def test_failed_turns_grouped_by_what_was_asked(session: Session) -> None:
    writer = Writer(session, DEFAULT_RULESET, 1)
    ids = [writer.write(script, i).id for i, script in enumerate(SCRIPTS)]
    session.commit()
    period = Period(start=date(2026, 11, 2), end=date(2026, 11, 2))
    histories = load_histories(session, conversation_ids(session, period))

    groups = knowledge_gaps(histories, DEFAULT_RULESET)

    assert [g.size for g in groups] == [3, 1, 1, 1, 1]
    stroom = groups[0]
    assert stroom.examples == [
        "wat kost mijn stroom per maand",
        "hoeveel betaal ik per maand voor stroom",
        "wat kost stroom per maand",
    ]
    assert stroom.why == {"low_confidence": 2, "rephrase": 1}
    assert (stroom.conversations, stroom.reached_person) == (2, 1)
    assert stroom.conversation_ids == [ids[0], ids[1]]
    assert {"stroom", "maand"} <= set(stroom.keywords)
    # Groups of one size in the order of their examples.
    assert [(g.examples, g.why, g.reached_person) for g in groups[1:]] == [
        (["Mag de verwarming op 19?"], {"bot_fallback": 1}, 0),
        (["asdf qwer"], {"low_confidence": 1}, 1),
        (["wordt er door de meterkast power geregistreerd"], {"rephrase": 1}, 1),
        (["zxcv uiop"], {"out_of_scope": 1}, 1),
    ]
