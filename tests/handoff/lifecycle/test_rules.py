"""The lifecycle decisions, case by case and over every combination of the facts."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from handoff.conversations.state import State
from handoff.core.config import Settings
from handoff.lifecycle.rules import Action, Facts, Limits, decide, unanswered_since

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LIMITS = Limits.from_settings(
    Settings(
        inactivity_bot_minutes=30,
        inactivity_waiting_minutes=240,
        inactivity_human_minutes=60,
        abandoned_after_minutes=10,
        unanswered_claim_minutes=5,
    )
)


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def facts(state: State = State.bot, **overrides: object) -> Facts:
    base = Facts(
        state=state,
        channel="web",
        last_activity_at=minutes_ago(1),
        last_customer_message_at=minutes_ago(1),
        last_agent_message_at=None,
        claimed_at=None,
        customer_seen_at=minutes_ago(1),
        email_left=False,
        out_of_hours=False,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_limits_follow_settings() -> None:
    assert LIMITS.inactivity[State.bot] == timedelta(minutes=30)
    assert LIMITS.inactivity[State.waiting] == timedelta(minutes=240)
    assert LIMITS.inactivity[State.human] == timedelta(minutes=60)
    assert LIMITS.shortest == timedelta(minutes=5)


def test_closed_conversation_is_left_alone() -> None:
    assert decide(facts(State.closed, last_activity_at=minutes_ago(10_000)), NOW, LIMITS) is None


@pytest.mark.parametrize(
    ("quiet_minutes", "expected"), [(29, None), (30, Action.expire), (300, Action.expire)]
)
def test_bot_conversation_expires_after_its_timeout(
    quiet_minutes: int, expected: Action | None
) -> None:
    quiet = facts(State.bot, last_activity_at=minutes_ago(quiet_minutes))
    assert decide(quiet, NOW, LIMITS) is expected


def test_waiting_whatsapp_conversation_expires_in_hours() -> None:
    waiting = facts(State.waiting, channel="whatsapp", last_activity_at=minutes_ago(240))
    assert decide(waiting, NOW, LIMITS) is Action.expire
    assert decide(replace(waiting, last_activity_at=minutes_ago(239)), NOW, LIMITS) is None


def test_waiting_out_of_hours_never_expires() -> None:
    waiting = facts(
        State.waiting, channel="whatsapp", last_activity_at=minutes_ago(5000), out_of_hours=True
    )
    assert decide(waiting, NOW, LIMITS) is None


def test_waiting_with_email_left_never_expires_nor_is_abandoned() -> None:
    waiting = facts(
        State.waiting, last_activity_at=minutes_ago(5000), customer_seen_at=None, email_left=True
    )
    assert decide(waiting, NOW, LIMITS) is None


@pytest.mark.parametrize(("seen_minutes", "expected"), [(9, None), (10, Action.abandon)])
def test_web_customer_gone_from_waiting_conversation_is_abandoned(
    seen_minutes: int, expected: Action | None
) -> None:
    waiting = facts(State.waiting, customer_seen_at=minutes_ago(seen_minutes))
    assert decide(waiting, NOW, LIMITS) is expected


def test_web_customer_never_seen_connected_is_abandoned() -> None:
    assert decide(facts(State.waiting, customer_seen_at=None), NOW, LIMITS) is Action.abandon


def test_web_customer_gone_out_of_hours_is_still_abandoned() -> None:
    waiting = facts(State.waiting, customer_seen_at=minutes_ago(60), out_of_hours=True)
    assert decide(waiting, NOW, LIMITS) is Action.abandon


def test_whatsapp_customer_is_never_abandoned() -> None:
    waiting = facts(State.waiting, channel="whatsapp", customer_seen_at=None)
    assert decide(waiting, NOW, LIMITS) is None


@pytest.mark.parametrize(("waited", "expected"), [(4, None), (5, Action.requeue_unanswered)])
def test_claimed_conversation_with_unanswered_customer_is_requeued(
    waited: int, expected: Action | None
) -> None:
    claimed = facts(
        State.human,
        claimed_at=minutes_ago(30),
        last_agent_message_at=minutes_ago(20),
        last_customer_message_at=minutes_ago(waited),
        last_activity_at=minutes_ago(waited),
    )
    assert decide(claimed, NOW, LIMITS) is expected


def test_unanswered_question_asked_before_claim_counts_from_claim() -> None:
    claimed = facts(
        State.human,
        last_customer_message_at=minutes_ago(30),
        claimed_at=minutes_ago(3),
        last_activity_at=minutes_ago(3),
    )
    assert unanswered_since(claimed) == minutes_ago(3)
    assert decide(claimed, NOW, LIMITS) is None
    assert decide(claimed, NOW + timedelta(minutes=2), LIMITS) is Action.requeue_unanswered


def test_answered_customer_is_not_waiting() -> None:
    answered = facts(
        State.human,
        last_customer_message_at=minutes_ago(30),
        last_agent_message_at=minutes_ago(29),
        claimed_at=minutes_ago(31),
        last_activity_at=minutes_ago(29),
    )
    assert unanswered_since(answered) is None
    assert decide(answered, NOW, LIMITS) is None


def test_quiet_claimed_conversation_expires_after_human_timeout() -> None:
    answered = facts(
        State.human,
        last_customer_message_at=minutes_ago(70),
        last_agent_message_at=minutes_ago(60),
        claimed_at=minutes_ago(75),
        last_activity_at=minutes_ago(60),
    )
    assert decide(answered, NOW, LIMITS) is Action.expire
    assert decide(replace(answered, last_activity_at=minutes_ago(59)), NOW, LIMITS) is None


def test_claimed_conversation_without_customer_messages_only_expires() -> None:
    silent = facts(
        State.human,
        last_customer_message_at=None,
        claimed_at=minutes_ago(61),
        last_activity_at=minutes_ago(61),
    )
    assert decide(silent, NOW, LIMITS) is Action.expire


STATES = list(State)
CHANNELS = ["web", "whatsapp"]
FLAGS = [False, True]
AGES = [0, 4, 5, 9, 10, 29, 30, 59, 60, 239, 240, 10_000]


@pytest.mark.parametrize(
    ("state", "channel", "email_left", "out_of_hours"),
    list(itertools.product(STATES, CHANNELS, FLAGS, FLAGS)),
)
def test_decide_holds_its_promises_for_every_combination(
    state: State, channel: str, email_left: bool, out_of_hours: bool
) -> None:
    for quiet, seen, customer_age, agent_age in itertools.product(
        AGES, [*AGES, None], AGES, [*AGES, None]
    ):
        case = facts(
            state,
            channel=channel,
            email_left=email_left,
            out_of_hours=out_of_hours,
            last_activity_at=minutes_ago(quiet),
            customer_seen_at=minutes_ago(seen) if seen is not None else None,
            last_customer_message_at=minutes_ago(customer_age),
            last_agent_message_at=minutes_ago(agent_age) if agent_age is not None else None,
            claimed_at=minutes_ago(100) if state == State.human else None,
        )
        action = decide(case, NOW, LIMITS)
        if state == State.closed:
            assert action is None
        if action is Action.expire:
            assert quiet >= LIMITS.inactivity[state].total_seconds() / 60
            assert not (state == State.waiting and (email_left or out_of_hours))
        if action is Action.abandon:
            assert state == State.waiting and channel == "web" and not email_left
        if action is Action.requeue_unanswered:
            assert state == State.human
            assert agent_age is None or agent_age > customer_age
        # A person's customer waiting unanswered is requeued, never expired.
        if state == State.human and unanswered_since(case) is not None:
            assert action in (None, Action.requeue_unanswered)
