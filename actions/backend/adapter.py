"""The one interface between the actions and the organisation's systems.

Actions never talk to a CRM, a meter-data platform or an address register directly:
they get a `Backend` from `get_backend()`. An organisation replaces the example by
writing one class that satisfies `Backend` and naming it in `ACTIONS_BACKEND`.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Protocol, runtime_checkable

BACKEND_ENV_VAR = "ACTIONS_BACKEND"


class BackendError(Exception):
    """The organisation's systems could not do what was asked.

    Implementations wrap their own failures (timeouts, HTTP errors, rejected
    requests) in this, so that a submit action can apologise instead of crashing:
    a crashed action reaches the customer as silence.
    """


@dataclass(frozen=True)
class Address:
    postcode: str  # normalised: "1234 AB"
    house_number: str  # normalised: "12", "12a", "12-2"
    street: str
    city: str


@dataclass(frozen=True)
class Contract:
    contract_number: str
    product: str
    monthly_instalment: Decimal
    min_monthly_instalment: Decimal
    max_monthly_instalment: Decimal


@dataclass(frozen=True)
class Customer:
    customer_number: str
    name: str
    address: Address
    contract: Contract


@dataclass(frozen=True)
class MeterReading:
    date: date
    kwh: int
    meter_type: str  # "electricity"


@runtime_checkable
class Backend(Protocol):
    def find_customer(self, customer_number: str) -> Customer | None: ...

    def previous_readings(self, customer_number: str) -> list[MeterReading]:
        """Readings of the customer's meter, oldest first; empty for a new meter."""
        ...

    def submit_meter_reading(self, customer_number: str, reading: MeterReading) -> str:
        """Records the reading and returns the CRM's reference for it."""
        ...

    def lookup_address(self, postcode: str, house_number: str) -> Address | None:
        """The address register (BAG): the address if it exists, else None."""
        ...

    def submit_move(self, customer_number: str, move_date: date, new_address: Address) -> str:
        """Registers a move to `new_address` on `move_date`; returns the reference."""
        ...

    def instalment_bounds(self, customer_number: str) -> Contract | None:
        """The contract that fixes the current instalment and its allowed range."""
        ...

    def change_instalment(self, customer_number: str, new_instalment: Decimal) -> str:
        """Changes the monthly instalment; returns the reference."""
        ...


@cache
def get_backend() -> Backend:
    """The backend named by `ACTIONS_BACKEND`: `fake` (default) or `package.module:Class`.

    Cached so that every action in the process shares one backend, which keeps the
    fake CRM's in-memory submissions in one place.
    """
    name = os.environ.get(BACKEND_ENV_VAR, "fake").strip() or "fake"
    if name == "fake":
        from actions.backend.fake_crm import FakeCRM

        return FakeCRM()
    module_name, _, class_name = name.partition(":")
    if not class_name:
        raise ValueError(f"{BACKEND_ENV_VAR}={name!r}: use 'fake' or 'package.module:ClassName'")
    backend = getattr(importlib.import_module(module_name), class_name)()
    if not isinstance(backend, Backend):
        raise TypeError(f"{name} does not implement actions.backend.Backend")
    return backend
