"""Honest availability and expected wait: the pure estimate, the database facts it
reads, and what a customer who asks for a person is told over the widget protocol."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from handoff.accounts.models import Role
from handoff.accounts.store import create_account
from handoff.conversations import store
from handoff.conversations.availability import (
    WaitEstimate,
    available_agents,
    describe_wait,
    expected_wait,
    recent_handle_times,
)
from handoff.conversations.models import Handoff
from handoff.conversations.state import Move, State
from handoff.rulesets.defaults import DEFAULT_RULESET
from tests.handoff.customers import (
    Customer,
    TestClient,
    conversation,
    database,
    make_app,
    messages_of,
)
from tests.handoff.fake_rasa import FakeRasa

# Monday 23 November 2026, 10:00 UTC (11:00 in Amsterdam): open.
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
# Sunday 22 November 2026, 20:00 UTC: closed, open again Monday 08:00.
SUNDAY_EVENING = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
# Tuesday 27 April 2027, 10:00 UTC: King's Day.
KINGS_DAY = datetime(2027, 4, 27, 10, 0, tzinfo=UTC)

HANDOFF_TEXT = "Ik verbind je door met een medewerker."


def minutes(*values: float) -> list[timedelta]:
    return [timedelta(minutes=v) for v in values]


# The pure estimate


def test_no_history_promises_no_minutes() -> None:
    assert expected_wait(2, [], agents=3) == WaitEstimate(2, None)


def test_nobody_available_promises_no_minutes() -> None:
    assert expected_wait(1, minutes(5, 6, 7), agents=0) == WaitEstimate(1, None)


def test_wait_is_the_median_handle_time_per_round_of_available_agents() -> None:
    history = minutes(4, 6, 30)  # median 6: one slow conversation does not dominate
    assert expected_wait(1, history, agents=1).minutes == 6
    assert expected_wait(2, history, agents=2).minutes == 6
    assert expected_wait(3, history, agents=2).minutes == 12
    assert expected_wait(3, history, agents=1).minutes == 18


def test_a_short_wait_is_at_least_a_minute() -> None:
    assert expected_wait(1, [timedelta(seconds=20)], agents=4).minutes == 1


def test_wait_texts_in_both_languages() -> None:
    assert describe_wait(WaitEstimate(2, 6), "nl") == (
        "Je bent nummer 2 in de rij; de verwachte wachttijd is ongeveer 6 minuten."
    )
    assert describe_wait(WaitEstimate(1, 1), "nl").endswith("ongeveer 1 minuut.")
    assert describe_wait(WaitEstimate(2, None), "nl") == (
        "Je bent nummer 2 in de rij. We kunnen nog niet goed inschatten hoe lang het duurt."
    )
    assert describe_wait(WaitEstimate(3, 12), "en") == (
        "You are number 3 in the queue; the expected wait is about 12 minutes."
    )
    assert "cannot yet estimate" in describe_wait(WaitEstimate(1, None), "en")


# Facts from the database


def add_agent(
    app: FastAPI,
    *,
    available: bool = True,
    heartbeat: datetime | None = None,
    active: bool = True,
) -> int:
    with database(app) as session:
        account = create_account(
            session,
            email=f"{uuid.uuid4().hex[:8]}@example.nl",
            display_name="Agent",
            password="a long enough password",
            role=Role.agent,
        )
        account.available = available
        account.last_heartbeat_at = heartbeat
        account.active = active
        return account.id


def add_handled(app: FastAPI, *, claimed_at: datetime | None, ended_at: datetime) -> None:
    """A closed conversation whose handoff an agent claimed and ended."""
    with database(app) as session:
        contact = store.create_contact(session, channel="web", external_id_hash=uuid.uuid4().hex)
        closed = store.create_conversation(session, contact=contact, language="nl")
        store.apply_move(session, conversation=closed, move=Move.close)
        session.add(
            Handoff(
                conversation_id=closed.id,
                reason="explicit_request",
                ruleset_version=1,
                requested_at=(claimed_at or ended_at) - timedelta(minutes=1),
                claimed_at=claimed_at,
                ended_at=ended_at,
                end_kind="closed",
            )
        )


def seed_history(app: FastAPI, at: datetime) -> None:
    """Handle times of 4, 6 and 8 minutes in the last week; older or unclaimed ones
    do not count."""
    for days_ago, handled in ((1, 4), (2, 6), (6, 8)):
        ended = at - timedelta(days=days_ago)
        add_handled(app, claimed_at=ended - timedelta(minutes=handled), ended_at=ended)
    ended = at - timedelta(days=8)
    add_handled(app, claimed_at=ended - timedelta(minutes=90), ended_at=ended)
    add_handled(app, claimed_at=None, ended_at=at - timedelta(hours=1))


def test_recent_handle_times_are_claim_to_end_of_the_last_week(sqlite_url: str) -> None:
    app = make_app(sqlite_url)
    seed_history(app, MONDAY)
    with database(app) as session:
        times = recent_handle_times(session, MONDAY)
    assert sorted(times) == minutes(4, 6, 8)


def test_an_agent_counts_with_toggle_live_console_and_opening_hours(
    database_url: str,
) -> None:
    app = make_app(database_url)
    add_agent(app, heartbeat=MONDAY - timedelta(seconds=30))
    add_agent(app, heartbeat=MONDAY - timedelta(seconds=90))  # console gone
    add_agent(app, available=False, heartbeat=MONDAY)  # toggle off
    add_agent(app, heartbeat=MONDAY, active=False)  # deactivated
    add_agent(app, heartbeat=None)  # never connected
    with database(app) as session:
        assert available_agents(session, DEFAULT_RULESET, MONDAY) == 1
    # The same agent on Sunday evening or on King's Day is not available.
    add_agent(app, heartbeat=SUNDAY_EVENING)
    add_agent(app, heartbeat=KINGS_DAY)
    with database(app) as session:
        assert available_agents(session, DEFAULT_RULESET, SUNDAY_EVENING) == 0
        assert available_agents(session, DEFAULT_RULESET, KINGS_DAY) == 0


# Over the customer protocol


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime]:
    """The service's clock (store.now), set per test."""
    current = {"at": MONDAY}
    monkeypatch.setattr(store, "now", lambda: current["at"])
    return current


