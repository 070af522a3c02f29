"""The gateway channel: the only way the handoff service talks to Rasa.

The service owns the conversation, so a turn is two calls: `parse` (NLU only, nothing
is stored), then, if the service lets the bot answer, `respond` with the parse data it
decided on (possibly rewritten), which runs the turn without a second NLU run.
`pause` and `handback` keep Rasa's tracker complete while a person owns the
conversation. Payloads: docs/contracts.md, "The gateway".
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import Any, Awaitable, Callable, Coroutine, Dict, List, Optional, Sequence

from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME, REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    Event,
    LoopInterrupted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

MIN_SECRET_LENGTH = 16
MAX_TEXT_LENGTH = 4000
# Rasa's SQL tracker store keeps the sender id in a VARCHAR(255).
MAX_SENDER_ID_LENGTH = 255
LANGUAGES = ("nl", "en")
LANGUAGE_SLOT = "language"
# Kept across a hand-back: the customer is still the same customer, so a form started
# afterwards need not ask again.
KEPT_FORM_SLOTS = frozenset({"customer_number"})
# `/intent{...}` is Rasa's intent command syntax (RegexMessageHandler); Rasa strips the
# text before it looks for the slash, so leading whitespace must go too.
_COMMAND_PREFIX = re.compile(r"^\s*/+\s*")

# Events the policies attach to their prediction; Rasa logs them just before the
# predicted action's ActionExecuted, so they would otherwise count for the action
# before it, and could make a failed custom action look as if it returned something.
PREDICTION_EVENTS = (DefinePrevUserUtteredFeaturization, LoopInterrupted)

Handler = Callable[[Request], Coroutine[Any, Any, HTTPResponse]]


class BadRequest(Exception):
    """A request the gateway refuses; becomes a JSON error with `status`."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def neutralise_command(text: str) -> str:
    """Return customer text that Rasa cannot mistake for an intent command."""
    return _COMMAND_PREFIX.sub("", text)


