"""The backend adapter: the fake CRM's fixtures, its records, and the factory."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest

from actions.backend import Address, Backend, BackendError, MeterReading, get_backend
from actions.backend.fake_crm import FakeCRM


@pytest.fixture
def crm() -> FakeCRM:
    return FakeCRM()


@pytest.fixture
def fresh_factory() -> Iterator[None]:
    get_backend.cache_clear()
    yield
    get_backend.cache_clear()


def test_fake_crm_satisfies_the_adapter_interface(crm: FakeCRM) -> None:
    assert isinstance(crm, Backend)


def test_fixture_customer_has_contract_address_and_readings_oldest_first(crm: FakeCRM) -> None:
    customer = crm.find_customer("10002345")

    assert customer is not None
    assert customer.name == "Sanne de Vries"
    assert customer.address == Address("3511 AV", "112", "Oudegracht", "Utrecht")
    assert customer.contract.monthly_instalment == Decimal("120.00")
    readings = crm.previous_readings("10002345")
    assert [r.date for r in readings] == sorted(r.date for r in readings)
    assert readings[-1] == MeterReading(date(2026, 8, 14), 10255, "electricity")


def test_every_fixture_customer_lives_at_a_registered_address(crm: FakeCRM) -> None:
    for number in ["10002345", "10007781", "10020019", "10035550", "10041206"]:
        customer = crm.find_customer(number)
        assert customer is not None
        address = customer.address
        assert crm.lookup_address(address.postcode, address.house_number) == address


def test_unknown_customer_and_address_are_none(crm: FakeCRM) -> None:
    assert crm.find_customer("99999999") is None
    assert crm.previous_readings("99999999") == []
    assert crm.lookup_address("8011 PK", "13") is None
    assert crm.instalment_bounds("99999999") is None


def test_submissions_for_an_unknown_customer_fail(crm: FakeCRM) -> None:
    with pytest.raises(BackendError):
        crm.submit_meter_reading("99999999", MeterReading(date(2026, 11, 23), 1, "electricity"))
    with pytest.raises(BackendError):
        crm.change_instalment("99999999", Decimal("100.00"))
    assert crm.submissions == []


def test_instalment_outside_the_contract_is_refused_by_the_crm_too(crm: FakeCRM) -> None:
    with pytest.raises(BackendError):
        crm.change_instalment("10002345", Decimal("500.00"))


def test_concurrent_submissions_get_unique_references(crm: FakeCRM) -> None:
    address = Address("8011 PK", "14", "Melkmarkt", "Zwolle")
    with ThreadPoolExecutor(max_workers=8) as pool:
        references = list(
            pool.map(lambda i: crm.submit_move("10002345", date(2027, 3, 1), address), range(200))
        )

    assert len(set(references)) == 200
    assert len(crm.submissions) == 200


def test_factory_defaults_to_one_shared_fake_crm(
    fresh_factory: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACTIONS_BACKEND", raising=False)

    backend = get_backend()

    assert isinstance(backend, FakeCRM)
    assert get_backend() is backend


def test_factory_loads_a_named_implementation(
    fresh_factory: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIONS_BACKEND", "actions.backend.fake_crm:FakeCRM")

    assert isinstance(get_backend(), FakeCRM)


def test_factory_refuses_a_class_that_is_no_backend(
    fresh_factory: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIONS_BACKEND", "collections:OrderedDict")

    with pytest.raises(TypeError, match="does not implement"):
        get_backend()


def test_factory_rejects_a_name_it_cannot_resolve(
    fresh_factory: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIONS_BACKEND", "crm")

    with pytest.raises(ValueError, match="ACTIONS_BACKEND"):
        get_backend()