@pytest.fixture
def app(sqlite_url: str) -> FastAPI:
    return make_app(sqlite_url, FakeRasa())


@pytest.fixture
def client(app: FastAPI, clock: dict[str, datetime]) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def ask_for_a_person(client: TestClient) -> tuple[str, list[dict[str, Any]]]:
    """A customer presses the button; (conversation id, system frames they received)."""
    customer = Customer(client)
    customer.connect()
    customer.press_person_button("btn-1")
    state = customer.receive_until(lambda f: f["type"] == "state")
    assert state["state"] == "waiting"

    def system_frames() -> list[dict[str, Any]]:
        return [f for f in customer.seen if f["type"] == "message" and f["author"] == "system"]

    # The disclosure, the handoff text and what happens next.
    while len(system_frames()) < 3:
        customer.receive()
    customer.close()
    return customer.conversation_id, system_frames()


def told(app: FastAPI, conversation_id: str) -> list[tuple[str, str]]:
    """(text key, text) of the system texts stored after the disclosure."""
    return [
        (m.payload["text_key"], m.text)
        for m in messages_of(app, conversation_id)
        if m.author == "system" and m.payload.get("kind") == "system_text"
    ]


def assert_waiting_and_told(
    app: FastAPI, conversation_id: str, frames: list[dict[str, Any]], key: str
) -> str:
    assert conversation(app, conversation_id).state == State.waiting
    stored = told(app, conversation_id)
    assert [k for k, _ in stored] == ["handoff", key]
    assert stored[0][1].startswith(HANDOFF_TEXT)
    assert [f["text"] for f in frames[1:]] == [text for _, text in stored]
    return stored[1][1]


def test_no_agent_online_tells_the_customer_nobody_is_available(
    app: FastAPI, client: TestClient
) -> None:
    add_agent(app, heartbeat=MONDAY - timedelta(minutes=5))  # toggle on, console gone
    conversation_id, frames = ask_for_a_person(client)
    text = assert_waiting_and_told(app, conversation_id, frames, "nobody_available")
    assert text.startswith("Op dit moment is er helaas geen medewerker beschikbaar.")


def test_outside_opening_hours_the_customer_hears_when_it_opens(
    app: FastAPI, client: TestClient, clock: dict[str, datetime]
) -> None:
    clock["at"] = SUNDAY_EVENING
    add_agent(app, heartbeat=SUNDAY_EVENING)  # even a live console does not count
    conversation_id, frames = ask_for_a_person(client)
    text = assert_waiting_and_told(app, conversation_id, frames, "out_of_hours")
    assert "We zijn er weer morgen om 08:00." in text
    assert "antwoordt hier in dit gesprek" in text and "e-mail" in text


def test_on_a_dutch_public_holiday_the_customer_hears_when_it_opens(
    app: FastAPI, client: TestClient, clock: dict[str, datetime]
) -> None:
    clock["at"] = KINGS_DAY
    add_agent(app, heartbeat=KINGS_DAY)
    conversation_id, frames = ask_for_a_person(client)
    text = assert_waiting_and_told(app, conversation_id, frames, "out_of_hours")
    assert "We zijn er weer morgen om 08:00." in text


def test_an_available_agent_and_history_give_an_expected_wait(
    app: FastAPI, client: TestClient
) -> None:
    add_agent(app, heartbeat=MONDAY - timedelta(seconds=20))
    seed_history(app, MONDAY)
    conversation_id, frames = ask_for_a_person(client)
    text = assert_waiting_and_told(app, conversation_id, frames, "waiting")
    assert text == (
        "Een medewerker neemt het gesprek zo snel mogelijk over. Je bent nummer 1 in de "
        "rij; de verwachte wachttijd is ongeveer 6 minuten. Blijf gerust even hier."
    )


def test_the_second_in_line_with_two_agents(
    app: FastAPI, client: TestClient, clock: dict[str, datetime]
) -> None:
    add_agent(app, heartbeat=MONDAY)
    add_agent(app, heartbeat=MONDAY)
    seed_history(app, MONDAY)
    ask_for_a_person(client)
    clock["at"] = MONDAY + timedelta(seconds=10)
    conversation_id, frames = ask_for_a_person(client)
    text = assert_waiting_and_told(app, conversation_id, frames, "waiting")
    assert "Je bent nummer 2 in de rij; de verwachte wachttijd is ongeveer 6 minuten." in text


def test_without_history_the_wait_is_not_guessed(app: FastAPI, client: TestClient) -> None:
    add_agent(app, heartbeat=MONDAY)
    conversation_id, frames = ask_for_a_person(client)
    text = assert_waiting_and_told(app, conversation_id, frames, "waiting")
    assert "Je bent nummer 1 in de rij. We kunnen nog niet goed inschatten hoe lang het duurt." in (
        text
    )
    assert "minuten" not in text
