"""Benchmark 3 (issue 9): rephrase detection in Dutch, on data nobody here wrote.

Scores the escalation engine's own detector (``handoff.escalation.rephrase.similarity``
over ``handoff.escalation.features.turn_features``) against two plain baselines:

- ``lemma_jaccard``: Jaccard over the sets of the features' lemmas (all of them);
- ``char3_cosine``: cosine of character 3-gram counts of the normalised text.

Datasets are pair files, CSV ``a,b,score_or_label`` (header optional): a graded score is
scored with Spearman, a 0/1 label with ROC AUC. Converters write the shared files in
that format; any other file in it runs through unchanged:

    .venvs/handoff/bin/python bench/rephrase.py [--data-dir ../shared/data] [--sample N]
    .venvs/handoff/bin/python bench/rephrase.py --pairs FILE --metric spearman|auc
    .venvs/handoff/bin/python bench/rephrase.py --convert stsb|ha|sick OUT.csv

For the service detector it also measures the time per pair (features computed once per
sentence, then ``similarity`` timed alone), the feature extraction time per sentence and
the memory (pipeline load as a max-RSS delta, one turn as a tracemalloc peak). Prints a
Markdown table and writes JSON to bench/results/rephrase.json. Run from the repository
root with the service's interpreter.
"""

from __future__ import annotations

import argparse
import csv
import itertools
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

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from handoff.escalation.features import TurnFeatures, pipeline, turn_features  # noqa: E402
from handoff.escalation.rephrase import DEFAULT_THRESHOLD, similarity  # noqa: E402
from handoff.escalation.text import normalise  # noqa: E402

DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"
SEED = 9  # the number: pair sampling and --sample are reproducible
HA_NEGATIVES_PER_POSITIVE = 1

Pair = tuple[str, str, float]


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


def convert_stsb(data_dir: Path) -> list[Pair]:
    """STSb-nl test: CSV without header, sentence1,sentence2,score (0-5)."""
    path = data_dir / "stsb_nl" / "stsb-nl-test.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [(a, b, float(score)) for a, b, score in csv.reader(f)]


def convert_sick(data_dir: Path, split: str = "TEST") -> list[Pair]:
    """SICK-NL ``split``: 1 where A entails B and B entails A (mutual entailment), else 0.
    Non-commercial data (CC BY-NC-SA 3.0): evaluation and report only."""
    path = data_dir / "sick_nl" / "SICK_NL.tsv"
    pairs = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["SemEval_set"] != split:
                continue
            mutual = row["entailment_AB"] == "A_entails_B" and row["entailment_BA"] == (
                "B_entails_A"
            )
            pairs.append((row["sentence_A"], row["sentence_B"], 1.0 if mutual else 0.0))
    return pairs


def ha_groups(data_dir: Path) -> list[list[str]]:
    """The paraphrase blocks of tests_nl/*.yaml (one ``sentences`` list each)."""
    groups = []
    for path in sorted((data_dir / "home_assistant_intents_nl" / "tests_nl").glob("*.yaml")):
        if path.name.startswith("_"):
            continue  # _fixtures.yaml: entities and areas, no sentences
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for test in doc.get("tests") or []:
            sentences = [str(s) for s in test.get("sentences") or []]
            if sentences:
                groups.append(sentences)
    return groups


def convert_ha(data_dir: Path, seed: int = SEED) -> list[Pair]:
    """Every pair within a block is positive; as many negatives (one sentence from each of
    two different blocks) are sampled with a fixed seed. Pairs whose two sentences are
    equal after normalisation are dropped (a block lists "Lampen aan in de keuken" and
    "lampen aan in de keuken"; they say nothing about rephrasing)."""
    groups = ha_groups(data_dir)
    rng = random.Random(seed)
    positives = []
    for sentences in groups:
        for a, b in itertools.combinations(sentences, 2):
            if normalise(a) != normalise(b):
                positives.append((a, b, 1.0))
    located = [(g, s) for g, sentences in enumerate(groups) for s in sentences]
    negatives: list[Pair] = []
    seen: set[tuple[str, str]] = set()
    while len(negatives) < HA_NEGATIVES_PER_POSITIVE * len(positives):
        (ga, a), (gb, b) = rng.sample(located, 2)
        key = (min(a, b), max(a, b))
        if ga == gb or normalise(a) == normalise(b) or key in seen:
            continue
        seen.add(key)
        negatives.append((a, b, 0.0))
    pairs = positives + negatives
    rng.shuffle(pairs)
    return pairs


CONVERTERS: dict[str, tuple[Callable[[Path], list[Pair]], str, str]] = {
    # name: (converter, metric, label in the table)
    "stsb": (convert_stsb, "spearman", "STSb-nl test"),
    "ha": (convert_ha, "auc", "Home Assistant nl groups"),
    "sick": (convert_sick, "auc", "SICK-NL test (non-commercial, report only)"),
}
NON_COMMERCIAL = {"sick"}


def write_pairs(pairs: Sequence[Pair], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "score_or_label"])
        writer.writerows((a, b, f"{score:g}") for a, b, score in pairs)


