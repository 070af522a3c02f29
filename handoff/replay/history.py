"""A conversation as replay sees it: its customer turns up to the first handoff, each
with what the service stored at the time, and what really happened.

Pure: ``history_of`` turns already-loaded rows into a ``History``; the period query in
``period.py`` loads them.

A *turn* is a customer message the service judged while the bot owned the conversation:
its stored features are present and it was not routed to the agents. Turns are
numbered 1, 2, … in log order. A conversation's replay ends at its first handoff (the
first system text ``handoff`` or ``bot_failure`` in the log): the customer reached a
person there, and anything later depends on what that person did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from handoff.conversations.models import Handoff
from handoff.escalation.features import TurnFeatures
from handoff.escalation.signals import BotAnswer, PastTurn
from handoff.rasa.schemas import ActionRun, BotMessage, Button, ParseResult, RespondResult

HANDOFF_TEXT_KEYS = frozenset({"handoff", "bot_failure"})


class StoredMessage(Protocol):
    """The columns of a ``Message`` replay reads: an ORM row, or a plain row of just
    these columns (the period query loads those, it is several times faster)."""

    @property
    def id(self) -> int: ...
    @property
    def author(self) -> str: ...
    @property
    def internal(self) -> bool: ...
    @property
    def processing_status(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def nlu(self) -> dict[str, Any] | None: ...
    @property
    def features(self) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class StoredTurn:
    number: int
    message_id: int
    text: str
    kind: str | None  # "request_human" for the widget's button, "button", or None
    # None: the turn crashed inside the service and was handed over unjudged.
    features: TurnFeatures | None
    nlu: ParseResult | None  # None: not parsed (the button, Rasa down, a crash)
    form_answer: bool  # a form was active when it arrived
    responded: bool  # the bot answered it (Rasa's respond returned)
    active_form: str | None = None
    submitted: bool = False
    answers: tuple[BotMessage, ...] = ()
    actions: tuple[ActionRun, ...] = ()
    handed_over: bool = False  # the real first handoff followed this turn

    def as_past(self) -> PastTurn:
        assert self.features is not None
        return PastTurn(
            text=self.text,
            features=self.features,
            nlu=self.nlu,
            form_answer=self.form_answer,
            active_form=self.active_form,
            submitted=self.submitted,
            answers=tuple(BotAnswer(m.text or "", m.response) for m in self.answers),
        )

    def respond_result(self) -> RespondResult:
        """What Rasa's respond returned for this turn, rebuilt from the stored rows."""
        return RespondResult(
            messages=list(self.answers), actions=list(self.actions), active_form=self.active_form
        )


@dataclass(frozen=True)
class History:
    conversation_id: str
    channel: str
    created_at: datetime
    turns: tuple[StoredTurn, ...]
    # What really happened: the first handoff's reason and the turn it followed.
    real_reason: str | None = None
    real_turn: int | None = None
    real_evidence: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def features_of(stored: dict[str, Any] | None) -> TurnFeatures | None:
    if not stored or "tokens" not in stored or stored.get("version") is None:
        return None
    try:
        return TurnFeatures.model_validate(stored)
    except ValidationError:
        return None


def is_judged(message: StoredMessage) -> bool:
    """A customer message the service judged in state ``bot`` (or crashed on)."""
    if message.author != "customer" or message.internal:
        return False
    if message.processing_status not in (None, "done", "failed"):
        return False  # still waiting for the worker
    features = message.features
    return features is not None and not features.get("routed_to")


def is_handoff_text(message: StoredMessage) -> bool:
    payload = message.payload or {}
    return message.author == "system" and payload.get("text_key") in HANDOFF_TEXT_KEYS


def _bot_message(message: StoredMessage) -> BotMessage:
    payload = message.payload or {}
    return BotMessage(
        text=message.text,
        buttons=[Button.model_validate(b) for b in payload.get("buttons") or []],
        response=payload.get("response"),
        image=payload.get("image"),
        custom=payload.get("custom"),
    )


def _turn(number: int, message: StoredMessage, form_answer: bool) -> StoredTurn:
    payload = message.payload or {}
    respond = payload.get("turn")
    return StoredTurn(
        number=number,
        message_id=message.id,
        text=message.text,
        kind=payload.get("kind"),
        features=features_of(message.features),
        nlu=ParseResult.model_validate(message.nlu) if message.nlu else None,
        form_answer=form_answer,
        responded=respond is not None,
        active_form=(respond or {}).get("active_form"),
        submitted=bool(payload.get("submitted")),
        actions=tuple(ActionRun.model_validate(a) for a in (respond or {}).get("actions") or []),
    )


def history_of(
    *,
    conversation_id: str,
    channel: str,
    created_at: datetime,
    messages: Sequence[StoredMessage],
    handoffs: Sequence[Handoff],
) -> History:
    """``messages`` in log order; ``handoffs`` of the conversation in id order."""
    turns: list[StoredTurn] = []
    answers: list[BotMessage] = []
    handed_over = False
    for message in messages:
        if is_handoff_text(message):
            handed_over = True
            break
        if message.author == "bot" and turns:
            answers.append(_bot_message(message))
        elif is_judged(message):
            if turns:
                turns[-1] = replace(turns[-1], answers=tuple(answers))
            answers = []
            form_answer = bool(turns and turns[-1].active_form)
            turns.append(_turn(len(turns) + 1, message, form_answer))
    if turns:
        turns[-1] = replace(turns[-1], answers=tuple(answers), handed_over=handed_over)
    first = handoffs[0] if handoffs and handed_over else None
    return History(
        conversation_id=conversation_id,
        channel=channel,
        created_at=created_at,
        turns=tuple(turns),
        real_reason=first.reason if first is not None else None,
        real_turn=len(turns) if handed_over and turns else None,
        real_evidence=(first.evidence or {}).get("text") if first is not None else None,
    )
