"""The web widget's channel: contact and conversation tokens, and the customer
WebSocket protocol (docs/customer-protocol.md).

Tokens are random and stored only as SHA-256 hashes; they travel in the first frame or
in headers, never in a URL (URLs end up in logs and browser history).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.accounts.models import Account
from handoff.api.socket_tasks import finish, stop_tasks
from handoff.conversations import store
from handoff.conversations.availability import anyone_available, estimate_wait
from handoff.conversations.events import author_name, customer_frame, message_event, topic
from handoff.conversations.handoffs import queue_position
from handoff.conversations.models import Conversation
from handoff.conversations.state import State
from handoff.db.session import session_scope
from handoff.feedback.survey import record_csat_reply
from handoff.processing import runtime
from handoff.processing.ingest import (
    customer_messages_since,
    find_by_channel_id,
    ingest_customer_message,
)
from handoff.processing.outbox import dispatch, enqueue_outbound
from handoff.rulesets.store import active_ruleset
from handoff.rulesets.texts import system_text

CHANNEL = "web"
HELLO_TIMEOUT_SECONDS = 10
MAX_CLIENT_ID_CHARS = 100
MAX_BUTTON_CHARS = 200
RATE_WINDOW = timedelta(minutes=1)

# What the "a person, please" button puts in the transcript, in the customer's words.
REQUEST_HUMAN_TEXT = {
    "nl": "Ik wil graag een medewerker spreken.",
    "en": "I would like to talk to a person.",
}

CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_UNAUTHORIZED = 4401
CLOSE_HELLO_TIMEOUT = 4408


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- starting or continuing a conversation ---


@dataclass(frozen=True)
class Started:
    contact_token: str
    conversation_token: str
    conversation_id: str
    state: str
    created: bool
    disclosure_id: int | None


def start_conversation(
    session: Session, *, contact_token: str | None, language: str, org_name: str
) -> Started:
    """Continues the contact's open conversation, or opens a new one that begins with
    the disclosure. An unknown contact token gets a fresh contact (a wiped browser or
    database), never somebody else's conversations."""
    contact = None
    if contact_token:
        contact = store.get_contact(
            session, channel=CHANNEL, external_id_hash=token_hash(contact_token)
        )
    if contact is None:
        contact_token = new_token()
        contact = store.create_contact(
            session, channel=CHANNEL, external_id_hash=token_hash(contact_token)
        )
    assert contact_token is not None
    conversation_token = new_token()
    conversation = store.open_conversation_of(session, contact.id)
    if conversation is not None:
        # Only the hash is kept, so the open conversation gets a new token.
        conversation.token_hash = token_hash(conversation_token)
        session.commit()
        return Started(
            contact_token, conversation_token, conversation.id, conversation.state, False, None
        )
    conversation = store.create_conversation(
        session, contact=contact, language=language, token_hash=token_hash(conversation_token)
    )
    version, rules = active_ruleset(session)
    disclosure = enqueue_outbound(
        session,
        conversation=conversation,
        author="system",
        text=system_text(rules, "disclosure", language, org_name=org_name, at=store.now()),
        payload={"kind": "disclosure_shown", "text_key": "disclosure", "ruleset_version": version},
    )
    session.commit()
    return Started(
        contact_token, conversation_token, conversation.id, State.bot, True, disclosure.id
    )


def authenticate(
    session: Session, *, contact_token: str, conversation_token: str
) -> Conversation | None:
    contact = store.get_contact(
        session, channel=CHANNEL, external_id_hash=token_hash(contact_token)
    )
    if contact is None:
        return None
    return session.scalar(
        select(Conversation).where(
            Conversation.token_hash == token_hash(conversation_token),
            Conversation.contact_id == contact.id,
        )
    )


def history_frames(
    session: Session, conversation_id: str, after_id: int | None
) -> list[dict[str, Any]]:
    return [
        customer_frame(message_event(m, author_name=author_name(session, m)))
        for m in store.messages_after(session, conversation_id, after_id)
    ]


