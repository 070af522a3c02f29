"""WhatsApp through Twilio: the signed messaging webhook, the signed status callback,
and the agents' media proxy (docs/whatsapp.md)."""

from __future__ import annotations

import logging
import time
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, HTTPException, Path, Request, status
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool

from handoff.api.deps import CurrentStaff, SessionDep, SettingsDep
from handoff.channels.whatsapp import CHANNEL, inbound, media, signature
from handoff.channels.whatsapp.status import apply_callback
from handoff.conversations.events import topic
from handoff.conversations.models import Message
from handoff.core.config import Settings
from handoff.db.session import session_scope
from handoff.processing import runtime
from handoff.processing.outbox import dispatch_all, whatsapp_courier

log = logging.getLogger(__name__)
router = APIRouter(tags=["whatsapp"])

# Twilio needs a quick 200; the answer is sent later through the REST API, not in TwiML.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STORE_RETRIES = 5
NOT_CONFIGURED = "WhatsApp is not configured"
FORGED = "Invalid or missing X-Twilio-Signature"
MEDIA_NOT_FOUND = "Bijlage niet gevonden"


def _enabled(settings: Settings) -> None:
    if not settings.whatsapp_enabled:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_CONFIGURED)


async def _signed_form(request: Request, settings: Settings, public_url: str) -> dict[str, str]:
    """The form Twilio posted, only when its signature holds for the public URL."""
    body = (await request.body()).decode("utf-8", errors="replace")
    params = dict(parse_qsl(body, keep_blank_values=True))
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
    url = signature.called_url(public_url, request.url.query)
    if not signature.is_genuine(
        token, url, params, request.headers.get(signature.SIGNATURE_HEADER)
    ):
        raise HTTPException(status.HTTP_403_FORBIDDEN, FORGED)
    return params


class StoreFailed(RuntimeError):
    pass


def _store(app: FastAPI, message: inbound.InboundMessage) -> inbound.Stored:
    """Retried on a lost race (two deliveries of one new number at once): the next
    round finds what the winner stored."""
    for attempt in range(STORE_RETRIES):
        try:
            with session_scope(app.state.sessionmaker) as session:
                return inbound.store_inbound(session, message, org_name=app.state.settings.org_name)
        except (IntegrityError, OperationalError) as error:
            retry = isinstance(error, IntegrityError) or "database is locked" in str(error)
            if not retry or attempt == STORE_RETRIES - 1:
                # The database error's parameters may hold the customer's number: the
                # error that gets logged names the message only. Twilio gets a 500.
                raise StoreFailed(
                    f"could not store WhatsApp message {message.message_sid}: "
                    f"{type(error).__name__}"
                ) from None
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


@router.post("/api/whatsapp/inbound")
async def whatsapp_inbound(request: Request, settings: SettingsDep) -> Response:
    _enabled(settings)
    params = await _signed_form(request, settings, settings.whatsapp_webhook_url)
    try:
        message = inbound.parse(params)
    except inbound.InvalidInbound as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from None
    app = request.app
    stored = await run_in_threadpool(_store, app, message)
    if stored.created:
        log.info("whatsapp message %s stored in %s", stored.message_id, stored.conversation_id)
        runtime.notify(app)
        await dispatch_all(app, stored.dispatch_ids)
        courier = whatsapp_courier(app)
        if stored.released and courier is not None:
            courier.notify()
    return Response(EMPTY_TWIML, media_type="text/xml")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@router.post("/api/whatsapp/status")
async def whatsapp_status(request: Request, settings: SettingsDep) -> Response:
    _enabled(settings)
    params = await _signed_form(request, settings, settings.whatsapp_status_url)
    message_id = _int(request.query_params.get("m"))
    part = _int(request.query_params.get("p")) or 0
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    twilio_status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    if message_id is None or not sid:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    app = request.app

    def _apply() -> dict[str, object] | None:
        with session_scope(app.state.sessionmaker) as session:
            return apply_callback(
                session,
                message_id=message_id,
                part=part,
                sid=sid,
                twilio_status=twilio_status,
                error_code=_int(params.get("ErrorCode")),
                error_message=params.get("ErrorMessage"),
            )

    event = await run_in_threadpool(_apply)
    if event is not None:
        await app.state.broadcaster.publish(topic(str(event["conversation_id"])), event)
        courier = whatsapp_courier(app)
        if event["delivery_status"] == "pending" and courier is not None:
            courier.notify()  # a settled part: the next one may go
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/agent/whatsapp/media/{message_id}/{index}")
async def whatsapp_media(
    message_id: int,
    index: Annotated[int, Path(ge=0)],
    staff: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    _enabled(settings)
    message = session.get(Message, message_id)
    items = (message.payload or {}).get("media") or [] if message is not None else []
    if message is None or message.channel != CHANNEL or index >= len(items):
        raise HTTPException(status.HTTP_404_NOT_FOUND, MEDIA_NOT_FOUND)
    url = str(items[index].get("url") or "")
    session.close()  # no database connection held while Twilio answers
    try:
        fetched = await media.fetch(settings, url)
    except media.MediaUnavailable as error:
        raise HTTPException(error.status_code, error.message) from None
    disposition = "inline" if fetched.inline else "attachment"
    return Response(
        fetched.content,
        media_type=fetched.content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="bijlage-{message_id}-{index}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
