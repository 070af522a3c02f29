"""One customer turn: to the agents while a person owns (or is about to own) the
conversation, otherwise parse → decide → respond → check, with a handoff whenever the
customer asks for a person or the bot fails.

The router is the guarantee: this module never calls Rasa for a conversation that is
not in state ``bot``, whatever Rasa's own pause flag says.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.channels.whatsapp.unreadable import UNREADABLE_KINDS, reply
from handoff.conversations import store
from handoff.conversations.events import AGENTS_TOPIC, message_event, topic
from handoff.conversations.handoffs import open_handoff, queue_position
from handoff.conversations.models import Conversation, Message
from handoff.conversations.state import IllegalTransition, State
from handoff.db.session import session_scope
from handoff.escalation import explicit, failure, signals
from handoff.escalation.decision import Decision
from handoff.escalation.features import TurnFeatures, TurnLanguage, turn_features
from handoff.escalation.signals import BotAnswer, CurrentTurn, PastTurn
from handoff.escalation.text import normalise
from handoff.processing.outbox import dispatch_all, enqueue_outbound
from handoff.processing.resolution import close_resolved, says_goodbye
from handoff.rasa.client import RasaClient, RasaUnavailable
from handoff.rasa.schemas import BotMessage, ParseResult, RespondResult
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.store import active_ruleset

log = logging.getLogger(__name__)


@dataclass
class TurnInput:
    message_id: int
    conversation_id: str
    state: State
    language: str
    kind: str | None
    text: str  # what the customer sees in the transcript
    bot_text: str  # what Rasa gets: escaped, or an offered button's payload
    is_payload: bool
    ruleset_version: int
    rules: RuleSetData
    # None only when a crashed turn is failed over: nothing more is judged then.
    features: TurnFeatures | None
    form_answer: bool  # a form was active when the message arrived
    past: list[PastTurn] = field(default_factory=list)  # this bot phase, oldest first

    @property
    def current(self) -> CurrentTurn:
        assert self.features is not None
        return CurrentTurn(self.text, self.features, self.form_answer)

    def stored_features(self) -> dict[str, Any]:
        return self.features.model_dump(mode="json") if self.features is not None else {}


@dataclass
class TurnOutcome:
    nlu: dict[str, Any] | None = None
    features: dict[str, Any] = field(default_factory=dict)
    turn: dict[str, Any] | None = None
    submitted: dict[str, Any] | None = None
    bot_messages: list[BotMessage] = field(default_factory=list)
    decision: Decision | None = None
    rasa_down: bool = False


def escape_command(text: str) -> str:
    """Customer text is never an intent command: leading slashes carry no meaning."""
    stripped = text.lstrip()
    if not stripped.startswith("/"):
        return text
    return stripped.lstrip("/").lstrip() or text


def _offered_payloads(last_bot: Message | None) -> set[str]:
    if last_bot is None:
        return set()
    return {b.get("payload", "") for b in (last_bot.payload or {}).get("buttons", [])}


def _language(language: str) -> TurnLanguage:
    return "en" if language == "en" else "nl"


def _stored_features(message: Message, language: TurnLanguage) -> TurnFeatures:
    stored = message.features or {}
    if stored.get("version") is not None and "tokens" in stored:
        return TurnFeatures.model_validate(stored)
    # Stored before features existed (or routed to the agents): computed now.
    return turn_features(message.text, language=language)


def _is_handback(message: Message) -> bool:
    return message.author == "system" and (message.payload or {}).get("text_key") == "handback"


def _past_turns(session: Session, message: Message, language: TurnLanguage) -> list[PastTurn]:
    """The customer turns before ``message`` since the conversation last came back to the
    bot, each with the bot's answers to it."""
    earlier = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == message.conversation_id, Message.id < message.id)
            .order_by(Message.id)
        )
    )
    handbacks = [i for i, m in enumerate(earlier) if _is_handback(m)]
    phase = earlier[handbacks[-1] + 1 :] if handbacks else earlier
    turns: list[PastTurn] = []
    answers: list[BotAnswer] = []
    for row in phase:
        if row.author == "bot" and turns:
            answers.append(BotAnswer(row.text, (row.payload or {}).get("response")))
        elif row.author == "customer":
            if turns:
                turns[-1] = replace(turns[-1], answers=tuple(answers))
            answers = []
            payload = row.payload or {}
            turns.append(
                PastTurn(
                    text=row.text,
                    features=_stored_features(row, language),
                    nlu=ParseResult.model_validate(row.nlu) if row.nlu else None,
                    form_answer=bool(turns and turns[-1].active_form),
                    active_form=(payload.get("turn") or {}).get("active_form"),
                    submitted=bool(payload.get("submitted")),
                )
            )
    if turns:
        turns[-1] = replace(turns[-1], answers=tuple(answers))
    return turns


