"""The gateway's request and response shapes (docs/contracts.md, "The gateway").

Unknown fields are kept, not rejected: Rasa adds keys between versions, and what we do
not model we still store for the agent and for replay.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Intent(_Open):
    name: str | None = None
    confidence: float = 0.0


class NearestExample(_Open):
    """The training example of the top intent nearest to the message, by sentence
    encoder cosine (bot/components/nearest_example.py)."""

    intent: str | None = None
    similarity: float = 1.0
    text: str = ""


class ParseResult(_Open):
    text: str = ""
    intent: Intent | None = None
    intent_ranking: list[Intent] = Field(default_factory=list)
    entities: list[dict[str, Any]] = Field(default_factory=list)
    # Absent from models trained without the component, and from turns stored before it.
    nearest_example: NearestExample | None = None


class Button(_Open):
    title: str = ""
    payload: str = ""


class Source(_Open):
    title: str = ""
    url: str = ""


class BotMessage(_Open):
    text: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    response: str | None = None
    image: str | None = None
    custom: dict[str, Any] | None = None


class ActionRun(_Open):
    name: str
    custom: bool = False
    event_count: int = 0


class RespondResult(_Open):
    messages: list[BotMessage] = Field(default_factory=list)
    actions: list[ActionRun] = Field(default_factory=list)
    events: list[dict[str, Any]] = Field(default_factory=list)
    slots: dict[str, Any] = Field(default_factory=dict)
    active_form: str | None = None


class HumanTurn(BaseModel):
    author: Literal["customer", "agent"]
    text: str
    timestamp: float


class HandbackResult(_Open):
    cleared_form: str | None = None
