"""Test helpers that read like the customer's side of WhatsApp: an app wired to the fake
Twilio, a phone that sends messages through Twilio's signed webhook and reads what
Twilio holds for it, the agent who answers, and Twilio's status callbacks, all signed
with Twilio's real algorithm."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from handoff.conversations.models import Contact, Conversation, Message
from tests.handoff.accounts.staff import LoggedIn, login_agent
from tests.handoff.channels.whatsapp.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, new_sid
from tests.handoff.customers import TestClient, make_app, rows, wait_until
from tests.handoff.fake_rasa import FakeRasa

PUBLIC = "https://handoff.example.nl"
INBOUND_URL = f"{PUBLIC}/api/whatsapp/inbound"
BUSINESS = "whatsapp:+14155238886"
NUMBER = "+31612345678"
HANDOFF_TEXT = "Ik verbind je door met een medewerker."
T = TypeVar("T")


def whatsapp_app(
    database_url: str, fake: FakeTwilio, rasa: FakeRasa | None = None, **overrides: Any
) -> FastAPI:
    values: dict[str, Any] = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_whatsapp_from": BUSINESS,
        "public_url": PUBLIC,
        "twilio_api_base": fake.url,
        "twilio_timeout_seconds": 1.0,
        "twilio_poll_seconds": 0.05,
        "twilio_unknown_settle_seconds": 0.5,
    }
    return make_app(database_url, rasa, **(values | overrides))


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


@dataclass
class Phone:
    """A customer's WhatsApp, talking to the service the way Twilio delivers it and
    reading what Twilio holds for it (with ``twilio`` given)."""

    client: TestClient
    number: str = NUMBER
    twilio: FakeTwilio | None = None

    @property
    def address(self) -> str:
        return f"whatsapp:{self.number}"

    @property
    def app(self) -> FastAPI:
        return cast(FastAPI, self.client.app)

    def messages(self) -> list[str]:
        """The bodies Twilio holds for this phone, oldest first."""
        assert self.twilio is not None, "a phone made without the fake Twilio"
        return self.twilio.bodies_to(self.address)

    def wait_for_messages(self, count: int, timeout: float = 30.0) -> list[str]:
        """All bodies, once Twilio holds at least ``count`` for this phone."""

        def enough() -> list[str] | None:
            bodies = self.messages()
            return bodies if len(bodies) >= count else None

        return eventually(enough, timeout)

    def wait_for_message(self, *, exactly: str | None = None, starting: str = "") -> str:
        """The first body that is ``exactly`` the text (or starts with ``starting``)."""

        def matches(body: str) -> bool:
            return body == exactly if exactly is not None else body.startswith(starting)

        return eventually(lambda: next((b for b in self.messages() if matches(b)), None))

    def hand_over(self, text: str) -> Agent:
        """Sends ``text`` (asking for a person); once the handoff message is here, an
        agent claims the conversation."""
        self.send(text)
        self.wait_for_message(starting=HANDOFF_TEXT)
        agent = self.agent()
        assert agent.claim().status_code == 200
        return agent

    def agent(self) -> Agent:
        """An agent logged in on this phone's client, at its one WhatsApp conversation."""
        [conversation] = whatsapp_conversations(self.app)
        return Agent(self.client, login_agent(self.client, self.app), conversation)

    def params(
        self,
        body: str = "",
        *,
        sid: str | None = None,
        media: Sequence[tuple[str, str]] = (),
        location: tuple[float, float] | None = None,
    ) -> dict[str, str]:
        params = {
            "MessageSid": sid or new_sid(),
            "AccountSid": ACCOUNT_SID,
            "From": self.address,
            "To": BUSINESS,
            "Body": body,
            "NumMedia": str(len(media)),
            "ProfileName": "Test Klant",
            "WaId": self.number.lstrip("+"),
        }
        for index, (url, content_type) in enumerate(media):
            params[f"MediaUrl{index}"] = url
            params[f"MediaContentType{index}"] = content_type
        if location is not None:
            params["Latitude"], params["Longitude"] = str(location[0]), str(location[1])
        return params

    def send(self, body: str = "", **kwargs: Any) -> httpx.Response:
        params = self.params(body, **kwargs)
        return self.post(params)

    def post(self, params: dict[str, str], signature: str | None = "real") -> httpx.Response:
        headers = {}
        if signature == "real":
            headers["X-Twilio-Signature"] = sign(INBOUND_URL, params)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        return self.client.post("/api/whatsapp/inbound", data=params, headers=headers)


@dataclass
class Agent:
    """A logged-in agent on the agent API, at one conversation."""

    client: TestClient
    login: LoggedIn
    conversation: Conversation

    @property
    def path(self) -> str:
        return f"/api/agent/conversations/{self.conversation.id}"

    def claim(self) -> httpx.Response:
        return self.client.post(f"{self.path}/claim", headers=self.login.headers)

    def reply(self, text: str) -> httpx.Response:
        return self.client.post(
            f"{self.path}/messages", json={"text": text}, headers=self.login.headers
        )

    def close(self) -> httpx.Response:
        return self.client.post(f"{self.path}/close", headers=self.login.headers)

    def detail(self) -> dict[str, Any]:
        """The conversation as the console shows it."""
        shown: dict[str, Any] = self.client.get(self.path, headers=self.login.headers).json()
        return shown

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path, headers=self.login.headers)


@contextmanager
def texting(app: FastAPI, twilio: FakeTwilio, number: str = NUMBER) -> Iterator[Phone]:
    """The service running (its workers too) and a customer's phone on it."""
    with TestClient(app) as client:
        yield Phone(client, number, twilio)


def status_callback(
    client: TestClient,
    sent: dict[str, Any],
    status: str,
    *,
    error_code: int | None = None,
    token: str = AUTH_TOKEN,
) -> httpx.Response:
    """Twilio calling the status callback URL it was given with the message."""
    url = sent["status_callback"]
    params = {
        "MessageSid": sent["sid"],
        "MessageStatus": status,
        "AccountSid": ACCOUNT_SID,
        "From": sent["from"],
        "To": sent["to"],
    }
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    parts = urlsplit(url)
    headers = {"X-Twilio-Signature": sign(url, params, token)}
    return client.post(f"{parts.path}?{parts.query}", data=params, headers=headers)


def whatsapp_conversations(app: FastAPI) -> list[Conversation]:
    return rows(app, select(Conversation).where(Conversation.channel == "whatsapp"))


def whatsapp_messages(app: FastAPI) -> list[Message]:
    return rows(app, select(Message).where(Message.channel == "whatsapp").order_by(Message.id))


def contacts(app: FastAPI) -> list[Contact]:
    return rows(app, select(Contact).where(Contact.channel == "whatsapp"))


def eventually(check: Callable[[], T | None], timeout: float = 30.0) -> T:
    """``wait_until`` with room for a first turn on a loaded machine (spaCy loading)."""
    return wait_until(check, timeout)


def received(twilio: FakeTwilio, phone: Phone, count: int) -> list[str] | None:
    """The bodies Twilio holds for the phone, once there are ``count`` of them."""
    bodies = twilio.bodies_to(phone.address)
    return bodies if len(bodies) >= count else None
