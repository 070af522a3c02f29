"""After an agent's reply is committed: when the customer left an e-mail address with
consent and has no chat open, the reply and the transcript go there.

The delivery row is stored before the SMTP conversation starts and marked after it, so
a failure (or a crash in between) stays visible instead of being lost. Sending runs in
a thread with the SMTP timeout, in a background task: an agent never waits for a mail
server.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from handoff.conversations import store
from handoff.conversations.events import author_name
from handoff.conversations.models import Conversation, Message
from handoff.db.session import session_scope
from handoff.notify.models import EmailDelivery
from handoff.notify.smtp import EmailFailed, send_email
from handoff.notify.transcript import Line, reply_email
from handoff.rulesets.store import active_ruleset

log = logging.getLogger(__name__)


def customer_online(conversation: Conversation, at: datetime) -> bool:
    until = conversation.customer_online_until
    return until is not None and store.as_utc(until) > at


def _prepare(app: FastAPI, message_id: int) -> tuple[int, EmailMessage] | None:
    settings = app.state.settings
    with session_scope(app.state.sessionmaker) as session:
        message = session.get(Message, message_id)
        if message is None or message.author != "agent" or message.internal:
            return None
        conversation = session.get(Conversation, message.conversation_id)
        if (
            conversation is None
            or not conversation.email
            or conversation.email_consent_at is None
            or customer_online(conversation, store.now())
        ):
            return None
        _version, rules = active_ruleset(session)
        lines = [
            Line(m.author, author_name(session, m), m.text, store.as_utc(m.created_at))
            for m in store.transcript(session, conversation.id, include_internal=False)
        ]
        reply = Line(
            "agent", author_name(session, message), message.text, store.as_utc(message.created_at)
        )
        email = reply_email(
            sender=settings.smtp_from,
            recipient=conversation.email,
            org_name=settings.org_name,
            language=conversation.language,
            reply=reply,
            lines=lines,
            zone=ZoneInfo(rules.opening_hours.timezone),
            chat_url=settings.public_url,
        )
        delivery = EmailDelivery(
            conversation_id=conversation.id,
            message_id=message.id,
            recipient=conversation.email,
            subject=str(email["Subject"]),
            status="pending",
            created_at=store.now(),
        )
        session.add(delivery)
        session.flush()
        return delivery.id, email


def _mark(app: FastAPI, delivery_id: int, error: str | None) -> None:
    with session_scope(app.state.sessionmaker) as session:
        delivery = session.get(EmailDelivery, delivery_id)
        if delivery is None:
            return
        delivery.status = "failed" if error else "sent"
        delivery.error = error
        delivery.sent_at = None if error else store.now()


async def email_reply(app: FastAPI, message_id: int) -> int | None:
    """Sends the agent message by e-mail when it should; the delivery id, or None."""
    prepared = await run_in_threadpool(_prepare, app, message_id)
    if prepared is None:
        return None
    delivery_id, email = prepared
    error = None
    try:
        await run_in_threadpool(send_email, app.state.settings, email)
    except EmailFailed as exc:
        error = str(exc)
        log.warning("e-mail delivery %s failed: %s", delivery_id, error)
    await run_in_threadpool(_mark, app, delivery_id, error)
    return delivery_id


async def _email_reply_logged(app: FastAPI, message_id: int) -> None:
    try:
        await email_reply(app, message_id)
    except Exception:
        log.exception("e-mail for message %s could not be prepared or recorded", message_id)


def schedule_reply_emails(app: FastAPI, message_ids: list[int]) -> None:
    """Starts the e-mails in the background; the tasks are kept so none is collected
    half-way."""
    if not app.state.settings.email_enabled or not message_ids:
        return
    tasks: set[asyncio.Task[None]] | None = getattr(app.state, "email_tasks", None)
    if tasks is None:
        tasks = set()
        app.state.email_tasks = tasks
    for message_id in message_ids:
        task = asyncio.create_task(_email_reply_logged(app, message_id))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


async def finish_sending(app: FastAPI) -> None:
    """Lets the e-mails in flight finish before the engine goes away (each is bounded by
    the SMTP timeout): a shutdown would otherwise cut them off and leave their delivery
    pending, and their last write would go through a disposed engine."""
    tasks: set[asyncio.Task[None]] | None = getattr(app.state, "email_tasks", None)
    if tasks:
        await asyncio.gather(*list(tasks), return_exceptions=True)
