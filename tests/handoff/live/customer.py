"""A web customer on the service's real WebSocket (docs/customer-protocol.md), for tests
that run the service as a process: what the widget does, spoken from Python."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.handoff.live.service import ServiceProcess

Frame = dict[str, Any]
DISCLOSURE_START = "Hoi! Je chat met"


class LiveCustomer:
    def __init__(self, service: ServiceProcess) -> None:
        self.service = service
        tokens = httpx.post(f"{service.url}/api/web/conversations", json={"lang": "nl"}).json()
        self.conversation_id: str = tokens["conversation_id"]
        self._stack = ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(f"{service.ws_url}/ws/web", origin=Origin(service.url), open_timeout=10)
        )
        self.ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "contact_token": tokens["contact_token"],
                    "conversation_token": tokens["conversation_token"],
                    "last_message_id": None,
                }
            )
        )
        self.seen: list[Frame] = []
        self._sent = 0
        welcome = self.receive_until(lambda f: f["type"] == "welcome")
        assert welcome["state"] == "bot"

    def receive_until(self, match: Callable[[Frame], bool], timeout: float = 60.0) -> Frame:
        """The first frame, seen before or arriving now, that matches and was not
        returned before."""
        for frame in self.seen:
            if not frame.get("_used") and match(frame):
                frame["_used"] = True
                return frame
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching frame; saw {self.seen[-8:]}")
            frame = json.loads(self.ws.recv(timeout=left))
            self.seen.append(frame)
            if match(frame):
                frame["_used"] = True
                return frame

    def say(self, text: str) -> Frame:
        """Sends a message; returns its acknowledgement (stored)."""
        self._sent += 1
        client_id = f"c-{self._sent}"
        self.ws.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
        return self.receive_until(lambda f: f["type"] == "ack" and f["client_id"] == client_id)

    def answer_to(self, text: str) -> Frame:
        """Sends a message; returns the first answer to it from the bot or the service."""
        self.say(text)
        return self.message_from(
            "bot", "system", match=lambda f: not f["text"].startswith(DISCLOSURE_START)
        )

    def message_from(self, *authors: str, match: Callable[[Frame], bool] = bool) -> Frame:
        return self.receive_until(
            lambda f: f["type"] == "message" and f["author"] in authors and match(f)
        )

    def ask_for_a_person(self) -> None:
        self.ws.send(json.dumps({"type": "request_human", "client_id": "person"}))
        self.receive_until(lambda f: f["type"] == "state" and f["state"] == "waiting")

    def close(self) -> None:
        self._stack.close()


@pytest.fixture
def customers(live_service: ServiceProcess) -> Iterator[Callable[[], LiveCustomer]]:
    """Makes web customers of the live service; each is disconnected after the test."""
    made: list[LiveCustomer] = []

    def make() -> LiveCustomer:
        made.append(LiveCustomer(live_service))
        return made[-1]

    yield make
    for customer in made:
        customer.close()
