"""The replay and analytics APIs: supervisors only, bad drafts refused with every
problem, publishing through the rule-set store, CSV and SVG as files."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from handoff.audit.models import AuditEntry
from handoff.rulesets.defaults import DEFAULT_RULESET
from handoff.rulesets.models import RuleSet
from tests.handoff.accounts.staff import assert_json_error, login_agent, login_supervisor
from tests.handoff.customers import TestClient, database, make_app, rows
from tests.handoff.replay.fixture import write_fixture

PERIOD = {"start": "2026-11-02", "end": "2026-11-02"}


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(make_app(sqlite_url)) as test_client:
        with database(test_client.app) as session:  # type: ignore[arg-type]
            write_fixture(session)
        yield test_client


def _draft() -> dict[str, object]:
    draft = DEFAULT_RULESET.model_dump(mode="json")
    draft["backstop_phrases"]["nl"].append("terugbellen")
    return draft


def test_replay_needs_a_supervisor(client: TestClient) -> None:
    assert (
        client.post("/api/supervisor/replay", json=PERIOD | {"draft": _draft()}).status_code == 401
    )
    agent = login_agent(client, client.app)  # type: ignore[arg-type]
    response = client.post(
        "/api/supervisor/replay", json=PERIOD | {"draft": _draft()}, headers=agent.headers
    )
    assert_json_error(response, 403, "Alleen voor supervisors")
    assert client.get("/api/supervisor/analytics.csv").status_code == 403


def test_replay_a_draft_over_the_period(client: TestClient) -> None:
    supervisor = login_supervisor(client, client.app)  # type: ignore[arg-type]
    response = client.post(
        "/api/supervisor/replay", json=PERIOD | {"draft": _draft()}, headers=supervisor.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["conversations"] == 6
    assert (body["to_person"], body["from_person"]) == (1, 0)
    [flipped] = body["flipped"]
    assert flipped["draft"]["label"] == "medewerker bij beurt 1 (explicit_request)"
    opened = client.get(f"/api/supervisor/replay/conversations/{flipped['conversation_id']}")
    assert opened.status_code == 200
    customer = [line for line in opened.json()["lines"] if line["author"] == "customer"]
    assert [(line["turn"], line["text"]) for line in customer] == [
        (1, "kunnen jullie mij terugbellen"),
        (2, "ja"),
    ]


def test_a_bad_draft_is_refused_with_every_problem(client: TestClient) -> None:
    supervisor = login_supervisor(client, client.app)  # type: ignore[arg-type]
    draft = _draft()
    draft["thresholds"]["low_confidence"] = 2  # type: ignore[index]
    draft["typo"] = 1
    response = client.post(
        "/api/supervisor/replay", json=PERIOD | {"draft": draft}, headers=supervisor.headers
    )
    assert response.status_code == 422
    problems = response.json()["detail"]["problems"]
    assert "typo: unknown key" in problems
    assert any(p.startswith("thresholds.low_confidence") for p in problems)
    backwards = client.post(
        "/api/supervisor/replay",
        json={"start": "2026-11-03", "end": "2026-11-02", "draft": _draft()},
        headers=supervisor.headers,
    )
    assert_json_error(backwards, 422, "de einddatum ligt voor de begindatum")


def test_publishing_from_replay_creates_a_version_with_an_audit_entry(client: TestClient) -> None:
    supervisor = login_supervisor(client, client.app)  # type: ignore[arg-type]
    client.get("/api/supervisor/replay/active")  # seeds version 1
    response = client.post(
        "/api/supervisor/replay/publish", json={"draft": _draft()}, headers=supervisor.headers
    )
    assert response.status_code == 201 and response.json() == {"version": 2}
    [active] = rows(client.app, select(RuleSet).where(RuleSet.active.is_(True)))  # type: ignore[arg-type]
    assert active.version == 2 and "terugbellen" in active.data["backstop_phrases"]["nl"]
    [entry] = rows(client.app, select(AuditEntry).where(AuditEntry.action == "ruleset.publish"))  # type: ignore[arg-type]
    assert entry.account_id == supervisor.account_id
    refused = client.post(
        "/api/supervisor/replay/publish", json={"draft": {"typo": 1}}, headers=supervisor.headers
    )
    assert refused.status_code == 422
    assert len(rows(client.app, select(RuleSet))) == 2  # type: ignore[arg-type]


def test_analytics_as_json_csv_and_svg(client: TestClient) -> None:
    login_supervisor(client, client.app)  # type: ignore[arg-type]
    query = "?start=2026-11-02&end=2026-11-02"
    assert client.get(f"/api/supervisor/analytics{query}").json()["conversations"] == 6
    csv = client.get(f"/api/supervisor/analytics.csv{query}")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert "conversations,total,6" in csv.text
    svg = client.get(f"/api/supervisor/analytics/charts/channels.svg{query}")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert "<desc>web: 6</desc>" in svg.text
    assert_json_error(
        client.get("/api/supervisor/analytics/charts/pie.svg"),
        404,
        "Onbekende grafiek; kies uit: "
        "channels, outcomes, reasons, intents, quadrants, bot-turns, csat",
    )
    gaps = client.get(f"/api/supervisor/gaps{query}").json()
    # A and E both failed on "asdf qwer" and "zxcv uiop"; E alone on "hjkl vbnm".
    assert [(g["examples"], g["size"]) for g in gaps] == [
        (["asdf qwer"], 2),
        (["zxcv uiop"], 2),
        (["hjkl vbnm"], 1),
    ]
