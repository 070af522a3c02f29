"""Outbound messages: stored first (delivery pending), delivered after the commit.

A message is never sent before it is durable, so a crash cannot make the customer see
something the transcript lacks; a delivery that fails is marked, not lost.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import FastAPI
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.channels.whatsapp.courier import Courier
from handoff.channels.whatsapp.sender import TwilioSender
from handoff.conversations import store
from handoff.conversations.events import author_name, message_event, topic
from handoff.conversations.models import Conversation, Message
from handoff.db.session import session_scope

log = logging.getLogger(__name__)


def enqueue_outbound(
    session: Session,
    *,
    conversation: Conversation,
    author: Literal["bot", "agent", "system"],
    text: str,
    payload: dict[str, Any] | None = None,
    author_account_id: int | None = None,
    internal: bool = False,
) -> Message:
    return store.append_message(
        session,
        conversation=conversation,
        direction="out",
        author=author,
        text=text,
        payload=payload,
        author_account_id=author_account_id,
        internal=internal,
        delivery_status="pending",
    )


def _load_event(app: FastAPI, message_id: int) -> tuple[str, dict[str, Any]] | None:
    with session_scope(app.state.sessionmaker) as session:
        message = session.get(Message, message_id)
        if message is None:
            return None
        conversation = session.get(Conversation, message.conversation_id)
        channel = conversation.channel if conversation else "web"
        return channel, message_event(message, author_name=author_name(session, message))


def _mark(app: FastAPI, message_id: int, status: str, error: str | None = None) -> None:
    with session_scope(app.state.sessionmaker) as session:
        message = session.get(Message, message_id)
        if message is not None:
            message.delivery_status = status
            message.delivery_error = error


async def dispatch(app: FastAPI, message_id: int) -> None:
    """Delivers one stored outbound message in its channel. Call after the commit."""
    loaded = await run_in_threadpool(_load_event, app, message_id)
    if loaded is None:
        return
    channel, event = loaded
    try:
        # The web widget is live over the broadcaster and replays from the database on
        # reconnect, so publishing is the delivery; other channels plug in here.
        await app.state.broadcaster.publish(topic(event["conversation_id"]), event)
    except Exception as exc:
        log.exception("delivery of message %s failed", message_id)
        await run_in_threadpool(_mark, app, message_id, "failed", f"{type(exc).__name__}: {exc}")
        return
    if channel == "web":
        await run_in_threadpool(_mark, app, message_id, "sent")
    elif channel == "whatsapp":
        # Published for the agents above; the courier sends it through Twilio and
        # keeps its delivery status (pending until Twilio has it).
        courier = whatsapp_courier(app)
        if courier is not None:
            courier.notify()


async def dispatch_all(app: FastAPI, message_ids: list[int]) -> None:
    for message_id in message_ids:
        await dispatch(app, message_id)


# --- the WhatsApp courier (handoff/channels/whatsapp/courier.py) ---


def whatsapp_courier(app: FastAPI) -> Courier | None:
    return getattr(app.state, "whatsapp_courier", None)


async def start(app: FastAPI) -> None:
    """Starts channel delivery that runs in the background: WhatsApp, when configured.
    Pending and unsettled messages from before a restart are picked up at once."""
    settings = app.state.settings
    if not settings.whatsapp_enabled or whatsapp_courier(app) is not None:
        return
    assert settings.twilio_auth_token is not None
    sender = TwilioSender(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        api_base=settings.twilio_api_base,
        timeout=settings.twilio_timeout_seconds,
        concurrency=settings.twilio_send_concurrency,
    )
    courier = Courier(app, sender, settings)
    app.state.whatsapp_courier = courier
    await courier.start()


async def stop(app: FastAPI) -> None:
    courier = whatsapp_courier(app)
    if courier is not None:
        await courier.stop()
        app.state.whatsapp_courier = None
