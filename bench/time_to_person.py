"""Benchmark 4 (issue 9): time to a person, in simulated conversations with the shipped
assistant.

    .venvs/handoff/bin/python bench/time_to_person.py [--model models/assistant.tar.gz]
        [--sample N] [--set low_confidence=0.55 --set rephrase_threshold=0.45 ...]

Customers:

- **uncovered, Dutch** (Home Assistant's Dutch paraphrase groups: smart-home requests the
  energy assistant does not cover): the customer says one sentence of a group and, while
  nobody took over, rephrases with the group's other sentences (seeded order, at most
  ``--max-turns``);
- **uncovered, English** (CLINC150 ``oos_test``): a customer asks out-of-scope queries
  one after another, ``--max-turns`` per conversation;
- **covered** (the frozen held-out set ``bot/heldout/nlu.yml``, the assistant's content
  intents): the customer states the need and, until the bot understands it, rephrases
  with the other held-out sentences of that intent and language. A handoff before the bot
  understood is counted; so is one *after* a correct parse of that very turn (needless:
  the bot had it);
- **chatter** (the held-out small talk and off-topic questions: greetings, thanks,
  goodbyes, "are you a bot", out of scope): one message each. Any handoff is at
  that first message: an agent for a customer who only said hello or asked something
  nobody here serves (with the shipped 2 failed turns, none should).

Any intent CSV ``text,label`` runs as more customers: ``--uncovered FILE`` (rows of one
label are one customer's turns in order; ``oos`` rows are chunked) or ``--covered FILE``.

Every customer turn is parsed by the shipped model (bench/intent_parse.py in the Rasa venv,
``Agent.parse_message``: the parse the service gets from the gateway) and judged here by
``handoff.escalation.signals.after_parse`` with the default rule set: the service's own
decision, features and all. The bot's answers are not simulated (``respond`` is not
called), so the ``bot_loop`` signal, forms and "helped" are not in play: a customer who
gets a wrong answer is assumed to rephrase, and the turn count is an upper bound where a
bot loop would have handed over sooner.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from datasets import (  # noqa: E402
    DEFAULT_DATA_DIR,
    OOS,
    SEED,
    clinc150,
    distinct,
    ha_groups,
    read_intents,
    write_intents,
)
from parses import parse_of, read_rows  # noqa: E402

from handoff.escalation.confidence import Verdict  # noqa: E402
from handoff.escalation.features import TurnFeatures, TurnLanguage, turn_features  # noqa: E402
from handoff.escalation.signals import CurrentTurn, PastTurn, after_parse, judge  # noqa: E402
from handoff.rasa.schemas import ParseResult  # noqa: E402
from handoff.rulesets.defaults import DEFAULT_RULESET, RuleSetData  # noqa: E402

BOT_PYTHON = REPO / ".venvs" / "bot" / "bin" / "python"
HELDOUT = REPO / "bot" / "heldout" / "nlu.yml"
# The needs the assistant serves itself; the human-only topics and request_human are
# meant to hand over, greetings and yes/no are not needs.
COVERED_INTENTS = (
    "submit_meter_reading",
    "change_instalment",
    "explain_bill",
    "moving_house",
    "report_outage",
)
# Messages that are no need at all, the bot's or a person's: small talk and off-topic
# questions. Each is a customer of one message, to count how many would send someone to an
# agent at once (what `low_confidence_turns` 1 would cost: "wat is de hoofdstad van
# Frankrijk" is out of scope, hence a failed turn). Not yes/no: on its own, without a
# question before it, "ja hoor" has nothing to answer.
CHATTER_INTENTS = ("greet", "goodbye", "thanks", "bot_challenge", "out_of_scope")
HELDOUT_DUTCH_PER_INTENT = 8  # the held-out file: 8 Dutch, then 4 English per intent


@dataclass(frozen=True)
class Customer:
    kind: str  # "uncovered", "covered" or "chatter"
    source: str
    language: TurnLanguage
    turns: tuple[str, ...]
    intent: str | None = None  # the covered need


@dataclass
class Outcome:
    customer: Customer
    handoff_turn: int | None  # customer turns until the handoff, None: never
    reason: str | None
    served_turn: int | None = None  # covered: the turn the bot understood the need
    needless: bool = False  # covered: handed over on a turn the bot had parsed right
    # --live: what happened on each turn ("text → intent 0.87 → responses"), and whether
    # the bot closed the conversation (said goodbye) before anyone took over.
    trace: list[str] = field(default_factory=list)
    closed_by_bot: bool = False


@dataclass
class Summary:
    source: str
    kind: str
    customers: int
    handed_over: int
    median_turns: float | None
    worst_turns: int | None
    within_2: float
    reasons: dict[str, int]
    never: int
    served: int = 0
    needless: int = 0
    examples_never: list[list[str]] = field(default_factory=list)
    # --live: conversations the bot closed (goodbye) before a person took over, and what
    # the bot did on each turn of the customers who needed more than 2 turns.
    closed_by_bot: int = 0
    slowest: list[list[str]] = field(default_factory=list)


# ---------------------------------------------------------------------------- customers


def ha_customers(data_dir: Path, max_turns: int, rng: random.Random) -> list[Customer]:
    customers = []
    for group in ha_groups(data_dir):
        sentences = distinct(group)
        if len(sentences) < 2:
            continue  # nothing to rephrase with
        rng.shuffle(sentences)
        customers.append(
            Customer("uncovered", "Home Assistant nl", "nl", tuple(sentences[:max_turns]))
        )
    return customers


def chunked_oos(
    texts: Sequence[str], source: str, language: TurnLanguage, max_turns: int
) -> list[Customer]:
    return [
        Customer("uncovered", source, language, tuple(texts[i : i + max_turns]))
        for i in range(0, len(texts) - max_turns + 1, max_turns)
    ]


def clinc_customers(data_dir: Path, max_turns: int, rng: random.Random) -> list[Customer]:
    oos = [text for text, label in clinc150(data_dir)["test"] if label == OOS]
    rng.shuffle(oos)
    return chunked_oos(oos, "CLINC150 oos_test", "en", max_turns)


def heldout_sentences(
    path: Path, intents: Sequence[str]
) -> Iterable[tuple[str, TurnLanguage, list[str]]]:
    """The held-out sentences of each of ``intents``, per language."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for block in doc["nlu"]:
        intent = block.get("intent")
        if intent not in intents:
            continue
        examples = [
            line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")
        ]
        yield intent, "nl", examples[:HELDOUT_DUTCH_PER_INTENT]
        yield intent, "en", examples[HELDOUT_DUTCH_PER_INTENT:]


