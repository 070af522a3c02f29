"""A fake Rasa gateway at the network edge (httpx.MockTransport), for unit tests.

It answers like the gateway in docs/contracts.md and records every call, so a test can
assert what reached the bot and, above all, what did not.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

GREETING = "Hallo! Ik help je graag. Waar gaat je vraag over?"


@dataclass
class FakeRasa:
    # text → (intent, confidence); anything else parses as `default_intent`.
    intents: dict[str, tuple[str, float]] = field(default_factory=dict)
    default_intent: tuple[str, float] = ("greet", 0.95)
    # text → the parse's nearest_example (bot/components/nearest_example.py); none if absent
    nearest: dict[str, dict[str, Any]] = field(default_factory=dict)
    # intent → the respond answer's messages
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # intent → the respond answer's actions (for a custom action that returns nothing)
    actions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # intent → the form active after the answer (a form asking for its next slot)
    active_forms: dict[str, str] = field(default_factory=dict)
    down: bool = False
    respond_status: int = 200
    respond_delay: float = 0.0
    # Answer every turn with "antwoord op: <text>", to see which turn got which answer.
    echo: bool = False
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self._handle)

    def calls_to(self, endpoint: str) -> list[dict[str, Any]]:
        return [body for name, body in self.calls if name == endpoint]

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.rsplit("/", 1)[-1]
        body = json.loads(request.content) if request.content else {}
        self.calls.append((endpoint, body))
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if endpoint == "health":
            return httpx.Response(200, json={"status": "ok"})
        if endpoint == "parse":
            name, confidence = self.intents.get(body["text"], self.default_intent)
            if body.get("is_payload") and body["text"].startswith("/"):
                name, confidence = body["text"][1:], 1.0
            parsed = {
                "text": body["text"],
                "intent": {"name": name, "confidence": confidence},
                "intent_ranking": [{"name": name, "confidence": confidence}],
                "entities": [],
            }
            if body["text"] in self.nearest:
                parsed["nearest_example"] = self.nearest[body["text"]]
            return httpx.Response(200, json=parsed)
        if endpoint == "respond":
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.respond_delay:
                    await asyncio.sleep(self.respond_delay)
            finally:
                self.in_flight -= 1
            if self.respond_status != 200:
                return httpx.Response(self.respond_status, json={"error": "boom"})
            intent = body["parse_data"]["intent"]["name"]
            default = {"text": f"antwoord op: {body['text']}" if self.echo else GREETING}
            messages = self.replies.get(intent, [default])
            full = [
                {"buttons": [], "sources": [], "response": None, "image": None, "custom": None}
                | message
                for message in messages
            ]
            return httpx.Response(
                200,
                json={
                    "messages": full,
                    "actions": self.actions.get(
                        intent, [{"name": "utter_greet", "custom": False, "event_count": 1}]
                    ),
                    "events": self.events.get(intent, []),
                    "slots": {"language": body["language"]},
                    "active_form": self.active_forms.get(intent),
                },
            )
        if endpoint == "pause":
            return httpx.Response(200, json={"status": "paused"})
        if endpoint == "handback":
            return httpx.Response(200, json={"cleared_form": None})
        return httpx.Response(404, json={"error": "unknown endpoint"})
