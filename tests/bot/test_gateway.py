"""The gateway channel against a real Rasa server and action server (tests/bot/conftest.py).

Each test talks HTTP to the gateway as the handoff service does, then checks both the
answer and what Rasa stored in its SQL tracker store.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from actions.dates import today
from tests.bot.servers import REPO, BotServers, free_port, sqlite_tracker_env, start_rasa

TIMEOUT = 60
DOMAIN = yaml.safe_load((REPO / "domain.yml").read_text())
FIXTURES = json.loads((REPO / "actions" / "backend" / "fixtures.json").read_text())
CUSTOMER = "10002345"


# ---------------------------------------------------------------------- helpers


class Gateway:
    def __init__(self, servers: BotServers) -> None:
        self.servers = servers
        self.sender_id = f"test-{uuid.uuid4().hex}"

    def post(
        self, route: str, body: Any, *, secret: str | None = None, raw: bytes | None = None
    ) -> requests.Response:
        token = self.servers.gateway_secret if secret is None else secret
        return requests.post(
            f"{self.servers.gateway_url}/{route}",
            data=raw if raw is not None else json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=TIMEOUT,
        )

    def parse(self, text: str, *, is_payload: bool = False) -> dict[str, Any]:
        body = {"sender_id": self.sender_id, "text": text, "is_payload": is_payload}
        return ok(self.post("parse", body))

    def respond(
        self,
        text: str,
        intent: str,
        *,
        language: str = "nl",
        ranking: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        return ok(self.post("respond", self.respond_body(text, intent, language, ranking)))

    def respond_body(
        self,
        text: str,
        intent: str,
        language: str = "nl",
        ranking: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        top = {"name": intent, "confidence": 0.97}
        return {
            "sender_id": self.sender_id,
            "text": text,
            "parse_data": {
                "text": text,
                "intent": top,
                "intent_ranking": ranking or [top],
                "entities": [],
            },
            "language": language,
            "message_id": uuid.uuid4().hex,
            "metadata": {},
        }

    def pause(self) -> None:
        ok(self.post("pause", {"sender_id": self.sender_id}))

    def handback(self, human_phase: list[dict[str, Any]]) -> dict[str, Any]:
        body = {"sender_id": self.sender_id, "language": "nl", "human_phase": human_phase}
        return ok(self.post("handback", body))

    def stored_events(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.servers.tracker_db) as db:
            rows = db.execute(
                "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (self.sender_id,)
            ).fetchall()
        return [json.loads(data) for (data,) in rows]


def ok(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_json_error(response: requests.Response, status: int, reason_part: str) -> None:
    assert response.status_code == status, response.text
    assert reason_part in response.json()["reason"]


def domain_variation(response: str, language: str) -> dict[str, Any]:
    for variation in DOMAIN["responses"][response]:
        conditions = variation.get("condition") or []
        chosen = [c["value"] for c in conditions if c.get("name") == "language"]
        if (chosen or ["nl"]) == [language]:
            return dict(variation)
    raise AssertionError(f"{response} has no {language} variation")


def action(turn: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [a for a in turn["actions"] if a["name"] == name]
    assert matches, f"{name} did not run: {turn['actions']}"
    return dict(matches[0])


def plausible_reading(customer_number: str, on: date) -> int:
    customer = next(c for c in FIXTURES["customers"] if c["customer_number"] == customer_number)
    earlier = [r for r in customer["readings"] if date.fromisoformat(r["date"]) < on]
    last = max(earlier, key=lambda r: r["date"])
    return int(last["kwh"]) + 10


@pytest.fixture
def gateway(bot_servers: BotServers) -> Gateway:
    return Gateway(bot_servers)


@pytest.fixture
def action_server_cut(bot_servers: BotServers) -> Iterator[None]:
    bot_servers.action_proxy.cut()
    try:
        yield
    finally:
        bot_servers.action_proxy.start()


# ----------------------------------------------------------------- authentication


@pytest.mark.parametrize("header", [None, "Bearer wrong-secret-wrong-secret", "Basic abc"])
def test_requests_without_the_secret_are_refused_and_change_nothing(
    gateway: Gateway, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    body = gateway.respond_body("hallo", "greet")
    for route, payload in [("parse", body), ("respond", body), ("pause", body)]:
        response = requests.post(
            f"{gateway.servers.gateway_url}/{route}", json=payload, headers=headers, timeout=30
        )
        assert_json_error(response, 401, "bearer")
    health = requests.get(f"{gateway.servers.gateway_url}/health", headers=headers, timeout=30)
    assert health.status_code == 401
    assert gateway.stored_events() == []


def test_health_answers_with_the_secret(gateway: Gateway) -> None:
    response = requests.get(
        f"{gateway.servers.gateway_url}/health",
        headers={"Authorization": f"Bearer {gateway.servers.gateway_secret}"},
        timeout=30,
    )
    assert response.json() == {"status": "ok"}


def test_rasa_refuses_to_start_with_a_short_secret(model_path: Path, tmp_path: Path) -> None:
    # The channel is built before the model loads, so this fails in seconds.
    rasa = start_rasa(
        model_path,
        tmp_path,
        gateway_secret="too-short",
        action_server_url=f"http://127.0.0.1:{free_port()}/webhook",
        tracker_env=sqlite_tracker_env(tmp_path / "tracker.db"),
    )
    try:
        rasa.process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        rasa.stop()
        pytest.fail(f"Rasa started with a short secret:\n{rasa.log()}")
    assert rasa.process.returncode != 0
    assert "at least 16 characters" in rasa.log()


# -------------------------------------------------------------------------- parse


def test_parse_returns_the_intent_ranking_and_stores_nothing(gateway: Gateway) -> None:
    parsed = gateway.parse("Hallo, goedemiddag!")

    assert parsed["intent"]["name"] == "greet"
    assert parsed["intent_ranking"][0]["name"] == "greet"
    assert len(parsed["intent_ranking"]) > 1
    assert isinstance(parsed["entities"], list)
    assert gateway.stored_events() == []


def test_parse_treats_customer_text_with_a_slash_as_text(gateway: Gateway) -> None:
    parsed = gateway.parse("/restart")

    assert parsed["intent"]["name"] != "restart"
    assert parsed["intent"]["confidence"] < 1.0


def test_parse_of_a_payload_is_the_intent_command(gateway: Gateway) -> None:
    parsed = gateway.parse("/explain_bill", is_payload=True)

    assert parsed["intent"] == {"name": "explain_bill", "confidence": 1.0}


# ------------------------------------------------------------------------ respond


def test_respond_runs_the_given_parse_without_nlu(gateway: Gateway) -> None:
    turn = gateway.respond("xyzzy", "greet")

    dutch = domain_variation("utter_greet", "nl")
    assert [m["text"] for m in turn["messages"]] == [dutch["text"]]
    assert turn["messages"][0]["response"] == "utter_greet"
    assert action(turn, "utter_greet") == {"name": "utter_greet", "custom": False, "event_count": 1}
    user = [e for e in turn["events"] if e["event"] == "user"]
    assert [(u["text"], u["parse_data"]["intent"]["name"]) for u in user] == [("xyzzy", "greet")]
    assert turn["slots"]["language"] == "nl"
    assert turn["active_form"] is None
    # a new conversation's turn includes its session start; the stored tracker agrees
    assert turn["events"][0]["name"] == "action_session_start"
    assert [e["event"] for e in gateway.stored_events()] == [e["event"] for e in turn["events"]]


def test_respond_returns_only_the_events_of_its_own_turn(gateway: Gateway) -> None:
    gateway.respond("hoi", "greet")
    turn = gateway.respond("bedankt", "thanks")

    assert turn["events"][0]["event"] == "user"
    assert turn["events"][0]["text"] == "bedankt"
    assert turn["actions"][-1]["name"] == "action_listen"


def test_respond_in_english_answers_in_english(gateway: Gateway) -> None:
    turn = gateway.respond("hello", "greet", language="en")

    assert turn["messages"][0]["text"] == domain_variation("utter_greet", "en")["text"]
    assert turn["slots"]["language"] == "en"

    back_to_dutch = gateway.respond("hallo", "greet", language="nl")
    assert back_to_dutch["messages"][0]["text"] == domain_variation("utter_greet", "nl")["text"]


def test_respond_passes_the_sources_of_a_factual_answer(gateway: Gateway) -> None:
    turn = gateway.respond("wat staat er op mijn jaarafrekening?", "explain_bill")

    [message] = turn["messages"]
    expected = domain_variation("utter_explain_bill", "nl")
    assert message["response"] == "utter_explain_bill"
    assert message["sources"] == expected["metadata"]["sources"]
    assert message["buttons"] == []
    assert message["image"] is None and message["custom"] is None


def test_respond_runs_the_meter_reading_form_to_submission(gateway: Gateway) -> None:
    start = gateway.respond("ik wil mijn meterstand doorgeven", "submit_meter_reading")
    assert start["active_form"] == "meter_reading_form"
    assert start["messages"][-1]["response"] == "utter_ask_customer_number"
    form = action(start, "meter_reading_form")
    assert form["custom"] is True and form["event_count"] > 0

    customer = gateway.respond(CUSTOMER, "inform")
    assert customer["slots"]["customer_number"] == CUSTOMER
    assert customer["messages"][-1]["response"] == "utter_ask_meter_reading"

    reading = plausible_reading(CUSTOMER, today())
    done = gateway.respond(str(reading), "inform")
    assert done["active_form"] is None
    submitted = done["slots"]["submitted"]
    assert submitted["form"] == "meter_reading_form"
    assert submitted["reference"]
    submit = action(done, "action_submit_meter_reading")
    assert submit["custom"] is True and submit["event_count"] > 0
    assert done["messages"][-1]["response"] == "utter_meter_reading_submitted"


@pytest.mark.usefixtures("action_server_cut")
def test_an_unreachable_action_server_shows_as_a_custom_action_without_events(
    gateway: Gateway,
) -> None:
    ranking = [
        {"name": "explain_bill", "confidence": 0.41},
        {"name": "change_instalment", "confidence": 0.38},
    ]
    turn = gateway.respond("mijn rekening", "disambiguate", ranking=ranking)

    assert action(turn, "action_disambiguate") == {
        "name": "action_disambiguate",
        "custom": True,
        "event_count": 0,
    }
    assert turn["slots"]["disambiguation_options"] is None


def test_an_unreachable_action_server_during_a_form_shows_as_a_form_without_events(
    gateway: Gateway, bot_servers: BotServers
) -> None:
    gateway.respond("meterstand doorgeven", "submit_meter_reading")
    bot_servers.action_proxy.cut()
    try:
        turn = gateway.respond(CUSTOMER, "inform")
    finally:
        bot_servers.action_proxy.start()

    form = action(turn, "meter_reading_form")
    assert form == {"name": "meter_reading_form", "custom": True, "event_count": 0}


# --------------------------------------------------------------- pause, hand-back


def test_pause_appends_conversation_paused_and_rasa_stays_silent(gateway: Gateway) -> None:
    gateway.respond("hallo", "greet")
    gateway.pause()

    assert gateway.stored_events()[-1]["event"] == "pause"
    silent = gateway.respond("hallo?", "greet")
    assert silent["messages"] == []
    assert [a["name"] for a in silent["actions"]] == []


def test_handback_clears_the_form_and_the_bot_answers_again(gateway: Gateway) -> None:
    gateway.respond("meterstand doorgeven", "submit_meter_reading")
    gateway.respond(CUSTOMER, "inform")
    gateway.pause()

    result = gateway.handback(
        [
            {"author": "customer", "text": "Ik weet mijn stand niet", "timestamp": 1.0},
            {"author": "agent", "text": "Geen probleem, dat regel ik.", "timestamp": 2.0},
        ]
    )

    assert result == {"cleared_form": "meter_reading_form"}
    stored = gateway.stored_events()
    tail = [(e["event"], e.get("text") or e.get("name")) for e in stored[-8:]]
    assert ("user", "Ik weet mijn stand niet") in tail
    assert ("bot", "Geen probleem, dat regel ik.") in tail
    assert ("active_loop", None) in tail
    assert tail[-1] == ("resume", None)
    agent_turn = next(e for e in stored if e.get("text") == "Geen probleem, dat regel ik.")
    assert agent_turn["metadata"]["author"] == "agent"

    turn = gateway.respond("hallo", "greet")
    assert turn["active_form"] is None
    assert [m["response"] for m in turn["messages"]] == ["utter_greet"]
    assert turn["slots"]["customer_number"] == CUSTOMER
    assert turn["slots"]["requested_slot"] is None
    assert turn["slots"]["meter_reading"] is None


def test_handback_without_a_form_clears_nothing(gateway: Gateway) -> None:
    gateway.respond("hallo", "greet")

    assert gateway.handback([]) == {"cleared_form": None}
    assert gateway.stored_events()[-1]["event"] == "resume"


# -------------------------------------------------------------------- bad requests


@pytest.mark.parametrize(
    ("route", "change", "status", "reason"),
    [
        ("parse", {"text": None}, 400, "'text' is required"),
        ("parse", {"text": 12}, 400, "'text' must be"),
        ("parse", {"is_payload": "yes"}, 400, "'is_payload' must be"),
        ("parse", {"text": "x" * 4001}, 413, "longer than 4000"),
        ("respond", {"sender_id": ""}, 400, "'sender_id' must be"),
        ("respond", {"text": "x" * 4001}, 413, "longer than 4000"),
        ("respond", {"parse_data": {"text": "hoi"}}, 400, "intent.name"),
        ("respond", {"parse_data": {"intent": {"name": "nonsense"}}}, 400, "not in the domain"),
        ("respond", {"language": "de"}, 400, "'language' must be"),
        ("respond", {"message_id": None}, 400, "'message_id' is required"),
        ("respond", {"metadata": []}, 400, "'metadata' must be"),
        ("handback", {"human_phase": [{"author": "bot", "text": "x"}]}, 400, "author"),
        ("handback", {"human_phase": "hallo"}, 400, "'human_phase' must be"),
    ],
)
def test_bad_requests_get_a_reason_and_change_nothing(
    gateway: Gateway, route: str, change: dict[str, Any], status: int, reason: str
) -> None:
    body = {**gateway.respond_body("hallo", "greet"), "is_payload": False, "human_phase": []}
    body.update(change)

    assert_json_error(gateway.post(route, body), status, reason)
    assert gateway.stored_events() == []


def test_a_body_that_is_not_json_is_a_bad_request(gateway: Gateway) -> None:
    assert_json_error(gateway.post("parse", None, raw=b"{not json"), 400, "not valid JSON")
