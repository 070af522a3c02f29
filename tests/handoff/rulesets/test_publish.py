"""Publishing a rule set: validated on save, every problem listed, the active set kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handoff.audit.models import AuditEntry
from handoff.rulesets.defaults import DEFAULT_RULESET
from handoff.rulesets.models import RuleSet
from handoff.rulesets.store import RuleSetInvalid, active_ruleset, publish, validation_problems
from tests.handoff.customers import database, make_app


def test_the_default_rule_set_is_publishable() -> None:
    assert validation_problems(DEFAULT_RULESET.model_dump(mode="json")) == []


def test_a_valid_rule_set_becomes_the_next_active_version(database_url: str) -> None:
    app = make_app(database_url)
    with database(app) as session:
        active_ruleset(session)  # version 1, seeded
    data = DEFAULT_RULESET.model_dump(mode="json")
    data["thresholds"]["low_confidence"] = 0.7
    with database(app) as session:
        version = publish(session, data=data, account_id=None)
    assert version == 2
    with database(app) as session:
        active_version, rules = active_ruleset(session)
        rows = {r.version: r.active for r in session.scalars(select(RuleSet))}
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "ruleset.publish")
        ).all()
    assert active_version == 2 and rules.thresholds.low_confidence == 0.7
    assert rows == {1: False, 2: True}
    assert entry.object_type == "ruleset" and entry.object_id == "2"
    assert entry.details == {"previous_version": 1}


def test_publishing_into_an_empty_database_makes_version_one(sqlite_url: str) -> None:
    app = make_app(sqlite_url)
    with database(app) as session:
        assert publish(session, data=DEFAULT_RULESET.model_dump(mode="json"), account_id=None) == 1
    with database(app) as session:
        assert active_ruleset(session) == (1, DEFAULT_RULESET)


def test_an_invalid_rule_set_lists_every_problem_and_changes_nothing(database_url: str) -> None:
    app = make_app(database_url)
    with database(app) as session:
        active_ruleset(session)
    data = DEFAULT_RULESET.model_dump(mode="json")
    data["thresholds"]["low_confidnce"] = 0.7  # a typo: unknown key
    data["thresholds"]["low_confidence"] = 1.5  # out of range
    del data["texts"]["waiting"]["en"]  # missing text
    data["opening_hours"]["days"]["sat"] = [["17:00", "09:00"]]  # bad period
    with database(app) as session, pytest.raises(RuleSetInvalid) as raised:
        publish(session, data=data, account_id=None)
    assert sorted(raised.value.problems) == sorted(
        [
            "thresholds.low_confidnce: unknown key",
            "thresholds.low_confidence: Input should be less than or equal to 1",
            "texts.waiting.en: missing",
            "opening_hours.days: sat: 17:00-09:00 is not a period HH:MM-HH:MM",
        ]
    )
    with database(app) as session:
        version, rules = active_ruleset(session)
        count = session.query(RuleSet).count()
        audits = session.query(AuditEntry).filter(AuditEntry.action == "ruleset.publish").count()
    assert (version, count, audits) == (1, 1, 0)
    assert rules == DEFAULT_RULESET


def test_unknown_top_level_keys_and_text_keys_are_refused() -> None:
    data = DEFAULT_RULESET.model_dump(mode="json")
    data["colour"] = "blue"
    data["texts"]["wating"] = {"nl": "x", "en": "y"}
    data["opening_hours"]["timezone"] = "Europe/Amstredam"
    assert sorted(validation_problems(data)) == [
        "colour: unknown key",
        "opening_hours.timezone: unknown time zone 'Europe/Amstredam'",
        "texts.wating: unknown system text",
    ]
