"""The rule set's shape and the default rule set version 1 is seeded from.

Everything a supervisor may tune without retraining lives here: thresholds, the phrase
backstop, human-only intents, opening hours and every text the service itself says.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from handoff.escalation.frustration import DEFAULT_STRONG, DEFAULT_WEAK
from handoff.rulesets.value_matrix import (
    DEFAULT_VALUE_MATRIX,
    Quadrant,
    human_only_intents,
    matrix_from_human_only,
)

Language = Literal["nl", "en"]
IntentName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,100}$")]
LANGUAGES: tuple[Language, ...] = ("nl", "en")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TEXT_KEYS = (
    "disclosure",
    "handoff",
    "waiting",
    "nobody_available",
    "out_of_hours",
    "bot_failure",
    "handback",
    "email_offer",
    "closed_inactive",
    "csat_question",
)


class Thresholds(BaseModel):
    # How sure the model must be before its intent alone hands over (request_human and
    # the human-only topics); the phrase backstop and the button need no model.
    explicit_min_confidence: float = Field(0.5, ge=0, le=1)
    human_only_min_confidence: float = Field(0.6, ge=0, le=1)
    # Closing as resolved ends the customer's way to a person (processing/resolution.py),
    # so a goodbye must be surer than an answer: "pauze" was goodbye 0.51 and that live
    # benchmark customer never reached anyone. Below it the bot asks to say it again. The
    # Dutch held-out goodbyes the model reads as goodbye at all are at 0.70 or more.
    goodbye_min_confidence: float = Field(0.6, ge=0, le=1)
    # Low confidence and ambiguity (escalation/confidence.py): the live threshold that the
    # parse is rewritten to, and how many failed turns in a row hand over. At 0.5 the
    # Dutch held-out set is answered right 93.5 % of the time with 1 wrong answer in 216,
    # and 96 % of uncovered customers reach a person within 2 turns (bench/intents.md).
    low_confidence: float = Field(0.5, ge=0, le=1)
    low_confidence_turns: int = Field(2, ge=1)
    ambiguity_margin: float = Field(0.1, ge=0, le=1)
    # How similar (sentence encoder cosine, 0..1) a message must be to at least one
    # training example of the intent it got; below, the turn fails however confident the
    # model ("are there cameras hidden in stop lights" is report_outage 0.88, its nearest
    # outage example 0.36). 0 turns it off; parses without a nearest example are not judged.
    # At 0.5 Dutch uncovered customers reach a person within 2 turns 99.6 % of the time
    # (96.5 % without), English out-of-scope ones 97 % (94 %), and of the Dutch held-out set
    # 1 right answer in 216 becomes "zeg het anders"; at 0.55 that is 8 (bench/time_to_person.md).
    example_similarity: float = Field(0.5, ge=0, le=1)
    # Similarity (0..1) from which a turn restates an earlier need (escalation/rephrase.py).
    # From bench/rephrase.md: at 0.45 the detector (lexical overlap + sentence encoder)
    # finds 84 % of Dutch paraphrases at 2.4 % false alarms (bench/time_to_person.md has
    # what the count does to the time to a person).
    rephrase_threshold: float = Field(0.45, ge=0, le=1)
    # The first restatement hands over: Dutch rephrasers reach a person within 2 turns
    # 96.5 % of the time instead of 71 % with 2 (bench/time_to_person.md).
    rephrase_count: int = Field(1, ge=1)
    # Answers a form turned down since it began (escalation/forms.py): 2, like failed turns.
    # Without it, customers whose need no form fits were asked for their customer number
    # five turns running in the live benchmark (bench/time_to_person.md).
    form_rejections: int = Field(2, ge=1)
    frustration_strong: int = Field(1, ge=1)
    frustration_weak: int = Field(2, ge=1)
    bot_loop_repeats: int = Field(2, ge=1)


def _markers(lists: dict[str, tuple[str, ...]]) -> dict[Language, list[str]]:
    return {lang: list(lists[lang]) for lang in LANGUAGES}


class FrustrationMarkers(BaseModel):
    """Phrases per language; a word ending in ``*`` matches any word it starts."""

    strong: dict[Language, list[str]] = Field(default_factory=lambda: _markers(DEFAULT_STRONG))
    weak: dict[Language, list[str]] = Field(default_factory=lambda: _markers(DEFAULT_WEAK))


class OpeningHours(BaseModel):
    timezone: str = "Europe/Amsterdam"
    # Per weekday a list of ["HH:MM", "HH:MM"] periods; an empty list is closed all day.
    days: dict[str, list[tuple[str, str]]]
    # Closed on the Dutch public holidays of the `holidays` package, and on these extra
    # dates (ISO, "2026-12-31"). Rule sets stored before these existed load with these.
    dutch_public_holidays: bool = True
    closed_dates: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, timezone: str) -> str:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {timezone!r}") from None
        return timezone

    @field_validator("days")
    @classmethod
    def _every_weekday(
        cls, days: dict[str, list[tuple[str, str]]]
    ) -> dict[str, list[tuple[str, str]]]:
        problems = []
        missing = [d for d in WEEKDAYS if d not in days]
        if missing:
            problems.append(f"opening hours miss weekdays: {', '.join(missing)}")
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown:
            problems.append(f"unknown weekdays: {', '.join(unknown)}")
        for day, periods in days.items():
            for start, end in periods:
                if not (_is_hhmm(start) and _is_hhmm(end) and start < end):
                    problems.append(f"{day}: {start}-{end} is not a period HH:MM-HH:MM")
        if problems:
            raise ValueError("; ".join(problems))
        return days

    @field_validator("closed_dates")
    @classmethod
    def _iso_dates(cls, closed_dates: list[str]) -> list[str]:
        bad = []
        for value in closed_dates:
            try:
                date.fromisoformat(value)
            except ValueError:
                bad.append(value)
            else:
                if len(value) != 10:
                    bad.append(value)
        if bad:
            raise ValueError(f"not dates YYYY-MM-DD: {', '.join(bad)}")
        return closed_dates


def _is_hhmm(value: str) -> bool:
    if len(value) != 5 or value[2] != ":":
        return False
    hours, minutes = value[:2], value[3:]
    return hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60


class RuleSetData(BaseModel):
    thresholds: Thresholds = Field(default_factory=Thresholds)
    # Matched on normalised whole words, independent of the NLU model.
    backstop_phrases: dict[Language, list[str]]
    explicit_intents: list[str] = ["request_human"]
    # Per intent its Value Matrix quadrant (rulesets/value_matrix.py); "human" intents
    # go to a person before the bot answers.
    value_matrix: dict[IntentName, Quadrant] = Field(
        default_factory=lambda: dict(DEFAULT_VALUE_MATRIX)
    )
    # Rule sets stored before these existed load with the defaults.
    frustration_markers: FrustrationMarkers = Field(default_factory=FrustrationMarkers)
    opening_hours: OpeningHours
    # texts[key][language]; {org_name}, {next_open} and {wait} are filled in by the service.
    texts: dict[str, dict[Language, str]]

    @model_validator(mode="before")
    @classmethod
    def _matrix_from_old_shape(cls, data: Any) -> Any:
        # Rule sets stored before the Value Matrix had only `human_only_intents`.
        if isinstance(data, dict) and "human_only_intents" in data:
            data = dict(data)
            old = data.pop("human_only_intents")
            if "value_matrix" not in data and isinstance(old, list):
                data["value_matrix"] = matrix_from_human_only([str(i) for i in old])
        return data

    @property
    def human_only_intents(self) -> list[str]:
        """Derived from the Value Matrix, never stored on its own."""
        return human_only_intents(self.value_matrix)

    @model_validator(mode="after")
    def _every_text_in_every_language(self) -> RuleSetData:
        missing = missing_texts(self.texts)
        if missing:
            raise MissingTexts(
                "; ".join(
                    f"system text {key!r} is missing for language {lang!r}" for key, lang in missing
                )
            )
        return self


class MissingTexts(ValueError):
    """A system text is missing or empty for some key and language."""


def missing_texts(texts: object) -> list[tuple[str, str]]:
    """(key, language) of every system text that is absent or blank."""
    found: dict[str, object] = texts if isinstance(texts, dict) else {}
    missing: list[tuple[str, str]] = []
    for key in TEXT_KEYS:
        given = found.get(key)
        per_language: dict[str, object] = given if isinstance(given, dict) else {}
        for lang in LANGUAGES:
            text = per_language.get(lang)
            if not (isinstance(text, str) and text.strip()):
                missing.append((key, lang))
    return missing


WORKDAY = [("08:00", "20:00")]

DEFAULT_RULESET = RuleSetData(
    backstop_phrases={
        "nl": [
            "medewerker",
            "een medewerker",
            "mens",
            "een mens",
            "echt persoon",
            "echte persoon",
            "echt mens",
            "iemand spreken",
            "persoon spreken",
            "agent",
            "klantenservice bellen",
            "doorverbinden",
        ],
        "en": [
            "human",
            "real person",
            "a person",
            "agent",
            "operator",
            "representative",
            "someone real",
            "talk to someone",
            "speak to someone",
        ],
    },
    opening_hours=OpeningHours(
        days={
            "mon": WORKDAY,
            "tue": WORKDAY,
            "wed": WORKDAY,
            "thu": WORKDAY,
            "fri": WORKDAY,
            "sat": [("09:00", "17:00")],
            "sun": [],
        }
    ),
    texts={
        "disclosure": {
            "nl": (
                "Hoi! Je chat met de digitale assistent van {org_name}. Ik ben geen mens, "
                "maar een computerprogramma. Wil je liever een medewerker spreken? Dat kan "
                "altijd: typ 'medewerker' of klik op de knop."
            ),
            "en": (
                "Hi! You are chatting with the digital assistant of {org_name}. I am not a "
                "person but a computer program. Would you rather talk to a person? You can "
                "at any time: type 'person' or click the button."
            ),
        },
        "handoff": {
            "nl": (
                "Ik verbind je door met een medewerker. Die ziet ons hele gesprek, dus je "
                "hoeft niets te herhalen."
            ),
            "en": (
                "I am passing you on to a member of our team. They can see our whole "
                "conversation, so you do not need to repeat anything."
            ),
        },
        "waiting": {
            "nl": (
                "Een medewerker neemt het gesprek zo snel mogelijk over. {wait} "
                "Blijf gerust even hier."
            ),
            "en": (
                "A member of our team will take over as soon as possible. {wait} Please stay here."
            ),
        },
        "nobody_available": {
            "nl": (
                "Op dit moment is er helaas geen medewerker beschikbaar. Je vraag blijft "
                "staan en we reageren zodra er iemand vrij is. Laat je ook je e-mailadres "
                "achter? Dan kunnen we je antwoorden als je de chat al hebt gesloten."
            ),
            "en": (
                "Unfortunately nobody from our team is available right now. Your question "
                "stays in the queue and we will answer as soon as someone is free. You can "
                "also leave your e-mail address, so we can answer you if you close the chat."
            ),
        },
        "out_of_hours": {
            "nl": (
                "We zijn nu gesloten. We zijn er weer {next_open}. Je vraag blijft staan: "
                "een medewerker pakt hem dan op en antwoordt hier in dit gesprek. Laat je "
                "e-mailadres achter als je het antwoord per e-mail wilt krijgen."
            ),
            "en": (
                "We are closed right now. We are back {next_open}. Your question stays in "
                "the queue: a member of our team will pick it up then and answer here in "
                "this conversation. Leave your e-mail address if you would like the answer "
                "by e-mail."
            ),
        },
        "bot_failure": {
            "nl": (
                "Sorry, er ging bij mij iets mis. Ik geef je gesprek door aan een "
                "medewerker; je hoeft niets opnieuw te typen."
            ),
            "en": (
                "Sorry, something went wrong on my side. I am passing your conversation to "
                "a member of our team; you do not need to type anything again."
            ),
        },
        "handback": {
            "nl": (
                "De medewerker heeft het gesprek teruggegeven aan de digitale assistent. "
                "Heb je nog een vraag? Stel hem gerust. Een medewerker vragen kan altijd."
            ),
            "en": (
                "Our team member has handed the conversation back to the digital assistant. "
                "Any other question? Just ask. You can ask for a person at any time."
            ),
        },
        "email_offer": {
            "nl": (
                "Wil je je e-mailadres achterlaten? Dan sturen we het antwoord ook per "
                "e-mail. We gebruiken het alleen voor deze vraag."
            ),
            "en": (
                "Would you like to leave your e-mail address? Then we will also send the "
                "answer by e-mail. We only use it for this question."
            ),
        },
        "closed_inactive": {
            "nl": (
                "Omdat het een tijdje stil was, hebben we dit gesprek gesloten. Heb je nog "
                "een vraag? Stuur gerust een nieuw bericht."
            ),
            "en": (
                "As it has been quiet for a while, we have closed this conversation. Any "
                "other question? Just send a new message."
            ),
        },
        "csat_question": {
            "nl": "Hoe tevreden ben je over dit gesprek? Geef een cijfer van 1 tot 5.",
            "en": "How satisfied are you with this conversation? Give a score from 1 to 5.",
        },
    },
)