def _load(app: FastAPI, message_id: int, *, judge: bool = True) -> TurnInput | None:
    """The turn and what the signals need; ``judge=False`` (failing a crashed turn over)
    loads only the message, so whatever crashed the turn cannot crash this too."""
    with session_scope(app.state.sessionmaker) as session:
        message = session.get(Message, message_id)
        if message is None:
            return None
        conversation = session.get(Conversation, message.conversation_id)
        assert conversation is not None
        version, rules = active_ruleset(session)
        payload = message.payload or {}
        kind = payload.get("kind")
        bot_text, is_payload = escape_command(message.text), False
        if kind == "button":
            offered = _offered_payloads(store.last_bot_message(session, conversation.id))
            if payload.get("payload") in offered:
                bot_text, is_payload = str(payload["payload"]), True
        language = _language(conversation.language)
        past = _past_turns(session, message, language) if judge else []
        form_answer = bool(past and past[-1].active_form)
        return TurnInput(
            message_id=message.id,
            conversation_id=conversation.id,
            state=State(conversation.state),
            language=conversation.language,
            kind=kind,
            text=message.text,
            bot_text=bot_text,
            is_payload=is_payload,
            ruleset_version=version,
            rules=rules,
            features=(
                turn_features(message.text, language=language, is_form_answer=form_answer)
                if judge
                else None
            ),
            form_answer=form_answer,
            past=past,
        )


async def run_turn(app: FastAPI, message_id: int) -> None:
    turn = await run_in_threadpool(_load, app, message_id)
    if turn is None:
        return
    if turn.state is not State.bot:
        await _to_agents(app, turn)
        return
    if turn.kind in UNREADABLE_KINDS:
        # A photo, document, voice note or location: the bot cannot read it, says so
        # and offers a person, who sees it (WhatsApp).
        unreadable = TurnOutcome(
            features=turn.stored_features(), bot_messages=[reply(turn.language)]
        )
        await _finish(app, turn, unreadable, tell_rasa=False)
        return
    rasa: RasaClient = app.state.rasa
    outcome = TurnOutcome(
        features=turn.stored_features()
        | {
            "normalised": normalise(turn.text),
            "backstop_hits": explicit.backstop_hits(turn.text, turn.rules),
            "kind": turn.kind,
            "is_payload": turn.is_payload,
            "ruleset_version": turn.ruleset_version,
        }
    )
    if turn.kind == "request_human":
        outcome.decision = explicit.button_request()
    else:
        parse: ParseResult | None = None
        try:
            parse = await rasa.parse(
                turn.conversation_id, turn.bot_text, is_payload=turn.is_payload
            )
            outcome.nlu = parse.model_dump(mode="json")
        except RasaUnavailable as exc:
            outcome.rasa_down = True
            outcome.decision = explicit.explicit_request(
                turn.text, None, turn.rules
            ) or failure.unavailable(str(exc))
        if parse is not None:
            outcome.decision = signals.after_parse(turn.current, parse, turn.past, turn.rules)
        if parse is not None and outcome.decision is None:
            answered = parse
            if not turn.form_answer:
                # The bot's own answer follows the live thresholds: ask to rephrase below
                # them, offer both intents when ambiguous. A form's validator judges its
                # answers.
                answered = signals.rewrite(parse, turn.rules)
            await _respond(app, rasa, turn, parse, answered, outcome)
    await _finish(app, turn, outcome, tell_rasa=not outcome.rasa_down)