def read_pairs(path: Path) -> list[Pair]:
    pairs = []
    with path.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            if not row:
                continue
            a, b, score = row[0], row[1], row[2]
            try:
                pairs.append((a, b, float(score)))
            except ValueError:
                if i == 0:
                    continue  # header
                raise
    return pairs


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
    features_us_median: float
    features_us_p95: float
    turn_peak_kib: float
    seconds: float
    # AUC datasets: the service detector at its shipped threshold (rephrase.py)
    recall_at_threshold: float | None = None
    false_positive_rate_at_threshold: float | None = None
    notes: list[str] = field(default_factory=list)


def run_dataset(name: str, label: str, metric: str, pairs: Sequence[Pair]) -> DatasetResult:
    started = time.perf_counter()
    sentences = list(dict.fromkeys(s for a, b, _ in pairs for s in (a, b)))
    features: dict[str, TurnFeatures] = {}
    feature_ns = []
    for text in sentences:
        t0 = time.perf_counter_ns()
        features[text] = turn_features(text, language="nl")
        feature_ns.append(time.perf_counter_ns() - t0)
    grams = {text: char3_counts(f.normalised) for text, f in features.items()}

    gold = [score for _, _, score in pairs]
    service, pair_ns = [], []
    for a, b, _ in pairs:
        fa, fb = features[a], features[b]
        t0 = time.perf_counter_ns()
        value = similarity(fa, fb)
        pair_ns.append(time.perf_counter_ns() - t0)
        service.append(value)
    jaccard = [lemma_jaccard(features[a], features[b]) for a, b, _ in pairs]
    cosine = [counter_cosine(grams[a], grams[b]) for a, b, _ in pairs]

    score = METRICS[metric]
    scores = {
        "service similarity": score(service, gold),
        "lemma Jaccard": score(jaccard, gold),
        "char 3-gram cosine": score(cosine, gold),
    }

    # Memory of one customer turn: features of both sentences plus the comparison, the
    # largest tracemalloc peak over (at most) 200 pairs. The pipeline is already loaded.
    turn_peak = 0
    for a, b, _ in pairs[:200]:
        tracemalloc.start()
        similarity(turn_features(a, language="nl"), turn_features(b, language="nl"))
        turn_peak = max(turn_peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()

    notes = []
    recall = fpr = None
    if metric == "auc":
        hits = [v >= DEFAULT_THRESHOLD for v in service]
        pos = [h for h, g in zip(hits, gold, strict=True) if g >= 0.5]
        neg = [h for h, g in zip(hits, gold, strict=True) if g < 0.5]
        recall = sum(pos) / len(pos) if pos else math.nan
        fpr = sum(neg) / len(neg) if neg else math.nan
        notes.append(
            f"service at its threshold {DEFAULT_THRESHOLD}: recall {recall:.3f}, "
            f"false positive rate {fpr:.3f}"
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
        turn_peak_kib=turn_peak / 1024,
        seconds=time.perf_counter() - started,
        recall_at_threshold=recall,
        false_positive_rate_at_threshold=fpr,
        notes=notes,
    )


def table(results: Sequence[DatasetResult]) -> str:
    detectors = ["service similarity", "lemma Jaccard", "char 3-gram cosine"]
    lines = [
        "| dataset | metric | pairs | " + " | ".join(detectors) + " | service − best baseline |"
        " similarity µs/pair (median / p95) | features µs/sentence (median / p95) |"
        " peak KiB/turn |",
        "|---|---|---:|" + "---:|" * len(detectors) + "---:|---:|---:|---:|",
    ]
    for r in results:
        best_baseline = max(r.scores["lemma Jaccard"], r.scores["char 3-gram cosine"])
        lines.append(
            f"| {r.label} | {'Spearman' if r.metric == 'spearman' else 'ROC AUC'} "
            f"| {r.pairs} | "
            + " | ".join(f"{r.scores[d]:.3f}" for d in detectors)
            + f" | {r.scores['service similarity'] - best_baseline:+.3f}"
            f" | {r.pair_us_median:.1f} / {r.pair_us_p95:.1f}"
            f" | {r.features_us_median:.0f} / {r.features_us_p95:.0f}"
            f" | {r.turn_peak_kib:.0f} |"
        )
    return "\n".join(lines)


def outside_repo(path: Path) -> Path:
    resolved = path.resolve()
    if resolved == REPO or REPO in resolved.parents:
        raise SystemExit(f"refusing to write data into the repository: {path}")
    return resolved


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

    rss_before = maxrss_kib()
    t0 = time.perf_counter()
    pipeline()  # spaCy blank nl + lookup lemmatizer, loaded once per process
    load_seconds = time.perf_counter() - t0
    load_rss_kib = maxrss_kib() - rss_before

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
    print(f"\nPipeline load: {load_seconds:.2f} s, max RSS +{load_rss_kib / 1024:.1f} MiB; "
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
        "process_maxrss_kib": maxrss_kib(),
        "results": [asdict(r) for r in results],
    }
    args.out.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    print(f"Wrote {args.out.relative_to(REPO) if REPO in args.out.resolve().parents else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
