"""Opening hours with Dutch public holidays and the rule set's own closed dates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from handoff.rulesets.defaults import DEFAULT_RULESET, RuleSetData
from handoff.rulesets.models import RuleSet
from handoff.rulesets.store import active_ruleset
from handoff.rulesets.texts import is_open, next_opening, system_text
from tests.handoff.customers import database, make_app

# Tuesday 27 April 2027, 10:00 UTC (12:00 in Amsterdam): King's Day, a weekday.
KINGS_DAY = datetime(2027, 4, 27, 10, 0, tzinfo=UTC)
# Friday 25 December 2026, 10:00 UTC: Christmas, then Boxing Day (a Saturday) and Sunday.
CHRISTMAS = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)


def with_hours(**changes: object) -> RuleSetData:
    data = DEFAULT_RULESET.model_dump(mode="json")
    data["opening_hours"].update(changes)
    return RuleSetData.model_validate(data)


def test_closed_on_kings_day_and_opens_the_next_morning() -> None:
    assert not is_open(DEFAULT_RULESET, KINGS_DAY)
    opening = next_opening(DEFAULT_RULESET, KINGS_DAY)
    assert opening is not None
    assert (opening.date().isoformat(), opening.hour) == ("2027-04-28", 8)
    text = system_text(DEFAULT_RULESET, "out_of_hours", "nl", org_name="X", at=KINGS_DAY)
    assert "We zijn er weer morgen om 08:00." in text


def test_christmas_is_closed_and_the_next_opening_skips_boxing_day() -> None:
    assert not is_open(DEFAULT_RULESET, CHRISTMAS)
    # Boxing Day is a Saturday, normally open 09:00-17:00.
    assert not is_open(DEFAULT_RULESET, datetime(2026, 12, 26, 10, 0, tzinfo=UTC))
    opening = next_opening(DEFAULT_RULESET, CHRISTMAS)
    assert opening is not None
    assert (opening.date().isoformat(), opening.hour) == ("2026-12-28", 8)
    text = system_text(DEFAULT_RULESET, "out_of_hours", "en", org_name="X", at=CHRISTMAS)
    assert "We are back on Monday at 08:00." in text


def test_a_rule_set_may_ignore_the_public_holidays() -> None:
    rules = with_hours(dutch_public_holidays=False)
    assert is_open(rules, KINGS_DAY)
    assert is_open(rules, CHRISTMAS)


def test_an_extra_closed_date_is_closed_all_day() -> None:
    rules = with_hours(closed_dates=["2026-11-24"])
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert not is_open(rules, tuesday)
    assert is_open(DEFAULT_RULESET, tuesday)
    # Monday evening after closing: Tuesday is skipped, Wednesday 08:00 is next.
    monday_evening = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    opening = next_opening(rules, monday_evening)
    assert opening is not None
    assert (opening.date().isoformat(), opening.hour) == ("2026-11-25", 8)
    text = system_text(rules, "out_of_hours", "nl", org_name="X", at=monday_evening)
    assert "We zijn er weer op woensdag om 08:00." in text


def test_a_closure_longer_than_a_week_names_the_date() -> None:
    # Closed from Monday 23 November up to and including Wednesday 2 December.
    closed = [f"2026-11-{day}" for day in range(23, 31)] + ["2026-12-01", "2026-12-02"]
    rules = with_hours(closed_dates=closed)
    at = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    opening = next_opening(rules, at)
    assert opening is not None
    assert (opening.date().isoformat(), opening.hour) == ("2026-12-03", 8)
    text = system_text(rules, "out_of_hours", "nl", org_name="X", at=at)
    assert "We zijn er weer op donderdag 3 december om 08:00." in text


def test_a_closed_date_must_be_an_iso_date() -> None:
    with pytest.raises(ValidationError, match="not dates YYYY-MM-DD: 24-11-2026"):
        with_hours(closed_dates=["24-11-2026"])


def test_a_rule_set_stored_before_holidays_loads_with_them_on(database_url: str) -> None:
    old = DEFAULT_RULESET.model_dump(mode="json")
    del old["opening_hours"]["dutch_public_holidays"]
    del old["opening_hours"]["closed_dates"]
    app = make_app(database_url)
    with database(app) as session:
        session.add(RuleSet(version=1, data=old, active=True))
    with database(app) as session:
        _, rules = active_ruleset(session)
    assert rules == DEFAULT_RULESET
    assert rules.opening_hours.dutch_public_holidays is True
    assert rules.opening_hours.closed_dates == []
    assert not is_open(rules, KINGS_DAY)
