"""A web customer on the service's WebSocket (docs/customer-protocol.md), spoken from
Python as the widget would: ``LiveCustomer`` on the real socket of a service process,
``AppCustomer`` on the test client's socket of an app in this process."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.handoff.customers import Customer, TestClient
from tests.handoff.live.service import ServiceProcess

Frame = dict[str, Any]
DISCLOSURE_START = "Hoi! Je chat met"


class _Widget:
    """What the widget does besides typing, on whichever socket the customer holds."""

    def send(self, frame: Frame) -> None:
        raise NotImplementedError

    def say(self, text: str) -> Frame:
        """Sends a message; returns its acknowledgement."""
        raise NotImplementedError

    def _next(self, match: Callable[[Frame], bool]) -> Frame:
        """The next frame that matches, as this customer reads its socket."""
        raise NotImplementedError

    def answer_to(self, text: str) -> Frame:
        """Sends a message; returns the first answer to it from the bot or the service."""
        self.say(text)
        return self.message_from(
            "bot", "system", match=lambda f: not f["text"].startswith(DISCLOSURE_START)
        )

    def message_from(self, *authors: str, match: Callable[[Frame], bool] = bool) -> Frame:
        return self._next(lambda f: f["type"] == "message" and f["author"] in authors and match(f))

    def ask_for_a_person(self) -> Frame:
        """The "a person, please" button; returns the state frame that it is waiting."""
        self.send({"type": "request_human", "client_id": "person"})
        return self._next(lambda f: f["type"] == "state" and f["state"] == "waiting")


class LiveCustomer(_Widget):
    def __init__(self, service: ServiceProcess) -> None:
        self.service = service
        tokens = httpx.post(f"{service.url}/api/web/conversations", json={"lang": "nl"}).json()
        self.conversation_id: str = tokens["conversation_id"]
        self._stack = ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(f"{service.ws_url}/ws/web", origin=Origin(service.url), open_timeout=10)
        )
        self.send(
            {
                "type": "hello",
                "contact_token": tokens["contact_token"],
                "conversation_token": tokens["conversation_token"],
                "last_message_id": None,
            }
        )
        self.seen: list[Frame] = []
        self._sent = 0
        welcome = self.receive_until(lambda f: f["type"] == "welcome")
        assert welcome["state"] == "bot"

    def send(self, frame: Frame) -> None:
        self.ws.send(json.dumps(frame))

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

    def _next(self, match: Callable[[Frame], bool]) -> Frame:
        return self.receive_until(match)

    def say(self, text: str) -> Frame:
        """Sends a message; returns its acknowledgement (stored)."""
        self._sent += 1
        client_id = f"c-{self._sent}"
        self.send({"type": "message", "client_id": client_id, "text": text})
        return self.receive_until(lambda f: f["type"] == "ack" and f["client_id"] == client_id)

    def close(self) -> None:
        self._stack.close()


class AppCustomer(Customer, _Widget):
    """``LiveCustomer``'s counterpart for an app in this process, connected at once and
    closed when its ``with`` block ends. It reads the socket as one stream: a frame
    passed over while waiting for another is not returned later."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(client)
        self.connect()

    def __enter__(self) -> AppCustomer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def app(self) -> FastAPI:
        return cast(FastAPI, self.client.app)

    def send(self, frame: Frame) -> None:
        assert self.ws is not None
        self.ws.send_json(frame)

    def _next(self, match: Callable[[Frame], bool]) -> Frame:
        return self.receive_until(match, limit=40)


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
