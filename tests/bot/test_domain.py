"""The domain keeps the promises of docs/contracts.md.

Every source the bot cites is one of the help pages in `help/`, every response speaks
Dutch by default and English when the `language` slot says so, every intent the bot
may offer in disambiguation has a customer-readable label, every form slot has a
question, the training data validates, and the test stories pass on the trained model.
"""

from __future__ import annotations

import re
import string
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "domain.yml"
HELP = ROOT / "help"
RASA = ROOT / ".venvs" / "bot" / "bin" / "rasa"
MODEL = ROOT / "models" / "assistant.tar.gz"

# docs/contracts.md, "The assistant's vocabulary"
CONTRACT_INTENTS = {
    "greet", "goodbye", "thanks", "affirm", "deny", "bot_challenge", "request_human",
    "submit_meter_reading", "change_instalment", "explain_bill", "moving_house",
    "report_outage", "cancel_contract", "complaint", "payment_arrangement", "bereavement",
    "out_of_scope", "inform", "disambiguate",
}
HUMAN_ONLY_INTENTS = {"complaint", "cancel_contract", "payment_arrangement", "bereavement"}
# Intents action_disambiguate may offer as a button: every "content" intent.
OFFERED_IN_DISAMBIGUATION = {
    "submit_meter_reading", "change_instalment", "explain_bill", "moving_house",
    "report_outage", "cancel_contract", "complaint", "payment_arrangement", "bereavement",
    "request_human", "greet", "goodbye", "thanks", "bot_challenge",
}
CONTRACT_FORMS = {
    "meter_reading_form": ["customer_number", "meter_reading"],
    "moving_form": ["customer_number", "move_date", "new_postcode", "new_house_number"],
    "instalment_form": ["customer_number", "new_instalment"],
}
CONTRACT_ACTIONS = {
    "validate_meter_reading_form", "validate_moving_form", "validate_instalment_form",
    "action_submit_meter_reading", "action_submit_move", "action_submit_instalment",
    "action_disambiguate",
}
# Responses that state facts, so they must cite where the facts come from.
FACTUAL_RESPONSES = {
    "utter_greet", "utter_bot_challenge", "utter_request_human", "utter_complaint",
    "utter_cancel_contract", "utter_payment_arrangement", "utter_bereavement",
    "utter_explain_bill", "utter_report_outage", "utter_meter_reading_submitted",
    "utter_move_submitted", "utter_instalment_submitted",
}
ENGLISH = [{"type": "slot", "name": "language", "value": "en"}]
# `disambiguate` has no NLU examples on purpose: the model must never predict it (the
# service sets it). See the comment at the intent in domain.yml.
EXPECTED_VALIDATE_WARNINGS = {
    "The intent 'disambiguate' is listed in the domain file, but is not found in the "
    "NLU training data.",
}
# Responses uttered by forms (utter_ask_<slot>) and custom actions (validation
# messages, confirmations, labels) are not steps of a story or rule.
UNUSED_UTTERANCE = re.compile(r"The utterance 'utter_\w+' is not used in any story or rule\.")
SOURCE_URL = re.compile(r"^/help/(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)$")


def load_domain() -> dict[str, Any]:
    with DOMAIN.open(encoding="utf-8") as f:
        domain: dict[str, Any] = yaml.safe_load(f)
    return domain


def responses() -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = load_domain()["responses"]
    return result


def sources_of(variation: dict[str, Any]) -> list[dict[str, Any]]:
    metadata = variation.get("metadata") or {}
    result: list[dict[str, Any]] = metadata.get("sources") or []
    return result


def help_page_title(slug: str) -> str:
    first_line = (HELP / f"{slug}.md").read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# "), f"help/{slug}.md must start with '# <title>'"
    return first_line[2:].strip()


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def run(*args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RASA), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_domain_has_the_contracts_intents_forms_and_actions() -> None:
    domain = load_domain()

    assert set(domain["intents"]) == CONTRACT_INTENTS
    assert {
        form: spec["required_slots"] for form, spec in domain["forms"].items()
    } == CONTRACT_FORMS
    assert set(domain["actions"]) == CONTRACT_ACTIONS
    assert domain["session_config"] == {
        "session_expiration_time": 60,
        "carry_over_slots_to_new_session": True,
    }


def test_language_slot_is_categorical_nl_en_starting_in_dutch() -> None:
    language = load_domain()["slots"]["language"]

    assert language["type"] == "categorical"
    assert language["values"] == ["nl", "en"]
    assert language["initial_value"] == "nl"
    assert language["mappings"] == [{"type": "custom"}]


def test_form_slots_are_filled_from_text_only_while_their_form_asks() -> None:
    slots = load_domain()["slots"]

    for slot in {slot for required in CONTRACT_FORMS.values() for slot in required}:
        expected = {
            (form, slot) for form, required in CONTRACT_FORMS.items() if slot in required
        }
        (mapping,) = slots[slot]["mappings"]
        assert mapping["type"] == "from_text", slot
        conditions = {(c["active_loop"], c["requested_slot"]) for c in mapping["conditions"]}
        assert conditions == expected, slot
        assert slots[slot]["influence_conversation"] is False, slot


