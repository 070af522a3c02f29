"""Converters from the shared public data (``../shared/data``) to the benchmarks' formats.

Two formats, so that any other dataset in them runs through the benchmarks unchanged:

- intent data: CSV ``text,label`` with a header; the label ``oos`` marks an out-of-scope
  query (bench/intents.py);
- pairs: CSV ``a,b,score_or_label`` (header optional); a graded score or a 0/1 label
  (bench/rephrase.py).

Standard library and PyYAML only, so both venvs can import it. The shared files are read
where they are; a converter only writes outside the repository (the data's licenses and
the issue want it kept out):

    python bench/datasets.py clinc150 OUT_DIR     # train.csv (+ oos_train), val.csv, test.csv
    python bench/datasets.py banking77 OUT_DIR    # train.csv, test.csv
    python bench/datasets.py stsb|ha|sick OUT.csv # pairs
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"
OOS = "oos"
SEED = 9  # the number: every sample and pair draw is reproducible

Example = tuple[str, str]  # text, label
Pair = tuple[str, str, float]


# ------------------------------------------------------------------------ intent data


def clinc150(data_dir: Path) -> dict[str, list[Example]]:
    """CLINC150 ``data_full.json`` (Larson et al. 2019) as three splits; each split holds its
    in-scope queries and its out-of-scope ones (``oos_train`` in train, labelled ``oos``)."""
    raw = json.loads((data_dir / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    return {
        split: [(str(t), str(label)) for t, label in raw[split] + raw[f"oos_{split}"]]
        for split in ("train", "val", "test")
    }


def banking77(data_dir: Path) -> dict[str, list[Example]]:
    """BANKING77 (Casanueva et al. 2020): train and test, no out-of-scope queries."""
    return {
        split: read_intents(data_dir / "banking77" / f"{split}.csv", label_column="category")
        for split in ("train", "test")
    }


INTENT_DATASETS: dict[str, Callable[[Path], dict[str, list[Example]]]] = {
    "clinc150": clinc150,
    "banking77": banking77,
}


def read_intents(path: Path, label_column: str = "label") -> list[Example]:
    """CSV with a header ``text,label`` (any column order; extra columns ignored)."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "text" not in reader.fieldnames:
            raise ValueError(f"{path}: expected a header with 'text' and '{label_column}'")
        if label_column not in reader.fieldnames:
            raise ValueError(f"{path}: expected a header with 'text' and '{label_column}'")
        rows = [(row["text"].strip(), row[label_column].strip()) for row in reader]
    empty = [i + 2 for i, (text, label) in enumerate(rows) if not text or not label]
    if empty:
        raise ValueError(f"{path}: empty text or label on line(s) {empty[:5]}")
    return rows


