"""Benchmarks 1 and 2 (issue 9): out-of-scope detection on CLINC150, intent accuracy on
BANKING77, with the project's NLU pipeline and the service's own escalation rules.

    .venvs/handoff/bin/python bench/intents.py --dataset clinc150
    .venvs/handoff/bin/python bench/intents.py --dataset banking77
    .venvs/handoff/bin/python bench/intents.py --train T.csv --val V.csv --test X.csv

Intent data is CSV ``text,label`` (``oos`` marks out-of-scope); bench/datasets.py writes
the shared files in that format, and any other file in it runs through unchanged.

Training and parsing run in the Rasa venv (bench/intent_parse.py, a subprocess): the
pipeline of ``config.yml``, language switched to English. Scoring runs here, in the
service's venv, through ``handoff.escalation.confidence.assess``: the function that judges
every customer turn in production. Methods:

- ``threshold``: trained on the in-scope intents only; a turn is rejected (out of scope)
  when the top real intent is below the threshold (Larson et al. 2019's "threshold");
- ``oos-intent``: ``oos`` training rows as the assistant's ``out_of_scope`` intent; a turn
  is rejected when that intent wins or the top intent is below the threshold.

Each is scored with two rules: ``top-1`` (ambiguity ignored: the published definition,
in-scope accuracy counts an in-scope query classified correctly and not rejected) and
``project`` (the shipped ambiguity margin too: two offerable intents within the margin
make the bot offer both as buttons; an in-scope query counts as served when its intent is
one of the two, an out-of-scope one as caught, since the customer picks neither and the
turn counts as failed). The threshold is chosen on ``val`` (highest mean of in-scope
accuracy and out-of-scope recall) and ``test`` is reported once at that threshold and at
the shipped one. The sweep over ``test`` is drawn as an SVG with the published points.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from datasets import (  # noqa: E402
    DEFAULT_DATA_DIR,
    INTENT_DATASETS,
    OOS,
    Example,
    read_intents,
    sample_per_label,
    write_intents,
)
from parses import parse_of, read_rows  # noqa: E402
from plots import Curve, Point, svg_curves  # noqa: E402

from handoff.escalation.confidence import Verdict, assess  # noqa: E402
from handoff.rasa.schemas import ParseResult  # noqa: E402
from handoff.rulesets.defaults import Thresholds  # noqa: E402

BOT_PYTHON = REPO / ".venvs" / "bot" / "bin" / "python"
SHIPPED = Thresholds()
METHODS = ("threshold", "oos-intent")
SWEEP = [round(i / 100, 2) for i in range(0, 100)]
# Larson et al. 2019, Table 2 (full data), from ../shared/data/README.md:
# (in-scope accuracy, out-of-scope recall) in percent.
PUBLISHED = {
    "Rasa, threshold": (90.9, 31.2),
    "BERT, threshold": (96.2, 52.3),
    "Rasa, oos class": (91.5, 45.3),
    "BERT, oos class": (96.9, 40.3),
}


@dataclass(frozen=True)
class Scored:
    """One parse, reduced to what the rules need."""

    label: str
    parse: ParseResult


@dataclass
class Score:
    threshold: float
    in_scope_accuracy: float
    oos_recall: float | None
    rejected_in_scope: float  # share of in-scope queries sent to the fallback


@dataclass
class MethodResult:
    method: str
    rule: str
    trained_examples: int
    train_seconds: float
    parse_ms_median: float
    parse_ms_p95: float
    top1_accuracy: float  # no rejection at all: plain intent accuracy on in-scope test
    chosen_threshold: float | None
    at_chosen: Score | None
    at_shipped: Score
    # The shipped threshold without the minimum similarity to a training example.
    at_shipped_confidence_only: Score
    val_curve: list[Score] = field(default_factory=list)
    test_curve: list[Score] = field(default_factory=list)
    # The threshold sweep without the similarity check: the published methods' kind of curve.
    confidence_only_curve: list[Score] = field(default_factory=list)


def load_parses(path: Path) -> list[Scored]:
    return [Scored(row["label"], parse_of(row)) for row in read_rows(path)]


def judge(
    item: Scored, threshold: float, margin: float | None, min_similarity: float
) -> tuple[bool, bool]:
    """(rejected as out of scope, in-scope intent served) under the service's ``assess``.
    ``margin`` None is the top-1 rule: ambiguity is not asked about; ``min_similarity`` 0
    leaves the nearest training example out."""
    margin = 0.0 if margin is None else margin
    verdict = assess(item.parse, threshold, margin, min_similarity)
    if verdict.failed:
        return True, False
    if verdict.verdict is Verdict.ambiguous and margin is not None:
        names = {c.intent for c in verdict.candidates}
        # Out of scope: the customer picks neither button, the turn counts as failed.
        return item.label == OOS, item.label in names
    return False, verdict.intent == item.label


def score(
    items: Sequence[Scored],
    threshold: float,
    margin: float | None,
    min_similarity: float = SHIPPED.example_similarity,
) -> Score:
    in_scope = [i for i in items if i.label != OOS]
    oos = [i for i in items if i.label == OOS]
    judged_in = [judge(i, threshold, margin, min_similarity) for i in in_scope]
    caught = [judge(i, threshold, margin, min_similarity)[0] for i in oos]
    return Score(
        threshold=threshold,
        in_scope_accuracy=sum(served for _, served in judged_in) / len(in_scope),
        oos_recall=sum(caught) / len(oos) if oos else None,
        rejected_in_scope=sum(rejected for rejected, _ in judged_in) / len(in_scope),
    )


def choose(curve: Sequence[Score]) -> Score:
    """The threshold with the highest mean of in-scope accuracy and out-of-scope recall
    (the lowest threshold among equals: fewer needless fallbacks)."""
    return max(
        curve, key=lambda s: ((s.in_scope_accuracy + (s.oos_recall or 0.0)) / 2, -s.threshold)
    )


def top1_accuracy(items: Sequence[Scored]) -> float:
    in_scope = [i for i in items if i.label != OOS]
    return score(in_scope, 0.0, None, min_similarity=0.0).in_scope_accuracy


def run_parser(
    train: Path,
    evals: dict[str, Path],
    out_dir: Path,
    method: str,
    epochs: int | None,
    config: Path,
) -> dict[str, Any]:
    command = [
        str(BOT_PYTHON),
        str(REPO / "bench" / "intent_parse.py"),
        "--train",
        str(train),
        "--out-dir",
        str(out_dir),
    ]
    for name, path in evals.items():
        command += ["--eval", f"{name}={path}"]
    if method == "oos-intent":
        command.append("--oos-intent")
    if epochs is not None:
        command += ["--epochs", str(epochs)]
    command += ["--config", str(config)]
    log = out_dir.with_suffix(".log")
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"{method}: training and parsing (log: {log}) ...", file=sys.stderr, flush=True)
    with log.open("w") as handle:
        done = subprocess.run(
            command, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, check=False
        )
    if done.returncode != 0:
        raise SystemExit(f"{method}: bench/intent_parse.py failed, see {log}")
    meta: dict[str, Any] = json.loads((out_dir / "meta.json").read_text("utf-8"))
    return meta


def evaluate(
    method: str, meta: dict[str, Any], parses: dict[str, list[Scored]], rule: str
) -> MethodResult:
    margin = SHIPPED.ambiguity_margin if rule == "project" else None
    test = parses["test"]
    has_oos = any(i.label == OOS for i in test)
    chosen = None
    val_curve: list[Score] = []
    if "val" in parses and has_oos:
        val_curve = [score(parses["val"], t, margin) for t in SWEEP]
        chosen = choose(val_curve).threshold
    test_curve = [score(test, t, margin) for t in SWEEP] if has_oos else []
    confidence_only = [score(test, t, margin, 0.0) for t in SWEEP] if has_oos else []
    timing = meta["parse_ms"]["test"]
    return MethodResult(
        method=method,
        rule=rule,
        trained_examples=meta["trained_examples"],
        train_seconds=meta["train_seconds"],
        parse_ms_median=timing["median"],
        parse_ms_p95=timing["p95"],
        top1_accuracy=top1_accuracy(test),
        chosen_threshold=chosen,
        at_chosen=score(test, chosen, margin) if chosen is not None else None,
        at_shipped=score(test, SHIPPED.low_confidence, margin),
        at_shipped_confidence_only=score(test, SHIPPED.low_confidence, margin, 0.0),
        val_curve=val_curve,
        test_curve=test_curve,
        confidence_only_curve=confidence_only,
    )


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def table(results: Sequence[MethodResult]) -> str:
    lines = [
        "| method | rule | threshold | in-scope accuracy % | out-of-scope recall % "
        "| in-scope sent to fallback % |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        points = [
            ("shipped", r.at_shipped),
            ("shipped, no similarity check", r.at_shipped_confidence_only),
        ]
        if r.at_chosen is not None:
            points.insert(0, ("chosen on val", r.at_chosen))
        for name, s in points:
            lines.append(
                f"| {r.method} | {r.rule} | {s.threshold:.2f} ({name}) "
                f"| {pct(s.in_scope_accuracy)} | {pct(s.oos_recall)} "
                f"| {pct(s.rejected_in_scope)} |"
            )
    lines.append("")
    lines.append(
        "| method | trained examples | train s | top-1 accuracy (no rejection) % "
        "| parse ms median / p95 |"
    )
    lines.append("|---|---:|---:|---:|---:|")
    seen = set()
    for r in results:
        if r.method in seen:
            continue
        seen.add(r.method)
        lines.append(
            f"| {r.method} | {r.trained_examples} | {r.train_seconds:.0f} "
            f"| {pct(r.top1_accuracy)} | {r.parse_ms_median:.1f} / {r.parse_ms_p95:.1f} |"
        )
    return "\n".join(lines)


# The curve below this in-scope accuracy (thresholds near 1) only squeezes the region
# where the published points lie.
PLOT_FLOOR = 70.0


def _plotted(curve: Sequence[Score]) -> list[tuple[float, float]]:
    return [
        (100 * (s.oos_recall or 0.0), 100 * s.in_scope_accuracy)
        for s in curve
        if 100 * s.in_scope_accuracy >= PLOT_FLOOR
    ]


def plot(results: Sequence[MethodResult], title: str, path: Path) -> None:
    curves = []
    for r in results:
        # The project rule's curve lies on the top-1 one within a point: one line per method.
        if not r.test_curve or r.rule != "top-1":
            continue
        marks = [
            Point(
                f"{SHIPPED.low_confidence:.2f} shipped",
                100 * r.at_shipped.oos_recall if r.at_shipped.oos_recall else 0.0,
                100 * r.at_shipped.in_scope_accuracy,
            )
        ]
        if r.at_chosen is not None:
            marks.append(
                Point(
                    f"{r.at_chosen.threshold:.2f} val",
                    100 * (r.at_chosen.oos_recall or 0.0),
                    100 * r.at_chosen.in_scope_accuracy,
                )
            )
        curves.append(Curve(f"{r.method}, {r.rule}", _plotted(r.test_curve), marks))
        if r.method == "threshold":
            curves.append(
                Curve(f"{r.method}, confidence only", _plotted(r.confidence_only_curve), [])
            )
    if not curves:
        return
    published = [Point(name, recall, accuracy) for name, (accuracy, recall) in PUBLISHED.items()]
    path.write_text(
        svg_curves(title, "out-of-scope recall %", "in-scope accuracy %", curves, published),
        encoding="utf-8",
    )


def load_data(args: argparse.Namespace, tmp: Path) -> tuple[str, dict[str, Path]]:
    if args.train:
        splits = {"train": read_intents(args.train), "test": read_intents(args.test)}
        if args.val:
            splits["val"] = read_intents(args.val)
        name = args.train.parent.name or "custom"
    else:
        splits = INTENT_DATASETS[args.dataset](args.data_dir)
        name = args.dataset
    if args.sample_per_intent:
        splits = {
            split: sample_per_label(
                rows,
                args.sample_per_intent if split == "train" else max(2, args.sample_per_intent // 3),
                args.intents,
            )
            for split, rows in splits.items()
        }
    paths = {}
    for split, rows in splits.items():
        paths[split] = tmp / f"{split}.csv"
        write_intents(rows, paths[split])
    return name, paths


def counts(rows: Sequence[Example]) -> dict[str, int]:
    return {
        "in_scope": sum(1 for _, lb in rows if lb != OOS),
        "oos": sum(1 for _, lb in rows if lb == OOS),
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=sorted(INTENT_DATASETS), default="clinc150")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--train", type=Path, help="CSV text,label (instead of --dataset)")
    parser.add_argument("--val", type=Path, help="CSV text,label: chooses the threshold")
    parser.add_argument("--test", type=Path, help="CSV text,label: reported once")
    parser.add_argument(
        "--methods", default=",".join(METHODS), help="comma-separated: threshold, oos-intent"
    )
    parser.add_argument(
        "--sample-per-intent",
        type=int,
        default=0,
        help="train on N examples per intent (evaluate on N/3), seeded: CI",
    )
    parser.add_argument(
        "--intents",
        type=int,
        default=0,
        help="with --sample-per-intent: only the first K intents (+ oos)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=REPO / "config.yml",
        help="the pipeline to train (default config.yml; bench/configs/diet.yml is the DIET "
        "pipeline shipped until 24 Nov 2026)",
    )
    parser.add_argument("--epochs", type=int, help="override DIET's epochs, if it has DIET")
    parser.add_argument(
        "--parses",
        type=Path,
        help="directory with <method>/{val,test}.jsonl + meta.json from an "
        "earlier run: score them without training",
    )
    parser.add_argument("--out", type=Path, help="JSON (default bench/results/<name>.json)")
    parser.add_argument("--plot", type=Path, help="SVG (default bench/results/<name>.svg)")
    args = parser.parse_args(argv)
    if args.train and not args.test:
        parser.error("--train needs --test")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}; choose from {METHODS}")
    with tempfile.TemporaryDirectory(prefix="intents-bench-") as tmp_name:
        tmp = Path(tmp_name)
        name, paths = load_data(args, tmp)
        test_rows = read_intents(paths["test"])
        if not any(label == OOS for _, label in read_intents(paths["train"])):
            methods = [m for m in methods if m != "oos-intent"]
        results: list[MethodResult] = []
        for method in methods:
            if args.parses:
                out_dir = args.parses / method
            else:
                out_dir = tmp / method
                evals = {split: path for split, path in paths.items() if split != "train"}
                run_parser(paths["train"], evals, out_dir, method, args.epochs, args.config)
            meta = json.loads((out_dir / "meta.json").read_text("utf-8"))
            parses = {
                split: load_parses(out_dir / f"{split}.jsonl")
                for split in ("val", "test")
                if (out_dir / f"{split}.jsonl").exists()
            }
            for rule in ("top-1", "project"):
                results.append(evaluate(method, meta, parses, rule))
            if args.parses is None and os.environ.get("INTENTS_BENCH_KEEP"):
                keep = Path(os.environ["INTENTS_BENCH_KEEP"]) / method
                keep.mkdir(parents=True, exist_ok=True)
                for item in out_dir.iterdir():
                    (keep / item.name).write_bytes(item.read_bytes())

    print(table(results))
    out = args.out or REPO / "bench" / "results" / f"{name}.json"
    svg = args.plot or REPO / "bench" / "results" / f"{name}.svg"
    out.parent.mkdir(parents=True, exist_ok=True)
    plot(results, f"{name}: threshold sweep on test (project pipeline, English)", svg)
    report = {
        "command": " ".join(["bench/intents.py", *argv]),
        "dataset": name,
        "test": counts(test_rows),
        "shipped": {
            "low_confidence": SHIPPED.low_confidence,
            "ambiguity_margin": SHIPPED.ambiguity_margin,
        },
        "published": PUBLISHED,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "seconds": round(time.perf_counter() - started, 1),
        "results": [asdict(r) for r in results],
    }
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"\nJSON: {out}" + (f"\nSVG: {svg}" if svg.exists() else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
