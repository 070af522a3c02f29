"""The gateway client: the contract's shapes, and every failure as RasaUnavailable."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from handoff.rasa.client import RasaClient, RasaUnavailable
from handoff.rasa.schemas import HumanTurn


def client_for(handler: httpx.MockTransport, timeout: float = 1.0) -> RasaClient:
    return RasaClient("http://rasa.test/", "s3cret-0123456789abc", timeout, transport=handler)


async def test_parse_sends_the_secret_and_reads_the_parse_data() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "text": "hoi",
                "intent": {"name": "greet", "confidence": 0.97},
                "intent_ranking": [{"name": "greet", "confidence": 0.97}],
                "entities": [],
                "response_selector": {},
            },
        )

    rasa = client_for(httpx.MockTransport(handler))
    parse = await rasa.parse("c1", "hoi")
    await rasa.aclose()
    assert parse.intent is not None and parse.intent.name == "greet"
    assert parse.model_dump()["response_selector"] == {}  # unknown keys are kept
    assert seen[0].url.path == "/webhooks/gateway/parse"
    assert seen[0].headers["authorization"] == "Bearer s3cret-0123456789abc"
    assert json.loads(seen[0].content) == {"sender_id": "c1", "text": "hoi", "is_payload": False}


async def test_respond_and_handback_use_the_contract_shapes() -> None:
    bodies: dict[str, dict[str, object]] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        bodies[request.url.path.rsplit("/", 1)[-1]] = json.loads(request.content)
        if request.url.path.endswith("/respond"):
            return httpx.Response(
                200,
                json={
                    "messages": [{"text": "Hoi", "buttons": [], "sources": []}],
                    "actions": [{"name": "utter_greet", "custom": False, "event_count": 1}],
                    "events": [],
                    "slots": {"language": "nl"},
                    "active_form": None,
                },
            )
        return httpx.Response(200, json={"cleared_form": "moving_form"})

    rasa = client_for(httpx.MockTransport(handler))
    result = await rasa.respond(
        "c1", "hoi", parse_data={"text": "hoi"}, language="en", message_id="7"
    )
    cleared = await rasa.handback(
        "c1",
        language="nl",
        human_phase=[HumanTurn(author="agent", text="Geregeld!", timestamp=1.5)],
    )
    await rasa.aclose()
    assert result.messages[0].text == "Hoi"
    assert bodies["respond"] == {
        "sender_id": "c1",
        "text": "hoi",
        "parse_data": {"text": "hoi"},
        "language": "en",
        "message_id": "7",
        "metadata": {},
    }
    assert bodies["handback"]["human_phase"] == [
        {"author": "agent", "text": "Geregeld!", "timestamp": 1.5}
    ]
    assert cleared.cleared_form == "moving_form"


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


async def slow(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(5)
    return httpx.Response(200, json={})


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (refused, "/parse: ConnectError"),
        (slow, "/parse: no answer within 0.2 s"),
        (lambda r: httpx.Response(500, text="boom"), "/parse: HTTP 500"),
        (lambda r: httpx.Response(200, text="<html>"), "/parse: answer is not JSON"),
        (lambda r: httpx.Response(200, json={"intent": "x"}), "/parse: malformed answer"),
    ],
    ids=["refused", "timeout", "5xx", "not-json", "malformed"],
)
async def test_every_failure_is_rasa_unavailable(handler: object, message: str) -> None:
    rasa = client_for(httpx.MockTransport(handler), timeout=0.2)  # type: ignore[arg-type]
    with pytest.raises(RasaUnavailable, match=message):
        await rasa.parse("c1", "hoi")
    await rasa.aclose()


async def test_health_is_false_when_rasa_is_down() -> None:
    rasa = client_for(httpx.MockTransport(refused))
    assert await rasa.health() is False
    await rasa.aclose()
