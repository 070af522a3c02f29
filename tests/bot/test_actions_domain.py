"""The actions and domain.yml agree: every response an action utters exists in
Dutch and English, and the forms ask for the slots the validators check."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions import instalment, meter_reading, moving

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"

# Every response the actions utter, with the variables they pass to it.
RESPONSES = {
    "utter_invalid_customer_number": set(),
    "utter_invalid_customer_number_unknown": {"customer_number"},
    "utter_invalid_meter_reading": set(),
    "utter_invalid_meter_reading_lower": {"meter_reading", "previous_reading", "previous_date"},
    "utter_invalid_meter_reading_implausible": {
        "meter_reading",
        "previous_reading",
        "previous_date",
    },
    "utter_invalid_meter_reading_already_today": {
        "meter_reading",
        "previous_reading",
        "previous_date",
    },
    "utter_invalid_move_date": set(),
    "utter_invalid_move_date_too_early": {"move_date", "earliest_date", "latest_date"},
    "utter_invalid_move_date_too_late": {"move_date", "earliest_date", "latest_date"},
    "utter_invalid_new_postcode": set(),
    "utter_invalid_new_house_number": set(),
    "utter_invalid_new_house_number_unknown_address": {"new_postcode", "new_house_number"},
    "utter_invalid_new_instalment": set(),
    "utter_invalid_new_instalment_unchanged": {"current_instalment"},
    "utter_invalid_new_instalment_out_of_bounds": {
        "new_instalment",
        "min_instalment",
        "max_instalment",
    },
    "utter_meter_reading_submitted": {"reference", "meter_reading"},
    "utter_move_submitted": {
        "reference",
        "move_date",
        "new_postcode",
        "new_house_number",
        "new_street",
        "new_city",
    },
    "utter_instalment_submitted": {"reference", "new_instalment"},
    "utter_submit_failed": set(),
    "utter_ask_disambiguation": set(),
}


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    if not DOMAIN_FILE.exists():
        pytest.fail(f"{DOMAIN_FILE} is missing")
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


@pytest.mark.parametrize("response", sorted(RESPONSES))
def test_response_exists_in_dutch_and_english(domain: dict[str, Any], response: str) -> None:
    variations = domain.get("responses", {}).get(response)

    assert variations, f"domain.yml has no {response}"
    english = [
        v
        for v in variations
        if {"type": "slot", "name": "language", "value": "en"} in (v.get("condition") or [])
    ]
    dutch = [v for v in variations if not v.get("condition")]
    assert dutch and english, f"{response} needs a Dutch default and an English variation"
    for variation in variations:
        unknown = placeholders(variation.get("text", "")) - RESPONSES[response]
        slots = set(domain.get("slots", {}))
        assert unknown <= slots, f"{response} uses {unknown - slots}, which nobody fills"


def test_forms_ask_for_the_slots_the_validators_check(domain: dict[str, Any]) -> None:
    forms = {name: form["required_slots"] for name, form in domain["forms"].items()}

    assert forms[meter_reading.FORM] == ["customer_number", "meter_reading"]
    assert forms[moving.FORM] == [
        "customer_number",
        "move_date",
        "new_postcode",
        "new_house_number",
    ]
    assert forms[instalment.FORM] == ["customer_number", "new_instalment"]


def test_domain_lists_every_custom_action(domain: dict[str, Any]) -> None:
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")

    assert set(executor.actions) <= set(domain.get("actions", []))
