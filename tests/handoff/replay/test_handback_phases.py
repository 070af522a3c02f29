"""Replay past a hand-back: a conversation handed over, handed back to the bot by the
agent, and judged again in its later bot phase(s). Every expectation is worked out by
hand from the rows below and the rule sets' values.

The demo writer writes one bot phase and its handoff; the hand-back and what follows are
written here as the live service stores them: the system text ``handback``
(agents/handback.py), customer turns as processing/turn.py stores them, a message
routed to the agents while a person owned the conversation, and a second handoff's
system texts and Handoff row (conversations/handoffs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from handoff.analytics.facts import facts_of
from handoff.analytics.gaps import failed_turns
from handoff.analytics.period import Period
from handoff.conversations.models import Conversation, Handoff, Message
from handoff.conversations.state import Outcome, State
from handoff.demo.writer import (
    Script,
    ScriptHandoff,
    ScriptTurn,
    Writer,
    nlu_of,
    stored_features,
    turn_payload,
)
from handoff.escalation.decision import Reason
from handoff.escalation.text import normalise
from handoff.replay.engine import HandedBack, Verdict, actual, compare, judge
from handoff.replay.history import History
from handoff.replay.period import load_histories, load_stored, replay_period
from handoff.rulesets.defaults import DEFAULT_RULESET, RuleSetData

ACTIVE = DEFAULT_RULESET  # two failed turns hand over; "terugbellen" is no backstop phrase
VERSION = 1
DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
NOV_2 = Period(start=date(2026, 11, 2), end=date(2026, 11, 2))
S = timedelta(seconds=1)

ASK = ("Sorry, dat begreep ik niet. Kun je het anders zeggen?", "utter_ask_rephrase")
BILL = ("Op je jaarafrekening zie je je verbruik.", "utter_explain_bill")
METER = ("Wat is je klantnummer?", "utter_ask_customer_number")
WELCOME = ("Graag gedaan!", "utter_thanks")
BUTTON = "De klant klikte op de knop om een medewerker te spreken."
TWO_FAILED = "2 beurten achter elkaar niet begrepen: 'asdf qwer', 'zxcv uiop'"
HANDED_BACK_2 = "eerder medewerker bij beurt 2, daarna terug naar de bot"


def _t(text: str, intent: str | None, confidence: float, **kw: Any) -> ScriptTurn:
    return ScriptTurn(text, intent, confidence, **kw)


def _button() -> ScriptTurn:
    """The second turn of a first phase (the writer keys messages on their time)."""
    return _t(
        "Ik wil graag een medewerker spreken.",
        None,
        0.0,
        kind="request_human",
        responded=False,
        at=20 * S,
    )


@dataclass
class Later:
    """A bot phase after a hand-back, and the real handoff that ended it (if any)."""

    turns: list[ScriptTurn]
    reason: Reason | None = None
    evidence: str = ""
    handed_back: bool = False


class Rows:
    """Appends to a conversation the writer wrote, one row at a time, in log order."""

    def __init__(self, session: Session, conversation: Conversation, at: datetime) -> None:
        self.session = session
        self.conversation = conversation
        self.at = at

    def message(self, author: str, text: str, payload: dict[str, Any], **columns: Any) -> Message:
        self.at += 10 * S
        message = Message(
            conversation_id=self.conversation.id,
            direction="in" if author == "customer" else "out",
            author=author,
            text=text,
            payload=payload,
            channel=self.conversation.channel,
            created_at=self.at,
            internal=False,
            **columns,
        )
        if author != "customer":
            message.delivery_status = "sent"
        self.session.add(message)
        self.session.flush()
        return message

    def system(self, key: str) -> None:
        text = f"[{key}]"  # what the customer reads does not matter to replay
        self.message(
            "system", text, {"kind": "system_text", "text_key": key, "ruleset_version": VERSION}
        )

    def routed_to_agents(self, text: str) -> None:
        """A customer message while a person owns the conversation (turn.py::_to_agents)."""
        features = stored_features(_t(text, None, 0.0), "nl", False, ACTIVE, VERSION)
        self.message(
            "customer",
            text,
            {},
            features=features | {"normalised": normalise(text), "routed_to": "agents"},
            processing_status="done",
        )

    def bot_phase(self, turns: list[ScriptTurn]) -> None:
        form_answer = False  # the hand-back cleared any open form
        for turn in turns:
            self.message(
                "customer",
                turn.text,
                turn_payload(turn),
                nlu=nlu_of(turn),
                features=stored_features(turn, "nl", form_answer, ACTIVE, VERSION),
                processing_status="done",
            )
            for text, response in turn.answers:
                self.message("bot", text, {"response": response, "buttons": [], "sources": []})
            form_answer = bool(turn.responded and turn.active_form)

    def hand_over(self, reason: Reason, evidence: str) -> Handoff:
        self.system("bot_failure" if reason is Reason.bot_failure else "handoff")
        self.system("waiting")
        handoff = Handoff(
            conversation_id=self.conversation.id,
            reason=reason.value,
            evidence={"text": evidence, "details": {}},
            ruleset_version=VERSION,
            context={},
            requested_at=self.at,
            claimed_at=self.at + 60 * S,
        )
        self.session.add(handoff)
        self.session.flush()
        return handoff


def write(
    session: Session,
    script: Script,
    later: list[Later],
    *,
    index: int,
    routed: str | None = None,
) -> str:
    """``script``'s first handoff is handed back; then each of ``later`` follows."""
    writer = Writer(session, ACTIVE, VERSION)
    conversation = writer.write(script, index)
    assert script.handoff is not None and script.handoff.ended_after is not None
    rows = Rows(session, conversation, script.created_at + timedelta(minutes=30))
    if routed is not None:
        rows.routed_to_agents(routed)
    rows.system("handback")
    for phase in later:
        rows.bot_phase(phase.turns)
        if phase.reason is not None:
            handoff = rows.hand_over(phase.reason, phase.evidence)
            rows.message("agent", "Ik help je verder.", {})
            if phase.handed_back:
                handoff.ended_at, handoff.end_kind = rows.at, "handback"
                rows.system("handback")
    with_person = later[-1].reason is not None and not later[-1].handed_back
    conversation.state = State.closed
    conversation.outcome = Outcome.resolved_by_agent if with_person else Outcome.expired
    conversation.closed_at = conversation.updated_at = rows.at + 60 * S
    session.flush()
    return conversation.id


