"""The active rule set: seeded once, validated, read per turn."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from handoff.rulesets.defaults import DEFAULT_RULESET, TEXT_KEYS, RuleSetData
from handoff.rulesets.models import RuleSet
from handoff.rulesets.store import active_ruleset
from handoff.rulesets.texts import is_open, next_opening, system_text
from tests.handoff.customers import database, make_app


def test_first_read_seeds_version_one_from_the_defaults(database_url: str) -> None:
    app = make_app(database_url)
    with database(app) as session:
        version, rules = active_ruleset(session)
    with database(app) as session:
        again, _ = active_ruleset(session)
        count = session.query(RuleSet).count()
    assert (version, again, count) == (1, 1, 1)
    assert rules == DEFAULT_RULESET


def test_a_newly_activated_rule_set_applies_at_the_next_read(database_url: str) -> None:
    app = make_app(database_url)
    with database(app) as session:
        active_ruleset(session)
        data = DEFAULT_RULESET.model_copy(deep=True)
        data.backstop_phrases["nl"].append("baas")
        session.query(RuleSet).update({"active": False})
        session.add(RuleSet(version=2, data=data.model_dump(mode="json"), active=True))
    with database(app) as session:
        version, rules = active_ruleset(session)
    assert version == 2 and "baas" in rules.backstop_phrases["nl"]


def test_a_rule_set_stored_before_the_escalation_values_loads_with_their_defaults(
    database_url: str,
) -> None:
    old = DEFAULT_RULESET.model_dump(mode="json")
    del old["frustration_markers"]
    del old["thresholds"]["rephrase_threshold"]
    app = make_app(database_url)
    with database(app) as session:
        session.add(RuleSet(version=1, data=old, active=True))
    with database(app) as session:
        version, rules = active_ruleset(session)
    assert version == 1 and rules == DEFAULT_RULESET
    assert rules.thresholds.rephrase_threshold == 0.45
    assert "belachelijk" in rules.frustration_markers.strong["nl"]
    assert "not working" in rules.frustration_markers.weak["en"]


def test_every_system_text_exists_in_both_languages() -> None:
    for key in TEXT_KEYS:
        assert DEFAULT_RULESET.texts[key]["nl"] and DEFAULT_RULESET.texts[key]["en"]


def test_a_rule_set_missing_a_text_is_refused() -> None:
    data = DEFAULT_RULESET.model_dump(mode="json")
    del data["texts"]["handback"]["en"]
    with pytest.raises(
        ValidationError, match="system text 'handback' is missing for language 'en'"
    ):
        RuleSetData.model_validate(data)


def test_disclosure_names_the_organisation_and_the_way_to_a_person() -> None:
    text = system_text(
        DEFAULT_RULESET, "disclosure", "nl", org_name="Stadsenergie", at=datetime.now(UTC)
    )
    assert "digitale assistent van Stadsenergie" in text and "medewerker" in text


def test_opening_hours_in_amsterdam_time() -> None:
    # Monday 23 November 2026, 07:30 UTC is 08:30 in Amsterdam: open.
    assert is_open(DEFAULT_RULESET, datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    # Sunday evening: closed; next opening Monday 08:00 local.
    sunday = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert not is_open(DEFAULT_RULESET, sunday)
    opening = next_opening(DEFAULT_RULESET, sunday)
    assert opening is not None and (opening.weekday(), opening.hour) == (0, 8)
    text = system_text(DEFAULT_RULESET, "out_of_hours", "nl", org_name="X", at=sunday)
    assert "We zijn er weer morgen om 08:00." in text
