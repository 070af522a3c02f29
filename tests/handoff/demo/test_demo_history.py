"""The demo history: realistic rows, every one marked as generated, consistent with the
live decision code, and removable without touching real conversations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.analytics.period import Period
from handoff.cli import main
from handoff.conversations.models import Contact, Conversation, Handoff, Message
from handoff.demo.history import Options, generate, remove
from handoff.feedback.models import CsatResponse
from handoff.replay.period import replay_period
from handoff.rulesets.defaults import DEFAULT_RULESET
from tests.handoff.replay.fixture import write_fixture

END = date(2026, 11, 20)


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_generated_rows_are_marked_and_consistent(session: Session) -> None:
    written = generate(session, Options(days=3, per_day=20, end=END, seed=3))
    session.commit()
    assert written == _count(session, Conversation) and written > 30
    contacts = session.scalars(select(Contact.external_id_hash)).all()
    assert all(h.startswith("generated:") for h in contacts)
    messages = session.scalars(select(Message)).all()
    assert all(m.payload.get("generated") is True for m in messages)
    customer = [m for m in messages if m.author == "customer"]
    assert all(m.features and m.features["tokens"] for m in customer)
    assert any(m.text == "ik wil mijn meterstand doorgeven" for m in customer)
    handoffs = session.scalars(select(Handoff)).all()
    assert handoffs and all(h.context["generated"] is True for h in handoffs)
    assert all(h.evidence["text"] for h in handoffs)
    assert {h.reason for h in handoffs} >= {"explicit_request", "low_confidence"}
    assert all(r.generated for r in session.scalars(select(CsatResponse)))
    assert any(r.score is not None for r in session.scalars(select(CsatResponse)))

    # The active rule set decided every handoff: replaying it changes nothing.
    period = Period(start=END - timedelta(days=3), end=END)
    replayed = replay_period(session, period, DEFAULT_RULESET)
    assert replayed.conversations == written
    assert replayed.active.unknown == 0 and replayed.flipped == []
    assert replayed.active.reached_person == len({h.conversation_id for h in handoffs})


def test_remove_deletes_only_generated_rows(session: Session) -> None:
    ids = write_fixture(session)
    generate(session, Options(days=1, per_day=10, end=END, seed=1))
    session.commit()
    removed = remove(session)
    session.commit()
    assert removed >= 8
    assert set(session.scalars(select(Conversation.id))) == set(ids.values())
    assert _count(session, CsatResponse) == 0
    assert not any(
        h.startswith("generated:") for h in session.scalars(select(Contact.external_id_hash))
    )
    assert all(not m.payload.get("generated") for m in session.scalars(select(Message)))


def test_the_command_generates_and_removes(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HANDOFF_DATABASE_URL", sqlite_url)
    from handoff.core.config import get_settings

    get_settings.cache_clear()
    try:
        assert main(["demo-history", "--days", "1", "--per-day", "5"]) == 0
        made = int(capsys.readouterr().out.split()[0])
        assert made >= 4
        assert main(["demo-history", "--remove"]) == 0
        assert capsys.readouterr().out.strip() == (
            f"{made} gegenereerde demo-gesprekken verwijderd"
        )
        assert main(["demo-history", "--days", "0"]) == 1
        assert "--days en --per-day moeten minstens 1 zijn" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
