"""Form validation actions, run the way Rasa runs them, against the fake CRM."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.backend.fake_crm import FakeCRM
from actions.instalment import ValidateInstalmentForm
from actions.meter_reading import ValidateMeterReadingForm
from actions.moving import ValidateMovingForm

TODAY = date(2026, 11, 23)
SANNE = "10002345"  # last reading 10255 kWh on 14 August 2026, 101 days before TODAY
LOTTE = "10035550"  # new customer: no readings yet
DAAN = "10041206"  # last reading 30110 kWh on 2 November 2026

FORMS = {
    "meter_reading_form": ["customer_number", "meter_reading"],
    "moving_form": ["customer_number", "move_date", "new_postcode", "new_house_number"],
    "instalment_form": ["customer_number", "new_instalment"],
}
DOMAIN: dict[str, Any] = {
    "forms": {form: {"required_slots": slots} for form, slots in FORMS.items()},
    "slots": {},
    "responses": {},
}


def form_turn(
    form: str, text: str, slots: dict[str, Any] | None = None, language: str = "nl"
) -> Tracker:
    """The tracker Rasa sends when `text` answers the form's next question: the
    answer is the last event, a slot candidate filled `from_text`."""
    filled = slots or {}
    requested = next(slot for slot in FORMS[form] if filled.get(slot) is None)
    all_slots = {slot: None for slots_of in FORMS.values() for slot in slots_of}
    all_slots.update(filled, language=language, requested_slot=requested)
    all_slots[requested] = text
    latest = {"text": text, "intent": {"name": "inform", "confidence": 0.93}, "entities": []}
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": latest},
        {"event": "slot", "name": "requested_slot", "value": requested},
        {"event": "action", "name": form},
        {"event": "slot", "name": requested, "value": text},
    ]
    return Tracker(
        "conversation-1", all_slots, latest, events, False, None, {"name": form}, "action_listen"
    )


def activation(form: str, slots: dict[str, Any] | None = None) -> Tracker:
    """The tracker at form activation, with `slots` already filled earlier."""
    all_slots = {slot: None for slots_of in FORMS.values() for slot in slots_of}
    all_slots.update(slots or {}, language="nl")
    events = [{"event": "action", "name": form}] + [
        {"event": "slot", "name": name, "value": value} for name, value in (slots or {}).items()
    ]
    latest = {"text": "meterstand doorgeven", "intent": {"name": "submit_meter_reading"}}
    return Tracker("conversation-1", all_slots, latest, events, False, None, {}, "action_listen")


def uttered(dispatcher: CollectingDispatcher) -> list[tuple[str, dict[str, Any]]]:
    """Each message as (response name, variables passed to it)."""
    standard = {"text", "buttons", "elements", "custom", "template", "response", "image"}
    return [
        (
            message["response"],
            {k: v for k, v in message.items() if k not in standard and k != "attachment"},
        )
        for message in dispatcher.messages
    ]


@pytest.fixture
def crm() -> FakeCRM:
    return FakeCRM()


async def validate(
    action: FormValidationAction, tracker: Tracker
) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return events, uttered(dispatcher)


# customer number, shared by all three forms


@pytest.mark.parametrize(
    "text", ["10002345", "Mijn klantnummer is 10002345.", "1000 2345", "10.002.345"]
)
async def test_known_customer_number_is_accepted_and_the_reading_asked_next(
    crm: FakeCRM, text: str
) -> None:
    action = ValidateMeterReadingForm(crm, today=lambda: TODAY)

    events, messages = await validate(action, form_turn("meter_reading_form", text))

    assert events == [
        SlotSet("customer_number", SANNE),
        SlotSet("requested_slot", "meter_reading"),
    ]
    assert messages == []


async def test_unknown_customer_number_is_rejected_with_the_number(crm: FakeCRM) -> None:
    action = ValidateMovingForm(crm, today=lambda: TODAY)

    events, messages = await validate(action, form_turn("moving_form", "99998888"))

    assert events == [
        SlotSet("customer_number", None),
        SlotSet("requested_slot", "customer_number"),
    ]
    assert messages == [("utter_invalid_customer_number_unknown", {"customer_number": "99998888"})]


@pytest.mark.parametrize("text", ["1234567", "123456789", "weet ik niet", "10002345 of 10007781"])
async def test_text_without_one_customer_number_is_rejected(crm: FakeCRM, text: str) -> None:
    action = ValidateInstalmentForm(crm, today=lambda: TODAY)

    events, messages = await validate(action, form_turn("instalment_form", text))

    assert events == [
        SlotSet("customer_number", None),
        SlotSet("requested_slot", "customer_number"),
    ]
    assert messages == [("utter_invalid_customer_number", {})]


async def test_activation_without_slots_still_returns_an_event(crm: FakeCRM) -> None:
    action = ValidateMeterReadingForm(crm, today=lambda: TODAY)

    events, messages = await validate(action, activation("meter_reading_form"))

    assert events == [SlotSet("requested_slot", "customer_number")]
    assert messages == []


async def test_activation_revalidates_a_customer_number_from_earlier(crm: FakeCRM) -> None:
    action = ValidateInstalmentForm(crm, today=lambda: TODAY)

    events, _ = await validate(action, activation("instalment_form", {"customer_number": SANNE}))

    assert events == [
        SlotSet("customer_number", SANNE),
        SlotSet("requested_slot", "new_instalment"),
    ]


# meter reading


@pytest.mark.parametrize(
    ("text", "kwh"),
    [
        ("10.480", 10480),
        ("10480 kWh", 10480),
        ("10 480", 10480),
        ("mijn stand is 010480,7", 10480),
        ("10255", 10255),  # nothing used since: an empty house, still possible
        ("16315", 16315),  # exactly 60 kWh a day on average
    ],
)
async def test_plausible_reading_is_accepted_and_the_form_completes(
    crm: FakeCRM, text: str, kwh: int
) -> None:
    action = ValidateMeterReadingForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("meter_reading_form", text, {"customer_number": SANNE})
    )

    assert events == [SlotSet("meter_reading", kwh), SlotSet("requested_slot", None)]
    assert messages == []


@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("10.000", "utter_invalid_meter_reading_lower"),
        ("16316", "utter_invalid_meter_reading_implausible"),
        ("102550", "utter_invalid_meter_reading_implausible"),
    ],
)
async def test_reading_that_cannot_follow_the_last_one_is_rejected_with_it(
    crm: FakeCRM, text: str, response: str
) -> None:
    action = ValidateMeterReadingForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("meter_reading_form", text, {"customer_number": SANNE})
    )

    assert events == [SlotSet("meter_reading", None), SlotSet("requested_slot", "meter_reading")]
    kwh = text.replace(".", "")
    assert messages == [
        (
            response,
            {
                "meter_reading": kwh,
                "previous_reading": "10255",
                "previous_date": "14 augustus 2026",
            },
        )
    ]


async def test_rejection_shows_the_previous_date_in_english(crm: FakeCRM) -> None:
    action = ValidateMeterReadingForm(crm, today=lambda: TODAY)

    _, messages = await validate(
        action,
        form_turn("meter_reading_form", "9000", {"customer_number": SANNE}, language="en"),
    )

    assert messages[0][1]["previous_date"] == "14 August 2026"


async def test_second_reading_on_the_same_day_is_rejected(crm: FakeCRM) -> None:
    action = ValidateMeterReadingForm(crm, today=lambda: date(2026, 11, 2))

    events, messages = await validate(
        action, form_turn("meter_reading_form", "30120", {"customer_number": DAAN})
    )

    assert events == [SlotSet("meter_reading", None), SlotSet("requested_slot", "meter_reading")]
    assert messages == [
        (
            "utter_invalid_meter_reading_already_today",
            {
                "meter_reading": "30120",
                "previous_reading": "30110",
                "previous_date": "2 november 2026",
            },
        )
    ]


async def test_first_reading_of_a_new_meter_is_accepted(crm: FakeCRM) -> None:
    action = ValidateMeterReadingForm(crm, today=lambda: TODAY)

    events, _ = await validate(
        action, form_turn("meter_reading_form", "00042", {"customer_number": LOTTE})
    )

    assert events == [SlotSet("meter_reading", 42), SlotSet("requested_slot", None)]


@pytest.mark.parametrize("text", ["geen idee", "10480 of 10490", ""])
async def test_text_without_one_reading_is_rejected(crm: FakeCRM, text: str) -> None:
    action = ValidateMeterReadingForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("meter_reading_form", text, {"customer_number": SANNE})
    )

    assert events == [SlotSet("meter_reading", None), SlotSet("requested_slot", "meter_reading")]
    assert messages == [("utter_invalid_meter_reading", {})]


# moving house


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("1 maart", "2027-03-01"),
        ("01-03-2027", "2027-03-01"),
        ("15 april 2027", "2027-04-15"),
        ("morgen", "2026-11-24"),
        ("on March 1st", "2027-03-01"),
        ("vanaf 1 november", "2026-11-01"),  # 22 days ago: just moved is fine
        ("23-11-2027", "2027-11-23"),  # a year ahead, the furthest allowed
    ],
)
async def test_move_date_is_parsed_and_the_postcode_asked_next(
    crm: FakeCRM, text: str, iso: str
) -> None:
    action = ValidateMovingForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("moving_form", text, {"customer_number": SANNE})
    )

    assert events == [SlotSet("move_date", iso), SlotSet("requested_slot", "new_postcode")]
    assert messages == []


@pytest.mark.parametrize(
    ("text", "response", "shown"),
    [
        ("1 januari 2028", "utter_invalid_move_date_too_late", "1 januari 2028"),
        ("24-11-2027", "utter_invalid_move_date_too_late", "24 november 2027"),
        ("1 oktober 2026", "utter_invalid_move_date_too_early", "1 oktober 2026"),
    ],
)
async def test_move_date_outside_the_window_is_rejected_with_the_window(
    crm: FakeCRM, text: str, response: str, shown: str
) -> None:
    action = ValidateMovingForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("moving_form", text, {"customer_number": SANNE})
    )

    assert events == [SlotSet("move_date", None), SlotSet("requested_slot", "move_date")]
    assert messages == [
        (
            response,
            {
                "move_date": shown,
                "earliest_date": "24 oktober 2026",
                "latest_date": "23 november 2027",
            },
        )
    ]


@pytest.mark.parametrize("text", ["binnenkort", "31 februari", "ergens in de zomer"])
async def test_text_without_a_date_is_rejected(crm: FakeCRM, text: str) -> None:
    action = ValidateMovingForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("moving_form", text, {"customer_number": SANNE})
    )

    assert events == [SlotSet("move_date", None), SlotSet("requested_slot", "move_date")]
    assert messages == [("utter_invalid_move_date", {})]


MOVE_SLOTS = {"customer_number": SANNE, "move_date": "2027-03-01"}


@pytest.mark.parametrize("text", ["8011PK", "8011 pk", "de postcode is 8011 PK"])
async def test_postcode_is_normalised(crm: FakeCRM, text: str) -> None:
    action = ValidateMovingForm(crm, today=lambda: TODAY)

    events, messages = await validate(action, form_turn("moving_form", text, MOVE_SLOTS))

    assert events == [
        SlotSet("new_postcode", "8011 PK"),
        SlotSet("requested_slot", "new_house_number"),
    ]
    assert messages == []


@pytest.mark.parametrize("text", ["0811 PK", "8011", "8011 SS", "1234 SA", "80111 PK", "Zwolle"])
async def test_invalid_postcode_is_rejected(crm: FakeCRM, text: str) -> None:
    action = ValidateMovingForm(crm, today=lambda: TODAY)

    events, messages = await validate(action, form_turn("moving_form", text, MOVE_SLOTS))

    assert events == [SlotSet("new_postcode", None), SlotSet("requested_slot", "new_postcode")]
    assert messages == [("utter_invalid_new_postcode", {})]


@pytest.mark.parametrize(
    ("postcode", "text", "house_number"),
    [("8011 PK", "14", "14"), ("6811 KC", "4 A", "4a"), ("1094 HB", "nummer 12 - 2", "12-2")],
)
async def test_existing_address_completes_the_form(
    crm: FakeCRM, postcode: str, text: str, house_number: str
) -> None:
    action = ValidateMovingForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("moving_form", text, {**MOVE_SLOTS, "new_postcode": postcode})
    )

    assert events == [SlotSet("new_house_number", house_number), SlotSet("requested_slot", None)]
    assert messages == []


async def test_unknown_address_asks_postcode_and_house_number_again(crm: FakeCRM) -> None:
    action = ValidateMovingForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("moving_form", "15", {**MOVE_SLOTS, "new_postcode": "8011 PK"})
    )

    assert events == [
        SlotSet("new_house_number", None),
        SlotSet("new_postcode", None),
        SlotSet("requested_slot", "new_postcode"),
    ]
    assert messages == [
        (
            "utter_invalid_new_house_number_unknown_address",
            {"new_postcode": "8011 PK", "new_house_number": "15"},
        )
    ]


@pytest.mark.parametrize("text", ["geen", "0", "14 en 16"])
async def test_text_without_a_house_number_is_rejected(crm: FakeCRM, text: str) -> None:
    action = ValidateMovingForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("moving_form", text, {**MOVE_SLOTS, "new_postcode": "8011 PK"})
    )

    assert events == [
        SlotSet("new_house_number", None),
        SlotSet("requested_slot", "new_house_number"),
    ]
    assert messages == [("utter_invalid_new_house_number", {})]


# instalment (Sanne: 120.00 now, 80.00 to 240.00 allowed)


@pytest.mark.parametrize(
    ("text", "amount"),
    [("€ 95", 95.0), ("95,50", 95.5), ("95 euro", 95.0), ("€80,-", 80.0), ("240.00", 240.0)],
)
async def test_amount_within_the_bounds_completes_the_form(
    crm: FakeCRM, text: str, amount: float
) -> None:
    action = ValidateInstalmentForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("instalment_form", text, {"customer_number": SANNE})
    )

    assert events == [SlotSet("new_instalment", amount), SlotSet("requested_slot", None)]
    assert messages == []


@pytest.mark.parametrize(
    ("text", "language", "shown", "bounds"),
    [
        ("79,99", "nl", "79,99", ("80,00", "240,00")),
        ("€ 250", "nl", "250,00", ("80,00", "240,00")),
        ("250.50", "en", "250.50", ("80.00", "240.00")),
    ],
)
async def test_amount_outside_the_bounds_is_rejected_with_the_bounds(
    crm: FakeCRM, text: str, language: str, shown: str, bounds: tuple[str, str]
) -> None:
    action = ValidateInstalmentForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("instalment_form", text, {"customer_number": SANNE}, language)
    )

    assert events == [SlotSet("new_instalment", None), SlotSet("requested_slot", "new_instalment")]
    assert messages == [
        (
            "utter_invalid_new_instalment_out_of_bounds",
            {"new_instalment": shown, "min_instalment": bounds[0], "max_instalment": bounds[1]},
        )
    ]


async def test_current_amount_is_rejected_as_unchanged(crm: FakeCRM) -> None:
    action = ValidateInstalmentForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("instalment_form", "120 euro", {"customer_number": SANNE})
    )

    assert events == [SlotSet("new_instalment", None), SlotSet("requested_slot", "new_instalment")]
    assert messages == [
        ("utter_invalid_new_instalment_unchanged", {"current_instalment": "120,00"})
    ]


@pytest.mark.parametrize("text", ["minder", "van 120 naar 95", "0 euro"])
async def test_text_without_one_amount_is_rejected(crm: FakeCRM, text: str) -> None:
    action = ValidateInstalmentForm(crm, today=lambda: TODAY)

    events, messages = await validate(
        action, form_turn("instalment_form", text, {"customer_number": SANNE})
    )

    assert events == [SlotSet("new_instalment", None), SlotSet("requested_slot", "new_instalment")]
    assert messages == [("utter_invalid_new_instalment", {})]
