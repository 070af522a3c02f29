"""Train the project's NLU pipeline on intent data and parse evaluation sets (Rasa venv).

The Rasa half of bench/intents.py, which runs it as a subprocess and scores the parses
with the service's own escalation code (another venv). On its own:

    .venvs/bot/bin/python bench/intent_parse.py --train TRAIN.csv --eval val=VAL.csv \
        --eval test=TEST.csv --out-dir /tmp/parses [--oos-intent] [--epochs N] \
        [--language en]

The pipeline is ``config.yml``'s, components and settings unchanged, with the language
switched: ``SpacyNLP`` loads a blank spaCy pipeline of that language with its lookup
lemmatizer (built here into the work directory, the way bot/spacy_pipeline.py builds the
Dutch one), and policies are dropped (NLU only). Rows labelled ``oos`` are left out of
training, or trained as the assistant's ``out_of_scope`` intent with ``--oos-intent``.

Writes ``<name>.jsonl`` per evaluation set (text, gold label, the intent ranking as
Rasa returns it) and ``meta.json`` (training seconds, parse time per message).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# A cached component would turn the training time into a cache lookup time.
os.environ["RASA_MAX_CACHE_SIZE"] = "0"

REPO = Path(__file__).resolve().parents[1]
# The repository root for the pipeline's own components (bot.components), bench/ for datasets.
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import spacy  # noqa: E402
from datasets import OOS, read_intents  # noqa: E402
from rasa.core.agent import Agent  # noqa: E402
from rasa.model_training import train_nlu  # noqa: E402
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter  # noqa: E402
from rasa.shared.nlu.training_data.message import Message  # noqa: E402
from rasa.shared.nlu.training_data.training_data import TrainingData  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402

OUT_OF_SCOPE_INTENT = "out_of_scope"  # the assistant's own out-of-scope intent
EPOCH_COMPONENTS = {"DIETClassifier", "ResponseSelector"}


def build_spacy(language: str, out: Path) -> Path:
    nlp = spacy.blank(language)
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # lookup tables from spacy-lookups-data, no download
    nlp.to_disk(out)
    return out


def bench_config(
    config_path: Path, language: str, spacy_dir: Path, epochs: int | None
) -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(yaml.safe_load(config_path.read_text("utf-8")))
    config["language"] = language
    config["policies"] = []
    for component in config["pipeline"]:
        if component["name"] == "SpacyNLP":
            component["model"] = str(spacy_dir)
        if epochs is not None and component["name"] in EPOCH_COMPONENTS:
            component["epochs"] = epochs
    return config


def training_file(examples: list[tuple[str, str]], oos_intent: bool, out: Path) -> int:
    messages = []
    for text, label in examples:
        if label == OOS:
            if not oos_intent:
                continue
            label = OUT_OF_SCOPE_INTENT
        messages.append(Message(data={"text": text, "intent": label}))
    RasaYAMLWriter().dump(out, TrainingData(training_examples=messages))
    return len(messages)


async def parse_all(agent: Agent, examples: list[tuple[str, str]], out: Path) -> list[float]:
    for text, _ in examples[:5]:  # TensorFlow builds its graph on the first parses
        await agent.parse_message(text)
    millis = []
    with out.open("w", encoding="utf-8") as f:
        for text, label in examples:
            started = time.perf_counter()
            parse = await agent.parse_message(text)
            millis.append((time.perf_counter() - started) * 1000)
            ranking = [
                [r["name"], round(float(r["confidence"]), 6)]
                for r in parse.get("intent_ranking", [])
            ]
            top = parse.get("intent") or {}
            f.write(
                json.dumps(
                    {
                        "text": text,
                        "label": label,
                        "ranking": ranking,
                        "intent": top.get("name"),
                        "confidence": top.get("confidence"),
                        "nearest_example": parse.get("nearest_example"),
                    }
                )
                + "\n"
            )
    return millis


def parse_only(model: Path, evals: dict[str, list[tuple[str, str]]], out_dir: Path) -> int:
    meta: dict[str, Any] = {"model": str(model), "parse_ms": {}}
    agent = Agent.load(str(model))
    for name, examples in evals.items():
        millis = asyncio.run(parse_all(agent, examples, out_dir / f"{name}.jsonl"))
        meta["parse_ms"][name] = {"median": round(statistics.median(millis), 2)}
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, help="CSV text,label")
    parser.add_argument(
        "--model", type=Path, help="parse with this trained model instead (no --train)"
    )
    parser.add_argument(
        "--eval",
        action="append",
        default=[],
        metavar="NAME=CSV",
        help="an evaluation set to parse (repeatable)",
    )
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=REPO / "config.yml")
    parser.add_argument("--language", default="en")
    parser.add_argument(
        "--oos-intent",
        action="store_true",
        help=f"train 'oos' rows as the '{OUT_OF_SCOPE_INTENT}' intent",
    )
    parser.add_argument("--epochs", type=int, help="override DIET's epochs, if it has DIET")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    evals = {}
    for item in args.eval:
        name, _, path = item.partition("=")
        if not path:
            raise SystemExit(f"--eval wants NAME=CSV, got {item!r}")
        evals[name] = read_intents(Path(path))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if args.model is not None:
        return parse_only(args.model, evals, args.out_dir)
    if args.train is None:
        raise SystemExit("give --train CSV (train, then parse) or --model FILE (parse)")
    with tempfile.TemporaryDirectory(prefix="intent-bench-") as tmp:
        work = Path(tmp)
        spacy_dir = build_spacy(args.language, work / f"spacy_{args.language}")
        config = bench_config(args.config, args.language, spacy_dir, args.epochs)
        (work / "config.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
        trained_on = training_file(read_intents(args.train), args.oos_intent, work / "nlu.yml")
        print(f"training on {trained_on} examples ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        model = train_nlu(
            str(work / "config.yml"), str(work / "nlu.yml"), str(work), fixed_model_name="bench"
        )
        train_seconds = time.perf_counter() - started
        if model is None:
            raise SystemExit("training failed")
        meta: dict[str, Any] = {
            "train": str(args.train),
            "trained_examples": trained_on,
            "oos_intent": args.oos_intent,
            "language": args.language,
            "train_seconds": round(train_seconds, 1),
            "pipeline": [c["name"] for c in config["pipeline"]],
            "parse_ms": {},
        }
        agent = Agent.load(str(model))
        for name, examples in evals.items():
            print(f"parsing {name} ({len(examples)}) ...", file=sys.stderr, flush=True)
            millis = asyncio.run(parse_all(agent, examples, args.out_dir / f"{name}.jsonl"))
            ordered = sorted(millis)
            meta["parse_ms"][name] = {
                "median": round(statistics.median(millis), 2),
                "p95": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
            }
    (args.out_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    print(json.dumps(meta), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
