"""The console's charts of a report, by name (the SVG endpoint serves them)."""

from __future__ import annotations

from collections.abc import Callable

from handoff.analytics.charts import bar_chart, stacked_columns
from handoff.analytics.metrics import AnalyticsReport

OUTCOME_LABELS = {
    "contained": "Door de bot afgehandeld",
    "handed_over": "Naar een medewerker",
    "abandoned": "Afgehaakt tijdens wachten",
}


def _channels(report: AnalyticsReport) -> str:
    return bar_chart("Gesprekken per kanaal", [(k, v) for k, v in report.per_channel.items()])


def _outcomes(report: AnalyticsReport) -> str:
    return bar_chart(
        "Afloop van gesprekken", [(OUTCOME_LABELS[k], v) for k, v in report.outcomes.items()]
    )


def _reasons(report: AnalyticsReport) -> str:
    series = sorted(report.handoffs_by_reason)
    return stacked_columns("Overdrachten per reden per dag", report.handoffs_per_day, series)


def _intents(report: AnalyticsReport) -> str:
    return bar_chart(
        "Overdrachten per onderwerp", [(r.intent, r.handed_over) for r in report.intents]
    )


def _quadrants(report: AnalyticsReport) -> str:
    return bar_chart(
        "Gesprekken per kwadrant (Value Matrix)", list(report.value_matrix.volume.items())
    )


def _bot_turns(report: AnalyticsReport) -> str:
    return bar_chart(
        "Botbeurten voor een overdracht",
        [(f"{k} beurten", v) for k, v in report.bot_turns_before_handoff.items()],
    )


def _csat(report: AnalyticsReport) -> str:
    return bar_chart(
        "Tevredenheid (1–5)", [(f"cijfer {k}", v) for k, v in report.csat.distribution.items()]
    )


CHARTS: dict[str, Callable[[AnalyticsReport], str]] = {
    "channels": _channels,
    "outcomes": _outcomes,
    "reasons": _reasons,
    "intents": _intents,
    "quadrants": _quadrants,
    "bot-turns": _bot_turns,
    "csat": _csat,
}
