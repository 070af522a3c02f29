"""The e-mail a customer gets when an agent answers after they left the chat: the
answer first, then the whole conversation, in plain text (no markup to render, nothing
a customer typed can become HTML in a mail client)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Line:
    author: str  # customer, bot, agent, system
    author_name: str | None
    text: str
    at: datetime


LABELS = {
    "nl": {"customer": "Jij", "bot": "Digitale assistent", "agent": "Medewerker"},
    "en": {"customer": "You", "bot": "Digital assistant", "agent": "Team member"},
}


def label(line: Line, language: str, org_name: str) -> str:
    labels = LABELS.get(language, LABELS["nl"])
    if line.author == "agent" and line.author_name:
        return line.author_name
    return labels.get(line.author, org_name)


def transcript_text(lines: Sequence[Line], language: str, org_name: str, zone: ZoneInfo) -> str:
    return "\n\n".join(
        f"[{line.at.astimezone(zone):%d-%m %H:%M}] {label(line, language, org_name)}:\n{line.text}"
        for line in lines
    )


def reply_email(
    *,
    sender: str,
    recipient: str,
    org_name: str,
    language: str,
    reply: Line,
    lines: Sequence[Line],
    zone: ZoneInfo,
    chat_url: str,
) -> EmailMessage:
    who = label(reply, language, org_name)
    transcript = transcript_text(lines, language, org_name, zone)
    if language == "en":
        subject = f"Answer to your question to {org_name}"
        body = (
            f"Hello,\n\n{who} of {org_name} has answered your question:\n\n{reply.text}\n\n"
            f"Would you like to reply? Continue the chat at {chat_url}\n\n"
            f"The whole conversation:\n\n{transcript}\n\n"
            "You receive this e-mail because you left your e-mail address in our chat. "
            "We only use it for this question.\n"
        )
    else:
        subject = f"Antwoord op je vraag aan {org_name}"
        body = (
            f"Hallo,\n\n{who} van {org_name} heeft je vraag beantwoord:\n\n{reply.text}\n\n"
            f"Wil je reageren? Ga verder in de chat op {chat_url}\n\n"
            f"Het hele gesprek:\n\n{transcript}\n\n"
            "Je krijgt deze e-mail omdat je in onze chat je e-mailadres hebt achtergelaten. "
            "We gebruiken het alleen voor deze vraag.\n"
        )
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="handoff.local")
    message.set_content(body)
    return message
