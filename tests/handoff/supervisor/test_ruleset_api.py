"""The supervisor's rule-set API end to end: validation (every problem, nothing saved),
versions with who and when, the audit diff, restore, and the next customer turn
following what was saved. Real app and database, a fake Rasa at the network edge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from handoff.audit.models import AuditEntry
from handoff.rulesets.defaults import DEFAULT_RULESET
from handoff.rulesets.models import RuleSet
from tests.handoff.accounts.staff import (
    LoggedIn,
    TestClient,
    assert_json_error,
    login_supervisor,
)
from tests.handoff.customers import Customer, handoffs_of, make_app, rows
from tests.handoff.fake_rasa import FakeRasa

GREETING = "Hallo! Waar kan ik je mee helpen?"


@pytest.fixture
def rasa() -> FakeRasa:
    return FakeRasa(replies={"greet": [{"text": GREETING, "response": "utter_greet"}]})


@pytest.fixture
def app(sqlite_url: str, rasa: FakeRasa) -> FastAPI:
    return make_app(sqlite_url, rasa)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def sara(client: TestClient, app: FastAPI) -> LoggedIn:
    return login_supervisor(client, app)


def defaults() -> dict[str, Any]:
    return DEFAULT_RULESET.model_dump(mode="json")


def save(client: TestClient, staff: LoggedIn, data: dict[str, Any], based_on: int | None) -> Any:
    return client.post(
        "/api/supervisor/ruleset",
        json={"data": data, "based_on": based_on},
        headers=staff.headers,
    )


def versions(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/api/supervisor/ruleset/versions")
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["versions"]
    return result


def stored_versions(app: FastAPI) -> list[tuple[int, bool]]:
    return [(r.version, r.active) for r in rows(app, select(RuleSet).order_by(RuleSet.version))]


def test_the_form_lists_every_setting_with_value_and_default(
    client: TestClient, sara: LoggedIn
) -> None:
    body = client.get("/api/supervisor/ruleset").json()
    assert body["version"] == 1
    fields = {f["name"]: f for f in body["form"]["fields"]}
    assert fields["thresholds.low_confidence_turns"]["value"] == 2
    assert fields["thresholds.low_confidence_turns"]["default"] == 2
    assert fields["thresholds.low_confidence_turns"]["label"] == "Mislukte beurten op rij"
    assert "medewerker" in fields["backstop_phrases.nl"]["default"]
    assert {r["intent"]: r["value"] for r in body["form"]["value_matrix"]}["complaint"] == "human"


def test_an_invalid_save_lists_every_problem_and_changes_nothing(
    app: FastAPI, client: TestClient, sara: LoggedIn
) -> None:
    client.get("/api/supervisor/ruleset")  # version 1 exists
    data = defaults()
    data["thresholds"]["low_confidence"] = 2
    data["thresholds"]["rephrase_count"] = 0
    data["texts"]["waiting"]["nl"] = ""
    data["backstop_phrases"]["nl"].append("kwispel")  # valid, must not be half-saved

    response = save(client, sara, data, based_on=1)

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Niet opgeslagen: 3 problemen. Niets is gewijzigd."
    assert sorted((p["field"], p["message"]) for p in body["problems"]) == [
        ("texts.waiting.nl", "mag niet leeg zijn"),
        ("thresholds.low_confidence", "mag hoogstens 1 zijn"),
        ("thresholds.rephrase_count", "moet minstens 1 zijn"),
    ]
    assert stored_versions(app) == [(1, True)]
    assert (
        "kwispel"
        not in client.get("/api/supervisor/ruleset").json()["data"]["backstop_phrases"]["nl"]
    )


def test_saving_makes_a_new_version_with_who_and_when(
    app: FastAPI, client: TestClient, sara: LoggedIn
) -> None:
    client.get("/api/supervisor/ruleset")
    data = defaults()
    data["thresholds"]["low_confidence"] = 0.7

    response = save(client, sara, data, based_on=1)

    assert response.status_code == 201, response.text
    assert response.json() == {"version": 2}
    assert stored_versions(app) == [(1, False), (2, True)]
    newest, oldest = versions(client)
    assert (newest["version"], newest["active"], newest["created_by"]) == (2, True, "Sara")
    assert newest["created_at"]
    assert (oldest["version"], oldest["active"], oldest["created_by"]) == (1, False, None)
    view = client.get("/api/supervisor/ruleset").json()
    assert view["version"] == 2 and view["created_by"] == "Sara"
    assert view["data"]["thresholds"]["low_confidence"] == 0.7
    [entry] = rows(app, select(AuditEntry).where(AuditEntry.action == "ruleset.publish"))
    assert (entry.account_id, entry.object_id) == (sara.account_id, "2")


def test_a_save_on_top_of_a_colleagues_newer_version_is_refused(
    app: FastAPI, client: TestClient, sara: LoggedIn
) -> None:
    client.get("/api/supervisor/ruleset")
    assert save(client, sara, defaults(), based_on=1).status_code == 201
    stale = defaults()
    stale["thresholds"]["low_confidence"] = 0.3

    assert_json_error(
        save(client, sara, stale, based_on=1),
        409,
        "Een collega heeft intussen versie 2 opgeslagen; laad de pagina opnieuw",
    )
    assert stored_versions(app) == [(1, False), (2, True)]


def test_the_audit_diff_shows_what_changed_between_versions(
    client: TestClient, sara: LoggedIn
) -> None:
    client.get("/api/supervisor/ruleset")
    data = defaults()
    data["thresholds"]["low_confidence_turns"] = 3
    data["value_matrix"]["explain_bill"] = "human"
    save(client, sara, data, based_on=1)

    response = client.get("/api/supervisor/ruleset/diff", params={"from": 1, "to": 2})

    assert response.status_code == 200
    assert response.json()["changes"] == [
        {
            "path": "thresholds.low_confidence_turns",
            "label": "Mislukte beurten op rij",
            "old": 2,
            "new": 3,
        },
        {
            "path": "value_matrix.explain_bill",
            "label": "Waardematrix: Uitleg over de jaarafrekening",
            "old": "simplify",
            "new": "human",
        },
    ]
    assert_json_error(
        client.get("/api/supervisor/ruleset/diff", params={"from": 1, "to": 9}),
        404,
        "Versie 9 bestaat niet",
    )


def test_an_earlier_version_is_restored_as_a_new_audited_version(
    app: FastAPI, client: TestClient, sara: LoggedIn
) -> None:
    client.get("/api/supervisor/ruleset")
    changed = defaults()
    changed["thresholds"]["ambiguity_margin"] = 0.3
    save(client, sara, changed, based_on=1)

    response = client.post("/api/supervisor/ruleset/versions/1/restore", headers=sara.headers)

    assert response.status_code == 201, response.text
    assert response.json() == {"version": 3, "restored_from": 1}
    assert stored_versions(app) == [(1, False), (2, False), (3, True)]
    assert client.get("/api/supervisor/ruleset").json()["data"] == defaults()
    assert versions(client)[0]["restored_from"] == 1
    assert (
        client.get("/api/supervisor/ruleset/diff", params={"from": 1, "to": 3}).json()["changes"]
        == []
    )
    [entry] = rows(app, select(AuditEntry).where(AuditEntry.action == "ruleset.restore"))
    assert entry.account_id == sara.account_id
    assert entry.details == {"restored_version": 1}
    assert_json_error(
        client.post("/api/supervisor/ruleset/versions/7/restore", headers=sara.headers),
        404,
        "Versie 7 bestaat niet",
    )


def test_the_value_matrix_is_saved_as_a_new_version(client: TestClient, sara: LoggedIn) -> None:
    client.get("/api/supervisor/value-matrix")
    matrix = dict(defaults()["value_matrix"], moving_house="human")
    response = client.put(
        "/api/supervisor/value-matrix",
        json={"matrix": matrix, "based_on": 1},
        headers=sara.headers,
    )
    assert response.status_code == 201, response.text
    rows_ = client.get("/api/supervisor/value-matrix").json()["intents"]
    assert {r["intent"]: r["value"] for r in rows_}["moving_house"] == "human"
    bad = client.put(
        "/api/supervisor/value-matrix",
        json={"matrix": {"complaint": "negeren"}, "based_on": 2},
        headers=sara.headers,
    )
    assert bad.status_code == 422


def test_the_next_customer_turn_follows_a_saved_backstop_phrase(
    app: FastAPI, client: TestClient, sara: LoggedIn, rasa: FakeRasa
) -> None:
    customer = Customer(client)
    customer.connect()
    customer.receive()  # the disclosure
    customer.say("kwispel")
    assert customer.messages_from("bot")[0]["text"] == GREETING

    data = defaults()
    data["backstop_phrases"]["nl"].append("kwispel")
    assert save(client, sara, data, based_on=1).status_code == 201

    customer.say("kwispel")
    told = customer.receive_until(lambda f: f["type"] == "message" and f["author"] == "system")
    assert told["text"].startswith("Ik verbind je door met een medewerker.")
    customer.close()
    [handoff] = handoffs_of(app, customer.conversation_id)
    assert (handoff.reason, handoff.ruleset_version) == ("explicit_request", 2)
    assert handoff.evidence["details"] == {"phrases": ["kwispel"]}
