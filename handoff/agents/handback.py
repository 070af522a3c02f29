"""Handing a conversation back to the bot.

Rasa is told first, with the human phase, so its tracker stays complete and any open
form is cleared; only when Rasa confirmed does the conversation move back to the bot.
If Rasa cannot be reached nothing changes: the customer stays with a person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from handoff.accounts.models import Account
from handoff.agents.effects import Effects, apply_effects
from handoff.agents.errors import BOT_UNREACHABLE, AgentActionError, BotUnavailable, wrong_state
from handoff.agents.operations import (
    audit,
    check_may_act,
    end_handoff,
    load_conversation,
    state_event,
)
from handoff.conversations import store
from handoff.conversations.events import topic
from handoff.conversations.models import Message
from handoff.conversations.state import IllegalTransition, Move, State, transition
from handoff.db.session import session_scope
from handoff.processing.outbox import enqueue_outbound
from handoff.rasa.client import RasaClient, RasaUnavailable
from handoff.rasa.schemas import HumanTurn
from handoff.rulesets.store import active_ruleset
from handoff.rulesets.texts import system_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    conversation_id: str
    language: str
    human_phase: list[HumanTurn]


def prepare(session: Session, *, conversation_id: str, account: Account) -> Prepared:
    """Checks the hand-back is allowed and collects the human phase for Rasa."""
    conversation = load_conversation(session, conversation_id)
    check_may_act(conversation, account)
    try:
        transition(State(conversation.state), Move.hand_back)
    except IllegalTransition as error:
        raise wrong_state(error) from error
    messages = store.transcript(session, conversation.id, include_internal=False)
    turns = []
    for message in messages[_rasa_knows_up_to(messages) :]:
        if message.author in ("customer", "agent"):
            at = store.as_utc(message.created_at)
            turns.append(
                HumanTurn(author=message.author, text=message.text, timestamp=at.timestamp())
            )
    return Prepared(conversation.id, conversation.language, turns)


def _rasa_knows_up_to(messages: list[Message]) -> int:
    """The index after the last message Rasa's tracker holds: its own last answer or the
    last customer turn it responded to. Everything later (the request that handed over,
    which Rasa parsed at most, and the whole human phase) goes to Rasa with the
    hand-back, so its tracker stays complete."""
    known = 0
    for index, message in enumerate(messages):
        if message.author == "bot" or "turn" in (message.payload or {}):
            known = index + 1
    return known


def complete(session: Session, *, conversation_id: str, account: Account, org_name: str) -> Effects:
    conversation = load_conversation(session, conversation_id)
    check_may_act(conversation, account)
    handoff = store.current_handoff(session, conversation.id)
    try:
        store.apply_move(session, conversation=conversation, move=Move.hand_back)
    except IllegalTransition as error:
        raise wrong_state(error) from error
    at = store.now()
    end_handoff(handoff, by=account.id, kind="handback", at=at)
    version, rules = active_ruleset(session)
    message = enqueue_outbound(
        session,
        conversation=conversation,
        author="system",
        text=system_text(rules, "handback", conversation.language, org_name=org_name, at=at),
        payload={"kind": "system_text", "text_key": "handback", "ruleset_version": version},
    )
    audit(session, conversation, action="conversation.handback", account=account)
    session.flush()
    effects = Effects(result={"conversation_id": conversation.id, "state": "bot"})
    effects.message_ids.append(message.id)
    effects.publish(topic(conversation.id), state_event(conversation, None))
    return effects


def _prepare(app: FastAPI, conversation_id: str, account_id: int) -> Prepared:
    with session_scope(app.state.sessionmaker) as session:
        account = session.get(Account, account_id)
        assert account is not None
        return prepare(session, conversation_id=conversation_id, account=account)


def _complete(app: FastAPI, conversation_id: str, account_id: int) -> Effects:
    with session_scope(app.state.sessionmaker) as session:
        account = session.get(Account, account_id)
        assert account is not None
        return complete(
            session,
            conversation_id=conversation_id,
            account=account,
            org_name=app.state.settings.org_name,
        )


async def hand_back(app: FastAPI, *, conversation_id: str, account_id: int) -> Effects:
    prepared = await run_in_threadpool(_prepare, app, conversation_id, account_id)
    rasa: RasaClient = app.state.rasa
    try:
        resumed = await rasa.handback(
            prepared.conversation_id,
            language=prepared.language,
            human_phase=prepared.human_phase,
        )
    except RasaUnavailable as exc:
        log.warning("hand-back of %s refused: Rasa unavailable (%s)", conversation_id, exc)
        raise BotUnavailable(BOT_UNREACHABLE) from exc
    try:
        effects = await run_in_threadpool(_complete, app, conversation_id, account_id)
    except AgentActionError:
        # Someone closed or transferred it while Rasa was resuming: pause Rasa again,
        # the router keeps it out either way.
        try:
            await rasa.pause(conversation_id)
        except RasaUnavailable:
            log.info("could not re-pause Rasa for %s", conversation_id)
        raise
    # The agent sees which of the bot's forms was abandoned (its answers are not resumed).
    effects.result["cleared_form"] = resumed.cleared_form
    await apply_effects(app, effects)
    return effects
