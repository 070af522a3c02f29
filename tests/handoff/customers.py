"""Helpers that read like the customer's side: an app with a fake Rasa, a customer who
starts a conversation and talks over the widget's socket, waiting for the worker."""

from __future__ import annotations

import json
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.exceptions import StarletteDeprecationWarning
from starlette.websockets import WebSocketDisconnect

with warnings.catch_warnings():
    # starlette 1.10 asks for httpx2, which requirements.lock does not pin (yet).
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient, WebSocketTestSession

from handoff.conversations.models import Conversation, Handoff, Message
from handoff.core.config import Settings
from handoff.db.session import make_engine, make_sessionmaker, session_scope
from handoff.main import create_app
from handoff.rasa.client import RasaClient
from tests.handoff.fake_rasa import FakeRasa

ORIGIN = "http://127.0.0.1:8000"

__all__ = ["TestClient", "WebSocketTestSession"]
T = TypeVar("T")


def make_app(database_url: str, rasa: FakeRasa | None = None, **overrides: Any) -> FastAPI:
    values: dict[str, Any] = {
        "database_url": database_url,
        "gateway_secret": "test-secret-0123456789",
        "allowed_origins": [ORIGIN],
        "sweep_interval_seconds": 3600.0,
        "worker_poll_seconds": 0.05,
        "rasa_timeout_seconds": 2.0,
    }
    values.update(overrides)
    settings = Settings(**values)
    app = create_app(settings)
    if rasa is not None:
        app.state.rasa = RasaClient(
            "http://rasa.test",
            "test-secret-0123456789",
            settings.rasa_timeout_seconds,
            transport=rasa.transport(),
        )
    return app


def wait_until(check: Callable[[], T | None], timeout: float = 10.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)


@contextmanager
def database(app: FastAPI) -> Iterator[Session]:
    """A session on the app's database through an engine of its own, disposed at once:
    the helpers work before, during and after the app runs and never leak connections
    into the next test's database teardown."""
    engine = make_engine(app.state.settings.database_url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def rows(app: FastAPI, query: Any) -> list[Any]:
    with database(app) as session:
        return list(session.scalars(query))


def messages_of(app: FastAPI, conversation_id: str) -> list[Message]:
    return rows(
        app, select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    )


def conversation(app: FastAPI, conversation_id: str) -> Conversation:
    found = rows(app, select(Conversation).where(Conversation.id == conversation_id))
    assert found, conversation_id
    return found[0]


def handoffs_of(app: FastAPI, conversation_id: str) -> list[Handoff]:
    return rows(app, select(Handoff).where(Handoff.conversation_id == conversation_id))


def texts(messages: list[Message], author: str | None = None) -> list[str]:
    return [m.text for m in messages if author is None or m.author == author]


RECEIVE_TIMEOUT = 10.0

# Sockets still open: a test that fails half-way leaves its customer connected, and the
# app's shutdown would then wait for that socket for ever; conftest closes them first.
_connected: list[Customer] = []


def close_connected() -> None:
    while _connected:
        _connected[-1].close()


async def _receive_within(ws: WebSocketTestSession, timeout: float) -> Any:
    try:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()
    except TimeoutError:
        raise AssertionError(f"no frame within {timeout} s") from None


class Customer:
    """One browser: its tokens, its socket, the frames it has seen."""

    def __init__(self, client: TestClient, lang: str = "nl") -> None:
        self.client = client
        answer = client.post("/api/web/conversations", json={"lang": lang})
        assert answer.status_code == 200, answer.text
        self.tokens: dict[str, str] = answer.json()
        self.conversation_id: str = self.tokens["conversation_id"]
        self.ws: WebSocketTestSession | None = None
        self.seen: list[dict[str, Any]] = []

    def connect(self, last_message_id: int | None = None) -> dict[str, Any]:
        context = self.client.websocket_connect("/ws/web", headers={"origin": ORIGIN})
        self.ws = context.__enter__()
        self._context = context
        _connected.append(self)
        self.ws.send_json(
            {
                "type": "hello",
                "contact_token": self.tokens["contact_token"],
                "conversation_token": self.tokens["conversation_token"],
                "last_message_id": last_message_id,
            }
        )
        welcome = self.receive()
        assert welcome["type"] == "welcome", welcome
        return welcome

    def close(self) -> None:
        if self in _connected:
            _connected.remove(self)
        if self.ws is not None:
            self.ws = None
            self._context.__exit__(None, None, None)

    def receive(self, timeout: float = RECEIVE_TIMEOUT) -> dict[str, Any]:
        """The next frame; fails (instead of hanging the run) when none comes."""
        assert self.ws is not None
        message = self.ws.portal.call(_receive_within, self.ws, timeout)
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        frame: dict[str, Any] = json.loads(message.get("text") or message["bytes"])
        self.seen.append(frame)
        return frame

    def receive_until(
        self, check: Callable[[dict[str, Any]], bool], limit: int = 30
    ) -> dict[str, Any]:
        for _ in range(limit):
            frame = self.receive()
            if check(frame):
                return frame
        raise AssertionError(f"no matching frame among {self.seen[-limit:]}")

    def say(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        """Sends a message and returns its ack."""
        client_id = client_id or uuid.uuid4().hex
        assert self.ws is not None
        self.ws.send_json({"type": "message", "client_id": client_id, "text": text})
        return self.receive_until(lambda f: f["type"] in ("ack", "error"))

    def press_person_button(self, client_id: str = "btn-1") -> None:
        """The widget's "Praat met een medewerker" button: a ``request_human`` frame."""
        assert self.ws is not None
        self.ws.send_json({"type": "request_human", "client_id": client_id})

    def messages_from(self, author: str, count: int = 1) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while len(got) < count:
            got.append(
                self.receive_until(lambda f: f["type"] == "message" and f["author"] == author)
            )
        return got


def start_conversation(app: FastAPI, lang: str = "nl") -> str:
    """A web conversation straight in the database (no socket), its id."""
    from handoff.channels.web import start_conversation as start

    with database(app) as session:
        started = start(session, contact_token=None, language=lang, org_name="Voorbeeld Energie")
    return started.conversation_id


def store_pending(app: FastAPI, conversation_id: str, text: str, **columns: Any) -> int:
    """A customer message acknowledged but not processed (as after a crash)."""
    from handoff.processing.ingest import ingest_customer_message

    with database(app) as session:
        found = session.get(Conversation, conversation_id)
        assert found is not None
        message = ingest_customer_message(
            session, conversation=found, text=text, channel_message_id=uuid.uuid4().hex
        ).message
        for name, value in columns.items():
            setattr(message, name, value)
        return message.id
