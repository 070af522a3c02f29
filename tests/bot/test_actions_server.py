"""The real action server, started the way `make run` starts it, called the way Rasa
calls it: one webhook request with the tracker and the domain."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions.dates import today

REPO = Path(__file__).resolve().parents[2]
RASA = Path(sys.executable).with_name("rasa")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(url: str, payload: dict[str, Any] | None = None) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    headers = {"Content-Type": "application/json"}
    with urllib.request.urlopen(
        urllib.request.Request(url, data=data, headers=headers), timeout=10
    ) as response:
        return json.loads(response.read())


@pytest.fixture
def action_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "action-server.log").open("w")
    env = {**os.environ, "SANIC_HOST": "127.0.0.1", "ACTIONS_BACKEND": "fake"}
    process = subprocess.Popen(
        [str(RASA), "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"action server exited: {(tmp_path / 'action-server.log').read_text()}")
            try:
                if request(f"{url}/health") == {"status": "ok"}:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() > deadline:
                pytest.fail("action server did not answer /health within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def tracker_after_meter_reading_form() -> dict[str, Any]:
    """What Rasa 3.6 sends after the meter reading form completed."""
    parse_data = {
        "text": "10.480",
        "intent": {"name": "inform", "confidence": 0.94},
        "entities": [],
        "intent_ranking": [{"name": "inform", "confidence": 0.94}],
    }
    slots = {
        "language": "nl",
        "customer_number": "10002345",
        "meter_reading": 10480,
        "requested_slot": None,
        "submitted": None,
        "disambiguation_options": None,
        "move_date": None,
        "new_postcode": None,
        "new_house_number": None,
        "new_instalment": None,
        "session_started_metadata": None,
    }
    t = 1795460000.0
    events = [
        {"event": "action", "timestamp": t, "name": "action_session_start"},
        {"event": "session_started", "timestamp": t + 0.1},
        {"event": "slot", "timestamp": t + 0.2, "name": "language", "value": "nl"},
        {"event": "action", "timestamp": t + 0.3, "name": "action_listen"},
        {
            "event": "user",
            "timestamp": t + 1,
            "text": "ik wil mijn meterstand doorgeven",
            "parse_data": {
                "text": "ik wil mijn meterstand doorgeven",
                "intent": {"name": "submit_meter_reading", "confidence": 0.97},
                "entities": [],
            },
            "input_channel": "gateway",
        },
        {"event": "action", "timestamp": t + 1.1, "name": "meter_reading_form"},
        {"event": "active_loop", "timestamp": t + 1.1, "name": "meter_reading_form"},
        {
            "event": "slot",
            "timestamp": t + 1.1,
            "name": "requested_slot",
            "value": "customer_number",
        },
        {"event": "bot", "timestamp": t + 1.2, "text": "Wat is je klantnummer?"},
        {"event": "action", "timestamp": t + 1.3, "name": "action_listen"},
        {"event": "user", "timestamp": t + 9, "text": "10002345", "parse_data": parse_data},
        {"event": "slot", "timestamp": t + 9.1, "name": "customer_number", "value": "10002345"},
        {"event": "slot", "timestamp": t + 9.1, "name": "requested_slot", "value": "meter_reading"},
        {"event": "bot", "timestamp": t + 9.2, "text": "Wat is je meterstand?"},
        {"event": "action", "timestamp": t + 9.3, "name": "action_listen"},
        {"event": "user", "timestamp": t + 20, "text": "10.480", "parse_data": parse_data},
        {"event": "slot", "timestamp": t + 20.1, "name": "meter_reading", "value": 10480},
        {"event": "slot", "timestamp": t + 20.1, "name": "requested_slot", "value": None},
        {"event": "active_loop", "timestamp": t + 20.1, "name": None},
        {"event": "action", "timestamp": t + 20.2, "name": "action_submit_meter_reading"},
    ]
    return {
        "sender_id": "3f2b9c1e-conversation",
        "slots": slots,
        "latest_message": parse_data,
        "latest_event_time": t + 20.2,
        "followup_action": None,
        "paused": False,
        "events": events,
        "latest_input_channel": "gateway",
        "active_loop": {},
        "latest_action": {"action_name": "meter_reading_form"},
        "latest_action_name": "meter_reading_form",
    }


DOMAIN = {
    "version": "3.1",
    "intents": ["inform", "submit_meter_reading"],
    "entities": [],
    "slots": {
        "customer_number": {"type": "text", "influence_conversation": False, "mappings": []},
        "meter_reading": {"type": "any", "influence_conversation": False, "mappings": []},
        "submitted": {"type": "any", "influence_conversation": False, "mappings": []},
    },
    "responses": {
        "utter_meter_reading_submitted": [
            {"text": "Dank je! Je meterstand {meter_reading} kWh is doorgegeven ({reference})."}
        ]
    },
    "actions": ["action_submit_meter_reading"],
    "forms": {"meter_reading_form": {"required_slots": ["customer_number", "meter_reading"]}},
    "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
}


def test_action_server_submits_a_meter_reading(action_server: str) -> None:
    result = request(
        f"{action_server}/webhook",
        {
            "next_action": "action_submit_meter_reading",
            "sender_id": "3f2b9c1e-conversation",
            "tracker": tracker_after_meter_reading_form(),
            "domain": DOMAIN,
            "version": "3.6.21",
        },
    )

    assert result["events"] == [
        {
            "event": "slot",
            "timestamp": None,
            "name": "submitted",
            "value": {
                "form": "meter_reading_form",
                "data": {
                    "customer_number": "10002345",
                    "meter_reading": 10480,
                    "reading_date": today().isoformat(),
                    "meter_type": "electricity",
                },
                "reference": "MS-000001",
            },
        },
        {"event": "slot", "timestamp": None, "name": "meter_reading", "value": None},
    ]
    [response] = result["responses"]
    assert response["response"] == "utter_meter_reading_submitted"
    assert (response["reference"], response["meter_reading"]) == ("MS-000001", "10480")


def test_action_server_answers_an_unknown_action_with_404(action_server: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        request(
            f"{action_server}/webhook",
            {"next_action": "action_nonexistent", "tracker": tracker_after_meter_reading_form()},
        )

    error.value.close()
    assert error.value.code == 404