def _handed_back(
    *, requeued: bool = False, agent_replies: list[str] | None = None
) -> ScriptHandoff:
    return ScriptHandoff(
        Reason.explicit_request,
        BUTTON,
        claimed_after=60 * S,
        agent_replies=agent_replies or ["Ik kijk even mee."],
        requeued_after=120 * S if requeued else None,
        reclaimed_after=180 * S if requeued else None,
        ended_after=600 * S,
        end_kind="handback",
    )


def write_h1(session: Session) -> str:
    """Not understood, the person button at 2; handed back; not understood again at 3
    (a new phase: one failed turn, not two), "terugbellen" at 4, thanks at 5; expired.
    While the person had it the customer also wrote "terugbellen": not a turn."""
    script = Script(
        DAY,
        [_t("asdf qwer", "greet", 0.2, answers=[ASK]), _button()],
        handoff=_handed_back(),
    )
    later = Later(
        [
            _t("qwer zxcv", "greet", 0.3, answers=[ASK]),
            _t("kunnen jullie mij terugbellen", "explain_bill", 0.9, answers=[BILL]),
            _t("bedankt", "thanks", 0.95, answers=[WELCOME]),
        ]
    )
    return write(session, script, [later], index=0, routed="kunnen jullie mij terugbellen")


def write_h2(session: Session) -> str:
    """A bill question, the person button at 2 (requeued once: two Handoff rows, one
    request); handed back; a meter question at 3, not understood at 4 and 5: handed
    over for low confidence at 5, closed by the agent."""
    script = Script(
        DAY + timedelta(hours=1),
        [
            _t("ik heb een vraag over mijn jaarafrekening", "explain_bill", 0.9, answers=[BILL]),
            _button(),
        ],
        handoff=_handed_back(requeued=True),
    )
    later = Later(
        [
            _t("ik wil mijn meterstand doorgeven", "submit_meter_reading", 0.9, answers=[METER]),
            _t("asdf qwer", "greet", 0.2, answers=[ASK]),
            _t("zxcv uiop", "out_of_scope", 0.3, responded=False),
        ],
        Reason.low_confidence,
        TWO_FAILED,
    )
    return write(session, script, [later], index=1)


def draft_backstop() -> RuleSetData:
    """The active set plus "terugbellen" as a backstop phrase."""
    draft = ACTIVE.model_copy(deep=True)
    draft.backstop_phrases["nl"] = [*draft.backstop_phrases["nl"], "terugbellen"]
    return draft


def draft_patient() -> RuleSetData:
    """Three failed turns before a handoff."""
    draft = ACTIVE.model_copy(deep=True)
    draft.thresholds = draft.thresholds.model_copy(update={"low_confidence_turns": 3})
    return draft


def draft_eager() -> RuleSetData:
    """One failed turn hands over, and "terugbellen" as a backstop phrase."""
    draft = draft_backstop()
    draft.thresholds = draft.thresholds.model_copy(update={"low_confidence_turns": 1})
    return draft


