"""Canned replies for the agent console: every staff member reads them, supervisors
write them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, status

from handoff.agents import canned
from handoff.agents.canned import CannedReplyIn
from handoff.agents.errors import AgentActionError
from handoff.api.deps import CurrentStaff, CurrentSupervisor, SessionDep

router = APIRouter(prefix="/api/agent/canned-replies", tags=["agent"])


@router.get("")
def list_canned_replies(staff: CurrentStaff, session: SessionDep) -> dict[str, Any]:
    return {"canned_replies": canned.list_replies(session)}


@router.post("", status_code=status.HTTP_201_CREATED)
def create_canned_reply(
    body: CannedReplyIn, staff: CurrentSupervisor, session: SessionDep
) -> dict[str, Any]:
    reply = canned.create_reply(session, data=body, account_id=staff.account.id)
    session.commit()
    return reply


@router.put("/{reply_id}")
def update_canned_reply(
    reply_id: int, body: CannedReplyIn, staff: CurrentSupervisor, session: SessionDep
) -> dict[str, Any]:
    try:
        reply = canned.update_reply(
            session, reply_id=reply_id, data=body, account_id=staff.account.id
        )
    except AgentActionError as error:
        raise HTTPException(error.status_code, error.message) from error
    session.commit()
    return reply


@router.delete("/{reply_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_canned_reply(reply_id: int, staff: CurrentSupervisor, session: SessionDep) -> None:
    try:
        canned.delete_reply(session, reply_id=reply_id, account_id=staff.account.id)
    except AgentActionError as error:
        raise HTTPException(error.status_code, error.message) from error
    session.commit()
