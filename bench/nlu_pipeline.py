"""Benchmark: the project's NLU pipeline against Rasa's default one, in one run.

Trains each configuration (NLU only, into a temporary directory) on the same training
data with the same random seed, then parses every message of the frozen held-out set
and reports intent accuracy, macro F1 and the median / p95 wall time per parse.

    .venvs/bot/bin/python bench/nlu_pipeline.py [--data DIR] [--heldout FILE] [--quick]
        [--compare bench/configs/diet.yml] [--low-confidence 0.5]

Prints a Markdown table and writes JSON to bench/results/nlu_pipeline.json.
Run from the repository root; the project pipeline needs bot/spacy_nl
(`.venvs/bot/bin/python bot/spacy_pipeline.py bot/spacy_nl`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import fcntl
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Rasa and TensorFlow log generously; the table is what this command is for.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Rasa reuses trained components from its cache (.rasa/cache) when the fingerprint
# matches, which would turn "training time" into "cache lookup time".
os.environ["RASA_MAX_CACHE_SIZE"] = "0"

# The project pipeline's own components (bot.components) import from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rasa.core.agent import Agent  # noqa: E402
from rasa.model_training import train_nlu  # noqa: E402
from rasa.shared.nlu.training_data.loading import load_data  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

# Same lock as `make train`: never two trainings at once on the 2-core machines.
TRAIN_LOCK = Path("/tmp/assistant-train.lock")
SEED = 42
QUICK_EPOCHS = 20
# Intents whose accuracy matters most: a miss means a person is not offered in time.
WATCHED = ("complaint", "cancel_contract", "payment_arrangement", "bereavement", "request_human")
# Not intents the model chooses between: FallbackClassifier's label and the service's
# rewrite. The service reads the top real intent and applies its own threshold.
NOT_REAL = {"nlu_fallback", "disambiguate"}
FALLBACK_THRESHOLD = 0.3
# The service's `low_confidence` default (handoff/rulesets/defaults.py; this venv cannot
# import the service): below it a customer is asked to say it differently.
LOW_CONFIDENCE = 0.5

# Rasa 3.6's `rasa init` configuration (the commented-out default pipeline written out),
# with the same seed as ours so the comparison is about the pipeline, not the dice.
RASA_DEFAULT_CONFIG: dict[str, Any] = {
    "recipe": "default.v1",
    "language": "nl",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 100, "random_seed": SEED},
        {"name": "EntitySynonymMapper"},
        {"name": "ResponseSelector", "epochs": 100, "random_seed": SEED},
        {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
    ],
    "policies": [],
}

EPOCH_COMPONENTS = {"DIETClassifier", "ResponseSelector"}


@dataclass
class Result:
    name: str
    classifier: str
    train_seconds: float
    accuracy: float
    macro_f1: float
    fallback_rate: float
    low_confidence_rate: float
    median_ms: float
    p95_ms: float
    messages: int
    recall: dict[str, float] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


def project_config(path: Path) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    # Policies are not trained by `train_nlu`; dropping them keeps the file NLU-only.
    config["policies"] = []
    return config


def with_epochs(config: dict[str, Any], epochs: int | None) -> dict[str, Any]:
    if epochs is None:
        return config
    changed = copy.deepcopy(config)
    for component in changed["pipeline"]:
        if component["name"] in EPOCH_COMPONENTS:
            component["epochs"] = epochs
    return changed


def classifier(config: dict[str, Any]) -> str:
    """The intent classifier's name, with DIET's epochs."""
    names = [str(c["name"]) for c in config["pipeline"] if "Classifier" in str(c["name"])]
    chosen = [n for n in names if n != "FallbackClassifier"][-1]
    short = chosen.rsplit(".", 1)[-1]
    if short == "DIETClassifier":
        epochs = next(c.get("epochs", 300) for c in config["pipeline"] if c["name"] == chosen)
        return f"DIET, {epochs} epochs"
    return short


@contextlib.contextmanager
def train_lock() -> Iterator[None]:
    with TRAIN_LOCK.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def train(config: dict[str, Any], data: Path, workdir: Path, name: str) -> tuple[Path, float]:
    config_path = workdir / f"{name}.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    with train_lock():
        started = time.perf_counter()
        model = train_nlu(str(config_path), str(data), str(workdir), fixed_model_name=name)
        seconds = time.perf_counter() - started
    if model is None:
        raise SystemExit(f"training {name} failed")
    return Path(model), seconds


def top_real_intent(parse: dict[str, Any]) -> tuple[str, float]:
    for ranked in parse.get("intent_ranking", []):
        if ranked["name"] not in NOT_REAL:
            return str(ranked["name"]), float(ranked["confidence"])
    return "", 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    # Nearest-rank percentile: with ~200 messages, interpolation would invent precision.
    rank = max(1, round(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


async def evaluate(
    model: Path, heldout: list[tuple[str, str]]
) -> tuple[list[str], list[float], list[float]]:
    agent = Agent.load(model)
    # The first parses build TensorFlow's graph; a customer of a running server never
    # pays that, so it stays out of the timings.
    for text, _ in heldout[:5]:
        await agent.parse_message(text)
    predicted: list[str] = []
    confidences: list[float] = []
    millis: list[float] = []
    for text, _ in heldout:
        started = time.perf_counter()
        parse = await agent.parse_message(text)
        millis.append((time.perf_counter() - started) * 1000)
        intent, confidence = top_real_intent(parse)
        predicted.append(intent)
        confidences.append(confidence)
    return predicted, confidences, millis


def score(
    name: str,
    classifier_name: str,
    train_seconds: float,
    low_confidence: float,
    heldout: list[tuple[str, str]],
    predicted: list[str],
    confidences: list[float],
    millis: list[float],
) -> Result:
    gold = [intent for _, intent in heldout]
    labels = sorted(set(gold))
    recall = {}
    for intent in WATCHED:
        hits = [p == g for p, g in zip(predicted, gold, strict=True) if g == intent]
        recall[intent] = sum(hits) / len(hits) if hits else float("nan")
    accuracy = sum(p == g for p, g in zip(predicted, gold, strict=True)) / len(gold)
    errors = [
        {"text": text, "expected": g, "predicted": p, "confidence": round(c, 3)}
        for (text, g), p, c in zip(heldout, predicted, confidences, strict=True)
        if p != g
    ]
    return Result(
        name=name,
        classifier=classifier_name,
        train_seconds=round(train_seconds, 1),
        accuracy=round(accuracy, 4),
        macro_f1=round(
            float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0)), 4
        ),
        fallback_rate=round(sum(c < FALLBACK_THRESHOLD for c in confidences) / len(gold), 4),
        low_confidence_rate=round(sum(c < low_confidence for c in confidences) / len(gold), 4),
        median_ms=round(statistics.median(millis), 2),
        p95_ms=round(percentile(millis, 0.95), 2),
        messages=len(gold),
        recall={k: round(v, 3) for k, v in recall.items()},
        errors=errors,
    )


def table(results: list[Result], low_confidence: float) -> str:
    head = (
        "| configuration | intent classifier | train (s) | intent accuracy | macro F1 "
        f"| below 0.3 | below {low_confidence} | median ms/msg | p95 ms/msg "
        "| min recall human-only + request_human |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    rows = [
        f"| {r.name} | {r.classifier} | {r.train_seconds:.0f} | {r.accuracy:.3f} "
        f"| {r.macro_f1:.3f} | {r.fallback_rate:.3f} | {r.low_confidence_rate:.3f} "
        f"| {r.median_ms:.1f} | {r.p95_ms:.1f} "
        f"| {min(r.recall.values()):.2f} |"
        for r in results
    ]
    return head + "\n".join(rows)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("bot/data/nlu"),
                        help="NLU training data, file or directory (default: bot/data/nlu)")
    parser.add_argument("--heldout", type=Path, default=Path("bot/heldout/nlu.yml"))
    parser.add_argument("--config", type=Path, default=Path("config.yml"),
                        help="the project's configuration (default: config.yml)")
    parser.add_argument("--quick", action="store_true",
                        help=f"train both with {QUICK_EPOCHS} epochs (a CI smoke sample)")
    parser.add_argument("--compare", type=Path, action="append", default=[],
                        help="also train this configuration (repeatable), e.g. "
                        "bench/configs/diet.yml, the DIET pipeline shipped until 24 Nov 2026")
    parser.add_argument("--low-confidence", type=float, default=LOW_CONFIDENCE,
                        help=f"report the share below this confidence (default {LOW_CONFIDENCE})")
    parser.add_argument("--out", type=Path, default=Path("bench/results/nlu_pipeline.json"))
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Rasa logs every parse at debug level to stdout, where the table goes.
    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    examples = load_data(str(args.heldout)).intent_examples
    heldout = [(m.get("text"), m.get("intent")) for m in examples]
    quick = QUICK_EPOCHS if args.quick else None
    ours = project_config(args.config)
    runs: list[tuple[str, dict[str, Any]]] = [
        ("project (config.yml)", with_epochs(ours, quick)),
        ("Rasa default", with_epochs(RASA_DEFAULT_CONFIG, quick)),
    ]
    for path in args.compare:
        runs.append((str(path), with_epochs(project_config(path), quick)))

    results = []
    with tempfile.TemporaryDirectory(prefix="nlu-bench-") as tmp:
        for index, (name, config) in enumerate(runs):
            print(f"training {name} ...", file=sys.stderr, flush=True)
            model, seconds = train(config, args.data, Path(tmp), f"model{index}")
            predicted, confidences, millis = asyncio.run(evaluate(model, heldout))
            results.append(score(name, classifier(config), seconds, args.low_confidence,
                                 heldout, predicted, confidences, millis))

    print(table(results, args.low_confidence))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join(["python", "bench/nlu_pipeline.py", *argv]),
        "data": str(args.data),
        "heldout": str(args.heldout),
        "quick": args.quick,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": [asdict(r) for r in results],
    }
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    print(f"\nJSON: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