async def _respond(
    app: FastAPI,
    rasa: RasaClient,
    turn: TurnInput,
    parse: ParseResult,
    answered: ParseResult,
    outcome: TurnOutcome,
) -> None:
    """Has the bot answer ``answered`` (``parse`` as rewritten for the live threshold)."""
    await _typing(app, turn.conversation_id, on=True)
    try:
        result = await rasa.respond(
            turn.conversation_id,
            turn.bot_text,
            parse_data=answered.model_dump(mode="json"),
            language=turn.language,
            message_id=str(turn.message_id),
        )
    except RasaUnavailable as exc:
        outcome.rasa_down = True
        outcome.decision = failure.unavailable(str(exc))
        return
    finally:
        await _typing(app, turn.conversation_id, on=False)
    outcome.bot_messages = result.messages
    outcome.turn = {
        "bot_intent": answered.intent.name if answered.intent else None,
        "active_form": result.active_form,
        "slots": result.slots,
        "actions": [a.model_dump(mode="json") for a in result.actions],
    }
    outcome.submitted = _submitted(result)
    # Bot messages of a failed turn are still stored and shown: nothing is hidden.
    outcome.decision = signals.after_respond(turn.current, parse, result, turn.past, turn.rules)


def _submitted(result: RespondResult) -> dict[str, Any] | None:
    for event in reversed(result.events):
        if event.get("event") == "slot" and event.get("name") == "submitted" and event.get("value"):
            value = event["value"]
            return value if isinstance(value, dict) else {"value": value}
    return None


def _bot_payload(message: BotMessage) -> dict[str, Any]:
    return {
        "buttons": [b.model_dump(mode="json") for b in message.buttons],
        "sources": [s.model_dump(mode="json") for s in message.sources],
        "response": message.response,
        "image": message.image,
        "custom": message.custom,
    }


@dataclass
class Finished:
    dispatch_ids: list[int]
    handoff: dict[str, Any] | None  # the queue event, when the turn handed over
    resolved: bool = False  # the bot said goodbye and closed the conversation


def _store_outcome(app: FastAPI, turn: TurnInput, outcome: TurnOutcome) -> Finished:
    with session_scope(app.state.sessionmaker) as session:
        message = session.get(Message, turn.message_id)
        conversation = session.get(Conversation, turn.conversation_id)
        assert message is not None and conversation is not None
        message.nlu = outcome.nlu
        message.features = outcome.features
        payload = dict(message.payload or {})
        if outcome.turn is not None:
            payload["turn"] = outcome.turn
        if outcome.submitted is not None:
            payload["submitted"] = outcome.submitted
        message.payload = payload
        ids = [
            enqueue_outbound(
                session,
                conversation=conversation,
                author="bot",
                text=bot_message.text or "",
                payload=_bot_payload(bot_message),
            ).id
            for bot_message in outcome.bot_messages
        ]
        handoff_event = None
        resolved = False
        if outcome.decision is not None:
            handoff_event = _hand_over(session, app, turn, conversation, outcome.decision, ids)
        elif says_goodbye(outcome.bot_messages):
            resolved = _resolve(session, app, conversation, ids)
        message.processing_status = "done"
        return Finished(ids, handoff_event, resolved)


def _resolve(
    session: Session, app: FastAPI, conversation: Conversation, dispatch_ids: list[int]
) -> bool:
    try:
        with session.begin_nested():
            asked = close_resolved(session, conversation, org_name=app.state.settings.org_name)
    except IllegalTransition:
        log.warning("conversation %s left state bot during its turn", conversation.id)
        return False
    dispatch_ids.extend(asked)
    return True


