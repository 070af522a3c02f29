"""A conversation as replay sees it: its bot phases, each with the customer turns the
bot judged and the real handoff that ended it (if any), each turn with what the service
stored at the time.

Pure: ``history_of`` turns already-loaded rows into a ``History``; the period query in
``period.py`` loads them.

A *turn* is a customer message the service judged while the bot owned the conversation:
its stored features are present and it was not routed to the agents. Turns are
numbered 1, 2, … in log order over the whole conversation. A *bot phase* runs from the
start, or from a hand-back to the bot (system text ``handback``), to a handoff (system
text ``handoff`` or ``bot_failure``) or the end of the log; between a handoff and the
hand-back a person owned the conversation, and nothing there is a turn. As live
(``processing/turn.py``), each bot phase is judged on its own turns only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from handoff.conversations.models import Conversation, Handoff
from handoff.conversations.store import as_utc
from handoff.escalation.features import TurnFeatures
from handoff.escalation.signals import BotAnswer, PastTurn
from handoff.rasa.schemas import ActionRun, BotMessage, Button, ParseResult, RespondResult

HANDOFF_TEXT_KEYS = frozenset({"handoff", "bot_failure"})
HANDBACK_TEXT_KEY = "handback"


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
    handed_over: bool = False  # the real handoff that ended its bot phase followed it

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
class RealHandoff:
    """A handoff that really happened: the episode's first Handoff row (a transfer or
    requeue adds rows with the same ``requested_at``, they are the same request)."""

    turn: int | None  # the turn it followed; None when no judged turn preceded it
    reason: str | None  # None: the log has the handoff text but no Handoff row for it
    evidence: str | None


@dataclass(frozen=True)
class Phase:
    """The bot's turns from the start or a hand-back up to a handoff or the end."""

    turns: tuple[StoredTurn, ...]
    handoff: RealHandoff | None = None  # the real handoff that ended it
    handed_back: bool = False  # a person gave the conversation back: another phase follows


@dataclass(frozen=True)
class History:
    conversation_id: str
    channel: str
    created_at: datetime
    # In log order; never empty (a conversation starts with the bot).
    phases: tuple[Phase, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def turns(self) -> tuple[StoredTurn, ...]:
        """Every turn the bot judged, over all bot phases."""
        if len(self.phases) == 1:
            return self.phases[0].turns
        return tuple(t for p in self.phases for t in p.turns)

    @property
    def handoffs(self) -> tuple[RealHandoff, ...]:
        """The real handoffs, in log order."""
        return tuple(p.handoff for p in self.phases if p.handoff is not None)


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


def is_handback_text(message: StoredMessage) -> bool:
    payload = message.payload or {}
    return message.author == "system" and payload.get("text_key") == HANDBACK_TEXT_KEY


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


def _episodes(handoffs: Sequence[Handoff]) -> list[Handoff]:
    """The first row of each request for a person, ``handoffs`` in id order."""
    first: dict[datetime, Handoff] = {}
    for row in handoffs:
        first.setdefault(as_utc(row.requested_at), row)
    return list(first.values())


def _phase(
    turns: list[StoredTurn], answers: list[BotMessage], handoff: Handoff | None, ended: bool
) -> Phase:
    """``ended``: a handoff text closed the phase (``handoff`` is its row, if stored)."""
    if turns:
        turns[-1] = replace(turns[-1], answers=tuple(answers), handed_over=ended)
    if not ended:
        return Phase(tuple(turns))
    return Phase(
        tuple(turns),
        RealHandoff(
            turn=turns[-1].number if turns else None,
            reason=handoff.reason if handoff is not None else None,
            evidence=(handoff.evidence or {}).get("text") if handoff is not None else None,
        ),
    )


def history_of(
    conversation: Conversation,
    messages: Sequence[StoredMessage],
    handoffs: Sequence[Handoff],
) -> History:
    """``messages`` of ``conversation`` in log order; its ``handoffs`` in id order.

    The n-th handoff text starts the n-th request (episode) of ``handoffs``: a handoff is
    only opened from state ``bot``, and transfers and requeues write no handoff text."""
    requests = _episodes(handoffs)
    phases: list[Phase] = []
    turns: list[StoredTurn] = []
    answers: list[BotMessage] = []
    number = 0
    with_bot = True
    for message in messages:
        if not with_bot:
            # A person owns the conversation: nothing is judged until the hand-back.
            if is_handback_text(message):
                phases[-1] = replace(phases[-1], handed_back=True)
                with_bot = True
            continue
        if is_handoff_text(message):
            index = len(phases)
            phases.append(
                _phase(turns, answers, requests[index] if index < len(requests) else None, True)
            )
            turns, answers = [], []
            with_bot = False
        elif message.author == "bot" and turns:
            answers.append(_bot_message(message))
        elif is_judged(message):
            if turns:
                turns[-1] = replace(turns[-1], answers=tuple(answers))
            answers = []
            # Within the phase only: the hand-back clears any open form (agents/handback.py).
            form_answer = bool(turns and turns[-1].active_form)
            number += 1
            turns.append(_turn(number, message, form_answer))
    if with_bot:
        phases.append(_phase(turns, answers, None, False))
    return History(
        conversation_id=conversation.id,
        channel=conversation.channel,
        created_at=conversation.created_at,
        phases=tuple(phases),
    )
