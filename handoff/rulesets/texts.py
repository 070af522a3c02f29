"""The service's own texts and opening hours, as the active rule set defines them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from handoff.rulesets.defaults import WEEKDAYS, RuleSetData

DUTCH_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
ENGLISH_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _periods(rules: RuleSetData, day: datetime) -> list[tuple[time, time]]:
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
    for offset in range(8):
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
    if language == "nl":
        return f"op {DUTCH_DAYS[moment.weekday()]} om {clock}"
    return f"on {ENGLISH_DAYS[moment.weekday()]} at {clock}"


def system_text(rules: RuleSetData, key: str, language: str, *, org_name: str, at: datetime) -> str:
    lang = language if language in ("nl", "en") else "nl"
    template = rules.texts[key][lang]  # type: ignore[index]
    values = {"org_name": org_name, "next_open": ""}
    if "{next_open}" in template:
        values["next_open"] = describe_opening(next_opening(rules, at), lang, at)
    # format_map with fixed keys: a supervisor's stray brace must not break a turn.
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError):
        return template