def _hand_over(
    session: Session,
    app: FastAPI,
    turn: TurnInput,
    conversation: Conversation,
    decision: Decision,
    dispatch_ids: list[int],
) -> dict[str, Any] | None:
    try:
        with session.begin_nested():
            opened = open_handoff(
                session,
                conversation=conversation,
                decision=decision,
                ruleset_version=turn.ruleset_version,
                rules=turn.rules,
                org_name=app.state.settings.org_name,
            )
    except IllegalTransition:
        # Closed by someone else while the bot was thinking: there is nobody to hand to.
        log.warning("conversation %s left state bot during its turn", conversation.id)
        return None
    dispatch_ids.extend(opened.message_ids)
    handoff = opened.handoff
    return {
        "type": "queue",
        "event": "added",
        "conversation_id": conversation.id,
        "handoff_id": handoff.id,
        "reason": handoff.reason,
        "evidence": decision.evidence,
        "summary": handoff.context.get("summary"),
        "channel": conversation.channel,
        "language": conversation.language,
        "requested_at": handoff.requested_at.isoformat(),
        "queue_position": queue_position(session, conversation),
    }


async def _finish(app: FastAPI, turn: TurnInput, outcome: TurnOutcome, *, tell_rasa: bool) -> None:
    finished = await run_in_threadpool(_store_outcome, app, turn, outcome)
    await dispatch_all(app, finished.dispatch_ids)
    if finished.handoff is not None:
        await announce_handoff(app, finished.handoff, tell_rasa=tell_rasa)
    if finished.resolved:
        await app.state.broadcaster.publish(
            topic(turn.conversation_id),
            {
                "type": "state",
                "conversation_id": turn.conversation_id,
                "state": State.closed.value,
                "agent_id": None,
                "agent_name": None,
                "queue_position": None,
            },
        )


async def announce_handoff(app: FastAPI, queue_event: dict[str, Any], *, tell_rasa: bool) -> None:
    conversation_id = queue_event["conversation_id"]
    await app.state.broadcaster.publish(AGENTS_TOPIC, queue_event)
    await app.state.broadcaster.publish(
        topic(conversation_id),
        {
            "type": "state",
            "state": State.waiting.value,
            "agent_name": None,
            "queue_position": queue_event.get("queue_position"),
        },
    )
    if tell_rasa:
        # Courtesy only: the router already keeps Rasa out of this conversation.
        try:
            await app.state.rasa.pause(conversation_id)
        except RasaUnavailable as exc:
            log.info("could not tell Rasa about the pause of %s: %s", conversation_id, exc)


async def _to_agents(app: FastAPI, turn: TurnInput) -> None:
    def _mark_done() -> dict[str, Any]:
        with session_scope(app.state.sessionmaker) as session:
            message = session.get(Message, turn.message_id)
            assert message is not None
            message.features = turn.stored_features() | {
                "normalised": normalise(turn.text),
                "routed_to": "agents",
            }
            message.processing_status = "done"
            return message_event(message, author_name=None)

    event = await run_in_threadpool(_mark_done)
    await app.state.broadcaster.publish(AGENTS_TOPIC, event)
    await app.state.broadcaster.publish(topic(turn.conversation_id), event)


async def _typing(app: FastAPI, conversation_id: str, *, on: bool) -> None:
    await app.state.broadcaster.publish(
        topic(conversation_id), {"type": "typing", "author": "bot", "on": on}
    )


async def fail_turn(app: FastAPI, message_id: int, error: str) -> None:
    """A turn crashed inside the service: the customer still gets a person."""
    turn = await run_in_threadpool(lambda: _load(app, message_id, judge=False))
    if turn is None:
        return
    if turn.state is not State.bot:
        await _to_agents(app, turn)
        return
    outcome = TurnOutcome(decision=failure.internal_error(error))
    await _finish(app, turn, outcome, tell_rasa=False)
