"""The context packet an agent gets with a handoff: everything, so nobody asks twice.

Built only from what the service stored (never from Rasa), so it exists even when the
bot is down; the summary is extractive: it quotes, it does not guess.
"""

from __future__ import annotations

from typing import Any

from handoff.conversations.models import Conversation, Message
from handoff.conversations.store import as_utc
from handoff.escalation.decision import Decision

# Customer-readable topics; intents that carry no topic of their own are absent.
TOPICS = {
    "submit_meter_reading": "meterstand doorgeven",
    "change_instalment": "termijnbedrag wijzigen",
    "explain_bill": "uitleg over de rekening",
    "moving_house": "verhuizing",
    "report_outage": "storing melden",
    "cancel_contract": "contract opzeggen",
    "complaint": "klacht",
    "payment_arrangement": "betalingsregeling",
    "bereavement": "overlijden",
    "request_human": "vraagt om een medewerker",
    "bot_challenge": "vraagt of het een mens is",
}
QUOTE_CHARS = 80


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def _turn(message: Message) -> dict[str, Any]:
    nlu = message.nlu or {}
    intent = nlu.get("intent") or {}
    return {
        "message_id": message.id,
        "text": message.text,
        "intent": intent.get("name"),
        "confidence": intent.get("confidence"),
        "entities": nlu.get("entities", []),
        "kind": (message.payload or {}).get("kind"),
    }


def build_context_packet(
    *, conversation: Conversation, messages: list[Message], decision: Decision
) -> dict[str, Any]:
    ordered = sorted(messages, key=lambda m: m.id)
    customer = [m for m in ordered if m.author == "customer"]
    turns = [_turn(m) for m in customer]
    slots: dict[str, Any] = {}
    submissions: list[dict[str, Any]] = []
    for message in customer:
        turn = (message.payload or {}).get("turn") or {}
        slots.update({k: v for k, v in (turn.get("slots") or {}).items() if v is not None})
        submitted = (message.payload or {}).get("submitted")
        if submitted:
            submissions.append(submitted)
    return {
        "conversation_id": conversation.id,
        "channel": conversation.channel,
        "language": conversation.language,
        "reason": decision.reason.value,
        "evidence": decision.evidence,
        "details": decision.details,
        "transcript": [
            {
                "id": m.id,
                "author": m.author,
                "text": m.text,
                "kind": (m.payload or {}).get("kind"),
                "internal": m.internal,
                "created_at": as_utc(m.created_at).isoformat(),
            }
            for m in ordered
        ],
        "turns": turns,
        "slots": slots,
        "submissions": submissions,
        "summary": summary(ordered, turns, slots, submissions, decision),
    }


def summary(
    messages: list[Message],
    turns: list[dict[str, Any]],
    slots: dict[str, Any],
    submissions: list[dict[str, Any]],
    decision: Decision,
) -> str:
    parts: list[str] = []
    topics = [TOPICS[t["intent"]] for t in turns if t["intent"] in TOPICS]
    substantive = [t for t in topics if not t.startswith("vraagt")]
    if substantive:
        parts.append(f"Onderwerp: {substantive[-1]}")
    elif customer_texts := [t["text"] for t in turns if t["text"]]:
        parts.append(f'Onderwerp: "{_quote(customer_texts[0])}"')
    customer_number = slots.get("customer_number") or next(
        (s.get("data", {}).get("customer_number") for s in submissions if s.get("data")), None
    )
    if customer_number:
        parts.append(f"klantnummer {customer_number}")
    for submitted in submissions:
        reference = submitted.get("reference")
        form = submitted.get("form", "formulier")
        parts.append(f"{form} ingediend" + (f" (referentie {reference})" if reference else ""))
    bot_answers = [m for m in messages if m.author == "bot" and m.text.strip()]
    if bot_answers:
        parts.append(f'bot gaf antwoord "{_quote(bot_answers[-1].text)}"')
    parts.append(f"klant stuurde {len(turns)} bericht{'en' if len(turns) != 1 else ''}")
    parts.append(f"reden: {decision.evidence}")
    return "; ".join(parts)