def state_frame(
    session: Session, conversation: Conversation, *, email_enabled: bool = False
) -> dict[str, Any]:
    agent_name = None
    if conversation.state == State.human and conversation.assigned_agent_id is not None:
        account = session.get(Account, conversation.assigned_agent_id)
        agent_name = account.display_name if account else None
    position = minutes = None
    email_offer = False
    if conversation.state == State.waiting:
        position = queue_position(session, conversation)
        _version, rules = active_ruleset(session)
        at = store.now()
        minutes = estimate_wait(session, rules, at, position).minutes
        # Nobody to answer soon (closed, or no agent with a live console): the widget
        # offers to answer by e-mail instead.
        email_offer = (
            email_enabled and not conversation.email and not anyone_available(session, rules, at)
        )
    return {
        "type": "state",
        "state": str(conversation.state),
        "agent_name": agent_name,
        "queue_position": position,
        "expected_wait_minutes": minutes,
        "email_offer": email_offer,
        "email_left": bool(conversation.email),
    }


# --- storing what the customer sends ---


class FrameError(Exception):
    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.frame = {"type": "error", "code": code, "message": message, **extra}


def _store_customer(
    app: FastAPI,
    conversation_id: str,
    *,
    client_id: str,
    text: str,
    payload: dict[str, Any] | None,
) -> int:
    settings = app.state.settings
    with session_scope(app.state.sessionmaker) as session:
        conversation = store.get_conversation(session, conversation_id)
        assert conversation is not None
        channel_message_id = f"{conversation_id}:{client_id}"
        existing = find_by_channel_id(
            session, channel=CHANNEL, channel_message_id=channel_message_id
        )
        if existing is not None:
            return existing.id  # a resend after a lost ack: acknowledge it again
        if conversation.state == State.closed:
            answer = record_csat_reply(
                session,
                conversation=conversation,
                text=text,
                payload=payload,
                channel_message_id=channel_message_id,
            )
            if answer is not None:
                return answer.id
            raise FrameError(
                "conversation_closed",
                "This conversation is closed; start a new one to continue.",
            )
        at = store.now()
        recent = customer_messages_since(session, conversation_id, at - RATE_WINDOW)
        if len(recent) >= settings.customer_rate_per_minute:
            oldest = store.as_utc(recent[0].created_at)
            wait = (oldest + RATE_WINDOW - at).total_seconds()
            raise FrameError(
                "rate_limited",
                f"Too many messages: at most {settings.customer_rate_per_minute} a minute.",
                retry_after=max(1, math.ceil(wait)),
            )
        ingested = ingest_customer_message(
            session,
            conversation=conversation,
            text=text,
            channel_message_id=channel_message_id,
            payload=payload,
        )
        return ingested.message.id


def _client_id(frame: dict[str, Any]) -> str:
    client_id = frame.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip():
        raise FrameError("invalid_client_id", "client_id must be a non-empty string.")
    if len(client_id) > MAX_CLIENT_ID_CHARS:
        raise FrameError(
            "invalid_client_id", f"client_id must be at most {MAX_CLIENT_ID_CHARS} characters."
        )
    return client_id


def _text(frame: dict[str, Any], max_chars: int) -> str:
    text = frame.get("text")
    if not isinstance(text, str):
        raise FrameError("invalid_text", "text must be a string.")
    if not text.strip():
        raise FrameError("empty_text", "The message is empty.")
    if len(text) > max_chars:
        raise FrameError("text_too_long", f"The message is longer than {max_chars} characters.")
    return text


def _button(frame: dict[str, Any]) -> tuple[str, str]:
    payload, title = frame.get("payload"), frame.get("title", "")
    if not isinstance(payload, str) or not payload.strip() or len(payload) > MAX_BUTTON_CHARS:
        raise FrameError(
            "invalid_button", f"payload must be a non-empty string of at most {MAX_BUTTON_CHARS}."
        )
    if not isinstance(title, str) or len(title) > MAX_BUTTON_CHARS:
        raise FrameError("invalid_button", f"title must be a string of at most {MAX_BUTTON_CHARS}.")
    return payload, title


# --- the socket ---


