"""Submit actions: what reaches the CRM, what the customer is told, what the
service gets in the `submitted` slot."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.backend import Address, BackendError, MeterReading
from actions.backend.fake_crm import FakeCRM, Submission
from actions.instalment import ActionSubmitInstalment
from actions.meter_reading import ActionSubmitMeterReading
from actions.moving import ActionSubmitMove
from actions.submission import SubmitAction

TODAY = date(2026, 11, 23)
SANNE = "10002345"


def after_form(slots: dict[str, Any], language: str = "nl") -> Tracker:
    """The tracker right after a form completed with `slots`."""
    all_slots = {"language": language, "requested_slot": None, "submitted": None, **slots}
    events = [{"event": "slot", "name": name, "value": value} for name, value in slots.items()]
    events += [{"event": "active_loop", "name": None}]
    latest = {"text": "14", "intent": {"name": "inform", "confidence": 0.91}, "entities": []}
    return Tracker("conversation-1", all_slots, latest, events, False, None, {}, "moving_form")


def uttered(dispatcher: CollectingDispatcher) -> list[tuple[str, dict[str, Any]]]:
    standard = {"text", "buttons", "elements", "custom", "template", "response", "image"}
    return [
        (m["response"], {k: v for k, v in m.items() if k not in standard | {"attachment"}})
        for m in dispatcher.messages
    ]


class UnavailableCRM(FakeCRM):
    """The CRM as it is during an outage: reads work, writes time out."""

    def submit_meter_reading(self, customer_number: str, reading: MeterReading) -> str:
        raise BackendError("timeout")

    def submit_move(self, customer_number: str, move_date: date, new_address: Address) -> str:
        raise BackendError("timeout")

    def change_instalment(self, customer_number: str, new_instalment: Decimal) -> str:
        raise BackendError("timeout")


@pytest.fixture
def crm() -> FakeCRM:
    return FakeCRM()


async def run(action: SubmitAction, tracker: Tracker) -> tuple[list[dict[str, Any]], Any]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return events, uttered(dispatcher)


async def test_meter_reading_is_submitted_and_confirmed(crm: FakeCRM) -> None:
    action = ActionSubmitMeterReading(crm, today=lambda: TODAY)

    events, messages = await run(
        action, after_form({"customer_number": SANNE, "meter_reading": 10480})
    )

    assert crm.submissions == [
        Submission(
            "meter_reading",
            SANNE,
            {"date": "2026-11-23", "kwh": 10480, "meter_type": "electricity"},
            "MS-000001",
        )
    ]
    assert events == [
        SlotSet(
            "submitted",
            {
                "form": "meter_reading_form",
                "data": {
                    "customer_number": SANNE,
                    "meter_reading": 10480,
                    "reading_date": "2026-11-23",
                    "meter_type": "electricity",
                },
                "reference": "MS-000001",
            },
        ),
        SlotSet("meter_reading", None),
    ]
    assert messages == [
        ("utter_meter_reading_submitted", {"reference": "MS-000001", "meter_reading": "10480"})
    ]
    assert crm.previous_readings(SANNE)[-1] == MeterReading(TODAY, 10480, "electricity")


async def test_move_is_submitted_with_the_address_from_the_register(crm: FakeCRM) -> None:
    action = ActionSubmitMove(crm, today=lambda: TODAY)
    slots = {
        "customer_number": SANNE,
        "move_date": "2027-03-01",
        "new_postcode": "8011 PK",
        "new_house_number": "14",
    }

    events, messages = await run(action, after_form(slots))

    assert crm.submissions == [
        Submission(
            "move",
            SANNE,
            {
                "move_date": "2027-03-01",
                "postcode": "8011 PK",
                "house_number": "14",
                "street": "Melkmarkt",
                "city": "Zwolle",
            },
            "VH-000001",
        )
    ]
    assert events == [
        SlotSet(
            "submitted",
            {
                "form": "moving_form",
                "data": {
                    "customer_number": SANNE,
                    "move_date": "2027-03-01",
                    "new_postcode": "8011 PK",
                    "new_house_number": "14",
                    "new_street": "Melkmarkt",
                    "new_city": "Zwolle",
                },
                "reference": "VH-000001",
            },
        ),
        SlotSet("move_date", None),
        SlotSet("new_postcode", None),
        SlotSet("new_house_number", None),
    ]
    assert messages == [
        (
            "utter_move_submitted",
            {
                "reference": "VH-000001",
                "move_date": "1 maart 2027",
                "new_postcode": "8011 PK",
                "new_house_number": "14",
                "new_street": "Melkmarkt",
                "new_city": "Zwolle",
            },
        )
    ]


async def test_move_confirmation_shows_the_date_in_english(crm: FakeCRM) -> None:
    action = ActionSubmitMove(crm, today=lambda: TODAY)
    slots = {
        "customer_number": SANNE,
        "move_date": "2027-03-01",
        "new_postcode": "8011 PK",
        "new_house_number": "14",
    }

    _, messages = await run(action, after_form(slots, language="en"))

    assert messages[0][1]["move_date"] == "1 March 2027"


@pytest.mark.parametrize(("language", "shown"), [("nl", "95,50"), ("en", "95.50")])
async def test_instalment_change_is_submitted_and_confirmed(
    crm: FakeCRM, language: str, shown: str
) -> None:
    action = ActionSubmitInstalment(crm, today=lambda: TODAY)

    events, messages = await run(
        action, after_form({"customer_number": SANNE, "new_instalment": 95.5}, language)
    )

    assert crm.submissions == [
        Submission(
            "instalment",
            SANNE,
            {"previous_instalment": "120.00", "new_instalment": "95.50"},
            "TB-000001",
        )
    ]
    assert events == [
        SlotSet(
            "submitted",
            {
                "form": "instalment_form",
                "data": {
                    "customer_number": SANNE,
                    "new_instalment": 95.5,
                    "previous_instalment": 120.0,
                },
                "reference": "TB-000001",
            },
        ),
        SlotSet("new_instalment", None),
    ]
    assert messages == [
        ("utter_instalment_submitted", {"reference": "TB-000001", "new_instalment": shown})
    ]
    contract = crm.instalment_bounds(SANNE)
    assert contract is not None and contract.monthly_instalment == Decimal("95.50")


@pytest.mark.parametrize(
    ("action", "slots"),
    [
        (ActionSubmitMeterReading, {"customer_number": SANNE, "meter_reading": 10480}),
        (
            ActionSubmitMove,
            {
                "customer_number": SANNE,
                "move_date": "2027-03-01",
                "new_postcode": "8011 PK",
                "new_house_number": "14",
            },
        ),
        (ActionSubmitInstalment, {"customer_number": SANNE, "new_instalment": 95.5}),
    ],
)
async def test_backend_failure_apologises_and_still_returns_an_event(
    action: type[SubmitAction], slots: dict[str, Any]
) -> None:
    crm = UnavailableCRM()

    events, messages = await run(action(crm, today=lambda: TODAY), after_form(slots))

    assert events == [SlotSet("submitted", None)]
    assert messages == [("utter_submit_failed", {})]
    assert crm.submissions == []


@pytest.mark.parametrize(
    "action", [ActionSubmitMeterReading, ActionSubmitMove, ActionSubmitInstalment]
)
async def test_submit_without_a_completed_form_apologises(
    crm: FakeCRM, action: type[SubmitAction]
) -> None:
    events, messages = await run(
        action(crm, today=lambda: TODAY), after_form({"customer_number": SANNE})
    )

    assert events == [SlotSet("submitted", None)]
    assert messages == [("utter_submit_failed", {})]
    assert crm.submissions == []


async def test_move_to_an_address_gone_from_the_register_is_not_submitted(crm: FakeCRM) -> None:
    slots = {
        "customer_number": SANNE,
        "move_date": "2027-03-01",
        "new_postcode": "8011 PK",
        "new_house_number": "99",
    }

    events, messages = await run(ActionSubmitMove(crm, today=lambda: TODAY), after_form(slots))

    assert events == [SlotSet("submitted", None)]
    assert messages == [("utter_submit_failed", {})]
    assert crm.submissions == []
