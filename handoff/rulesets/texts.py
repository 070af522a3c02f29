"""The service's own texts and opening hours, as the active rule set defines them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from handoff.rulesets.defaults import WEEKDAYS, RuleSetData

DUTCH_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
ENGLISH_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DUTCH_MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip
ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Far enough to pass Christmas plus a weekend, or a run of extra closed dates.
LOOKAHEAD_DAYS = 15


@lru_cache(maxsize=16)
def _dutch_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("NL", years=year).keys())


def is_closed_day(rules: RuleSetData, day: date) -> bool:
    """A Dutch public holiday (when the rule set follows them) or an extra closed date."""
    hours = rules.opening_hours
    if day.isoformat() in hours.closed_dates:
        return True
    return hours.dutch_public_holidays and day in _dutch_holidays(day.year)


def _periods(rules: RuleSetData, day: datetime) -> list[tuple[time, time]]:
    if is_closed_day(rules, day.date()):
        return []
    return [
        (time.fromisoformat(start), time.fromisoformat(end))
        for start, end in rules.opening_hours.days[WEEKDAYS[day.weekday()]]
    ]


def is_open(rules: RuleSetData, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(rules.opening_hours.timezone))
    return any(start <= local.time() < end for start, end in _periods(rules, local))


def next_opening(rules: RuleSetData, at: datetime) -> datetime | None:
    """The next moment the organisation opens, in its own time zone (None: never)."""
    local = at.astimezone(ZoneInfo(rules.opening_hours.timezone))
    for offset in range(LOOKAHEAD_DAYS):
        day = local + timedelta(days=offset)
        for start, _end in _periods(rules, day):
            candidate = day.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
            if candidate > local:
                return candidate
    return None


def describe_opening(moment: datetime | None, language: str, at: datetime) -> str:
    if moment is None:
        return "zo snel mogelijk" if language == "nl" else "as soon as possible"
    local_now = at.astimezone(moment.tzinfo)
    clock = moment.strftime("%H:%M")
    if moment.date() == local_now.date():
        return f"vandaag om {clock}" if language == "nl" else f"today at {clock}"
    if moment.date() == (local_now + timedelta(days=1)).date():
        return f"morgen om {clock}" if language == "nl" else f"tomorrow at {clock}"
    if moment.date() < (local_now + timedelta(days=7)).date():
        if language == "nl":
            return f"op {DUTCH_DAYS[moment.weekday()]} om {clock}"
        return f"on {ENGLISH_DAYS[moment.weekday()]} at {clock}"
    # A week or more ahead: the weekday alone would be ambiguous.
    if language == "nl":
        day = f"{DUTCH_DAYS[moment.weekday()]} {moment.day} {DUTCH_MONTHS[moment.month - 1]}"
        return f"op {day} om {clock}"
    day = f"{ENGLISH_DAYS[moment.weekday()]} {moment.day} {ENGLISH_MONTHS[moment.month - 1]}"
    return f"on {day} at {clock}"


def system_text(
    rules: RuleSetData,
    key: str,
    language: str,
    *,
    org_name: str,
    at: datetime,
    wait: str = "",
) -> str:
    """The rule set's text for key in the language, with the fixed placeholders filled:
    {org_name}, {next_open} (when the organisation opens next) and {wait} (the queue
    position and expected wait, already in the language; see conversations/availability)."""
    lang = language if language in ("nl", "en") else "nl"
    template = rules.texts[key][lang]  # type: ignore[index]
    values = {"org_name": org_name, "next_open": "", "wait": wait}
    if "{next_open}" in template:
        values["next_open"] = describe_opening(next_opening(rules, at), lang, at)
    if not wait:
        template = template.replace(" {wait} ", " ").replace("{wait}", "")
    # format_map with fixed keys: a supervisor's stray brace must not break a turn.
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError):
        return template
