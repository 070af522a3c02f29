"""The rules form's catalogue and its validation: every setting explained with its
default, every problem listed at once under the field it belongs to, in Dutch."""

from __future__ import annotations

from typing import Any

from handoff.rulesets.defaults import DEFAULT_RULESET, TEXT_KEYS
from handoff.supervisor.ruleset_form import FIELDS, Problem, describe, form_problems


def defaults() -> dict[str, Any]:
    return DEFAULT_RULESET.model_dump(mode="json")


def test_every_threshold_list_and_text_has_an_explained_field() -> None:
    names = {field.name for field in FIELDS}
    for threshold in DEFAULT_RULESET.thresholds.model_dump():
        assert f"thresholds.{threshold}" in names
    for key in TEXT_KEYS:
        assert {f"texts.{key}.nl", f"texts.{key}.en"} <= names
    assert {"backstop_phrases.nl", "backstop_phrases.en", "frustration_markers.weak.en"} <= names
    assert {"opening_hours.days.sun", "opening_hours.closed_dates"} <= names
    assert all(field.label and len(field.help) > 20 for field in FIELDS)


def test_the_form_shows_each_value_beside_its_default() -> None:
    data = defaults()
    data["thresholds"]["low_confidence"] = 0.7
    data["value_matrix"]["complaint"] = "automate"
    from handoff.rulesets.defaults import RuleSetData

    form = describe(RuleSetData.model_validate(data))

    low = next(f for f in form["fields"] if f["name"] == "thresholds.low_confidence")
    assert (low["value"], low["default"], low["label"]) == (0.7, 0.5, "Minimale zekerheid")
    complaint = next(r for r in form["value_matrix"] if r["intent"] == "complaint")
    assert (complaint["value"], complaint["default"], complaint["label"]) == (
        "automate",
        "human",
        "Klacht indienen",
    )


def test_the_defaults_have_no_problems() -> None:
    assert form_problems(defaults()) == []


def test_every_problem_is_listed_at_once_under_its_field() -> None:
    data = defaults()
    data["thresholds"]["low_confidence"] = 1.5
    data["thresholds"]["low_confidence_turns"] = 0
    data["thresholds"]["ambiguity_margin"] = "veel"
    data["backstop_phrases"]["nl"] = ["medewerker", "  "]
    data["opening_hours"]["days"]["mon"] = [["0800", "20:00"]]
    data["opening_hours"]["days"]["sat"] = [["17:00", "09:00"]]
    data["opening_hours"]["closed_dates"] = ["31-12-2026"]
    data["opening_hours"]["timezone"] = "Europe/Amsterdm"
    data["texts"]["handoff"]["en"] = " "
    data["value_matrix"]["complaint"] = "negeren"

    assert sorted(form_problems(data), key=lambda p: p.field) == [
        Problem("backstop_phrases.nl", "bevat een lege regel"),
        Problem("opening_hours.closed_dates", "bevat iets dat geen datum als 2026-12-31 is"),
        Problem(
            "opening_hours.days.mon",
            "'0800-20:00' is geen tijdvak als 08:00-20:00 (begin voor eind)",
        ),
        Problem(
            "opening_hours.days.sat",
            "'17:00-09:00' is geen tijdvak als 08:00-20:00 (begin voor eind)",
        ),
        Problem(
            "opening_hours.timezone", "is geen bekende tijdzone (bijvoorbeeld Europe/Amsterdam)"
        ),
        Problem("texts.handoff.en", "mag niet leeg zijn"),
        Problem("thresholds.ambiguity_margin", "moet een getal zijn"),
        Problem("thresholds.low_confidence", "mag hoogstens 1 zijn"),
        Problem("thresholds.low_confidence_turns", "moet minstens 1 zijn"),
        Problem("value_matrix.complaint", "moet een van de vier kwadranten zijn"),
    ]


def test_an_unknown_setting_is_refused_rather_than_ignored() -> None:
    data = defaults()
    data["thresholds"]["low_confidense"] = 0.4
    assert form_problems(data) == [Problem("thresholds.low_confidense", "onbekende instelling")]


def test_a_bad_intent_name_in_the_value_matrix_is_named_in_dutch() -> None:
    data = defaults()
    data["value_matrix"]["Klacht!"] = "human"
    assert form_problems(data) == [
        Problem("value_matrix.Klacht!", "is geen geldige naam voor een onderwerp (a-z, 0-9 en _)")
    ]