@pytest.fixture
def ids(session: Session) -> dict[str, str]:
    written = {"H1": write_h1(session), "H2": write_h2(session)}
    session.commit()
    return written


@pytest.fixture
def histories(session: Session, ids: dict[str, str]) -> dict[str, History]:
    loaded = load_histories(session, [ids["H1"], ids["H2"]])
    return {"H1": loaded[0], "H2": loaded[1]}


def _brief(verdict: Verdict) -> tuple[str, int | None, str | None]:
    return verdict.kind, verdict.turn, verdict.reason


def test_the_history_holds_each_bot_phase_with_its_real_handoff(
    histories: dict[str, History],
) -> None:
    h1, h2 = histories["H1"], histories["H2"]
    # Numbered on over the hand-back; the message routed to the agent is no turn.
    assert [[t.number for t in p.turns] for p in h1.phases] == [[1, 2], [3, 4, 5]]
    assert [t.text for t in h1.turns].count("kunnen jullie mij terugbellen") == 1
    assert [p.handed_back for p in h1.phases] == [True, False]
    assert h1.phases[1].handoff is None  # expired with the bot
    first = h1.phases[0].handoff
    assert first is not None
    assert (first.turn, first.reason, first.evidence) == (2, "explicit_request", BUTTON)
    assert [t.handed_over for t in h1.turns] == [False, True, False, False, False]
    # The requeue's second row belongs to the first request: the second handoff is the
    # low-confidence one.
    assert [(h.turn, h.reason, h.evidence) for h in h2.handoffs] == [
        (2, "explicit_request", BUTTON),
        (5, "low_confidence", TWO_FAILED),
    ]
    assert [p.handed_back for p in h2.phases] == [True, False]


def test_a_new_backstop_phrase_after_the_hand_back_flips_to_a_person(
    histories: dict[str, History],
) -> None:
    """(a) Both hand over at the button (turn 2), as happened; after the hand-back only
    the draft hands over, at "terugbellen" (turn 4), where the bot really went on."""
    compared = compare(histories["H1"], draft=draft_backstop(), active=ACTIVE)
    agreed = (HandedBack(2, "explicit_request"),)
    assert compared.draft == Verdict(
        "handoff",
        4,
        "explicit_request",
        "De klant vroeg om een medewerker (schreef 'terugbellen').",
        agreed,
    )
    assert compared.draft.label() == f"medewerker bij beurt 4 (explicit_request); {HANDED_BACK_2}"
    # The active set judges the new phase on its own turns: turn 3 is its first failed
    # turn, not the second after turn 1, so the bot goes on to the end.
    assert compared.active == Verdict("bot", handed_back=agreed)
    assert compared.active.label() == f"bot; {HANDED_BACK_2}"
    assert compared.actual == Verdict("bot", handed_back=(HandedBack(2, "explicit_request"),))
    assert compared.flip == "to_person"
    assert not compared.changed


def test_a_second_real_handoff_the_draft_lets_pass_is_unknown(
    histories: dict[str, History],
) -> None:
    """(b) After the hand-back turns 4 and 5 are not understood: really handed over at
    5. A draft that wants three failed turns lets the bot answer turn 5: unknown."""
    compared = compare(histories["H2"], draft=draft_patient(), active=ACTIVE)
    assert compared.draft == Verdict("unknown", 5, handed_back=(HandedBack(2, "explicit_request"),))
    assert compared.draft.label() == f"onbekend na beurt 5; {HANDED_BACK_2}"
    assert _brief(compared.active) == ("handoff", 5, "low_confidence")
    assert compared.flip == "from_person"
    assert not compared.changed


def test_a_draft_that_hands_over_earlier_never_looks_at_later_phases(
    histories: dict[str, History],
) -> None:
    """(c) One failed turn is enough for the draft: it hands over at turn 1, where the
    bot really went on; its "terugbellen" at turn 4 is never reached."""
    compared = compare(histories["H1"], draft=draft_eager(), active=ACTIVE)
    assert compared.draft == Verdict(
        "handoff", 1, "low_confidence", "1 beurten achter elkaar niet begrepen: 'asdf qwer'"
    )
    assert compared.draft.label() == "medewerker bij beurt 1 (low_confidence)"
    # In the first phase both hand over, the active set at 2: changed, not a flip.
    assert compared.flip is None
    assert compared.changed