def heldout_customers(path: Path, max_turns: int) -> list[Customer]:
    """Per covered intent and language, every held-out sentence opens one conversation,
    the others of that intent and language follow (rotated) as rephrasings."""
    customers = []
    for intent, language, sentences in heldout_sentences(path, COVERED_INTENTS):
        for start in range(len(sentences)):
            rotated = sentences[start:] + sentences[:start]
            customers.append(
                Customer(
                    "covered",
                    "held-out covered needs",
                    language,
                    tuple(rotated[:max_turns]),
                    intent,
                )
            )
    return customers


def heldout_chatter(path: Path) -> list[Customer]:
    """Every held-out small-talk and off-topic sentence, one customer of one message."""
    return [
        Customer("chatter", "held-out small talk and off-topic", language, (text,), intent)
        for intent, language, sentences in heldout_sentences(path, CHATTER_INTENTS)
        for text in sentences
    ]


def csv_customers(path: Path, kind: str, max_turns: int) -> list[Customer]:
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in read_intents(path):
        by_label[label].append(text)
    customers: list[Customer] = []
    for label, texts in by_label.items():
        if label == OOS and kind == "uncovered":
            customers += chunked_oos(texts, path.name, "nl", max_turns)
        elif kind == "uncovered":
            customers.append(Customer(kind, path.name, "nl", tuple(texts[:max_turns])))
        else:
            customers.append(Customer(kind, path.name, "nl", tuple(texts[:max_turns]), label))
    return customers


# ------------------------------------------------------------------------------ parsing


def parse_texts(texts: Iterable[str], model: Path, workdir: Path) -> dict[str, ParseResult]:
    """The shipped model's parse of every text, in the Rasa venv (one model load)."""
    unique = sorted(set(texts))
    source = workdir / "texts.csv"
    write_intents(((t, "x") for t in unique), source)
    out = workdir / "parses"
    command = [
        str(BOT_PYTHON),
        str(REPO / "bench" / "intent_parse.py"),
        "--model",
        str(model),
        "--eval",
        f"texts={source}",
        "--out-dir",
        str(out),
    ]
    log = workdir / "parse.log"
    print(
        f"parsing {len(unique)} customer turns with {model} (log: {log}) ...",
        file=sys.stderr,
        flush=True,
    )
    with log.open("w") as handle:
        done = subprocess.run(
            command, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, check=False
        )
    if done.returncode != 0:
        raise SystemExit(f"parsing failed, see {log}:\n{log.read_text()[-2000:]}")
    return {row["text"]: parse_of(row) for row in read_rows(out / "texts.jsonl")}


