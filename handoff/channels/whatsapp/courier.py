"""The WhatsApp outbox courier: sends stored outbound messages through Twilio, one at a
time per conversation and in the order they were stored, several conversations at once.

Everything it needs is in the database, so it survives a restart: pending messages are
sent, ``unknown`` ones are settled, and a claim left by a crashed process (the request
may have reached Twilio) turns its message ``unknown`` rather than sending it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.channels.whatsapp import CHANNEL, formatting, window
from handoff.channels.whatsapp.delivery import TWILIO_STATUS, Attempt, Policy, decide
from handoff.channels.whatsapp.sender import Found, Outgoing, TwilioSender
from handoff.channels.whatsapp.status import delivery_event, record_sid
from handoff.conversations import store
from handoff.conversations.events import topic
from handoff.conversations.models import Contact, Conversation, Message
from handoff.core.config import Settings
from handoff.db.session import session_scope
from handoff.processing.runner import ConversationRunner

log = logging.getLogger(__name__)

UNSETTLED = ("pending", "unknown")
TEMPLATE_KIND = "whatsapp_template"
TEMPLATE_TEXT = (
    "[Heropeningsbericht: goedgekeurde WhatsApp-template, omdat het 24-uursvenster dicht is]"
)
HELD_TEXT = "Wacht tot de klant antwoordt: het 24-uursvenster van WhatsApp is gesloten"
NO_TEMPLATE_TEXT = (
    "Wacht tot de klant antwoordt: het 24-uursvenster is gesloten en er is geen "
    "template ingesteld (HANDOFF_TWILIO_TEMPLATE_CONTENT_SID)"
)
# A look-up only trusts messages created this long before our attempt started.
LOOKUP_SLACK = timedelta(seconds=60)


@dataclass
class Job:
    message_id: int
    conversation_id: str
    status: str  # pending: send the next part; unknown: look it up first
    outgoing: Outgoing
    part: int
    parts: int
    is_template: bool
    last_attempt_at: datetime | None
    known_sids: set[str] = field(default_factory=set)


AGAIN = "again"  # something changed (a hold); look at the conversation again


def _wa(message: Message) -> dict[str, Any]:
    return dict((message.payload or {}).get("whatsapp") or {})


def _set_wa(message: Message, wa: dict[str, Any]) -> None:
    message.payload = {**(message.payload or {}), "whatsapp": wa}


def body_of(message: Message, language: str, public_url: str) -> str:
    payload = message.payload or {}
    if message.author == "bot":
        return formatting.render(
            message.text,
            buttons=payload.get("buttons") or [],
            sources=payload.get("sources") or [],
            language=language,
            public_url=public_url,
        )
    return message.text


class Courier:
    def __init__(self, app: FastAPI, sender: TwilioSender, settings: Settings) -> None:
        self.app = app
        self.sender = sender
        self.settings = settings
        self.policy = Policy(
            max_attempts=settings.twilio_max_attempts,
            # Never look up before a request that timed out could have landed.
            unknown_settle_seconds=max(
                settings.twilio_unknown_settle_seconds, 2 * settings.twilio_timeout_seconds
            ),
        )
        # A claim older than this belongs to a process that died mid-send.
        self.lease = timedelta(seconds=2 * settings.twilio_timeout_seconds + 30)
        # No conversation lease: each message is claimed on its own (send_claimed_at).
        self._runner = ConversationRunner[Job | str](
            name="whatsapp-courier",
            find=self._due_conversations,
            claim=self._claim_next,
            handle=self._send,
            # No rescan when a drain ends: a conversation held up by a claim (in flight
            # elsewhere, or left by a failed delivery) is still found, and would spin.
            rescan_after_drain=False,
            poll_seconds=settings.twilio_poll_seconds,
            # Each send in flight is bounded by the Twilio timeout.
            grace_seconds=settings.twilio_timeout_seconds + 5,
            concurrency=settings.twilio_send_concurrency,
        )

    async def start(self) -> None:
        await self._runner.start()

    async def stop(self) -> None:
        """Lets sends in flight finish (each is bounded by the Twilio timeout)."""
        await self._runner.stop()

    def notify(self) -> None:
        self._runner.notify()

    async def _send(self, job: Job | str) -> bool:
        if not isinstance(job, Job):
            return True  # AGAIN: look at the conversation again
        try:
            await self._deliver(job)
        except Exception:
            # The claim stays: once it is stale the message is settled as unknown
            # (looked up), since the send may have gone out.
            log.exception("whatsapp delivery of message %s failed", job.message_id)
            return False
        return True

    async def _deliver(self, job: Job) -> None:
        if job.status == "unknown":
            await self._settle(job)
            return
        started = store.now()
        attempt = await self.sender.create(job.outgoing)
        event = await run_in_threadpool(self._record, job, attempt, started)
        await self._publish(event)

    async def _settle(self, job: Job) -> None:
        since = (job.last_attempt_at or store.now()) - LOOKUP_SLACK
        try:
            found = await self.sender.find(from_=job.outgoing.from_, since=since)
        except Exception as exc:
            log.warning(
                "look-up of message %s at Twilio failed (%s); trying later",
                job.message_id,
                type(exc).__name__,
            )
            await run_in_threadpool(self._postpone, job.message_id)
            return
        match = self._match(job, found, since)
        event = await run_in_threadpool(self._settled, job, match)
        await self._publish(event)

    def _match(self, job: Job, found: list[Found], since: datetime) -> Found | None:
        candidates = [
            f
            for f in found
            if f.to == job.outgoing.to
            and f.sid not in job.known_sids
            and (job.is_template or f.body == (job.outgoing.body or ""))
            and (f.created_at is None or store.as_utc(f.created_at) >= since)
        ]
        candidates.sort(key=lambda f: (f.created_at is None, f.created_at or since))
        return candidates[0] if candidates else None

    async def _publish(self, event: dict[str, Any] | None) -> None:
        if event is not None:
            await self.app.state.broadcaster.publish(topic(event["conversation_id"]), event)

    # --- database (run in the thread pool) ---

    def _due_conversations(self) -> list[str]:
        at = store.now()
        with session_scope(self.app.state.sessionmaker) as session:
            rows = session.execute(
                select(Message.conversation_id)
                .where(
                    Message.channel == CHANNEL,
                    Message.direction == "out",
                    Message.internal.is_(False),
                    Message.held.is_(False),
                    Message.delivery_status.in_(UNSETTLED),
                    or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= at),
                )
                .order_by(Message.id)
                .limit(500)
            ).all()
        return list(dict.fromkeys(conversation_id for (conversation_id,) in rows))

    def _claim_next(self, conversation_id: str) -> Job | str | None:
        at = store.now()
        with session_scope(self.app.state.sessionmaker) as session:
            rows = session.scalars(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.channel == CHANNEL,
                    Message.direction == "out",
                    Message.internal.is_(False),
                    Message.held.is_(False),
                    Message.delivery_status.in_(UNSETTLED),
                )
                .order_by(Message.id)
            ).all()
            for message in rows:
                claimed = message.send_claimed_at
                if claimed is not None and store.as_utc(claimed) > at - self.lease:
                    return None  # in flight elsewhere; later messages wait for it
                due = message.next_attempt_at is None or store.as_utc(message.next_attempt_at) <= at
                if message.delivery_status == "unknown" and not due:
                    continue  # probably out already: it does not hold up the next ones
                if not due:
                    return None
                if claimed is not None:
                    # The process that claimed it died mid-send: it may have reached
                    # Twilio, so it is settled like any other unknown outcome.
                    message.delivery_status = "unknown"
                    message.send_claimed_at = None
                    message.next_attempt_at = store.as_utc(claimed) + timedelta(
                        seconds=self.policy.unknown_settle_seconds
                    )
                    continue
                return self._prepare(session, message, at)
            return None

    def _prepare(self, session: Session, message: Message, at: datetime) -> Job | str | None:
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        contact = session.get(Contact, conversation.contact_id)
        address = contact.address if contact is not None else None
        is_template = (message.payload or {}).get("kind") == TEMPLATE_KIND
        if address is None:
            message.delivery_status = "failed"
            message.delivery_error = "Geen WhatsApp-adres bekend voor deze klant"
            return AGAIN
        last_customer = conversation.last_customer_message_at
        if (
            message.delivery_status == "pending"
            and not is_template
            and not window.is_open(store.as_utc(last_customer) if last_customer else None, at)
        ):
            self._hold(session, conversation, message, at)
            return AGAIN
        claimed = session.execute(
            update(Message)
            .where(
                Message.id == message.id,
                Message.delivery_status == message.delivery_status,
                Message.send_claimed_at.is_(None),
            )
            .values(send_claimed_at=at)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        wa = _wa(message)
        sids = list(wa.get("sids") or [])
        settings = self.settings
        if is_template:
            parts = [""]
        else:
            parts = formatting.split(body_of(message, conversation.language, settings.public_url))
        part = min(len(sids), len(parts) - 1)
        callback = f"{settings.whatsapp_status_url}?m={message.id}&p={part}"
        payload = message.payload or {}
        outgoing = Outgoing(
            to=address,
            from_=settings.twilio_whatsapp_from,
            status_callback=callback,
            body=None if is_template else parts[part],
            content_sid=payload.get("content_sid") if is_template else None,
            content_variables=payload.get("content_variables") if is_template else None,
        )
        last = wa.get("last_attempt_at")
        return Job(
            message_id=message.id,
            conversation_id=conversation.id,
            status=message.delivery_status or "pending",
            outgoing=outgoing,
            part=part,
            parts=len(parts),
            is_template=is_template,
            last_attempt_at=datetime.fromisoformat(last) if last else None,
            known_sids=self._known_sids(session, conversation.id),
        )

    def _known_sids(self, session: Session, conversation_id: str) -> set[str]:
        sids: set[str] = set()
        for message in session.scalars(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.direction == "out"
            )
        ):
            sids.update(_wa(message).get("sids") or [])
        return sids

    def _hold(
        self, session: Session, conversation: Conversation, message: Message, at: datetime
    ) -> None:
        """Outside the 24-hour window: the message waits for the customer, who is asked
        back once with the organisation's approved template."""
        settings = self.settings
        message.held = True
        message.delivery_error = (
            HELD_TEXT if settings.twilio_template_content_sid else NO_TEMPLATE_TEXT
        )
        if not settings.twilio_template_content_sid or self._template_sent(session, conversation):
            return
        variables = {
            key: value.replace("{org_name}", settings.org_name)
            for key, value in settings.twilio_template_variables.items()
        }
        store.append_message(
            session,
            conversation=conversation,
            direction="out",
            author="system",
            text=TEMPLATE_TEXT,
            payload={
                "kind": TEMPLATE_KIND,
                "content_sid": settings.twilio_template_content_sid,
                "content_variables": variables,
            },
            delivery_status="pending",
        )
        log.info("conversation %s: window closed, re-engagement template queued", conversation.id)

    def _template_sent(self, session: Session, conversation: Conversation) -> bool:
        """Once per closed window: a template after the customer's last message."""
        since = conversation.last_customer_message_at
        query = select(Message).where(
            Message.conversation_id == conversation.id,
            Message.direction == "out",
            Message.author == "system",
        )
        if since is not None:
            query = query.where(Message.created_at >= since)
        return any((m.payload or {}).get("kind") == TEMPLATE_KIND for m in session.scalars(query))

    def _record(self, job: Job, attempt: Attempt, started: datetime) -> dict[str, Any] | None:
        with session_scope(self.app.state.sessionmaker) as session:
            message = session.get(Message, job.message_id)
            if message is None:
                return None
            attempts = (message.delivery_attempts or 0) + 1
            decision = decide(attempt, attempts, self.policy)
            message.send_claimed_at = None
            wa = _wa(message)
            wa["parts"] = job.parts
            wa["last_attempt_at"] = started.isoformat()
            _set_wa(message, wa)
            if attempt.kind == "accepted" and attempt.sid:
                record_sid(message, part=job.part, sid=attempt.sid, status=decision.status)
                return delivery_event(message)
            message.delivery_attempts = attempts
            message.delivery_status = decision.status
            message.delivery_error = decision.error
            message.delivery_error_code = decision.error_code
            message.next_attempt_at = started + decision.wait if decision.wait else None
            if attempt.kind != "accepted":
                log.info(
                    "whatsapp message %s: attempt %s gave %s %s, now %s",
                    message.id,
                    attempts,
                    attempt.kind,
                    attempt.status or "",
                    decision.status,
                )
            return delivery_event(message)

    def _settled(self, job: Job, match: Found | None) -> dict[str, Any] | None:
        with session_scope(self.app.state.sessionmaker) as session:
            message = session.get(Message, job.message_id)
            if message is None:
                return None
            message.send_claimed_at = None
            if message.delivery_status != "unknown":
                return None  # the status callback settled it meanwhile
            if match is not None:
                record_sid(
                    message,
                    part=job.part,
                    sid=match.sid,
                    status=TWILIO_STATUS.get(match.status, "sent"),
                )
                log.info("whatsapp message %s: found at Twilio, not sent again", message.id)
                return delivery_event(message)
            if (message.delivery_attempts or 0) >= self.policy.max_attempts:
                message.delivery_status = "failed"
                message.delivery_error = "Niet bij Twilio gevonden en geen pogingen meer over"
            else:
                # Twilio does not have it: sending again cannot make a duplicate.
                message.delivery_status = "pending"
                message.next_attempt_at = None
                message.delivery_error = "Niet bij Twilio aangekomen; opnieuw verstuurd"
                log.info("whatsapp message %s: not at Twilio, sending again", message.id)
            return delivery_event(message)

    def _postpone(self, message_id: int) -> None:
        with session_scope(self.app.state.sessionmaker) as session:
            message = session.get(Message, message_id)
            if message is not None:
                message.send_claimed_at = None
                message.next_attempt_at = store.now() + timedelta(
                    seconds=self.policy.unknown_settle_seconds
                )
