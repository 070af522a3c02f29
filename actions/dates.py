"""Dates as customers type them, in Dutch or English, and as the bot shows them."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        ("januari", "jan", "january"),
        ("februari", "feb", "february"),
        ("maart", "mrt", "mar", "maa", "march"),
        ("april", "apr"),
        ("mei", "may"),
        ("juni", "jun", "june"),
        ("juli", "jul", "july"),
        ("augustus", "aug", "august"),
        ("september", "sep", "sept"),
        ("oktober", "okt", "oct", "october"),
        ("november", "nov"),
        ("december", "dec"),
    ],
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number

_MONTH_NAMES = {
    "nl": [
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ],
    "en": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
}  # fmt: skip

# Longest first, so that "overmorgen" is not read as "morgen".
_RELATIVE_DAYS = [
    ("day after tomorrow", 2),
    ("overmorgen", 2),
    ("vandaag", 0),
    ("today", 0),
    ("morgen", 1),
    ("tomorrow", 1),
]

_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[-/.](\d{1,2})(?:[-/.](\d{4}|\d{2}))?(?![\d/.-]?\d)")
_DAY_MONTH = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:e|ste|de|st|nd|rd|th)?\.?\s*(?:of\s+)?({_MONTH})\b\.?(?:,?\s*(\d{{4}}))?"
)
_MONTH_DAY = re.compile(
    rf"\b({_MONTH})\b\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s*(\d{{4}}))?"
)

AMSTERDAM = "Europe/Amsterdam"


def today() -> date:
    """Today where the customers are, whatever the server's own time zone."""
    try:
        return datetime.now(ZoneInfo(AMSTERDAM)).date()
    except ZoneInfoNotFoundError:
        return date.today()


def parse_date(text: str, *, today: date) -> date | None:
    """The date in `text`, or None when there is none or it does not exist.

    Without a year, the date is taken in the year that puts it closest after
    `today` minus 30 days, since customers announce moves rather than recall them.
    """
    lowered = " ".join(text.lower().split())
    for phrase, offset in _RELATIVE_DAYS:
        if re.search(rf"\b{phrase}\b", lowered):
            return today + timedelta(days=offset)
    if match := _ISO.search(lowered):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := _NUMERIC.search(lowered):
        return _with_year(int(match[1]), int(match[2]), match[3], today)
    if match := _DAY_MONTH.search(lowered):
        return _with_year(int(match[1]), _MONTHS[match[2]], match[3], today)
    if match := _MONTH_DAY.search(lowered):
        return _with_year(int(match[2]), _MONTHS[match[1]], match[3], today)
    return None


def format_date(value: date, language: str) -> str:
    """Dutch "1 maart 2027" or English "1 March 2027"."""
    months = _MONTH_NAMES.get(language, _MONTH_NAMES["nl"])
    return f"{value.day} {months[value.month - 1]} {value.year}"


def _with_year(day: int, month: int, year: str | None, today: date) -> date | None:
    if year is not None:
        full_year = int(year) + 2000 if len(year) == 2 else int(year)
        return _date(full_year, month, day)
    earliest = today - timedelta(days=30)
    for candidate_year in (earliest.year, earliest.year + 1):
        candidate = _date(candidate_year, month, day)
        if candidate is not None and candidate >= earliest:
            return candidate
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
