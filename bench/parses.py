"""The rows bench/intent_parse.py writes (one JSON object per parsed text), read back as
the service's ``ParseResult``: what the service would have got from the gateway."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from handoff.rasa.schemas import Intent, NearestExample, ParseResult  # noqa: E402


def parse_of(row: dict[str, Any]) -> ParseResult:
    nearest = row.get("nearest_example")
    return ParseResult(
        text=row["text"],
        intent=Intent(name=row["intent"], confidence=row["confidence"] or 0.0),
        intent_ranking=[Intent(name=name, confidence=conf) for name, conf in row["ranking"]],
        nearest_example=NearestExample.model_validate(nearest) if nearest else None,
    )


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text(encoding="utf-8").splitlines():
        yield json.loads(line)
