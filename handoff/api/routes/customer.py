"""The web widget's customer API: start a conversation, read its history, and the
customer WebSocket (protocol in docs/customer-protocol.md)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Request, WebSocket
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.api.deps import SessionDep, SettingsDep
from handoff.channels import web
from handoff.channels.ratelimit import SlidingWindow
from handoff.conversations import store
from handoff.conversations.models import Conversation
from handoff.conversations.state import State

# One @, no spaces, a dot in the domain: enough to catch typos; the mail server decides.
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

router = APIRouter()


class ConversationStart(BaseModel):
    contact_token: str | None = Field(default=None, max_length=200)
    lang: Literal["nl", "en"] = "nl"


class ConversationStarted(BaseModel):
    contact_token: str
    conversation_token: str
    conversation_id: str
    state: str


def _starts_limiter(request: Request) -> SlidingWindow:
    limiter: SlidingWindow | None = getattr(request.app.state, "conversation_starts", None)
    if limiter is None:
        limiter = SlidingWindow(per_minute=request.app.state.settings.customer_rate_per_minute)
        request.app.state.conversation_starts = limiter
    return limiter


@router.post("/api/web/conversations", response_model=ConversationStarted)
async def start_conversation(
    body: ConversationStart | None, request: Request, settings: SettingsDep
) -> ConversationStarted:
    client = request.client.host if request.client else "unknown"
    retry_after = _starts_limiter(request).hit(client)
    if retry_after:
        raise HTTPException(
            status_code=429,
            detail=f"Too many new conversations from this address; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
    body = body or ConversationStart()
    app = request.app

    def _start() -> web.Started:
        with app.state.sessionmaker() as session:
            return web.start_conversation(
                session,
                contact_token=body.contact_token,
                language=body.lang,
                org_name=settings.org_name,
            )

    started = await run_in_threadpool(_start)
    await web.announce_start(app, started)
    return ConversationStarted(
        contact_token=started.contact_token,
        conversation_token=started.conversation_token,
        conversation_id=started.conversation_id,
        state=str(started.state),
    )


def _customer_conversation(
    session: Session, contact_token: str | None, conversation_token: str | None
) -> Conversation:
    conversation = None
    if contact_token and conversation_token:
        conversation = web.authenticate(
            session, contact_token=contact_token, conversation_token=conversation_token
        )
    if conversation is None:
        raise HTTPException(status_code=401, detail="Unknown or expired conversation tokens.")
    return conversation


@router.get("/api/web/history")
def history(
    session: SessionDep,
    settings: SettingsDep,
    x_contact_token: Annotated[str | None, Header()] = None,
    x_conversation_token: Annotated[str | None, Header()] = None,
    after_id: int | None = None,
) -> dict[str, Any]:
    conversation = _customer_conversation(session, x_contact_token, x_conversation_token)
    state = web.state_frame(session, conversation, email_enabled=settings.email_enabled)
    return {
        "conversation_id": conversation.id,
        "state": state["state"],
        "agent_name": state["agent_name"],
        "queue_position": state["queue_position"],
        "expected_wait_minutes": state["expected_wait_minutes"],
        "email_offer": state["email_offer"],
        "email_left": state["email_left"],
        "messages": web.history_frames(session, conversation.id, after_id),
        "closed_at": store.as_utc(conversation.closed_at).isoformat()
        if conversation.closed_at
        else None,
    }


class EmailLeave(BaseModel):
    email: str = Field(max_length=254)
    consent: bool


class EmailLeft(BaseModel):
    email: str
    consent_at: str


@router.post("/api/web/email", response_model=EmailLeft)
def leave_email(
    body: EmailLeave,
    session: SessionDep,
    settings: SettingsDep,
    x_contact_token: Annotated[str | None, Header()] = None,
    x_conversation_token: Annotated[str | None, Header()] = None,
) -> EmailLeft:
    """The customer's address for the answer by e-mail, stored only with their consent."""
    conversation = _customer_conversation(session, x_contact_token, x_conversation_token)
    if not body.consent:
        raise HTTPException(
            status_code=422, detail="Consent is needed to store the e-mail address."
        )
    email = body.email.strip()
    if not EMAIL_PATTERN.fullmatch(email):
        raise HTTPException(status_code=422, detail="This is not a valid e-mail address.")
    if not settings.email_enabled:
        raise HTTPException(status_code=409, detail="Answers by e-mail are not available.")
    if conversation.state == State.closed:
        raise HTTPException(status_code=409, detail="This conversation is closed.")
    conversation.email = email
    conversation.email_consent_at = store.now()
    session.commit()
    return EmailLeft(email=email, consent_at=conversation.email_consent_at.isoformat())


@router.websocket("/ws/web")
async def customer_socket(websocket: WebSocket) -> None:
    await web.serve(websocket)
