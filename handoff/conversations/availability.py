"""Who can answer a waiting customer, and an honest expected wait.

An agent counts as available only with the toggle on, a live console (a heartbeat
within HEARTBEAT_FRESH) and within opening hours. The expected wait comes from the
queue position, recent handle times and the number of available agents; without any
history no minutes are promised.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.accounts.models import Account
from handoff.conversations.models import Handoff
from handoff.conversations.store import as_utc
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.texts import is_open

HEARTBEAT_FRESH = timedelta(seconds=60)
# Handle times of handoffs ended this long ago at most count as "recent".
HANDLE_TIME_WINDOW = timedelta(days=7)
HANDLE_TIME_SAMPLE = 500


def available_agents(session: Session, rules: RuleSetData, at: datetime) -> int:
    """Active agents with the toggle on and a live console; none out of hours."""
    if not is_open(rules, at):
        return 0
    count = session.scalar(
        select(func.count(Account.id)).where(
            Account.active.is_(True),
            Account.available.is_(True),
            Account.last_heartbeat_at >= at - HEARTBEAT_FRESH,
        )
    )
    return int(count or 0)


def anyone_available(session: Session, rules: RuleSetData, at: datetime) -> bool:
    return available_agents(session, rules, at) > 0


def recent_handle_times(session: Session, at: datetime) -> list[timedelta]:
    """claimed_at → ended_at of the handoffs an agent claimed that ended in the window."""
    rows = session.execute(
        select(Handoff.claimed_at, Handoff.ended_at)
        .where(
            Handoff.claimed_at.is_not(None),
            Handoff.ended_at.is_not(None),
            Handoff.ended_at >= at - HANDLE_TIME_WINDOW,
            Handoff.ended_at <= at,
        )
        .order_by(Handoff.ended_at.desc())
        .limit(HANDLE_TIME_SAMPLE)
    ).all()
    times = []
    for claimed_at, ended_at in rows:
        if claimed_at is None or ended_at is None:
            continue
        duration = as_utc(ended_at) - as_utc(claimed_at)
        if duration >= timedelta(0):
            times.append(duration)
    return times


@dataclass(frozen=True)
class WaitEstimate:
    position: int
    minutes: int | None  # None: no history (or nobody available) to estimate from


def expected_wait(position: int, handle_times: Sequence[timedelta], agents: int) -> WaitEstimate:
    """Each available agent takes one customer per median handle time, so the customer
    at `position` waits about ceil(position / agents) of them; whole minutes, at least 1."""
    if not handle_times or agents < 1:
        return WaitEstimate(position, None)
    median = statistics.median(t.total_seconds() for t in handle_times)
    seconds = math.ceil(position / agents) * median
    return WaitEstimate(position, max(1, math.ceil(seconds / 60)))


def estimate_wait(
    session: Session, rules: RuleSetData, at: datetime, position: int
) -> WaitEstimate:
    return expected_wait(
        position, recent_handle_times(session, at), available_agents(session, rules, at)
    )


def describe_wait(estimate: WaitEstimate, language: str) -> str:
    """The {wait} placeholder of the `waiting` text."""
    n = estimate.position
    if language == "en":
        place = f"You are number {n} in the queue"
        if estimate.minutes is None:
            return f"{place}. We cannot yet estimate well how long it will take."
        unit = "minute" if estimate.minutes == 1 else "minutes"
        return f"{place}; the expected wait is about {estimate.minutes} {unit}."
    place = f"Je bent nummer {n} in de rij"
    if estimate.minutes is None:
        return f"{place}. We kunnen nog niet goed inschatten hoe lang het duurt."
    unit = "minuut" if estimate.minutes == 1 else "minuten"
    return f"{place}; de verwachte wachttijd is ongeveer {estimate.minutes} {unit}."