# Well below the shortest "abandoned" limit, so a connected customer never looks gone.
PRESENCE_INTERVAL_SECONDS = 60.0


class CustomerSocket:
    def __init__(self, websocket: WebSocket, conversation_id: str, language: str) -> None:
        self.ws = websocket
        self.app: FastAPI = websocket.app
        self.conversation_id = conversation_id
        self.language = language
        self.cursor = 0
        self._send_lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_json(frame)

    async def run(self, last_message_id: int | None) -> None:
        broadcaster = self.app.state.broadcaster
        # Subscribe before the replay, so nothing published in between is missed; the
        # cursor drops what the replay already sent.
        async with broadcaster.subscribe(topic(self.conversation_id)) as events:
            welcome, replay = await run_in_threadpool(self._welcome, last_message_id)
            await self.send(welcome)
            for frame in replay:
                await self.send(frame)
                self.cursor = max(self.cursor, frame["id"])
            if last_message_id is not None:
                self.cursor = max(self.cursor, last_message_id)
            reader = asyncio.create_task(self._read())
            forwarder = asyncio.create_task(self._forward(events))
            presence = asyncio.create_task(self._presence())
            try:
                await asyncio.wait({reader, forwarder}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                await stop_tasks([reader, forwarder, presence], WebSocketDisconnect)
                # The moment they left is the last time they were seen.
                await finish(run_in_threadpool(self._mark_seen))

    async def _presence(self) -> None:
        while True:
            await run_in_threadpool(self._mark_seen, True)
            await asyncio.sleep(PRESENCE_INTERVAL_SECONDS)

    def _mark_seen(self, online: bool = False) -> None:
        at = store.now()
        # Online until a little after the next presence tick: a crashed replica's
        # customers count as gone soon after, so e-mail replies are not held back.
        until = at + timedelta(seconds=2 * PRESENCE_INTERVAL_SECONDS) if online else None
        with session_scope(self.app.state.sessionmaker) as session:
            session.execute(
                update(Conversation)
                .where(Conversation.id == self.conversation_id)
                .values(last_seen_at=at, customer_online_until=until)
            )

    def _state(self) -> dict[str, Any]:
        with session_scope(self.app.state.sessionmaker) as session:
            conversation = store.get_conversation(session, self.conversation_id)
            assert conversation is not None
            return state_frame(
                session, conversation, email_enabled=self.app.state.settings.email_enabled
            )

    def _welcome(self, last_message_id: int | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        with session_scope(self.app.state.sessionmaker) as session:
            conversation = store.get_conversation(session, self.conversation_id)
            assert conversation is not None
            state = state_frame(
                session, conversation, email_enabled=self.app.state.settings.email_enabled
            )
            welcome = state | {"type": "welcome", "conversation_id": conversation.id}
            return welcome, history_frames(session, conversation.id, last_message_id)

    async def _forward(self, events: AsyncIterator[dict[str, Any]]) -> None:
        async for event in events:
            kind = event.get("type")
            if kind == "message":
                # Internal notes never reach a customer; their own words came back as acks.
                if event.get("internal") or event.get("author") == "customer":
                    continue
                if event["id"] <= self.cursor:
                    continue
                self.cursor = event["id"]
                await self.send(customer_frame(event))
            elif kind == "typing" and event.get("author") in ("bot", "agent"):
                await self.send(
                    {
                        "type": "typing",
                        "author": event["author"],
                        "name": event.get("name"),
                        "on": event["on"],
                    }
                )
            elif kind == "state":
                # Read back from the database: the wait estimate and the e-mail offer are
                # the socket's business, not every publisher's.
                await self.send(await run_in_threadpool(self._state))

    async def _read(self) -> None:
        while True:
            try:
                raw = await self.ws.receive_text()
            except WebSocketDisconnect:
                return
            try:
                await self._handle(raw)
            except FrameError as error:
                await self.send(error.frame)

    async def _handle(self, raw: str) -> None:
        frame = parse_frame(raw)
        kind = frame.get("type")
        max_chars = self.app.state.settings.max_message_chars
        if kind == "message":
            client_id = _client_id(frame)
            text = _text(frame, max_chars)
            await self._store_and_ack(client_id, text, None)
        elif kind == "button":
            client_id = _client_id(frame)
            payload, title = _button(frame)
            await self._store_and_ack(
                client_id,
                title or payload,
                {"kind": "button", "payload": payload, "title": title},
            )
        elif kind == "request_human":
            client_id = _client_id(frame)
            text = REQUEST_HUMAN_TEXT.get(self.language, REQUEST_HUMAN_TEXT["nl"])
            await self._store_and_ack(client_id, text, {"kind": "request_human"})
        elif kind == "typing":
            on = frame.get("on")
            if not isinstance(on, bool):
                raise FrameError("invalid_typing", "on must be true or false.")
            await self.app.state.broadcaster.publish(
                topic(self.conversation_id), {"type": "typing", "author": "customer", "on": on}
            )
        else:
            raise FrameError(
                "unknown_frame_type",
                f"Unknown frame type {kind!r}; expected message, button, request_human or typing.",
            )

    async def _store_and_ack(
        self, client_id: str, text: str, payload: dict[str, Any] | None
    ) -> None:
        message_id = await run_in_threadpool(
            _store_customer,
            self.app,
            self.conversation_id,
            client_id=client_id,
            text=text,
            payload=payload,
        )
        await self.send({"type": "ack", "client_id": client_id, "message_id": message_id})
        runtime.notify(self.app)


def parse_frame(raw: str) -> dict[str, Any]:
    try:
        frame = json.loads(raw)
    except ValueError:
        raise FrameError("malformed_json", "The frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise FrameError("malformed_frame", "A frame must be a JSON object with a type.")
    return frame


def _authenticate_hello(app: FastAPI, hello: dict[str, Any]) -> tuple[str, str] | None:
    contact_token, conversation_token = hello.get("contact_token"), hello.get("conversation_token")
    if not isinstance(contact_token, str) or not isinstance(conversation_token, str):
        return None
    with session_scope(app.state.sessionmaker) as session:
        conversation = authenticate(
            session, contact_token=contact_token, conversation_token=conversation_token
        )
        if conversation is None:
            return None
        return conversation.id, conversation.language


async def serve(websocket: WebSocket) -> None:
    app: FastAPI = websocket.app
    origin = websocket.headers.get("origin")
    await websocket.accept()
    if origin not in app.state.settings.allowed_origins:
        await websocket.send_json(
            {"type": "error", "code": "origin_not_allowed", "message": "This page may not chat."}
        )
        await websocket.close(CLOSE_FORBIDDEN_ORIGIN)
        return
    try:
        raw = await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT_SECONDS)
    except TimeoutError:
        await websocket.close(CLOSE_HELLO_TIMEOUT)
        return
    except WebSocketDisconnect:
        return
    try:
        hello = parse_frame(raw)
    except FrameError as error:
        await websocket.send_json(error.frame)
        await websocket.close(CLOSE_UNAUTHORIZED)
        return
    last_message_id = hello.get("last_message_id")
    # bool is an int in Python; a cursor of True must not replay from message 1.
    if last_message_id is not None and (type(last_message_id) is not int or last_message_id < 0):
        await websocket.send_json(
            {
                "type": "error",
                "code": "invalid_hello",
                "message": "last_message_id must be null or a message id (an integer ≥ 0).",
            }
        )
        await websocket.close(CLOSE_UNAUTHORIZED)
        return
    identity = None
    if hello.get("type") == "hello":
        identity = await run_in_threadpool(_authenticate_hello, app, hello)
    if identity is None:
        await websocket.send_json(
            {
                "type": "error",
                "code": "unauthorized",
                "message": "The first frame must be a hello with valid tokens.",
            }
        )
        await websocket.close(CLOSE_UNAUTHORIZED)
        return
    conversation_id, language = identity
    with contextlib.suppress(WebSocketDisconnect):
        await CustomerSocket(websocket, conversation_id, language).run(last_message_id)


async def announce_start(app: FastAPI, started: Started) -> None:
    if started.disclosure_id is not None:
        await dispatch(app, started.disclosure_id)
