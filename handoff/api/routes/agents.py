"""The agent API: the queue, claiming, replying, hand-back, close, transfer, presence,
and the agent console's WebSocket. Every route needs a staff session."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request, WebSocket, status
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.agents import operations, presence, views
from handoff.agents.effects import Effects, apply_effects
from handoff.agents.errors import AgentActionError
from handoff.agents.handback import hand_back
from handoff.agents.queue import waiting_conversations
from handoff.agents.socket import serve_agent_socket
from handoff.api.deps import CurrentStaff, SessionDep, SettingsDep

router = APIRouter()
api = APIRouter(prefix="/api/agent", tags=["agent"])

LOCK_RETRIES = 3


class MessageIn(BaseModel):
    text: str
    internal: bool = False


class TransferIn(BaseModel):
    to_account_id: int | None = None


class AvailabilityIn(BaseModel):
    available: bool


def _http(error: AgentActionError) -> HTTPException:
    return HTTPException(error.status_code, error.message)


def _perform(session: Session, action: Callable[..., Effects], **kwargs: Any) -> Effects:
    """Runs one action in its own transaction. SQLite refuses a write at once (no
    waiting) when another connection committed since this one read; the action is
    then simply run again on fresh data."""
    for attempt in range(LOCK_RETRIES):
        try:
            effects = action(session, **kwargs)
            session.commit()
            return effects
        except AgentActionError as error:
            session.rollback()
            raise _http(error) from error
        except OperationalError as error:
            session.rollback()
            locked = "database is locked" in str(error)
            if not locked or attempt == LOCK_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


async def _act(
    request: Request, session: Session, action: Callable[..., Effects], **kwargs: Any
) -> dict[str, Any]:
    effects = await run_in_threadpool(_perform, session, action, **kwargs)
    await apply_effects(request.app, effects)
    return effects.result


@api.get("/queue")
def queue(staff: CurrentStaff, session: SessionDep) -> dict[str, Any]:
    return {"conversations": waiting_conversations(session)}


@api.get("/conversations")
def mine(staff: CurrentStaff, session: SessionDep) -> dict[str, Any]:
    return {"conversations": views.my_conversations(session, account_id=staff.account.id)}


@api.get("/conversations/{conversation_id}")
def conversation(conversation_id: str, staff: CurrentStaff, session: SessionDep) -> dict[str, Any]:
    try:
        return views.conversation_detail(session, conversation_id=conversation_id)
    except AgentActionError as error:
        raise _http(error) from error


@api.post("/conversations/{conversation_id}/claim")
async def claim(
    conversation_id: str, request: Request, staff: CurrentStaff, session: SessionDep
) -> dict[str, Any]:
    return await _act(
        request, session, operations.claim, conversation_id=conversation_id, account=staff.account
    )


@api.post("/conversations/{conversation_id}/messages", status_code=status.HTTP_201_CREATED)
async def send_message(
    conversation_id: str,
    body: MessageIn,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    if not body.text.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "Het bericht is leeg")
    if len(body.text) > settings.max_message_chars:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"Het bericht is langer dan {settings.max_message_chars} tekens",
        )
    return await _act(
        request,
        session,
        operations.send_message,
        conversation_id=conversation_id,
        account=staff.account,
        text=body.text,
        internal=body.internal,
    )


@api.post("/conversations/{conversation_id}/handback")
async def handback(conversation_id: str, request: Request, staff: CurrentStaff) -> dict[str, Any]:
    try:
        effects = await hand_back(
            request.app, conversation_id=conversation_id, account_id=staff.account.id
        )
    except AgentActionError as error:
        raise _http(error) from error
    return effects.result


@api.post("/conversations/{conversation_id}/close")
async def close(
    conversation_id: str, request: Request, staff: CurrentStaff, session: SessionDep
) -> dict[str, Any]:
    return await _act(
        request,
        session,
        operations.close,
        conversation_id=conversation_id,
        account=staff.account,
        org_name=request.app.state.settings.org_name,
    )


@api.post("/conversations/{conversation_id}/transfer")
async def transfer(
    conversation_id: str,
    body: TransferIn,
    request: Request,
    staff: CurrentStaff,
    session: SessionDep,
) -> dict[str, Any]:
    return await _act(
        request,
        session,
        operations.transfer,
        conversation_id=conversation_id,
        account=staff.account,
        to_account_id=body.to_account_id,
    )


@api.post("/availability")
async def availability(
    body: AvailabilityIn, request: Request, staff: CurrentStaff, session: SessionDep
) -> dict[str, Any]:
    return await _act(
        request, session, presence.set_available, account=staff.account, available=body.available
    )


@api.get("/status")
def my_status(staff: CurrentStaff, session: SessionDep) -> dict[str, Any]:
    return presence.my_status(session, account=staff.account)


@api.get("/colleagues")
def colleagues(staff: CurrentStaff, session: SessionDep) -> dict[str, Any]:
    return {"colleagues": presence.colleagues(session, account_id=staff.account.id)}


@api.post("/heartbeat", status_code=status.HTTP_204_NO_CONTENT)
def heartbeat(staff: CurrentStaff, session: SessionDep) -> None:
    presence.heartbeat(session, account_id=staff.account.id)
    session.commit()


@router.websocket("/ws/agent")
async def agent_socket(websocket: WebSocket) -> None:
    await serve_agent_socket(websocket)


router.include_router(api)
