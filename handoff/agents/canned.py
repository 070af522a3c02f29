"""Data access for canned replies: plain keyword-only functions; callers commit.

Every change is audited, so a supervisor can see who put which words in agents' mouths.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.agents.errors import NotFound
from handoff.agents.models import CannedReply
from handoff.audit.record import record
from handoff.conversations import store

LANGUAGES = ("nl", "en")
CANNED_REPLY_NOT_FOUND = "Standaardantwoord niet gevonden"


class CannedReplyIn(BaseModel):
    title: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=4000)
    language: str = "nl"

    @field_validator("title", "text")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("mag niet leeg zijn")
        return value.strip()

    @field_validator("language")
    @classmethod
    def known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError("taal moet nl of en zijn")
        return value


def view(reply: CannedReply) -> dict[str, Any]:
    return {
        "id": reply.id,
        "title": reply.title,
        "text": reply.text,
        "language": reply.language,
    }


def list_replies(session: Session) -> list[dict[str, Any]]:
    replies = session.scalars(
        select(CannedReply).order_by(CannedReply.language, CannedReply.title, CannedReply.id)
    )
    return [view(r) for r in replies]


def _get(session: Session, reply_id: int) -> CannedReply:
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        raise NotFound(CANNED_REPLY_NOT_FOUND)
    return reply


def create_reply(session: Session, *, data: CannedReplyIn, account_id: int) -> dict[str, Any]:
    reply = CannedReply(
        title=data.title, text=data.text, language=data.language, created_by=account_id
    )
    session.add(reply)
    session.flush()
    _audit(session, "canned_reply.create", reply, account_id)
    return view(reply)


def update_reply(
    session: Session, *, reply_id: int, data: CannedReplyIn, account_id: int
) -> dict[str, Any]:
    reply = _get(session, reply_id)
    reply.title, reply.text, reply.language = data.title, data.text, data.language
    reply.updated_at = store.now()
    session.flush()
    _audit(session, "canned_reply.update", reply, account_id)
    return view(reply)


def delete_reply(session: Session, *, reply_id: int, account_id: int) -> None:
    reply = _get(session, reply_id)
    _audit(session, "canned_reply.delete", reply, account_id)
    session.delete(reply)
    session.flush()


def _audit(session: Session, action: str, reply: CannedReply, account_id: int) -> None:
    record(
        session,
        action=action,
        account_id=account_id,
        object_type="canned_reply",
        object_id=str(reply.id),
        details={"title": reply.title, "language": reply.language},
    )
