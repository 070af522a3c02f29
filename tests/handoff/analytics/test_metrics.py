"""Every analytics number of the fixture period (2–3 November 2026, Amsterdam), worked
out by hand from tests/handoff/analytics/fixture.py."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy.orm import Session

from handoff.analytics.export import to_csv
from handoff.analytics.load import analyse
from handoff.analytics.metrics import AnalyticsReport
from handoff.analytics.period import Period
from handoff.analytics.views import CHARTS
from tests.handoff.analytics.fixture import write_fixture

PERIOD = Period(start=date(2026, 11, 2), end=date(2026, 11, 3))


@pytest.fixture
def report(session: Session) -> AnalyticsReport:
    write_fixture(session)
    session.commit()
    return analyse(session, PERIOD)[0]


def test_conversations_per_channel_and_outcome(report: AnalyticsReport) -> None:
    # C1–C5; C6 is before the period, C7 after it.
    assert report.conversations == 5
    assert report.generated == 0
    assert report.per_channel == {"web": 4, "whatsapp": 1}
    # C1 contained; C2, C3, C5 handed over; C4 left while waiting.
    assert report.outcomes == {"contained": 1, "handed_over": 3, "abandoned": 1}


def test_handoffs_by_reason_over_time(report: AnalyticsReport) -> None:
    # C5's requeue adds a Handoff row, not a second request.
    assert report.handoffs_by_reason == {
        "bot_failure": 1,
        "explicit_request": 1,
        "frustration": 1,
        "low_confidence": 1,
    }
    assert report.handoffs_per_day == {
        "2026-11-02": {"explicit_request": 1, "low_confidence": 1},
        "2026-11-03": {"frustration": 1, "bot_failure": 1},
    }


def test_time_to_a_person_and_in_the_queue(report: AnalyticsReport) -> None:
    # Claimed after 60 (C2), 300 (C3), 120 (C5) s: median 120, p90 the 3rd of 3.
    assert report.time_to_person.count == 3
    assert report.time_to_person.median_seconds == 120
    assert report.time_to_person.p90_seconds == 300
    # Queue: 60, 300, 600 (C4, nobody came), 120 + 120 (C5, requeued) = 240.
    assert report.time_in_queue.count == 4
    assert report.time_in_queue.median_seconds == (240 + 300) / 2
    assert report.time_in_queue.p90_seconds == 600


def test_handoffs_per_intent_and_the_value_matrix(report: AnalyticsReport) -> None:
    rows = [(r.intent, r.conversations, r.handed_over, r.quadrant) for r in report.intents]
    assert rows == [
        ("submit_meter_reading", 2, 1, "automate"),
        ("(geen onderwerp)", 1, 1, None),
        ("explain_bill", 1, 1, "simplify"),
        ("report_outage", 1, 1, "eliminate"),
    ]
    assert report.value_matrix.volume == {"automate": 2, "human": 0, "simplify": 1, "eliminate": 1}
    assert [r.intent for r in report.value_matrix.top_simplify] == ["explain_bill"]
    assert [r.intent for r in report.value_matrix.top_eliminate] == ["report_outage"]


def test_repeat_contact_within_seven_days(report: AnalyticsReport) -> None:
    # C2 repeats C1 (Anna, meter reading, a day later); C3 repeats C6 (Bob, bill, 3 days
    # earlier, before the period). Four conversations have a topic.
    assert report.repeat_contacts == 2
    assert report.repeat_share == 0.5


def test_bot_turns_before_a_handoff_and_frustration(report: AnalyticsReport) -> None:
    # C2, C3, C4: one answered turn before the handoff; C5: none (respond failed).
    assert report.bot_turns_before_handoff == {0: 1, 1: 3}
    assert report.bot_turns_before_handoff_mean == 0.75
    # Only C2: "werkt niet" and "!!!".
    assert report.frustrated == 1
    assert report.frustrated_share == 0.2


def test_satisfaction(report: AnalyticsReport) -> None:
    assert report.csat.asked == 3  # C2, C3, C5
    assert report.csat.answered == 2
    assert report.csat.mean == 3.0
    assert report.csat.distribution == {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}
    assert report.csat.mean_per_channel == {"web": 4.0, "whatsapp": 2.0}


def test_the_csv_holds_the_same_numbers(report: AnalyticsReport) -> None:
    table = list(csv.reader(io.StringIO(to_csv(report))))
    assert table[0] == ["section", "key", "value"]
    values = {(section, key): value for section, key, value in table[1:]}
    assert values[("conversations", "total")] == "5"
    assert values[("per_channel", "whatsapp")] == "1"
    assert values[("outcomes", "abandoned")] == "1"
    assert values[("handoffs_per_day", "2026-11-03 frustration")] == "1"
    assert values[("time_in_queue", "median_seconds")] == "270"
    assert values[("time_to_person", "p90_seconds")] == "300"
    assert values[("intent_handed_over", "explain_bill")] == "1"
    assert values[("value_matrix", "simplify")] == "1"
    assert values[("repeat_contact", "share")] == "0.5"
    assert values[("frustration", "share")] == "0.2"
    assert values[("csat", "mean")] == "3"
    assert values[("csat_mean_per_channel", "whatsapp")] == "2"


def test_charts_are_svg_with_the_numbers_in_text(report: AnalyticsReport) -> None:
    channels = CHARTS["channels"](report)
    assert channels.startswith("<svg") and channels.endswith("</svg>")
    assert "<desc>web: 4; whatsapp: 1</desc>" in channels
    outcomes = CHARTS["outcomes"](report)
    assert "Afgehaakt tijdens wachten: 1" in outcomes
    reasons = CHARTS["reasons"](report)
    assert (
        "2026-11-03: bot_failure 1, explicit_request 0, frustration 1, low_confidence 0" in reasons
    )
