"""Writing a scripted conversation as the rows a live one leaves: the disclosure, each
customer turn with its features, NLU result and respond result as ``processing/turn.py``
stores them, the bot's answers, the handoff's system texts and Handoff row, the agent's
replies, the close, and a satisfaction answer.

The demo history is written through here, and so are the fixture histories of the
replay and analytics tests: one description of "what the log looks like".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.conversations.context import build_context_packet
from handoff.conversations.models import Contact, Conversation, Handoff, Message
from handoff.conversations.state import Outcome, State
from handoff.escalation import explicit
from handoff.escalation.decision import Decision, Reason
from handoff.escalation.features import TurnFeatures, TurnLanguage, turn_features
from handoff.escalation.text import normalise
from handoff.feedback.models import CsatResponse
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.texts import system_text

# A real contact hash is 64 hex characters; this prefix can never be one.
GENERATED_PREFIX = "generated:"


@dataclass
class ScriptTurn:
    text: str
    intent: str | None = None  # None: not parsed (the person button, Rasa down)
    confidence: float = 0.0
    ranking: list[tuple[str, float]] | None = None  # defaults to the intent alone
    kind: str | None = None  # "request_human": the widget's button
    answers: list[tuple[str, str | None]] = field(default_factory=list)  # (text, response)
    responded: bool = True  # False: the bot never answered (handed over before, or down)
    active_form: str | None = None
    submitted: dict[str, Any] | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    at: timedelta = timedelta(seconds=0)  # after the conversation started


@dataclass
class ScriptHandoff:
    """The first handoff, after the last scripted turn."""

    reason: Reason
    evidence: str
    details: dict[str, Any] = field(default_factory=dict)
    claimed_after: timedelta | None = None  # after the request; None: never claimed
    claimed_by: int | None = None
    agent_replies: list[str] = field(default_factory=list)
    ended_after: timedelta | None = None  # after the request; None: still open
    end_kind: str | None = None  # "closed", "abandoned", "expired", "handback"
    # A requeue: the first claim ended after this, and the conversation waited again
    # until ``reclaimed_after`` (both after the request).
    requeued_after: timedelta | None = None
    reclaimed_after: timedelta | None = None


@dataclass
class Script:
    created_at: datetime
    turns: list[ScriptTurn]
    channel: str = "web"
    language: TurnLanguage = "nl"
    contact_key: str = ""  # conversations with the same key share a contact
    handoff: ScriptHandoff | None = None
    outcome: Outcome | None = None  # closed with this outcome, else left open
    closed_after: timedelta | None = None
    csat: int | None = None  # asked after the close and answered with this score
    csat_asked: bool = False  # asked, whether or not answered
    generated: bool = False


@cache
def features_of(
    text: str, language: TurnLanguage = "nl", form_answer: bool = False
) -> TurnFeatures:
    """The live feature computation, once per distinct sentence: a generated history
    repeats its sentences thousands of times, and encoding each again (milliseconds a
    turn) made writing 10,000 conversations take half an hour."""
    return turn_features(text, language=language, is_form_answer=form_answer)


def stored_features(
    turn: ScriptTurn, language: TurnLanguage, form_answer: bool, rules: RuleSetData, version: int
) -> dict[str, Any]:
    """The features dict exactly as the live turn stores it."""
    features = features_of(turn.text, language, form_answer)
    return features.model_dump(mode="json") | {
        "normalised": normalise(turn.text),
        "backstop_hits": explicit.backstop_hits(turn.text, rules),
        "kind": turn.kind,
        "is_payload": False,
        "ruleset_version": version,
    }


def turn_payload(turn: ScriptTurn) -> dict[str, Any]:
    """The customer message's payload as the live turn leaves it (processing/turn.py)."""
    payload: dict[str, Any] = {"kind": turn.kind} if turn.kind else {}
    if turn.responded:
        payload["turn"] = {
            "bot_intent": turn.intent,
            "active_form": turn.active_form,
            "slots": {},
            "actions": turn.actions,
        }
    if turn.submitted is not None:
        payload["submitted"] = turn.submitted
    return payload