def test_every_source_is_a_help_page_with_that_title() -> None:
    cited = []
    for name, variations in responses().items():
        for variation in variations:
            for source in sources_of(variation):
                match = SOURCE_URL.match(source["url"])
                assert match, f"{name}: source url {source['url']!r} is not /help/<slug>"
                slug = match["slug"]
                assert (HELP / f"{slug}.md").is_file(), f"{name}: help/{slug}.md is missing"
                assert source["title"] == help_page_title(slug), (
                    f"{name}: source title {source['title']!r} differs from the title of "
                    f"help/{slug}.md"
                )
                cited.append(slug)
    assert cited, "no response cites a source"


def test_every_help_page_has_a_title_and_is_cited() -> None:
    cited = {
        SOURCE_URL.match(source["url"])["slug"]  # type: ignore[index]
        for variations in responses().values()
        for variation in variations
        for source in sources_of(variation)
    }
    pages = {path.stem for path in HELP.glob("*.md")}

    for slug in pages:
        assert help_page_title(slug), f"help/{slug}.md has an empty title"
    assert pages == cited, "every help page is a source of at least one response"


def test_factual_answers_carry_sources_in_both_languages() -> None:
    all_responses = responses()

    for name in FACTUAL_RESPONSES:
        for variation in all_responses[name]:
            assert sources_of(variation), f"{name} has a variation without sources"


def test_every_response_has_a_dutch_default_and_an_english_variation() -> None:
    for name, variations in responses().items():
        defaults = [v for v in variations if not v.get("condition")]
        english = [v for v in variations if v.get("condition") == ENGLISH]
        assert len(defaults) == 1, f"{name} needs exactly one Dutch default variation"
        assert len(english) == 1, f"{name} needs exactly one English (language: en) variation"
        assert len(variations) == 2, f"{name} has variations other than nl and en"
        assert placeholders(defaults[0]["text"]) == placeholders(english[0]["text"]), (
            f"{name}: the Dutch and English texts use different placeholders"
        )
        assert sources_of(defaults[0]) == sources_of(english[0]), (
            f"{name}: the Dutch and English variations cite different sources"
        )


def test_every_intent_offered_in_disambiguation_has_a_label() -> None:
    all_responses = responses()

    for intent in OFFERED_IN_DISAMBIGUATION:
        assert f"utter_intent_label_{intent}" in all_responses, intent
    assert "utter_ask_disambiguation" in all_responses


def test_human_only_intents_have_a_response_for_the_shell() -> None:
    all_responses = responses()

    for intent in HUMAN_ONLY_INTENTS | {"request_human"}:
        assert f"utter_{intent}" in all_responses, intent


def test_every_form_slot_has_a_question() -> None:
    all_responses = responses()

    for slots in CONTRACT_FORMS.values():
        for slot in slots:
            assert f"utter_ask_{slot}" in all_responses, slot


def test_confirmations_show_the_reference_and_what_was_submitted() -> None:
    all_responses = responses()

    assert {"reference", "meter_reading"} <= placeholders(
        all_responses["utter_meter_reading_submitted"][0]["text"]
    )
    assert {"reference", "move_date", "new_postcode", "new_house_number"} <= placeholders(
        all_responses["utter_move_submitted"][0]["text"]
    )
    assert {"reference", "new_instalment"} <= placeholders(
        all_responses["utter_instalment_submitted"][0]["text"]
    )


def test_bot_challenge_says_truthfully_that_it_is_not_a_person() -> None:
    nl, en = responses()["utter_bot_challenge"]

    assert nl["text"].startswith("Ik ben een digitale assistent, geen mens")
    assert "not a person" in en["text"]
    assert "medewerker" in nl["text"]


def test_rasa_data_validate_passes_with_fail_on_warnings() -> None:
    needed = [ROOT / "config.yml", ROOT / "bot" / "data" / "nlu"]
    missing = [str(path.relative_to(ROOT)) for path in needed if not path.exists()]
    assert not missing, f"rasa data validate needs {', '.join(missing)}"

    result = run(
        "data", "validate", "--data", "bot/data", "--domain", "domain.yml",
        "--config", "config.yml", "--fail-on-warnings", timeout=600,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, f"rasa data validate failed:\n{output[-6000:]}"
    # Rasa 3.6 keeps some warnings non-failing even with --fail-on-warnings; only
    # two kinds are expected here, anything else (an intent without examples or
    # without a story, a slot or form problem) is a mistake in the data.
    unexpected = [
        warning
        for warning in re.findall(r"UserWarning: (.*)", output)
        if warning not in EXPECTED_VALIDATE_WARNINGS
        and not UNUSED_UTTERANCE.fullmatch(warning)
    ]
    assert not unexpected, "unexpected warnings:\n" + "\n".join(unexpected)


def test_test_stories_pass_on_the_trained_model(tmp_path: Path) -> None:
    if not MODEL.is_file():
        pytest.fail(
            f"{MODEL.relative_to(ROOT)} is missing: run `make train` first "
            "(`make test` trains it before running the tests)"
        )

    result = run(
        "test", "core", "--stories", "tests/bot/stories", "--model", str(MODEL),
        "--fail-on-prediction-errors", "--out", str(tmp_path), timeout=900,
    )

    output = result.stdout + result.stderr
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.is_file() else output[-6000:]
    assert result.returncode == 0, f"test stories failed:\n{details}"
    assert not failed.is_file() or "story:" not in failed.read_text(encoding="utf-8"), (
        f"test stories failed:\n{details}"
    )
