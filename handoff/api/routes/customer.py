"""The web widget's customer API: start a conversation, read its history, and the
customer WebSocket (protocol in docs/customer-protocol.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Request, WebSocket
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from handoff.api.deps import SessionDep, SettingsDep
from handoff.channels import web
from handoff.channels.ratelimit import SlidingWindow
from handoff.conversations import store

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


@router.get("/api/web/history")
def history(
    session: SessionDep,
    x_contact_token: Annotated[str | None, Header()] = None,
    x_conversation_token: Annotated[str | None, Header()] = None,
    after_id: int | None = None,
) -> dict[str, Any]:
    conversation = None
    if x_contact_token and x_conversation_token:
        conversation = web.authenticate(
            session, contact_token=x_contact_token, conversation_token=x_conversation_token
        )
    if conversation is None:
        raise HTTPException(status_code=401, detail="Unknown or expired conversation tokens.")
    state = web.state_frame(session, conversation)
    return {
        "conversation_id": conversation.id,
        "state": state["state"],
        "agent_name": state["agent_name"],
        "queue_position": state["queue_position"],
        "messages": web.history_frames(session, conversation.id, after_id),
        "closed_at": store.as_utc(conversation.closed_at).isoformat()
        if conversation.closed_at
        else None,
    }


@router.websocket("/ws/web")
async def customer_socket(websocket: WebSocket) -> None:
    await web.serve(websocket)
