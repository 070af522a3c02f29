"""Reading customers' free text: the parsers behind the form checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from actions.addresses import parse_house_number, parse_postcode
from actions.amounts import format_euros, parse_euros, parse_kwh
from actions.customer import parse_customer_number
from actions.dates import format_date, parse_date

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 maart", date(2027, 3, 1)),
        ("op de 1e van maart", None),  # no day directly before the month: ask again
        ("1e maart", date(2027, 3, 1)),
        ("1 mrt.", date(2027, 3, 1)),
        ("15 april 2027", date(2027, 4, 15)),
        ("01-03-2027", date(2027, 3, 1)),
        ("1/3/27", date(2027, 3, 1)),
        ("2027-03-01", date(2027, 3, 1)),
        ("1-12", date(2026, 12, 1)),
        ("March 1, 2027", date(2027, 3, 1)),
        ("the 1st of March", date(2027, 3, 1)),
        ("vandaag", TODAY),
        ("morgen", date(2026, 11, 24)),
        ("overmorgen", date(2026, 11, 25)),
        ("the day after tomorrow", date(2026, 11, 25)),
        ("30 oktober", date(2026, 10, 30)),  # within the last 30 days: this year
        ("20 oktober", date(2027, 10, 20)),  # longer ago: next year's
        ("29 februari", None),  # 2027 is no leap year
        ("31-04-2027", None),
        ("volgende maand", None),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text, today=TODAY) == expected


def test_format_date_per_language() -> None:
    assert format_date(date(2027, 3, 1), "nl") == "1 maart 2027"
    assert format_date(date(2027, 3, 1), "en") == "1 March 2027"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.345", 12345),
        ("12345 kWh", 12345),
        ("12 345", 12345),
        ("12,345", 12345),
        ("12.345,6", 12345),
        ("1.234.567", 1234567),
        ("12345 en 12346", None),
        ("twaalfduizend", None),
    ],
)
def test_parse_kwh(text: str, expected: int | None) -> None:
    assert parse_kwh(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("€ 95", Decimal("95.00")),
        ("95,50", Decimal("95.50")),
        ("95.5", Decimal("95.50")),
        ("95 euro per maand", Decimal("95.00")),
        ("€95,-", Decimal("95.00")),
        ("EUR 1.095,50", Decimal("1095.50")),
        ("van 120 naar 95", None),
    ],
)
def test_parse_euros(text: str, expected: Decimal | None) -> None:
    assert parse_euros(text) == expected


def test_format_euros_per_language() -> None:
    assert format_euros(Decimal("1095.5"), "nl") == "1095,50"
    assert format_euros(Decimal("1095.5"), "en") == "1095.50"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3511av", "3511 AV"),
        ("3511  AV", "3511 AV"),
        ("postcode: 3511 AV Utrecht", "3511 AV"),
        ("3511 SD", None),
        ("0511 AV", None),
        ("3511 AV of 3511 AW", None),
    ],
)
def test_parse_postcode(text: str, expected: str | None) -> None:
    assert parse_postcode(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", "12"),
        ("12a", "12a"),
        ("12 A", "12a"),
        ("12-2", "12-2"),
        ("12 - hs", "12-hs"),
        ("12a-2", "12a-2"),
        ("12 hoog", "12"),
        ("0", None),
        ("123456", None),
    ],
)
def test_parse_house_number(text: str, expected: str | None) -> None:
    assert parse_house_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10002345", "10002345"),
        ("klantnr. 1000-2345", "10002345"),
        ("10 00 23 45", "10002345"),
        ("100023456", None),
        ("1000234", None),
        ("postcode 3511 AV, klantnummer 10002345", "10002345"),
    ],
)
def test_parse_customer_number(text: str, expected: str | None) -> None:
    assert parse_customer_number(text) == expected