def write_intents(examples: Iterable[Example], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(examples)


def sample_per_label(
    examples: Sequence[Example], per_label: int, labels: int = 0, seed: int = SEED
) -> list[Example]:
    """At most ``per_label`` examples of each label (``oos`` included), seeded; with
    ``labels`` > 0 only that many in-scope labels (the first ones sorted), and ``oos``."""
    by_label: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_label[example[1]].append(example)
    keep = sorted(label for label in by_label if label != OOS)
    if labels > 0:
        keep = keep[:labels]
    if OOS in by_label:
        keep.append(OOS)
    rng = random.Random(seed)
    chosen: list[Example] = []
    for label in keep:
        group = by_label[label]
        chosen.extend(group if len(group) <= per_label else rng.sample(group, per_label))
    rng.shuffle(chosen)
    return chosen


# ------------------------------------------------------------------------------ pairs


def _normalise(text: str) -> str:
    # The service's own normalisation (handoff/escalation/text.py) without importing the
    # service, so this module runs in the Rasa venv too.
    import re
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", " ", plain).strip()


def stsb_pairs(data_dir: Path) -> list[Pair]:
    """STSb-nl test: CSV without header, sentence1,sentence2,score (0-5)."""
    path = data_dir / "stsb_nl" / "stsb-nl-test.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return [(a, b, float(score)) for a, b, score in csv.reader(f)]


def sick_pairs(data_dir: Path, split: str = "TEST") -> list[Pair]:
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
    """The paraphrase blocks of Home Assistant's tests_nl/*.yaml (one ``sentences`` list
    each: one intent with the same slots), sentences equal after normalisation merged."""
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


def distinct(sentences: Sequence[str]) -> list[str]:
    """One sentence per normalised form: "Lampen aan" and "lampen aan" are one sentence."""
    seen: dict[str, str] = {}
    for sentence in sentences:
        seen.setdefault(_normalise(sentence), sentence)
    return list(seen.values())


def ha_pairs(data_dir: Path, seed: int = SEED) -> list[Pair]:
    """Every pair within a block is positive; as many negatives (one sentence from each of
    two different blocks) are sampled with a fixed seed. Pairs whose two sentences are
    equal after normalisation are dropped: they say nothing about rephrasing."""
    groups = ha_groups(data_dir)
    rng = random.Random(seed)
    positives = []
    for sentences in groups:
        for a, b in itertools.combinations(sentences, 2):
            if _normalise(a) != _normalise(b):
                positives.append((a, b, 1.0))
    located = [(g, s) for g, sentences in enumerate(groups) for s in sentences]
    negatives: list[Pair] = []
    seen: set[tuple[str, str]] = set()
    while len(negatives) < len(positives):
        (ga, a), (gb, b) = rng.sample(located, 2)
        key = (min(a, b), max(a, b))
        if ga == gb or _normalise(a) == _normalise(b) or key in seen:
            continue
        seen.add(key)
        negatives.append((a, b, 0.0))
    pairs = positives + negatives
    rng.shuffle(pairs)
    return pairs


PAIR_DATASETS: dict[str, Callable[[Path], list[Pair]]] = {
    "stsb": stsb_pairs,
    "ha": ha_pairs,
    "sick": sick_pairs,
}
NON_COMMERCIAL = {"sick"}


def write_pairs(pairs: Sequence[Pair], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["a", "b", "score_or_label"])
        writer.writerows((a, b, f"{score:g}") for a, b, score in pairs)


def read_pairs(path: Path) -> list[Pair]:
    """CSV ``a,b,score_or_label``; a first row whose score is not a number is a header."""
    pairs = []
    with path.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.reader(f)):
            if not row:
                continue
            if len(row) < 3:
                raise ValueError(f"{path}: line {i + 1} has {len(row)} columns, expected 3")
            try:
                pairs.append((row[0], row[1], float(row[2])))
            except ValueError:
                if i == 0:
                    continue
                raise ValueError(f"{path}: line {i + 1}: {row[2]!r} is not a number") from None
    return pairs


# -------------------------------------------------------------------------------- CLI


def outside_repo(path: Path) -> Path:
    resolved = path.resolve()
    if resolved == REPO or REPO in resolved.parents:
        raise SystemExit(f"refusing to write data into the repository: {path}")
    return resolved


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", choices=sorted(INTENT_DATASETS) + sorted(PAIR_DATASETS))
    parser.add_argument("out", type=Path, help="a directory (intent data) or a CSV (pairs)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    out = outside_repo(args.out)
    if args.dataset in NON_COMMERCIAL:
        print("SICK-NL is non-commercial data (CC BY-NC-SA 3.0): evaluation only.")
    if args.dataset in INTENT_DATASETS:
        out.mkdir(parents=True, exist_ok=True)
        for split, examples in INTENT_DATASETS[args.dataset](args.data_dir).items():
            write_intents(examples, out / f"{split}.csv")
            print(f"wrote {len(examples)} examples to {out / f'{split}.csv'}")
    else:
        pairs = PAIR_DATASETS[args.dataset](args.data_dir)
        write_pairs(pairs, out)
        print(f"wrote {len(pairs)} pairs to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
