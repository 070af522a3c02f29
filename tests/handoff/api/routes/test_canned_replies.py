"""Canned replies: every staff member reads them, only supervisors change them, every
change is audited, bad input is refused in words and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from handoff.audit.models import AuditEntry
from handoff.db.session import session_scope
from tests.handoff.accounts.staff import (
    TestClient,
    assert_json_error,
    login_agent,
    login_supervisor,
)
from tests.handoff.customers import make_app

PATH = "/api/agent/canned-replies"


@pytest.fixture
def app(sqlite_url: str) -> FastAPI:
    return make_app(sqlite_url)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def titles(client: TestClient) -> list[str]:
    response = client.get(PATH)
    assert response.status_code == 200, response.text
    return [r["title"] for r in response.json()["canned_replies"]]


def audit_actions(app: FastAPI) -> list[str]:
    with session_scope(app.state.sessionmaker) as session:
        return [
            e.action
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if e.action.startswith("canned_reply")
        ]


def test_agents_read_the_defaults_the_migration_seeded(app: FastAPI, client: TestClient) -> None:
    login_agent(client, app)

    response = client.get(PATH)

    assert response.status_code == 200
    replies = response.json()["canned_replies"]
    dutch = [r for r in replies if r["language"] == "nl"]
    assert "Even geduld" in [r["title"] for r in dutch]
    assert {r["language"] for r in replies} == {"nl", "en"}


def test_canned_replies_need_a_login(client: TestClient) -> None:
    assert_json_error(client.get(PATH), 401, "Niet ingelogd of sessie verlopen")


def test_a_supervisor_adds_changes_and_removes_a_reply(app: FastAPI, client: TestClient) -> None:
    supervisor = login_supervisor(client, app)

    created = client.post(
        PATH,
        headers=supervisor.headers,
        json={"title": "Storing", "text": "Er is een storing in jouw regio.", "language": "nl"},
    )
    assert created.status_code == 201, created.text
    reply_id = created.json()["id"]
    assert "Storing" in titles(client)

    changed = client.put(
        f"{PATH}/{reply_id}",
        headers=supervisor.headers,
        json={"title": "Storing regio", "text": "We werken eraan.", "language": "nl"},
    )
    assert changed.status_code == 200
    assert changed.json()["text"] == "We werken eraan."
    assert "Storing regio" in titles(client) and "Storing" not in titles(client)

    removed = client.delete(f"{PATH}/{reply_id}", headers=supervisor.headers)
    assert removed.status_code == 204
    assert "Storing regio" not in titles(client)
    assert audit_actions(app) == [
        "canned_reply.create",
        "canned_reply.update",
        "canned_reply.delete",
    ]


def test_an_agent_cannot_change_canned_replies(app: FastAPI, client: TestClient) -> None:
    agent = login_agent(client, app)
    before = titles(client)

    response = client.post(
        PATH, headers=agent.headers, json={"title": "Eigen tekst", "text": "Hoi", "language": "nl"}
    )

    assert_json_error(response, 403, "Alleen voor supervisors")
    assert titles(client) == before


def test_a_blank_reply_is_refused_and_nothing_is_stored(app: FastAPI, client: TestClient) -> None:
    supervisor = login_supervisor(client, app)
    before = titles(client)

    blank = client.post(
        PATH, headers=supervisor.headers, json={"title": "Leeg", "text": "   ", "language": "nl"}
    )
    klingon = client.post(
        PATH, headers=supervisor.headers, json={"title": "Qapla", "text": "Hoi", "language": "tlh"}
    )

    assert blank.status_code == 422 and "mag niet leeg zijn" in blank.text
    assert klingon.status_code == 422 and "taal moet nl of en zijn" in klingon.text
    assert titles(client) == before
    assert audit_actions(app) == []


def test_changing_an_unknown_reply_is_not_found(app: FastAPI, client: TestClient) -> None:
    supervisor = login_supervisor(client, app)

    response = client.put(
        f"{PATH}/9999", headers=supervisor.headers, json={"title": "x", "text": "y"}
    )

    assert_json_error(response, 404, "Standaardantwoord niet gevonden")


def test_changing_a_reply_needs_the_csrf_token(app: FastAPI, client: TestClient) -> None:
    login_supervisor(client, app)

    response = client.post(PATH, json={"title": "x", "text": "y"})

    assert_json_error(response, 403, "CSRF-token ontbreekt of klopt niet")
