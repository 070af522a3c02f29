"""An in-memory CRM, meter-data platform and address register for the example.

It makes the assistant work offline and lets tests assert what a form submitted:
every submission is kept in `submissions`, in order.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from actions.backend.adapter import (
    Address,
    BackendError,
    Contract,
    Customer,
    MeterReading,
)

FIXTURES = Path(__file__).with_name("fixtures.json")


@dataclass(frozen=True)
class Submission:
    kind: str  # "meter_reading", "move", "instalment"
    customer_number: str
    data: dict[str, Any]
    reference: str


class FakeCRM:
    """Satisfies `actions.backend.Backend` from fixture data."""

    def __init__(self, fixtures: Path = FIXTURES) -> None:
        raw = json.loads(fixtures.read_text(encoding="utf-8"))
        self._customers = {item["customer_number"]: _customer(item) for item in raw["customers"]}
        self._readings = {
            item["customer_number"]: sorted((_reading(r) for r in item["readings"]), key=_by_date)
            for item in raw["customers"]
        }
        self._addresses = {
            (entry["postcode"], number): Address(
                postcode=entry["postcode"],
                house_number=number,
                street=entry["street"],
                city=entry["city"],
            )
            for entry in raw["addresses"]
            for number in entry["house_numbers"]
        }
        self._sequence = itertools.count(1)
        # The action server is async, but a real deployment may run several workers
        # against one backend object; the lock keeps references unique and lists whole.
        self._lock = threading.Lock()
        self.submissions: list[Submission] = []

    def find_customer(self, customer_number: str) -> Customer | None:
        return self._customers.get(customer_number)

    def previous_readings(self, customer_number: str) -> list[MeterReading]:
        with self._lock:
            return list(self._readings.get(customer_number, []))

    def submit_meter_reading(self, customer_number: str, reading: MeterReading) -> str:
        self._require_customer(customer_number)
        with self._lock:
            # Kept as a reading too, so the same meter cannot be read twice today.
            self._readings.setdefault(customer_number, []).append(reading)
            return self._record(
                "meter_reading",
                customer_number,
                {
                    "date": reading.date.isoformat(),
                    "kwh": reading.kwh,
                    "meter_type": reading.meter_type,
                },
                prefix="MS",
            )

    def lookup_address(self, postcode: str, house_number: str) -> Address | None:
        return self._addresses.get((postcode, house_number))

    def submit_move(self, customer_number: str, move_date: date, new_address: Address) -> str:
        self._require_customer(customer_number)
        with self._lock:
            return self._record(
                "move",
                customer_number,
                {
                    "move_date": move_date.isoformat(),
                    "postcode": new_address.postcode,
                    "house_number": new_address.house_number,
                    "street": new_address.street,
                    "city": new_address.city,
                },
                prefix="VH",
            )

    def instalment_bounds(self, customer_number: str) -> Contract | None:
        customer = self._customers.get(customer_number)
        return customer.contract if customer else None

    def change_instalment(self, customer_number: str, new_instalment: Decimal) -> str:
        customer = self._require_customer(customer_number)
        contract = customer.contract
        if not (
            contract.min_monthly_instalment <= new_instalment <= contract.max_monthly_instalment
        ):
            raise BackendError(f"instalment {new_instalment} outside the contract's bounds")
        with self._lock:
            self._customers[customer_number] = replace(
                customer, contract=replace(contract, monthly_instalment=new_instalment)
            )
            return self._record(
                "instalment",
                customer_number,
                {
                    "previous_instalment": str(contract.monthly_instalment),
                    "new_instalment": str(new_instalment),
                },
                prefix="TB",
            )

    def _require_customer(self, customer_number: str) -> Customer:
        customer = self._customers.get(customer_number)
        if customer is None:
            raise BackendError(f"unknown customer {customer_number}")
        return customer

    def _record(self, kind: str, customer_number: str, data: dict[str, Any], prefix: str) -> str:
        reference = f"{prefix}-{next(self._sequence):06d}"
        self.submissions.append(Submission(kind, customer_number, data, reference))
        return reference


def _customer(item: dict[str, Any]) -> Customer:
    contract = item["contract"]
    return Customer(
        customer_number=item["customer_number"],
        name=item["name"],
        address=Address(**item["address"]),
        contract=Contract(
            contract_number=contract["contract_number"],
            product=contract["product"],
            monthly_instalment=Decimal(contract["monthly_instalment"]),
            min_monthly_instalment=Decimal(contract["min_monthly_instalment"]),
            max_monthly_instalment=Decimal(contract["max_monthly_instalment"]),
        ),
    )


def _by_date(reading: MeterReading) -> date:
    return reading.date


def _reading(item: dict[str, Any]) -> MeterReading:
    return MeterReading(
        date=date.fromisoformat(item["date"]), kwh=int(item["kwh"]), meter_type=item["meter_type"]
    )