# --------------------------------------------------------------------------- simulation


def understood(parse: ParseResult, intent: str | None, rules: RuleSetData) -> bool:
    """The bot has the customer's need: the right intent above the threshold, or among
    the two it offers as buttons (the customer picks it)."""
    verdict = judge(parse, rules)
    if verdict.verdict is Verdict.understood:
        return verdict.intent == intent
    if verdict.verdict is Verdict.ambiguous:
        return intent in {c.intent for c in verdict.candidates}
    return False


_features: dict[tuple[str, TurnLanguage], TurnFeatures] = {}


def features_of(text: str, language: TurnLanguage) -> TurnFeatures:
    """Computed once per text, as the service computes them once per turn at ingest."""
    key = (text, language)
    if key not in _features:
        _features[key] = turn_features(text, language=language)
    return _features[key]


def simulate(customer: Customer, parses: dict[str, ParseResult], rules: RuleSetData) -> Outcome:
    past: list[PastTurn] = []
    for index, text in enumerate(customer.turns, start=1):
        features = features_of(text, customer.language)
        parse = parses[text]
        decision = after_parse(CurrentTurn(text, features, False), parse, past, rules)
        got_it = customer.kind == "covered" and understood(parse, customer.intent, rules)
        if decision is not None:
            return Outcome(customer, index, str(decision.reason), needless=got_it)
        if got_it:
            return Outcome(customer, None, None, served_turn=index)
        past.append(PastTurn(text=text, features=features, nlu=parse, form_answer=False))
    return Outcome(customer, None, None)


# ------------------------------------------------------------------------- live mode


@dataclass(frozen=True)
class TurnSeen:
    state: str
    reason: str | None
    nlu: ParseResult | None
    responses: tuple[str, ...]


class ServiceDatabase:
    """Reads what the running service stored about a turn (its SQLite file)."""

    def __init__(self, database_url: str) -> None:
        from handoff.db.session import make_engine, make_sessionmaker

        self.engine = make_engine(database_url)
        self.sessionmaker = make_sessionmaker(self.engine)

    def publish(self, rules: RuleSetData) -> None:
        from handoff.db.session import session_scope
        from handoff.rulesets.store import publish

        with session_scope(self.sessionmaker) as session:
            publish(session, data=rules.model_dump(mode="json"), account_id=None)

    def turn(self, message_id: int, timeout: float = 120.0) -> TurnSeen:
        """Once the service finished the turn: the conversation's state, the handoff's
        reason if it handed over, the parse, and the bot's answers (response names)."""
        from sqlalchemy import select

        from handoff.conversations.models import Conversation, Handoff, Message

        deadline = time.monotonic() + timeout
        while True:
            with self.sessionmaker() as session:
                message = session.get(Message, message_id)
                if message is not None and message.processing_status in ("done", "failed"):
                    conversation = session.get(Conversation, message.conversation_id)
                    assert conversation is not None
                    reason = session.scalar(
                        select(Handoff.reason)
                        .where(Handoff.conversation_id == conversation.id)
                        .order_by(Handoff.id.desc())
                        .limit(1)
                    )
                    answers = session.scalars(
                        select(Message)
                        .where(
                            Message.conversation_id == conversation.id,
                            Message.id > message_id,
                            Message.author == "bot",
                        )
                        .order_by(Message.id)
                    )
                    return TurnSeen(
                        str(conversation.state),
                        reason,
                        ParseResult.model_validate(message.nlu) if message.nlu else None,
                        tuple(str((a.payload or {}).get("response") or a.text) for a in answers),
                    )
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service did not finish message {message_id}")
            time.sleep(0.02)


def _traced(text: str, seen: TurnSeen) -> str:
    intent = seen.nlu.intent if seen.nlu is not None else None
    parsed = f"{intent.name} {intent.confidence:.2f}" if intent is not None else "not parsed"
    answered = ", ".join(seen.responses) or "no answer"
    return f"{text} → {parsed} → {answered}" + (f" → {seen.reason}" if seen.reason else "")


