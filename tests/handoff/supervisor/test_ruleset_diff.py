"""What changed between two rule-set versions, as paths with old and new values."""

from __future__ import annotations

from handoff.rulesets.defaults import DEFAULT_RULESET
from handoff.supervisor.ruleset_diff import Change, diff


def test_identical_versions_have_no_changes() -> None:
    data = DEFAULT_RULESET.model_dump(mode="json")
    assert diff(data, DEFAULT_RULESET.model_dump(mode="json")) == []


def test_changed_values_are_listed_by_path_with_old_and_new() -> None:
    old = DEFAULT_RULESET.model_dump(mode="json")
    new = DEFAULT_RULESET.model_dump(mode="json")
    new["thresholds"]["low_confidence"] = 0.7
    new["backstop_phrases"]["nl"] = [*old["backstop_phrases"]["nl"], "kwispel"]
    new["value_matrix"]["explain_bill"] = "human"
    new["texts"]["handoff"]["en"] = "Passing you on."

    assert diff(old, new) == [
        Change(
            path="backstop_phrases.nl",
            old=old["backstop_phrases"]["nl"],
            new=[*old["backstop_phrases"]["nl"], "kwispel"],
        ),
        Change(path="texts.handoff.en", old=old["texts"]["handoff"]["en"], new="Passing you on."),
        Change(path="thresholds.low_confidence", old=0.5, new=0.7),
        Change(path="value_matrix.explain_bill", old="simplify", new="human"),
    ]


def test_added_and_removed_keys_show_as_missing_on_one_side() -> None:
    old = {"value_matrix": {"complaint": "human"}}
    new = {"value_matrix": {"new_topic": "automate"}}
    assert diff(old, new) == [
        Change(path="value_matrix.complaint", old="human", new=None),
        Change(path="value_matrix.new_topic", old=None, new="automate"),
    ]
