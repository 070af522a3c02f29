"""Every setting of the rule set as the supervisor's form shows it: its field name (the
dotted path into ``RuleSetData``), a plain-Dutch label and explanation, its kind and
its default. The page renders from this list and validation reports problems under
these names, so a problem always lands next to the field it is about.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import ValidationError

from handoff.rulesets.defaults import (
    DEFAULT_RULESET,
    LANGUAGES,
    TEXT_KEYS,
    WEEKDAYS,
    RuleSetData,
    missing_texts,
)
from handoff.rulesets.store import validation_problems
from handoff.rulesets.value_matrix import QUADRANTS

Kind = Literal["number", "integer", "lines", "text", "periods", "dates", "boolean", "choice"]

LANGUAGE_NAMES = {"nl": "Nederlands", "en": "Engels"}
DAY_NAMES = {
    "mon": "maandag",
    "tue": "dinsdag",
    "wed": "woensdag",
    "thu": "donderdag",
    "fri": "vrijdag",
    "sat": "zaterdag",
    "sun": "zondag",
}
QUADRANT_LABELS = {
    "automate": "Automatiseren: de assistent antwoordt",
    "human": "Medewerker: meteen naar een mens",
    "simplify": "Vereenvoudigen: de assistent antwoordt, analyse markeert het",
    "eliminate": "Voorkomen: de assistent antwoordt, analyse markeert het",
}
# The example assistant's topics, as customers read them (domain.yml's labels).
INTENT_LABELS = {
    "submit_meter_reading": "Meterstand doorgeven",
    "change_instalment": "Termijnbedrag aanpassen",
    "explain_bill": "Uitleg over de jaarafrekening",
    "moving_house": "Verhuizing doorgeven",
    "report_outage": "Storing melden",
    "cancel_contract": "Contract opzeggen",
    "complaint": "Klacht indienen",
    "payment_arrangement": "Betalingsregeling treffen",
    "bereavement": "Een overlijden melden",
}
TEXT_LABELS = {
    "disclosure": (
        "Melding dat de klant met een computer praat",
        "Het eerste bericht van elk gesprek (verplicht volgens de Europese AI-verordening).",
    ),
    "handoff": ("Doorverbinden", "Wanneer de assistent het gesprek aan een medewerker geeft."),
    "waiting": ("Wachten", "Na het doorverbinden, met de verwachte wachttijd op de plek {wait}."),
    "nobody_available": (
        "Niemand beschikbaar",
        "Binnen openingstijden, maar geen medewerker met een open console.",
    ),
    "out_of_hours": ("Buiten openingstijden", "{next_open} wordt het volgende openingsmoment."),
    "bot_failure": ("Storing bij de assistent", "Als de assistent zelf faalt of niet antwoordt."),
    "handback": (
        "Terug naar de assistent",
        "Wanneer een medewerker het gesprek teruggeeft aan de assistent.",
    ),
    "email_offer": ("E-mailadres vragen", "Aanbod om het antwoord ook per e-mail te krijgen."),
    "closed_inactive": ("Gesloten na stilte", "Als een gesprek wordt gesloten omdat het stil was."),
    "csat_question": ("Tevredenheidsvraag", "De vraag om een cijfer na afloop."),
}


@dataclass(frozen=True)
class FormField:
    name: str  # dotted path into RuleSetData
    group: str
    label: str
    help: str
    kind: Kind
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    field: str  # a FormField name, or "" for the rule set as a whole
    message: str


def _share(name: str, label: str, help: str) -> FormField:
    return FormField(name, "Drempels", label, help, "number", 0, 1, 0.01)


def _count(name: str, group: str, label: str, help: str) -> FormField:
    return FormField(name, group, label, help, "integer", 1, 20, 1)


def _fields() -> list[FormField]:
    fields = [
        _share(
            "thresholds.low_confidence",
            "Minimale zekerheid",
            "Hoe zeker het taalmodel moet zijn van wat de klant bedoelt (0 tot 1). Is het "
            "minder zeker, dan vraagt de assistent de klant het anders te zeggen en telt de "
            "beurt als mislukt. Hoger: de assistent gokt minder en geeft sneller over.",
        ),
        _share(
            "thresholds.example_similarity",
            "Gelijkenis met geleerde voorbeelden",
            "Hoeveel een bericht minstens moet lijken op een van de voorbeeldzinnen waarmee "
            "de assistent dat onderwerp leerde (0 tot 1). Lijkt het minder, dan vraagt de "
            "assistent het anders te zeggen en telt de beurt als mislukt, hoe zeker het "
            "taalmodel ook is. 0 zet dit uit.",
        ),
        _share(
            "thresholds.ambiguity_margin",
            "Marge tussen twee onderwerpen",
            "Liggen de twee waarschijnlijkste onderwerpen dichter bij elkaar dan deze marge, "
            "dan laat de assistent de klant kiezen. Blijft het onduidelijk, dan telt de beurt "
            "als mislukt.",
        ),
        _share(
            "thresholds.rephrase_threshold",
            "Gelijkenis bij herformuleren",
            "Vanaf deze gelijkenis (0 tot 1) telt een bericht als dezelfde vraag in andere "
            "woorden. Lager: sneller herkend als herhaling.",
        ),
        _share(
            "thresholds.explicit_min_confidence",
            "Zekerheid bij 'ik wil een mens'",
            "Hoe zeker het taalmodel moet zijn dat de klant om een medewerker vraagt. De "
            "woordenlijst hieronder en de knop werken altijd, zonder taalmodel.",
        ),
        _share(
            "thresholds.human_only_min_confidence",
            "Zekerheid bij onderwerpen voor een medewerker",
            "Hoe zeker het taalmodel moet zijn van een onderwerp dat in de waardematrix "
            "'Medewerker' heeft, voordat het gesprek meteen naar een mens gaat.",
        ),
        _share(
            "thresholds.goodbye_min_confidence",
            "Zekerheid bij afscheid",
            "Hoe zeker het taalmodel moet zijn dat de klant afscheid neemt, voordat de "
            "assistent het gesprek als opgelost afsluit. Daaronder vraagt de assistent het "
            "anders te zeggen.",
        ),
        _count(
            "thresholds.low_confidence_turns",
            "Aantallen",
            "Mislukte beurten op rij",
            "Na zoveel beurten op rij die de assistent niet begreep, gaat het gesprek naar "
            "een medewerker.",
        ),
        _count(
            "thresholds.form_rejections",
            "Aantallen",
            "Afgewezen antwoorden in een formulier",
            "Vraagt de assistent iets (zoals een klantnummer) en keurt hij zoveel antwoorden "
            "af, dan gaat het gesprek naar een medewerker.",
        ),
        _count(
            "thresholds.rephrase_count",
            "Aantallen",
            "Herformuleringen",
            "Bij de hoeveelste keer dat de klant dezelfde vraag anders stelt, gaat het "
            "gesprek naar een medewerker. Ook als de klant in een formulier zijn vraag "
            "herhaalt in plaats van te antwoorden.",
        ),
        _count(
            "thresholds.frustration_strong",
            "Aantallen",
            "Sterke frustratiesignalen",
            "Zoveel sterke signalen (zoals 'belachelijk') in de laatste drie beurten geven "
            "het gesprek aan een medewerker.",
        ),
        _count(
            "thresholds.frustration_weak",
            "Aantallen",
            "Zwakke frustratiesignalen",
            "Zoveel zwakke signalen (zoals 'werkt niet', hoofdletters of '!!!') in de "
            "laatste drie beurten geven het gesprek aan een medewerker.",
        ),
        _count(
            "thresholds.bot_loop_repeats",
            "Aantallen",
            "Herhaald antwoord van de assistent",
            "Geeft de assistent zoveel keer op rij hetzelfde antwoord op verschillende "
            "berichten, dan neemt een medewerker het over.",
        ),
    ]
    for lang in LANGUAGES:
        fields.append(
            FormField(
                f"backstop_phrases.{lang}",
                "Woordenlijsten",
                f"'Een mens graag' ({LANGUAGE_NAMES[lang]})",
                "Woorden of zinnen, één per regel. Typt de klant er een als los woord, dan "
                "gaat het gesprek meteen naar een medewerker, ook als het taalmodel het mist.",
                "lines",
            )
        )
    fields.append(
        FormField(
            "explicit_intents",
            "Woordenlijsten",
            "Onderwerpen die om een mens vragen",
            "Namen van onderwerpen uit het taalmodel, één per regel. Herkent het model er een "
            "met genoeg zekerheid, dan gaat het gesprek meteen naar een medewerker.",
            "lines",
        )
    )
    for strength, what in (("strong", "Sterke"), ("weak", "Zwakke")):
        for lang in LANGUAGES:
            fields.append(
                FormField(
                    f"frustration_markers.{strength}.{lang}",
                    "Woordenlijsten",
                    f"{what} frustratiesignalen ({LANGUAGE_NAMES[lang]})",
                    "Eén per regel. Een woord dat eindigt op * telt voor elk woord dat zo "
                    "begint (belachelijk* vindt ook 'belachelijke').",
                    "lines",
                )
            )
    for day in WEEKDAYS:
        fields.append(
            FormField(
                f"opening_hours.days.{day}",
                "Openingstijden",
                DAY_NAMES[day].capitalize(),
                "Tijden als 08:00-20:00; meerdere met een komma. Leeg is de hele dag dicht.",
                "periods",
            )
        )
    fields += [
        FormField(
            "opening_hours.dutch_public_holidays",
            "Openingstijden",
            "Dicht op Nederlandse feestdagen",
            "Nieuwjaarsdag, Pasen, Koningsdag, Hemelvaart, Pinksteren, Kerst en de andere "
            "officiële feestdagen.",
            "boolean",
        ),
        FormField(
            "opening_hours.closed_dates",
            "Openingstijden",
            "Extra gesloten dagen",
            "Eén datum per regel, als 2026-12-31.",
            "dates",
        ),
        FormField(
            "opening_hours.timezone",
            "Openingstijden",
            "Tijdzone",
            "De tijdzone van de openingstijden, als Europe/Amsterdam.",
            "text",
        ),
    ]
    for key in TEXT_KEYS:
        label, help = TEXT_LABELS[key]
        for lang in LANGUAGES:
            fields.append(
                FormField(
                    f"texts.{key}.{lang}",
                    "Systeemteksten",
                    f"{label} ({LANGUAGE_NAMES[lang]})",
                    help + " {org_name} wordt de naam van de organisatie.",
                    "text",
                )
            )
    return fields


FIELDS: tuple[FormField, ...] = tuple(_fields())
FIELD_NAMES = frozenset(field.name for field in FIELDS)


def value_at(data: dict[str, Any], name: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    node: Any = data
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def describe(data: RuleSetData) -> dict[str, Any]:
    """The form as the page needs it: every field with its current value and default,
    and the Value Matrix rows."""
    current = data.model_dump(mode="json")
    default = DEFAULT_RULESET.model_dump(mode="json")
    intents = list(dict.fromkeys([*default["value_matrix"], *current["value_matrix"]]))
    return {
        "fields": [
            asdict(field)
            | {"value": value_at(current, field.name), "default": value_at(default, field.name)}
            for field in FIELDS
        ],
        "value_matrix": [
            {
                "name": f"value_matrix.{intent}",
                "intent": intent,
                "label": INTENT_LABELS.get(intent, intent),
                "value": current["value_matrix"].get(intent, "automate"),
                "default": default["value_matrix"].get(intent, "automate"),
            }
            for intent in intents
        ],
        "quadrants": [{"value": q, "label": QUADRANT_LABELS[q]} for q in QUADRANTS],
    }


def field_for(path: str) -> str:
    """The form field a problem's path belongs to: the longest field name it starts with
    (``backstop_phrases.nl.3`` → ``backstop_phrases.nl``), else the path itself."""
    parts = path.split(".")
    if parts[0] == "value_matrix" and len(parts) > 1:
        return f"value_matrix.{parts[1]}"
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in FIELD_NAMES:
            return candidate
    return path


_MESSAGES = {
    "greater_than_equal": "moet minstens {ge} zijn",
    "less_than_equal": "mag hoogstens {le} zijn",
    "float_parsing": "moet een getal zijn",
    "float_type": "moet een getal zijn",
    "int_parsing": "moet een heel getal zijn",
    "int_type": "moet een heel getal zijn",
    "int_from_float": "moet een heel getal zijn",
    "string_type": "moet tekst zijn",
    "list_type": "moet een lijst zijn",
    "bool_type": "moet ja of nee zijn",
    "bool_parsing": "moet ja of nee zijn",
    "missing": "ontbreekt",
    "literal_error": "moet een van de vier kwadranten zijn",
    "dict_type": "heeft de verkeerde vorm",
    "string_pattern_mismatch": "is geen geldige naam voor een onderwerp (a-z, 0-9 en _)",
}

# Our own validators' messages are English (they end up in logs); the form says it so.
_FIELD_MESSAGES = {
    "opening_hours.timezone": "is geen bekende tijdzone (bijvoorbeeld Europe/Amsterdam)",
    "opening_hours.closed_dates": "bevat iets dat geen datum als 2026-12-31 is",
}

_STORE_MESSAGES = {
    "unknown key": "onbekende instelling",
    "unknown system text": "onbekende systeemtekst",
}


def _periods_problem(periods: Any) -> str | None:
    if not isinstance(periods, list):
        return "heeft de verkeerde vorm"
    for period in periods:
        ok = isinstance(period, (list, tuple)) and len(period) == 2
        start, end = (str(period[0]), str(period[1])) if ok else ("", "")
        if not ok or not (_hhmm(start) and _hhmm(end) and start < end):
            shown = "-".join(map(str, period)) if isinstance(period, (list, tuple)) else period
            return f"'{shown}' is geen tijdvak als 08:00-20:00 (begin voor eind)"
    return None


def _hhmm(value: str) -> bool:
    hours, _, minutes = value.partition(":")
    return (
        len(value) == 5
        and hours.isdigit()
        and minutes.isdigit()
        and int(hours) < 24
        and int(minutes) < 60
    )


def form_problems(data: Any) -> list[Problem]:
    """Every reason ``data`` cannot be saved, in Dutch and under the form's field names;
    empty when the store's own validation has nothing to add either."""
    if not isinstance(data, dict):
        return [Problem("", "De regels moeten een object zijn")]
    problems: list[Problem] = []
    handled: set[str] = set()
    days = value_at(data, "opening_hours.days")
    if isinstance(days, dict):
        for day in WEEKDAYS:
            name = f"opening_hours.days.{day}"
            handled.add(name)
            if day not in days:
                problems.append(Problem(name, "ontbreekt"))
            elif (why := _periods_problem(days[day])) is not None:
                problems.append(Problem(name, why))
        handled.add("opening_hours.days")
    for key, lang in missing_texts(data.get("texts")):
        name = f"texts.{key}.{lang}"
        handled.add(name)
        problems.append(Problem(name, "mag niet leeg zijn"))
    for name in FIELD_NAMES:
        if name.endswith((".nl", ".en")) and not name.startswith("texts."):
            entries = value_at(data, name)
            if isinstance(entries, list) and any(
                not isinstance(e, str) or not e.strip() for e in entries
            ):
                handled.add(name)
                problems.append(Problem(name, "bevat een lege regel"))
    try:
        RuleSetData.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            path = ".".join(str(part) for part in error["loc"])
            name = field_for(path)
            if name in handled or not path:
                continue  # reported above, per day or per text, or by the whole check
            handled.add(name)
            template = _FIELD_MESSAGES.get(name) if error["type"] == "value_error" else None
            template = template or _MESSAGES.get(error["type"])
            ctx = {key: _plain(value) for key, value in error.get("ctx", {}).items()}
            message = template.format(**ctx) if template else _dutch_fallback(error["msg"])
            problems.append(Problem(name, message))
    order = {name: index for index, name in enumerate(field.name for field in FIELDS)}
    problems.sort(key=lambda p: (order.get(p.field, len(order)), p.field))
    if not problems:
        # The store's own gate (unknown keys, anything not covered above).
        for text in validation_problems(data):
            path, _, message = text.partition(": ")
            message = _STORE_MESSAGES.get(message, message)
            problems.append(Problem(field_for(path), message or text))
    return problems


def _plain(value: Any) -> Any:
    """1.0 as 1, 0.5 as 0,5: numbers as a Dutch reader writes them."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value).replace(".", ",")
    return value


def _dutch_fallback(message: str) -> str:
    return message.removeprefix("Value error, ")
