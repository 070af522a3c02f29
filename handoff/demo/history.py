"""A realistic demo history, so the supervisor console means something on a fresh install.

Thousands of conversations over weeks, in Dutch, for the example energy supplier's
intents. Every customer turn goes through the real feature computation, and where a
conversation hands over is decided by the live decision code (``escalation.signals``)
with the active rule set, so reasons and evidence are what the service would have
written. Every row is marked as generated (contacts ``generated:…``, a ``generated``
key in message payloads and handoff context, ``csat_responses.generated``) and
``remove`` deletes exactly those.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from handoff.conversations.models import Contact, Conversation, Handoff, Message
from handoff.conversations.state import Outcome
from handoff.demo.writer import (
    GENERATED_PREFIX,
    Script,
    ScriptHandoff,
    ScriptTurn,
    Writer,
    features_of,
    nlu_of,
)
from handoff.escalation import signals
from handoff.escalation.decision import Decision, Reason
from handoff.escalation.signals import BotAnswer, CurrentTurn, PastTurn
from handoff.feedback.models import CsatResponse
from handoff.rasa.schemas import BotMessage, ParseResult, RespondResult
from handoff.rulesets.defaults import RuleSetData
from handoff.rulesets.store import active_ruleset

# intent → (ways customers ask, the bot's answer and its response name, weight)
TOPICS: dict[str, tuple[list[str], tuple[str, str], int]] = {
    "submit_meter_reading": (
        [
            "ik wil mijn meterstand doorgeven",
            "meterstand doorgeven",
            "hoe geef ik mijn meterstanden door",
            "waar kan ik de meterstand invullen",
            "ik moet mijn meterstanden nog doorgeven",
        ],
        ("Dat kan hier. Wat is je klantnummer?", "utter_ask_customer_number"),
        22,
    ),
    "change_instalment": (
        [
            "ik wil mijn termijnbedrag aanpassen",
            "kan mijn maandbedrag omlaag",
            "termijnbedrag verhogen",
            "mijn voorschot is te hoog",
        ],
        ("Ik pas je termijnbedrag aan. Wat is je klantnummer?", "utter_ask_customer_number"),
        14,
    ),
    "explain_bill": (
        [
            "ik snap mijn jaarafrekening niet",
            "waarom moet ik bijbetalen",
            "wat betekent de post netbeheerkosten op mijn rekening",
            "mijn jaarafrekening is veel hoger dan vorig jaar",
            "hoe is mijn eindafrekening berekend",
        ],
        (
            "Op je jaarafrekening zie je je verbruik, je termijnbedragen en het verschil.",
            "utter_explain_bill",
        ),
        18,
    ),
    "moving_house": (
        [
            "ik ga verhuizen",
            "verhuizing doorgeven",
            "ik heb een nieuw adres",
            "wat moet ik regelen bij een verhuizing",
        ],
        ("Fijn dat je het laat weten. Wat is je nieuwe adres?", "utter_ask_new_address"),
        10,
    ),
    "report_outage": (
        [
            "ik heb geen stroom",
            "is er een storing in mijn wijk",
            "de stroom is uitgevallen",
            "storing gas",
            "wanneer is de storing voorbij",
        ],
        (
            "Bij een storing kun je terecht bij je netbeheerder: bel 0800-9009.",
            "utter_report_outage",
        ),
        9,
    ),
    "complaint": (
        [
            "ik wil een klacht indienen",
            "ik ben niet tevreden over de service",
            "klacht over mijn factuur",
        ],
        ("", ""),
        5,
    ),
    "cancel_contract": (
        [
            "ik wil mijn contract opzeggen",
            "contract beëindigen",
            "ik stap over naar een andere leverancier",
        ],
        ("", ""),
        4,
    ),
    "payment_arrangement": (
        ["ik kan de rekening niet betalen", "kan ik een betalingsregeling krijgen"],
        ("", ""),
        3,
    ),
}
UNCLEAR = [
    "asdf",
    "hoe zit het nou",
    "en die andere ding",
    "kan dat ook met de app van de buurman",
    "wat vinden jullie van zonnepanelen op een woonboot",
    "ik heb een vraag over iets anders",
    "de vorige keer zei iemand iets anders",
    "kunnen jullie mijn fiets ophalen",
]
FRUSTRATED = [
    "dit werkt niet!!!",
    "belachelijk, ik krijg geen antwoord",
    "WAAROM WERKT DIT NIET",
    "nog steeds geen antwoord, frustrerend",
    "wat een onzin",
]
ASK_PERSON = [
    "ik wil een medewerker spreken",
    "mag ik een mens",
    "kan ik iemand spreken",
    "doorverbinden met een medewerker aub",
]
REPHRASE_ASK = ("Sorry, dat begreep ik niet goed. Kun je het anders zeggen?", "utter_ask_rephrase")
# Taking leave: the bot says goodbye and the live turn closes the conversation as resolved
# by the bot and asks the satisfaction question (processing/resolution.py).
FAREWELLS = ["bedankt, fijne dag", "dank je wel, doei", "top, bedankt!", "dankjewel, dat was het"]
AGENT_REPLIES = [
    "Goedemiddag, ik kijk even met je mee.",
    "Ik zie je vraag, een moment.",
    "Dat heb ik voor je aangepast.",
    "Is er verder nog iets waarmee ik je kan helpen?",
]
GOODBYE_ANSWER = (
    "Fijne dag nog! Heb je later nog een vraag, dan kun je hier altijd terecht.",
    "utter_goodbye",
)


@dataclass(frozen=True)
class Options:
    days: int = 42
    per_day: int = 120
    end: date | None = None  # the last day; today when None
    seed: int = 7


def _choice_weighted(rng: random.Random) -> str:
    names = list(TOPICS)
    return rng.choices(names, weights=[TOPICS[n][2] for n in names])[0]


def _turn(
    text: str, intent: str | None, confidence: float, at: int, rng: random.Random
) -> ScriptTurn:
    ranking = None
    if intent is not None:
        other = rng.choice([n for n in TOPICS if n != intent])
        ranking = [(intent, confidence), (other, round(max(0.01, (1 - confidence) * 0.6), 3))]
    return ScriptTurn(text, intent, confidence, ranking=ranking, at=timedelta(seconds=at))


def _candidate_turns(rng: random.Random, topic: str) -> list[ScriptTurn]:
    """What the customer says, before the decision code decides where it ends."""
    asks = TOPICS[topic][0]
    roll = rng.random()
    at = 0
    turns: list[ScriptTurn] = []

    def add(text: str, intent: str | None, confidence: float) -> None:
        nonlocal at
        turns.append(_turn(text, intent, confidence, at, rng))
        at += rng.randint(15, 90)

    if roll < 0.55:  # asked, understood, maybe took leave
        add(rng.choice(asks), topic, rng.uniform(0.7, 0.99))
        if rng.random() < 0.5:
            add(rng.choice(FAREWELLS), "goodbye", rng.uniform(0.8, 0.99))
    elif roll < 0.67:  # not understood, then rephrased
        first, second = rng.sample(asks, 2) if len(asks) > 1 else (asks[0], asks[0])
        add(first, topic, rng.uniform(0.3, 0.5))
        add(second, topic, rng.uniform(0.4, 0.6))
        add(rng.choice(asks), topic, rng.uniform(0.5, 0.9))
    elif roll < 0.77:  # out of what the bot knows
        add(rng.choice(UNCLEAR), "out_of_scope", rng.uniform(0.4, 0.8))
        add(rng.choice(UNCLEAR), rng.choice(["greet", "inform"]), rng.uniform(0.1, 0.45))
    elif roll < 0.89:  # asks for a person
        add(rng.choice(asks), topic, rng.uniform(0.6, 0.95))
        add(rng.choice(ASK_PERSON), "request_human", rng.uniform(0.85, 0.99))
    else:  # annoyed
        add(rng.choice(asks), topic, rng.uniform(0.45, 0.7))
        add(rng.choice(FRUSTRATED), "inform", rng.uniform(0.3, 0.6))
    return turns


def _answer(turn: ScriptTurn, rules: RuleSetData) -> list[tuple[str, str | None]]:
    if turn.intent == "goodbye":
        return [GOODBYE_ANSWER]
    if turn.confidence < rules.thresholds.low_confidence or turn.intent not in TOPICS:
        return [REPHRASE_ASK]
    text, response = TOPICS[turn.intent][1]
    return [(text, response)] if text else [REPHRASE_ASK]


def decide(turns: list[ScriptTurn], rules: RuleSetData) -> tuple[list[ScriptTurn], Decision | None]:
    """Walks the turns through the live decision code; cuts at the first handoff."""
    past: list[PastTurn] = []
    done: list[ScriptTurn] = []
    for turn in turns:
        features = features_of(turn.text)
        current = CurrentTurn(turn.text, features, False)
        parse = ParseResult.model_validate(nlu_of(turn))
        decision = signals.after_parse(current, parse, past, rules)
        if decision is not None:
            done.append(replace(turn, responded=False))
            return done, decision
        answers = _answer(turn, rules)
        answered = replace(turn, answers=answers)
        result = RespondResult(messages=[BotMessage(text=t, response=r) for t, r in answers])
        decision = signals.after_respond(current, parse, result, past, rules)
        done.append(answered)
        if decision is not None:
            return done, decision
        past.append(
            PastTurn(
                turn.text,
                features,
                parse,
                False,
                answers=tuple(BotAnswer(t, r) for t, r in answers),
            )
        )
    return done, None


def _script(
    rng: random.Random,
    created: datetime,
    channel: str,
    contact: str,
    rules: RuleSetData,
    agent_id: int | None,
) -> Script:
    topic = _choice_weighted(rng)
    turns, decision = decide(_candidate_turns(rng, topic), rules)
    script = Script(created, turns, channel=channel, contact_key=contact, generated=True)
    if decision is None:
        said_goodbye = any(t.intent == "goodbye" for t in turns)
        script.outcome = Outcome.resolved_by_bot if said_goodbye else Outcome.expired
        script.csat = (
            rng.choices([3, 4, 5], [2, 5, 4])[0] if said_goodbye and rng.random() < 0.4 else None
        )
        script.csat_asked = said_goodbye
        return script
    wait = timedelta(seconds=int(rng.lognormvariate(5.0, 0.9)))
    if channel == "web" and rng.random() < 0.08:
        script.handoff = ScriptHandoff(
            decision.reason,
            decision.evidence,
            decision.details,
            ended_after=wait,
            end_kind="abandoned",
        )
        script.outcome = Outcome.abandoned
        return script
    replies = rng.sample(AGENT_REPLIES, rng.randint(1, 3))
    handled = wait + timedelta(seconds=rng.randint(120, 900))
    script.handoff = ScriptHandoff(
        decision.reason,
        decision.evidence,
        decision.details,
        claimed_after=wait,
        claimed_by=agent_id,
        agent_replies=replies,
        ended_after=handled,
        end_kind="closed",
    )
    script.outcome = Outcome.resolved_by_agent
    script.csat_asked = True
    if rng.random() < 0.45:
        good = decision.reason not in (Reason.frustration, Reason.low_confidence)
        script.csat = rng.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 4] if good else [3, 3, 3, 2, 1])[0]
    return script


def _moment(rng: random.Random, day: date) -> datetime:
    # Busiest in office hours, a tail into the evening.
    hour = min(23, max(7, int(rng.gauss(13, 3.5))))
    local = datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)))
    return local.replace(tzinfo=UTC) - timedelta(hours=1)


def generate(session: Session, options: Options, *, agent_id: int | None = None) -> int:
    """Writes the demo history; returns how many conversations. The caller commits."""
    rng = random.Random(options.seed)  # noqa: S311 (reproducible demo data, not secrets)
    version, rules = active_ruleset(session)
    writer = Writer(session, rules, version)
    end = options.end or datetime.now(UTC).date()
    contacts = max(1, int(options.days * options.per_day * 0.6))
    written = 0
    for offset in range(options.days, 0, -1):
        day = end - timedelta(days=offset - 1)
        weekend = day.weekday() >= 5
        count = int(options.per_day * (0.5 if weekend else 1.0) * rng.uniform(0.8, 1.2))
        for _ in range(count):
            channel = "whatsapp" if rng.random() < 0.3 else "web"
            contact = f"demo-{rng.randrange(contacts)}"
            script = _script(rng, _moment(rng, day), channel, contact, rules, agent_id)
            writer.write(script, written)
            written += 1
        session.flush()
    return written


def remove(session: Session) -> int:
    """Deletes every generated row; returns how many conversations went."""
    contacts = select(Contact.id).where(Contact.external_id_hash.startswith(GENERATED_PREFIX))
    conversations = select(Conversation.id).where(Conversation.contact_id.in_(contacts))
    count = int(session.scalar(select(func.count()).select_from(conversations.subquery())) or 0)
    session.execute(delete(CsatResponse).where(CsatResponse.conversation_id.in_(conversations)))
    session.execute(delete(Handoff).where(Handoff.conversation_id.in_(conversations)))
    session.execute(delete(Message).where(Message.conversation_id.in_(conversations)))
    session.execute(delete(Conversation).where(Conversation.id.in_(conversations)))
    session.execute(delete(Contact).where(Contact.id.in_(contacts)))
    return count