def test_what_really_happened_with_two_handoffs(histories: dict[str, History]) -> None:
    """(d) H2 reached a person at turn 2 and again at turn 5."""
    h2 = histories["H2"]
    agreed = (HandedBack(2, "explicit_request"),)
    assert actual(h2) == Verdict("handoff", 5, "low_confidence", TWO_FAILED, agreed)
    assert actual(h2).label() == f"medewerker bij beurt 5 (low_confidence); {HANDED_BACK_2}"
    # The active set decides both as they were decided, with its own evidence.
    assert judge(h2, ACTIVE) == Verdict("handoff", 5, "low_confidence", TWO_FAILED, agreed)
    assert judge(h2, ACTIVE).first_handoff == (2, "explicit_request")
    same = compare(h2, draft=ACTIVE, active=ACTIVE)
    assert (same.flip, same.changed) == (None, False)


def test_a_third_phase_is_reached_only_through_two_agreed_handoffs(
    session: Session, ids: dict[str, str]
) -> None:
    """Handed over at 2 and 4, handed back after each; "terugbellen" at 5."""
    script = Script(
        DAY + timedelta(hours=2),
        [
            _t("ik heb een vraag over mijn jaarafrekening", "explain_bill", 0.9, answers=[BILL]),
            _button(),
        ],
        handoff=_handed_back(),
    )
    second = Later(
        [
            _t("ik wil mijn meterstand doorgeven", "submit_meter_reading", 0.9, answers=[METER]),
            _button(),
        ],
        Reason.explicit_request,
        BUTTON,
        handed_back=True,
    )
    third = Later([_t("kunnen jullie mij terugbellen", "explain_bill", 0.9, answers=[BILL])])
    conversation_id = write(session, script, [second, third], index=2)
    [history] = load_histories(session, [conversation_id])
    compared = compare(history, draft=draft_backstop(), active=ACTIVE)
    agreed = (HandedBack(2, "explicit_request"), HandedBack(4, "explicit_request"))
    assert _brief(compared.draft) == ("handoff", 5, "explicit_request")
    assert compared.draft.handed_back == agreed
    assert compared.draft.label().endswith(
        "; eerder medewerker bij beurt 2 en 4, daarna terug naar de bot"
    )
    assert compared.active == Verdict("bot", handed_back=agreed)
    assert compared.actual == compared.active
    assert compared.flip == "to_person"


def test_the_report_counts_each_conversation_by_its_first_handoff(
    session: Session, ids: dict[str, str]
) -> None:
    replayed = replay_period(session, NOV_2, draft_backstop())
    assert replayed.conversations == 2
    assert replayed.turns == 5 + 5
    # Both rule sets hand both conversations over first at the button, turn 2.
    for totals in (replayed.active, replayed.draft):
        assert (totals.reached_person, totals.stayed_with_bot, totals.unknown) == (2, 0, 0)
        assert totals.by_turn == {2: 2}
        assert totals.by_reason == {"explicit_request": 2}
    # The flip lies in H1's second phase.
    assert (replayed.to_person, replayed.from_person, replayed.changed) == (1, 0, 0)
    [flipped] = replayed.flipped
    assert flipped.conversation_id == ids["H1"]
    assert flipped.turns == 5
    assert flipped.actual.label == f"bot; {HANDED_BACK_2}"
    assert flipped.active.label == f"bot; {HANDED_BACK_2}"
    assert flipped.draft.label == f"medewerker bij beurt 4 (explicit_request); {HANDED_BACK_2}"

    patient = replay_period(session, NOV_2, draft_patient())
    [away] = patient.flipped
    assert (away.conversation_id, away.flip) == (ids["H2"], "from_person")
    assert away.draft.label == f"onbekend na beurt 5; {HANDED_BACK_2}"
    assert patient.draft.by_turn == {2: 2} and patient.draft.unknown == 0


def test_analytics_keep_the_first_phase_for_bot_turns_and_see_every_phase_for_gaps(
    session: Session, ids: dict[str, str], histories: dict[str, History]
) -> None:
    stored = {s.conversation.id: s for s in load_stored(session, [ids["H1"], ids["H2"]])}
    facts = {
        name: facts_of(
            stored[ids[name]].conversation,
            messages=stored[ids[name]].messages,
            handoffs=stored[ids[name]].handoffs,
            csat=None,
            rules=ACTIVE,
        )
        for name in ("H1", "H2")
    }
    # Before the first handoff the bot answered turn 1 only (turn 2 was the button).
    assert facts["H1"].bot_turns_before_handoff == 1
    assert facts["H2"].bot_turns_before_handoff == 1
    # The failed turns of the second phase are gaps too; both conversations reached a
    # person.
    assert [(t.text, t.why, t.reached_person) for t in failed_turns(histories["H1"], ACTIVE)] == [
        ("asdf qwer", "low_confidence", True),
        ("qwer zxcv", "low_confidence", True),
    ]
    assert [t.text for t in failed_turns(histories["H2"], ACTIVE)] == ["asdf qwer", "zxcv uiop"]
