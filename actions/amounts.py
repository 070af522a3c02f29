"""Numbers as customers type them: meter readings in kWh and amounts in euros.

Dutch writes "12.345" for twelve thousand and "95,50" for a decimal amount; English
the other way round. A separator followed by exactly three digits is read as a
thousands separator in both, one followed by one or two digits as a decimal mark.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

_NUMBER = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[., \u00a0\u202f]\d{3})+|\d+)(?:[.,](\d{1,2}))?(?![\d])"
)
_CENT = Decimal("0.01")


def _numbers(text: str) -> list[Decimal]:
    values = []
    for match in _NUMBER.finditer(text):
        whole = re.sub(r"\D", "", match[1])
        values.append(Decimal(f"{whole}.{match[2]}" if match[2] else whole))
    return values


def _single_number(text: str) -> Decimal | None:
    # Two numbers ("van 120 naar 95") leave the meaning to guesswork: ask again.
    values = set(_numbers(text))
    return values.pop() if len(values) == 1 else None


def parse_kwh(text: str) -> int | None:
    """The meter reading in `text` in whole kWh ("12.345", "12345 kWh", "12 345").

    Decimals are dropped: meters bill whole kWh, and rounding up would claim energy
    that was not yet used.
    """
    value = _single_number(text)
    return int(value) if value is not None else None


def parse_euros(text: str) -> Decimal | None:
    """The amount in `text` ("€ 95", "95,50", "95 euro", "€95,-"), to the cent."""
    value = _single_number(text)
    return value.quantize(_CENT, rounding=ROUND_HALF_UP) if value is not None else None


def format_euros(value: Decimal, language: str) -> str:
    """Dutch "95,50" or English "95.50"; the response adds the euro sign."""
    text = f"{value.quantize(_CENT, rounding=ROUND_HALF_UP):.2f}"
    return text if language == "en" else text.replace(".", ",")