def converse(
    customer: Customer, service_url: str, database: ServiceDatabase, rules: RuleSetData
) -> Outcome:
    """The customer's turns through the widget's WebSocket to the running service, one at
    a time, each after the service finished the one before."""
    from live_stack import open_customer, receive_until

    trace: list[str] = []
    with open_customer(service_url, customer.language) as (ws, _tokens):
        for index, text in enumerate(customer.turns, start=1):
            client_id = f"c-{index}"
            ws.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
            ack = receive_until(ws, lambda f, sent=client_id: f.get("client_id") == sent)
            seen = database.turn(int(ack["message_id"]))
            trace.append(_traced(text, seen))
            got_it = (
                customer.kind == "covered"
                and seen.nlu is not None
                and understood(seen.nlu, customer.intent, rules)
            )
            if seen.state in ("waiting", "human"):
                return Outcome(customer, index, seen.reason, needless=got_it, trace=trace)
            if seen.state == "closed":
                return Outcome(customer, None, None, trace=trace, closed_by_bot=True)
            if got_it:
                return Outcome(customer, None, None, served_turn=index, trace=trace)
    return Outcome(customer, None, None, trace=trace)


def run_live(
    sources: Sequence[Sequence[Customer]], model: Path, rules: RuleSetData
) -> list[list[Outcome]]:
    """Every customer through the whole product: service, Rasa, action server."""
    from live_stack import servers

    with tempfile.TemporaryDirectory(prefix="ttp-live-") as tmp, servers(Path(tmp), model) as stack:
        database = ServiceDatabase(stack.database_url)
        if rules != DEFAULT_RULESET:
            database.publish(rules)
        total = sum(len(s) for s in sources)
        print(f"{total} customers through the running service ...", file=sys.stderr, flush=True)
        try:
            return [[converse(c, stack.service_url, database, rules) for c in s] for s in sources]
        finally:
            database.engine.dispose()


def summarise(outcomes: Sequence[Outcome]) -> Summary:
    first = outcomes[0].customer
    turns = [o.handoff_turn for o in outcomes if o.handoff_turn is not None]
    reasons: dict[str, int] = defaultdict(int)
    for o in outcomes:
        if o.reason:
            reasons[o.reason] += 1
    never = [o for o in outcomes if o.handoff_turn is None and o.served_turn is None]
    return Summary(
        source=first.source,
        kind=first.kind,
        customers=len(outcomes),
        handed_over=len(turns),
        median_turns=statistics.median(turns) if turns else None,
        worst_turns=max(turns) if turns else None,
        within_2=sum(1 for t in turns if t <= 2) / len(outcomes),
        reasons=dict(sorted(reasons.items())),
        never=len(never),
        served=sum(1 for o in outcomes if o.served_turn is not None),
        needless=sum(1 for o in outcomes if o.needless),
        examples_never=[o.trace or list(o.customer.turns) for o in never[:3]],
        closed_by_bot=sum(1 for o in outcomes if o.closed_by_bot),
        slowest=[
            o.trace
            for o in sorted(outcomes, key=lambda o: -(o.handoff_turn or 0))
            if o.trace and o.handoff_turn is not None and o.handoff_turn > 2
        ][:10],
    )


