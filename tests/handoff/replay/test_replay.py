"""Replay over a fixture history (tests/handoff/replay/fixture.py), every expectation
worked out by hand from the scripts and the rule sets' values."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from handoff.analytics.period import Period
from handoff.replay.period import replay_period
from handoff.replay.report import ReplayReport
from handoff.rulesets.defaults import DEFAULT_RULESET, RuleSetData
from tests.handoff.replay.fixture import write_fixture

NOV_2 = Period(start=date(2026, 11, 2), end=date(2026, 11, 2))


def _draft() -> RuleSetData:
    """Three failed turns before a handoff, and "terugbellen" as a backstop phrase."""
    draft = DEFAULT_RULESET.model_copy(deep=True)
    draft.thresholds = draft.thresholds.model_copy(update={"low_confidence_turns": 3})
    draft.backstop_phrases["nl"] = [*draft.backstop_phrases["nl"], "terugbellen"]
    return draft


@pytest.fixture
def ids(session: Session) -> dict[str, str]:
    written = write_fixture(session)
    session.commit()
    return written


@pytest.fixture
def replayed(session: Session, ids: dict[str, str]) -> ReplayReport:
    return replay_period(session, NOV_2, _draft())


def test_the_period_holds_the_conversations_created_in_it(replayed: ReplayReport) -> None:
    # A–F; G was created at 00:30 on 3 November in Amsterdam.
    assert replayed.conversations == 6
    assert replayed.turns == 2 + 2 + 1 + 2 + 3 + 1
    assert replayed.active_version == 1


def test_the_active_rule_set_totals(replayed: ReplayReport) -> None:
    active = replayed.active
    # A and E at turn 2 (low confidence), C at 1 (frustration), D at 2 (button),
    # F at 1 (bot failure); B stays with the bot.
    assert active.reached_person == 5
    assert active.stayed_with_bot == 1
    assert active.unknown == 0
    assert active.by_reason == {
        "bot_failure": 1,
        "explicit_request": 1,
        "frustration": 1,
        "low_confidence": 2,
    }
    assert active.by_turn == {1: 2, 2: 3}


def test_the_draft_totals_with_unknown_after_a_real_handoff(replayed: ReplayReport) -> None:
    draft = replayed.draft
    # B at 1 ("terugbellen"), C at 1, D at 2, E at 3 (its third failed turn), F at 1;
    # A would have let the bot answer turn 2, which really went to a person: unknown.
    assert draft.reached_person == 5
    assert draft.stayed_with_bot == 0
    assert draft.unknown == 1
    assert draft.by_reason == {
        "bot_failure": 1,
        "explicit_request": 2,
        "frustration": 1,
        "low_confidence": 1,
    }
    assert draft.by_turn == {1: 3, 2: 1, 3: 1}
    assert (replayed.to_person, replayed.from_person, replayed.changed) == (1, 1, 1)


def test_the_flipped_conversations_say_what_history_can_tell(
    replayed: ReplayReport, ids: dict[str, str]
) -> None:
    flipped = {f.conversation_id: f for f in replayed.flipped}
    assert set(flipped) == {ids["A"], ids["B"]}

    a = flipped[ids["A"]]
    assert a.flip == "from_person"
    assert (a.actual.kind, a.actual.turn, a.actual.reason) == ("handoff", 2, "low_confidence")
    assert (a.active.kind, a.active.turn, a.active.reason) == ("handoff", 2, "low_confidence")
    assert (a.draft.kind, a.draft.turn, a.draft.reason) == ("unknown", 2, None)
    assert a.draft.label == "onbekend na beurt 2"

    b = flipped[ids["B"]]
    assert b.flip == "to_person"
    assert (b.actual.kind, b.active.kind) == ("bot", "bot")
    assert (b.draft.kind, b.draft.turn, b.draft.reason) == ("handoff", 1, "explicit_request")
    assert b.draft.label == "medewerker bij beurt 1 (explicit_request)"
    assert b.draft.evidence == "De klant vroeg om een medewerker (schreef 'terugbellen')."


def test_the_same_rule_set_as_the_active_one_flips_nothing(
    session: Session, ids: dict[str, str]
) -> None:
    replayed = replay_period(session, NOV_2, DEFAULT_RULESET)
    assert replayed.flipped == []
    assert replayed.draft == replayed.active
    # E really went to a person at turn 3, under an older rule set; the active one hands
    # over at turn 2 already, where the bot really went on: a handoff, not unknown.
    assert replayed.active.by_turn == {1: 2, 2: 3}


def test_a_period_without_conversations_is_empty(session: Session, ids: dict[str, str]) -> None:
    replayed = replay_period(
        session, Period(start=date(2026, 10, 1), end=date(2026, 10, 31)), _draft()
    )
    assert replayed.conversations == 0
    assert replayed.draft.reached_person == 0 and replayed.flipped == []


def test_marker_lists_come_from_the_draft(session: Session, ids: dict[str, str]) -> None:
    draft = DEFAULT_RULESET.model_copy(deep=True)
    # Without "belachelijk" C and G hit no marker; C's bot was never asked: unknown.
    draft.frustration_markers.strong["nl"] = [
        m for m in draft.frustration_markers.strong["nl"] if m != "belachelijk"
    ]
    replayed = replay_period(session, NOV_2, draft)
    [c] = replayed.flipped
    assert c.conversation_id == ids["C"]
    assert c.flip == "from_person" and c.draft.label == "onbekend na beurt 1"
