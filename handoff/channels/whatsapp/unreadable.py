"""The bot's answer to what it cannot read (photos, documents, voice notes, locations):
it says so and offers a person, who sees what was sent."""

from __future__ import annotations

from handoff.rasa.schemas import BotMessage, Button

UNREADABLE_KINDS = frozenset({"media", "location"})
REQUEST_HUMAN_PAYLOAD = "/request_human"

TEXTS = {
    "nl": (
        "Foto's, documenten, spraakberichten en locaties kan ik helaas niet lezen. Een "
        "medewerker kan dat wel en ziet wat je stuurde. Je kunt je vraag ook typen."
    ),
    "en": (
        "Unfortunately I cannot read photos, documents, voice notes or locations. A "
        "member of our team can, and sees what you sent. You can also type your question."
    ),
}
PERSON_CHOICE = {"nl": "Een medewerker spreken", "en": "Talk to a person"}


def reply(language: str) -> BotMessage:
    lang = "en" if language == "en" else "nl"
    return BotMessage(
        text=TEXTS[lang],
        buttons=[Button(title=PERSON_CHOICE[lang], payload=REQUEST_HUMAN_PAYLOAD)],
        response="service_unreadable_media",
    )