def table(summaries: Sequence[Summary], max_turns: int) -> str:
    lines = [
        "| customers | kind | n | handed over | median turns to a person | worst | "
        "within 2 turns | never (in " + str(max_turns) + ") | served by the bot | "
        "needless handoffs | reasons |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in summaries:
        reasons = ", ".join(f"{k} {v}" for k, v in s.reasons.items())
        lines.append(
            f"| {s.source} | {s.kind} | {s.customers} | {s.handed_over} "
            f"| {'–' if s.median_turns is None else f'{s.median_turns:g}'} "
            f"| {'–' if s.worst_turns is None else s.worst_turns} "
            f"| {100 * s.within_2:.1f} % | {s.never} | {s.served} | {s.needless} | {reasons} |"
        )
    return "\n".join(lines)


def rules_with(overrides: Sequence[str]) -> RuleSetData:
    values: dict[str, Any] = {}
    for item in overrides:
        key, _, raw = item.partition("=")
        current = getattr(DEFAULT_RULESET.thresholds, key, None)
        if current is None or not raw:
            raise SystemExit(f"--set wants THRESHOLD=VALUE with a Thresholds field, got {item!r}")
        values[key] = type(current)(raw)
    rules = DEFAULT_RULESET.model_copy(deep=True)
    rules.thresholds = type(rules.thresholds).model_validate(
        {**rules.thresholds.model_dump(), **values}
    )
    return rules


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "models" / "assistant.tar.gz")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument(
        "--uncovered",
        type=Path,
        action="append",
        default=[],
        help="more uncovered customers from a CSV text,label",
    )
    parser.add_argument(
        "--covered",
        type=Path,
        action="append",
        default=[],
        help="more covered customers from a CSV text,label",
    )
    parser.add_argument(
        "--no-shared",
        action="store_true",
        help="only --uncovered/--covered files and the held-out set",
    )
    parser.add_argument("--max-turns", type=int, default=5)
    parser.add_argument(
        "--sample", type=int, default=0, help="at most N customers per source, seeded (CI)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="THRESHOLD=VALUE",
        help="override a rule-set threshold, e.g. rephrase_threshold=0.45",
    )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="T=V,T=V",
        help="also run these rule-set thresholds (comma-separated) in the same process",
    )
    parser.add_argument(
        "--parses", type=Path, help="reuse texts.jsonl from an earlier run's parse directory"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="every customer through the running product (service, Rasa, action server) "
        "instead of the decision code over parses: the bot's answers, forms and loops count",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="results JSON (default bench/results/time_to_person.json, "
        "time_to_person-live.json with --live)",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        name = "time_to_person-live.json" if args.live else "time_to_person.json"
        args.out = REPO / "bench" / "results" / name
    return args


def load_parses(
    args: argparse.Namespace, sources: Sequence[Sequence[Customer]]
) -> dict[str, ParseResult]:
    """The shipped model's parse of every customer turn: kept from an earlier run
    (``--parses``) or parsed now (kept in ``TTP_BENCH_KEEP`` when set)."""
    if args.parses:
        return {row["text"]: parse_of(row) for row in read_rows(args.parses / "texts.jsonl")}
    texts = [t for customers in sources for c in customers for t in c.turns]
    with tempfile.TemporaryDirectory(prefix="ttp-bench-") as tmp:
        parses = parse_texts(texts, args.model, Path(tmp))
        keep = os.environ.get("TTP_BENCH_KEEP")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            Path(keep, "texts.jsonl").write_text(
                (Path(tmp) / "parses" / "texts.jsonl").read_text("utf-8"), "utf-8"
            )
    return parses


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    rng = random.Random(SEED)
    rules = rules_with(args.set)
    sources: list[list[Customer]] = []
    if not args.no_shared:
        sources.append(ha_customers(args.data_dir, args.max_turns, rng))
        sources.append(clinc_customers(args.data_dir, args.max_turns, rng))
    sources += [csv_customers(p, "uncovered", args.max_turns) for p in args.uncovered]
    sources.append(heldout_customers(args.heldout, args.max_turns))
    sources.append(heldout_chatter(args.heldout))
    sources += [csv_customers(p, "covered", args.max_turns) for p in args.covered]
    sources = [s for s in sources if s]
    if args.sample:
        sources = [random.Random(SEED).sample(s, min(args.sample, len(s))) for s in sources]
    if args.live:
        if args.compare or args.parses:
            raise SystemExit("--live runs one rule set: no --compare, no --parses")
        parses: dict[str, ParseResult] = {}
        outcomes = run_live(sources, args.model, rules)
    else:
        parses = load_parses(args, sources)
        outcomes = [[simulate(c, parses, rules) for c in s] for s in sources]
    summaries = [summarise(o) for o in outcomes]
    print(table(summaries, args.max_turns))
    for summary in summaries:
        for trace in summary.slowest:
            print(f"\n{summary.source}, {len(trace)} turns:\n  " + "\n  ".join(trace))
    compared = []
    for item in args.compare:
        other = rules_with([*args.set, *item.split(",")])
        rows = [summarise([simulate(c, parses, other) for c in customers]) for customers in sources]
        print(f"\nWith {item}:\n" + table(rows, args.max_turns))
        compared.append(
            {
                "set": item,
                "thresholds": other.thresholds.model_dump(),
                "results": [asdict(s) for s in rows],
            }
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join(["bench/time_to_person.py", *argv]),
        "model": str(args.model),
        "mode": "live" if args.live else "decision code over parses",
        "thresholds": rules.thresholds.model_dump(),
        "max_turns": args.max_turns,
        "seed": SEED,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seconds": round(time.perf_counter() - started, 1),
        "results": [asdict(s) for s in summaries],
        "compared": compared,
    }
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"\nJSON: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