class GatewayInput(InputChannel):
    """Authenticated parse / respond / pause / handback for the handoff service."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            raise RasaException(
                f"The gateway channel needs a secret of at least {MIN_SECRET_LENGTH} "
                "characters: set GATEWAY_SECRET (credentials.yml reads it)."
            )
        self._secret = secret.encode()

    @classmethod
    def name(cls) -> str:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        secret = (credentials or {}).get("secret")
        # An unset variable is caught by Rasa's YAML loader; an empty one arrives as "".
        if not isinstance(secret, str):
            secret = ""
        return cls(secret)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # `on_new_message` takes Rasa's conversation lock by itself; `respond` needs the
        # lock around more than the message (language slot, turn boundaries), so it
        # takes the lock and calls the processor directly instead.
        gateway = Blueprint("gateway_webhook", __name__)

        gateway.add_route(self._guarded(_health), "/health", methods=["GET"])
        gateway.add_route(self._guarded(_parse), "/parse", methods=["POST"])
        gateway.add_route(self._guarded(_respond), "/respond", methods=["POST"])
        gateway.add_route(self._guarded(_pause), "/pause", methods=["POST"])
        gateway.add_route(self._guarded(_handback), "/handback", methods=["POST"])
        return gateway

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(token.strip().encode(), self._secret)

    def _guarded(self, handler: Handler) -> Handler:
        async def guarded(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return response.json(
                    {"error": "unauthorised", "reason": "missing or wrong bearer token"},
                    status=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            agent: Optional[Agent] = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json(
                    {"error": "unavailable", "reason": "no model loaded"}, status=503
                )
            try:
                return await handler(request)
            except BadRequest as e:
                return response.json({"error": "bad_request", "reason": e.reason}, e.status)
            except Exception:
                logger.exception("Gateway request to %s failed.", request.path)
                return response.json(
                    {"error": "internal", "reason": "the turn failed inside Rasa"}, 500
                )

        guarded.__name__ = handler.__name__
        return guarded


# ---------------------------------------------------------------- request bodies


def _body(request: Request) -> Dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _field(body: Dict[str, Any], name: str, kind: type, *, required: bool = True) -> Any:
    if name not in body or body[name] is None:
        if required:
            raise BadRequest(f"'{name}' is required")
        return None
    value = body[name]
    # bool is an int in Python, but never a valid text or object here
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise BadRequest(f"'{name}' must be of type {kind.__name__}")
    return value


def _sender_id(body: Dict[str, Any]) -> str:
    sender_id: str = _field(body, "sender_id", str)
    if not sender_id.strip() or len(sender_id) > MAX_SENDER_ID_LENGTH:
        raise BadRequest(f"'sender_id' must be 1 to {MAX_SENDER_ID_LENGTH} characters")
    return sender_id


def _text(value: str, name: str = "text") -> str:
    if len(value) > MAX_TEXT_LENGTH:
        raise BadRequest(f"'{name}' is longer than {MAX_TEXT_LENGTH} characters", 413)
    return value


def _language(body: Dict[str, Any], *, required: bool = True) -> Optional[str]:
    language: Optional[str] = _field(body, "language", str, required=required)
    if language is not None and language not in LANGUAGES:
        raise BadRequest(f"'language' must be one of {', '.join(LANGUAGES)}")
    return language


def _parse_data(body: Dict[str, Any], text: str, domain: Domain) -> Dict[str, Any]:
    parse_data: Dict[str, Any] = _field(body, "parse_data", dict)
    intent = parse_data.get("intent")
    if not isinstance(intent, dict) or not isinstance(intent.get("name"), str):
        raise BadRequest("'parse_data.intent.name' is required")
    if intent["name"] not in domain.intents:
        raise BadRequest(f"'parse_data.intent.name' {intent['name']!r} is not in the domain")
    confidence = intent.get("confidence", 1.0)
    if not isinstance(confidence, (int, float)) or isinstance(confidence, bool):
        raise BadRequest("'parse_data.intent.confidence' must be a number")
    entities = parse_data.get("entities", [])
    if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
        raise BadRequest("'parse_data.entities' must be a list of objects")
    ranking = parse_data.get("intent_ranking", [])
    if not isinstance(ranking, list) or not all(isinstance(r, dict) for r in ranking):
        raise BadRequest("'parse_data.intent_ranking' must be a list of objects")
    return {
        **parse_data,
        "text": text,
        "intent": {**intent, "confidence": confidence},
        "entities": entities,
        "intent_ranking": ranking,
    }


def _agent(request: Request) -> Agent:
    agent: Agent = request.app.ctx.agent
    return agent


# --------------------------------------------------------------------- handlers


async def _health(request: Request) -> HTTPResponse:
    return response.json({"status": "ok"})


async def _parse(request: Request) -> HTTPResponse:
    body = _body(request)
    sender_id = _sender_id(body)
    text = _text(_field(body, "text", str))
    is_payload = _field(body, "is_payload", bool, required=False) or False
    if not is_payload:
        text = neutralise_command(text)
    message = UserMessage(text, sender_id=sender_id, input_channel=GatewayInput.name())
    parse_data = await _agent(request).processor.parse_message(message)
    return response.json(parse_data)


async def _respond(request: Request) -> HTTPResponse:
    agent = _agent(request)
    processor = agent.processor
    body = _body(request)
    sender_id = _sender_id(body)
    text = _text(_field(body, "text", str))
    parse_data = _parse_data(body, text, agent.domain)
    language = _language(body)
    message_id: str = _field(body, "message_id", str)
    metadata: Dict[str, Any] = _field(body, "metadata", dict, required=False) or {}

    output = CollectingOutputChannel()
    message = UserMessage(
        text,
        output,
        sender_id,
        parse_data=parse_data,
        input_channel=GatewayInput.name(),
        message_id=message_id,
        metadata=metadata,
    )
    async with agent.lock_store.lock(sender_id):
        stored_before = await _stored_event_count(agent, sender_id)
        # The session must start (or restart after expiry) before the language slot is
        # set: a slot event on an empty tracker would keep Rasa from starting a session,
        # and a session start after it would reset the slot.
        tracker = await processor.fetch_tracker_and_update_session(sender_id, output, metadata)
        language_changed = _set_slot(tracker, LANGUAGE_SLOT, language, agent.domain)
        await processor.save_tracker(tracker)
        await processor.handle_message(message)
        full = await agent.tracker_store.retrieve_full_tracker(sender_id)

    events = list(full.events)[stored_before:]
    user_index = next(
        (
            i
            for i, e in enumerate(events)
            if isinstance(e, UserUttered) and e.message_id == message.message_id
        ),
        len(events),
    )
    # The gateway's own slot event belongs to no action, so it splits the turn.
    before_message = events[: user_index - 1] if language_changed else events[:user_index]
    actions = _actions(before_message, agent.domain) + _actions(
        events[user_index:], agent.domain
    )
    return response.json(
        {
            "messages": [_message(e) for e in events if isinstance(e, BotUttered)],
            "actions": actions,
            "events": [e.as_dict() for e in events],
            "slots": full.current_slot_values(),
            "active_form": full.active_loop_name,
        }
    )


async def _pause(request: Request) -> HTTPResponse:
    agent = _agent(request)
    sender_id = _sender_id(_body(request))
    async with agent.lock_store.lock(sender_id):
        tracker = await _tracker_for_update(agent, sender_id)
        tracker.update(ConversationPaused(), agent.domain)
        await agent.processor.save_tracker(tracker)
    return response.json({"status": "ok"})


async def _handback(request: Request) -> HTTPResponse:
    agent = _agent(request)
    domain = agent.domain
    body = _body(request)
    sender_id = _sender_id(body)
    language = _language(body, required=False)
    human_phase = _human_phase(_field(body, "human_phase", list))

    async with agent.lock_store.lock(sender_id):
        tracker = await _tracker_for_update(agent, sender_id)
        # The listen goes before the human phase, not after it: the policies build a
        # dialogue state at every ActionExecuted, so a listen after the human phase
        # would make the last human-phase customer turn (intent-less) part of the
        # state they predict from. Before it, the next customer message replaces those
        # turns as the latest message before any state is built. It also ends a turn
        # the bot did not finish (circuit breaker, crash), so prediction starts clean.
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME), domain)
        for event in human_phase:
            tracker.update(event, domain)
        cleared_form = tracker.active_loop_name
        if cleared_form:
            for event in _clear_form_events(cleared_form, domain):
                tracker.update(event, domain)
        _set_slot(tracker, LANGUAGE_SLOT, language, domain)
        tracker.update(ConversationResumed(), domain)
        await agent.processor.save_tracker(tracker)
    return response.json({"cleared_form": cleared_form})


# ------------------------------------------------------------------------ turns


async def _stored_event_count(agent: Agent, sender_id: str) -> int:
    # All sessions: the turn may start a new session, after which the store's
    # per-session view no longer shows the events counted here.
    tracker = await agent.tracker_store.retrieve_full_tracker(sender_id)
    return len(tracker.events) if tracker else 0


async def _tracker_for_update(agent: Agent, sender_id: str) -> DialogueStateTracker:
    # Session-scoped, as Rasa's own save expects (the SQL store appends the events
    # beyond the stored session's count). A new conversation gets its session start
    # first, as Rasa's own append-events API does, so a later message still finds a
    # properly started tracker.
    tracker: DialogueStateTracker = await agent.processor.fetch_tracker_with_initial_session(
        sender_id, CollectingOutputChannel()
    )
    return tracker


def _set_slot(
    tracker: DialogueStateTracker, name: str, value: Optional[str], domain: Domain
) -> bool:
    if value is None or name not in tracker.slots or tracker.get_slot(name) == value:
        return False
    tracker.update(SlotSet(name, value), domain)
    return True


def _served_by_action_server(action_name: str, domain: Domain) -> bool:
    """Whether running this action depends on the action server answering.

    Mirrors rasa.core.actions.action.action_for_name_or_text: responses are uttered by
    Rasa itself; a form is Rasa's own loop, but with a `validate_<form>` action it calls
    the action server on every run and returns no events at all when that fails (a
    successful form run always returns some), so the service can judge it like any
    other custom action; everything listed under `actions:` (including overrides of
    Rasa's default actions) is a remote action.
    """
    if action_name.startswith("utter_"):
        return False
    if action_name in domain.form_names and action_name not in domain.user_actions:
        return f"validate_{action_name}" in domain.action_names_or_texts
    return action_name in domain.user_actions


def _actions(events: Sequence[Event], domain: Domain) -> List[Dict[str, Any]]:
    """The actions run, each with the number of events it logged.

    Rasa logs an action's ActionExecuted first and the action's own events right after
    it; a failed custom action logs nothing after it. A rejected action has no
    ActionExecuted and owns no events (they stay visible in the turn's events).
    """
    actions: List[Dict[str, Any]] = []
    current: Optional[Dict[str, Any]] = None
    for event in events:
        if isinstance(event, ActionExecuted):
            current = {
                "name": event.action_name,
                "custom": _served_by_action_server(event.action_name or "", domain),
                "event_count": 0,
            }
            actions.append(current)
        elif isinstance(event, (UserUttered, ActionExecutionRejected)):
            current = None
        elif current is not None and not isinstance(event, PREDICTION_EVENTS):
            current["event_count"] += 1
    return actions


def _message(event: BotUttered) -> Dict[str, Any]:
    data = event.data or {}
    metadata = event.metadata or {}
    # Domain responses carry their `metadata:` block nested; custom actions may put
    # keys at the top level.
    sources = metadata.get("sources") or (metadata.get("metadata") or {}).get("sources")
    buttons = data.get("buttons") or []
    return {
        "text": event.text,
        "buttons": [{"title": b.get("title"), "payload": b.get("payload")} for b in buttons],
        "sources": sources or [],
        "response": metadata.get("utter_action"),
        "image": data.get("image"),
        "custom": data.get("custom"),
    }


# -------------------------------------------------------------------- hand-back


def _human_phase(turns: List[Any]) -> List[Event]:
    events: List[Event] = []
    for index, turn in enumerate(turns):
        where = f"human_phase[{index}]"
        if not isinstance(turn, dict):
            raise BadRequest(f"'{where}' must be an object")
        author = _field(turn, "author", str)
        text = _text(_field(turn, "text", str), f"{where}.text")
        timestamp = turn.get("timestamp")
        if timestamp is not None and (
            not isinstance(timestamp, (str, int, float)) or isinstance(timestamp, bool)
        ):
            raise BadRequest(f"'{where}.timestamp' must be a string or a number")
        # The original time goes into metadata, not the event timestamp: the SQL tracker
        # store finds a session's events by timestamp, so backdated events would drop out
        # of the session and corrupt what Rasa saves next.
        metadata = {"author": author, "timestamp": timestamp}
        if author == "agent":
            events.append(BotUttered(text, data={}, metadata=metadata))
        elif author == "customer":
            # No intent: the service, not the model, answered this turn.
            parse_data = {
                "text": text,
                "intent": {"name": None, "confidence": 0.0},
                "entities": [],
                "intent_ranking": [],
            }
            events.append(
                UserUttered(
                    text,
                    parse_data["intent"],
                    [],
                    parse_data,
                    input_channel=GatewayInput.name(),
                    metadata=metadata,
                )
            )
        else:
            raise BadRequest(f"'{where}.author' must be 'customer' or 'agent'")
    return events


def _clear_form_events(form_name: str, domain: Domain) -> List[Event]:
    initial = {slot.name: slot.initial_value for slot in domain.slots}
    resets: List[Event] = [
        SlotSet(name, initial.get(name))
        for name in domain.required_slots_for_form(form_name)
        if name not in KEPT_FORM_SLOTS
    ]
    return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), *resets]
