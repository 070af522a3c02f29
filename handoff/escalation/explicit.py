"""The customer asks for a person: by intent, by a phrase the model may miss, or by the
widget's button. Human-only topics are handed over before the bot answers as well."""

from __future__ import annotations

from handoff.escalation.decision import Decision, Reason
from handoff.escalation.text import phrase_hits
from handoff.rasa.schemas import ParseResult
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.value_matrix import quadrant


def _percent(confidence: float) -> str:
    return f"{confidence * 100:.0f}%"


def backstop_hits(text: str, rules: RuleSetData) -> list[str]:
    """Phrases of every language: customers mix them, and a false hit costs only a wait."""
    phrases = [p for lang_phrases in rules.backstop_phrases.values() for p in lang_phrases]
    return phrase_hits(text, phrases)


def explicit_request(text: str, parse: ParseResult | None, rules: RuleSetData) -> Decision | None:
    intent = parse.intent if parse else None
    if (
        intent is not None
        and intent.name in rules.explicit_intents
        and intent.confidence >= rules.thresholds.explicit_min_confidence
    ):
        return Decision(
            Reason.explicit_request,
            f"De klant vroeg om een medewerker (herkend als {intent.name}, "
            f"zekerheid {_percent(intent.confidence)}).",
            {"intent": intent.name, "confidence": intent.confidence},
        )
    hits = backstop_hits(text, rules)
    if hits:
        quoted = ", ".join(f"'{h}'" for h in hits)
        return Decision(
            Reason.explicit_request,
            f"De klant vroeg om een medewerker (schreef {quoted}).",
            {"phrases": hits},
        )
    return None


def button_request() -> Decision:
    return Decision(
        Reason.explicit_request,
        "De klant klikte op de knop om een medewerker te spreken.",
        {"button": True},
    )


def human_only(parse: ParseResult | None, rules: RuleSetData) -> Decision | None:
    intent = parse.intent if parse else None
    if (
        intent is not None
        and intent.name is not None
        and quadrant(rules, intent.name) == "human"
        and intent.confidence >= rules.thresholds.human_only_min_confidence
    ):
        return Decision(
            Reason.human_only,
            f"Onderwerp voor een medewerker: {intent.name} "
            f"(zekerheid {_percent(intent.confidence)}).",
            {"intent": intent.name, "confidence": intent.confidence},
        )
    return None


def after_parse(text: str, parse: ParseResult | None, rules: RuleSetData) -> Decision | None:
    """The decision before the bot answers: an explicit request wins over a topic."""
    return explicit_request(text, parse, rules) or human_only(parse, rules)