def nlu_of(turn: ScriptTurn) -> dict[str, Any] | None:
    if turn.intent is None:
        return None
    ranking = turn.ranking or [(turn.intent, turn.confidence)]
    return {
        "text": turn.text,
        "intent": {"name": turn.intent, "confidence": turn.confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        "entities": [],
    }


class Writer:
    def __init__(
        self,
        session: Session,
        rules: RuleSetData,
        version: int,
        org_name: str = "Voorbeeld Energie",
    ) -> None:
        self.org_name = org_name
        self.session = session
        self.rules = rules
        self.version = version
        self._contacts: dict[tuple[str, str], Contact] = {}

    def _contact(self, script: Script, index: int) -> Contact:
        key = script.contact_key or f"single-{index}-{script.created_at.timestamp()}"
        found = self._contacts.get((script.channel, key))
        if found is not None:
            return found
        marker = GENERATED_PREFIX if script.generated else "fixture:"
        digest = marker + hashlib.sha256(f"{script.channel}|{key}".encode()).hexdigest()
        digest = digest[:64]
        contact = self.session.scalar(
            select(Contact).where(
                Contact.channel == script.channel, Contact.external_id_hash == digest
            )
        )
        if contact is not None:
            self._contacts[(script.channel, key)] = contact
            return contact
        contact = Contact(
            channel=script.channel, external_id_hash=digest, created_at=script.created_at
        )
        self.session.add(contact)
        self.session.flush()
        self._contacts[(script.channel, key)] = contact
        return contact

    def _text(self, key: str, script: Script, at: datetime) -> str:
        return system_text(self.rules, key, script.language, org_name=self.org_name, at=at)

    def _message(
        self,
        conversation: Conversation,
        at: datetime,
        author: str,
        text: str,
        payload: dict[str, Any],
        generated: bool,
        **columns: Any,
    ) -> Message:
        if generated:
            payload = payload | {"generated": True}
        message = Message(
            conversation_id=conversation.id,
            direction="in" if author == "customer" else "out",
            author=author,
            text=text,
            payload=payload,
            channel=conversation.channel,
            created_at=at,
            internal=False,
            **columns,
        )
        if author != "customer":
            message.delivery_status = "sent"
        self.session.add(message)
        return message

    def write(self, script: Script, index: int = 0) -> Conversation:
        contact = self._contact(script, index)
        start = script.created_at
        conversation = Conversation(
            contact_id=contact.id,
            channel=script.channel,
            state=State.bot,
            language=script.language,
            flagged=False,
            created_at=start,
            updated_at=start,
        )
        self.session.add(conversation)
        self.session.flush()
        gen = script.generated
        self._message(
            conversation,
            start,
            "system",
            self._text("disclosure", script, start),
            {"kind": "disclosure_shown", "text_key": "disclosure", "ruleset_version": self.version},
            gen,
        )
        form_answer = False
        last_at = start
        for turn in script.turns:
            at = start + turn.at
            last_at = at
            payload = turn_payload(turn)
            self._message(
                conversation,
                at,
                "customer",
                turn.text,
                payload,
                gen,
                nlu=nlu_of(turn),
                features=stored_features(
                    turn, script.language, form_answer, self.rules, self.version
                ),
                processing_status="done",
                channel_message_id=f"script-{conversation.id}-{turn.at.total_seconds()}",
            )
            for offset, (text, response) in enumerate(turn.answers, start=1):
                self._message(
                    conversation,
                    at + timedelta(seconds=offset),
                    "bot",
                    text,
                    {"response": response, "buttons": [], "sources": []},
                    gen,
                )
            form_answer = bool(turn.responded and turn.active_form)
            conversation.last_customer_message_at = at
        self.session.flush()
        if script.handoff is not None:
            last_at = self._hand_over(conversation, script, last_at + timedelta(seconds=3))
        if script.outcome is not None:
            closed = start + (script.closed_after or (last_at - start + timedelta(minutes=1)))
            conversation.state = State.closed
            conversation.outcome = script.outcome
            conversation.closed_at = closed
            conversation.updated_at = closed
            if script.csat_asked or script.csat is not None:
                self._csat(conversation, closed, script)
        else:
            conversation.updated_at = last_at
        self.session.flush()
        return conversation

    def _hand_over(self, conversation: Conversation, script: Script, at: datetime) -> datetime:
        spec = script.handoff
        assert spec is not None
        gen = script.generated
        decision = Decision(spec.reason, spec.evidence, spec.details)
        key = "bot_failure" if spec.reason is Reason.bot_failure else "handoff"
        for offset, text_key in enumerate((key, "waiting")):
            self._message(
                conversation,
                at + timedelta(milliseconds=offset),
                "system",
                self._text(text_key, script, at),
                {"kind": "system_text", "text_key": text_key, "ruleset_version": self.version},
                gen,
            )
        self.session.flush()
        messages = list(
            self.session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation.id)
                .order_by(Message.id)
            )
        )
        context = build_context_packet(
            conversation=conversation, messages=messages, decision=decision
        )
        if gen:
            context["generated"] = True
        first = Handoff(
            conversation_id=conversation.id,
            reason=spec.reason.value,
            evidence={"text": spec.evidence, "details": spec.details},
            ruleset_version=self.version,
            context=context,
            requested_at=at,
        )
        self.session.add(first)
        conversation.state = State.waiting
        last = at
        if spec.claimed_after is not None:
            first.claimed_at = at + spec.claimed_after
            first.claimed_by = spec.claimed_by
            conversation.state = State.human
            conversation.assigned_agent_id = spec.claimed_by
            last = first.claimed_at
            for i, reply in enumerate(spec.agent_replies, start=1):
                reply_at = first.claimed_at + timedelta(seconds=40 * i)
                self._message(
                    conversation,
                    reply_at,
                    "agent",
                    reply,
                    {},
                    gen,
                    author_account_id=spec.claimed_by,
                )
                conversation.last_agent_message_at = reply_at
                last = reply_at
        current = first
        if spec.requeued_after is not None:
            first.ended_at = at + spec.requeued_after
            first.end_kind = "requeued"
            current = Handoff(
                conversation_id=conversation.id,
                reason=first.reason,
                evidence=first.evidence,
                ruleset_version=first.ruleset_version,
                context=first.context,
                requested_at=first.requested_at,
            )
            self.session.add(current)
            if spec.reclaimed_after is not None:
                current.claimed_at = at + spec.reclaimed_after
                current.claimed_by = spec.claimed_by
                last = max(last, current.claimed_at)
        if spec.ended_after is not None:
            current.ended_at = at + spec.ended_after
            current.end_kind = spec.end_kind
            last = max(last, current.ended_at)
        self.session.flush()
        return last

    def _csat(self, conversation: Conversation, closed: datetime, script: Script) -> None:
        asked = self._message(
            conversation,
            closed + timedelta(seconds=1),
            "system",
            self._text("csat_question", script, closed),
            {
                "kind": "csat_question",
                "text_key": "csat_question",
                "ruleset_version": self.version,
                "buttons": [{"title": str(n), "payload": f"csat:{n}"} for n in range(1, 6)],
            },
            script.generated,
        )
        self.session.flush()
        response = CsatResponse(
            conversation_id=conversation.id,
            channel=conversation.channel,
            question_message_id=asked.id,
            asked_at=closed + timedelta(seconds=1),
            generated=script.generated,
        )
        if script.csat is not None:
            response.score = script.csat
            response.answered_at = closed + timedelta(minutes=1)
        self.session.add(response)
