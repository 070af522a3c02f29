"""Replay for supervisors: a draft rule set over a period's conversations against the
active one, a replayed conversation's transcript, and publishing the draft (through
``rulesets.store.publish``: validation, a new version, the audit entry)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from handoff.analytics.period import Period
from handoff.api.deps import CurrentSupervisor, SessionDep
from handoff.api.pages import PageSupervisor
from handoff.api.templating import render
from handoff.conversations.models import Conversation, Handoff, Message
from handoff.replay.history import history_of, is_handoff_text
from handoff.replay.period import replay_period
from handoff.replay.report import ReplayReport
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.store import RuleSetInvalid, active_ruleset, publish, validation_problems

router = APIRouter(tags=["replay"])

CONVERSATION_NOT_FOUND = "Gesprek niet gevonden"


class ReplayIn(BaseModel):
    start: date
    end: date
    draft: dict[str, Any]


class PublishIn(BaseModel):
    draft: dict[str, Any]


def period_or_422(start: date, end: date, timezone: str) -> Period:
    try:
        return Period(start=start, end=end, timezone=timezone)
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message) from None


def _draft(data: dict[str, Any]) -> RuleSetData:
    problems = validation_problems(data)
    if problems:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            {"message": "De conceptregels kloppen niet", "problems": problems},
        )
    return RuleSetData.model_validate(data)


@router.get("/api/supervisor/replay/active")
def active(staff: CurrentSupervisor, session: SessionDep) -> dict[str, Any]:
    version, rules = active_ruleset(session)
    session.commit()  # the first call may seed version 1
    return {"version": version, "data": rules.model_dump(mode="json")}


@router.post("/api/supervisor/replay")
def replay(body: ReplayIn, staff: CurrentSupervisor, session: SessionDep) -> ReplayReport:
    draft = _draft(body.draft)
    _version, rules = active_ruleset(session)
    period = period_or_422(body.start, body.end, rules.opening_hours.timezone)
    return replay_period(session, period, draft)


@router.post("/api/supervisor/replay/publish", status_code=status.HTTP_201_CREATED)
def publish_draft(body: PublishIn, staff: CurrentSupervisor, session: SessionDep) -> dict[str, int]:
    try:
        version = publish(session, data=body.draft, account_id=staff.account.id)
    except RuleSetInvalid as exc:
        session.rollback()
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            {"message": "Niet gepubliceerd: de regels kloppen niet", "problems": exc.problems},
        ) from None
    session.commit()
    return {"version": version}


class TranscriptLine(BaseModel):
    id: int
    author: str
    text: str
    created_at: datetime
    internal: bool
    turn: int | None  # the customer turn's number as replay counts it
    intent: str | None
    confidence: float | None
    handoff: bool  # the system text that starts the first handoff


class ReplayedConversation(BaseModel):
    id: str
    channel: str
    created_at: datetime
    state: str
    outcome: str | None
    handoff_reason: str | None
    lines: list[TranscriptLine]


@router.get("/api/supervisor/replay/conversations/{conversation_id}")
def conversation(
    conversation_id: str, staff: CurrentSupervisor, session: SessionDep
) -> ReplayedConversation:
    found = session.get(Conversation, conversation_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, CONVERSATION_NOT_FOUND)
    messages = session.scalars(
        select(Message).where(Message.conversation_id == found.id).order_by(Message.id)
    ).all()
    handoffs = session.scalars(
        select(Handoff).where(Handoff.conversation_id == found.id).order_by(Handoff.id)
    ).all()
    first = handoffs[0] if handoffs else None
    # Numbered as replay numbers them: every bot phase, also after a hand-back.
    history = history_of(found, messages, handoffs)
    numbers = {t.message_id: t.number for t in history.turns}
    lines, handed = [], False
    for message in messages:
        turn = numbers.get(message.id)
        starts = not handed and is_handoff_text(message)
        handed = handed or starts
        intent = (message.nlu or {}).get("intent") or {}
        lines.append(
            TranscriptLine(
                id=message.id,
                author=message.author,
                text=message.text,
                created_at=message.created_at,
                internal=message.internal,
                turn=turn,
                intent=intent.get("name"),
                confidence=intent.get("confidence"),
                handoff=starts,
            )
        )
    return ReplayedConversation(
        id=found.id,
        channel=found.channel,
        created_at=found.created_at,
        state=str(found.state),
        outcome=str(found.outcome) if found.outcome else None,
        handoff_reason=first.reason if first is not None else None,
        lines=lines,
    )


@router.get("/supervisor/replay", response_class=HTMLResponse, include_in_schema=False)
def replay_page(request: Request, staff: PageSupervisor) -> HTMLResponse:
    return render(request, "supervisor/replay.html", staff=staff, active="replay")
