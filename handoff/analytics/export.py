"""The report's numbers as CSV: one row per number (section, key, value), so a
spreadsheet can pivot it and nothing is nested."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from handoff.analytics.metrics import AnalyticsReport, Durations

Row = tuple[str, str, str]


def _value(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _durations(section: str, durations: Durations) -> Iterator[Row]:
    yield section, "count", _value(durations.count)
    yield section, "median_seconds", _value(durations.median_seconds)
    yield section, "p90_seconds", _value(durations.p90_seconds)


def rows(report: AnalyticsReport) -> Iterator[Row]:
    yield "period", "start", report.period.start.isoformat()
    yield "period", "end", report.period.end.isoformat()
    yield "conversations", "total", _value(report.conversations)
    yield "conversations", "generated", _value(report.generated)
    for channel, count in report.per_channel.items():
        yield "per_channel", channel, _value(count)
    for kind, count in report.outcomes.items():
        yield "outcomes", kind, _value(count)
    for reason, count in report.handoffs_by_reason.items():
        yield "handoffs_by_reason", reason, _value(count)
    for day, reasons in report.handoffs_per_day.items():
        for reason, count in sorted(reasons.items()):
            yield "handoffs_per_day", f"{day} {reason}", _value(count)
    yield from _durations("time_to_person", report.time_to_person)
    yield from _durations("time_in_queue", report.time_in_queue)
    for row in report.intents:
        yield "intent_conversations", row.intent, _value(row.conversations)
        yield "intent_handed_over", row.intent, _value(row.handed_over)
    for quadrant, count in report.value_matrix.volume.items():
        yield "value_matrix", quadrant, _value(count)
    yield "repeat_contact", "conversations", _value(report.repeat_contacts)
    yield "repeat_contact", "share", _value(report.repeat_share)
    for turns, count in report.bot_turns_before_handoff.items():
        yield "bot_turns_before_handoff", str(turns), _value(count)
    yield "bot_turns_before_handoff", "mean", _value(report.bot_turns_before_handoff_mean)
    yield "frustration", "conversations", _value(report.frustrated)
    yield "frustration", "share", _value(report.frustrated_share)
    yield "csat", "asked", _value(report.csat.asked)
    yield "csat", "answered", _value(report.csat.answered)
    yield "csat", "mean", _value(report.csat.mean)
    for score, count in report.csat.distribution.items():
        yield "csat_distribution", str(score), _value(count)
    for channel, mean in report.csat.mean_per_channel.items():
        yield "csat_mean_per_channel", channel, _value(mean)


def to_csv(report: AnalyticsReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("section", "key", "value"))
    # A leading =, +, - or @ would be a formula in a spreadsheet: keys are ours, but intents
    # come from the model's domain; quote them defensively.
    writer.writerows(
        (section, "'" + key if key[:1] in ("=", "+", "-", "@") else key, value)
        for section, key, value in rows(report)
    )
    return buffer.getvalue()
