"""Replay benchmark: a draft rule set against the active one over 10,000 stored
conversations, from their stored per-turn features (no Rasa, no re-encoding).

    .venvs/handoff/bin/python bench/replay.py [--conversations 10000] [--runs 5]
                                              [--db /tmp/replay-bench.db | --url URL]
                                              [--generate N]

The history is the demo generator's (realistic Dutch turns through the real feature
computation, handoffs decided by the live decision code), written once into a SQLite
file and reused on later runs. Timed, each ``--runs`` times, in the same process:

- ``load, json + collector``: the baseline for loading, as it was before: the json
  module decoding the JSON columns and the cyclic garbage collector running throughout;
- ``load``: the period query, rows → histories (what the API does before judging);
- ``replay``: draft vs. active for every conversation, with the report (flips, totals);
- ``baseline``: the active rule set's verdict per conversation only, without the draft,
  the comparison or the report (the per-conversation decision without replay
  bookkeeping);
- ``end to end``: ``replay_conversations``, the function behind the replay API (load +
  replay), what a supervisor waits for.

Prints median and p95 per measurement (p95 by nearest rank; with 5 runs it is the
slowest run).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, func, select  # noqa: E402

from handoff.analytics.period import Period  # noqa: E402
from handoff.conversations.models import Conversation  # noqa: E402
from handoff.core.collector import collector_paused  # noqa: E402
from handoff.db.migrate import upgrade  # noqa: E402
from handoff.db.session import make_engine, make_sessionmaker, session_scope  # noqa: E402
from handoff.demo.history import Options, generate  # noqa: E402
from handoff.replay.engine import compare, judge  # noqa: E402
from handoff.replay.period import (  # noqa: E402
    conversation_ids,
    load_histories,
    replay_conversations,
)
from handoff.replay.report import report  # noqa: E402
from handoff.rulesets.defaults import DEFAULT_RULESET, RuleSetData  # noqa: E402

END = date(2026, 11, 20)
DAYS = 42


def draft_rules() -> RuleSetData:
    """A realistic draft: one more failed turn allowed, a new backstop phrase and a new
    frustration marker."""
    draft = DEFAULT_RULESET.model_copy(deep=True)
    draft.thresholds = draft.thresholds.model_copy(update={"low_confidence_turns": 3})
    draft.backstop_phrases["nl"] = [*draft.backstop_phrases["nl"], "terugbellen"]
    draft.frustration_markers.weak["nl"] = [*draft.frustration_markers.weak["nl"], "geen zin"]
    return draft


def ensure_history(url: str, conversations: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            have = int(session.scalar(select(func.count()).select_from(Conversation)) or 0)
            if have >= conversations:
                return
            # Weekends are half as busy, the generator rounds per day, and how many a day
            # holds moves with the rule set it judges them by: aim high.
            per_day = math.ceil(conversations / DAYS / 0.7)
            print(f"writing the demo history ({per_day}/day over {DAYS} days) …", flush=True)
            generate(session, Options(days=DAYS, per_day=per_day, end=END, seed=11))
    finally:
        engine.dispose()


def timed(runs: int, step: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", default="/tmp/replay-bench.db", help="SQLite file")
    parser.add_argument("--url", help="a database URL instead of --db (PostgreSQL)")
    parser.add_argument(
        "--generate",
        type=int,
        default=None,
        help="conversations to write (default: --conversations); fewer are cycled in memory "
        "to reach --conversations for the replay timings",
    )
    args = parser.parse_args()
    url = args.url or f"sqlite:///{args.db}"
    stored = args.generate or args.conversations
    ensure_history(url, stored)

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    period = Period(start=END - timedelta(days=DAYS + 7), end=END)
    with session_scope(factory) as session:
        ids = conversation_ids(session, period)[:stored]
        loaded = load_histories(session, ids)
    histories = [loaded[i % len(loaded)] for i in range(args.conversations)]
    turns = sum(len(h.turns) for h in histories)
    draft, active = draft_rules(), DEFAULT_RULESET
    # Warm caches both ways (compiled marker lists, spaCy for the draft's new markers).
    judge(histories[0], draft)
    judge(histories[0], active)

    def load() -> object:
        with session_scope(factory) as session, collector_paused():
            return load_histories(session, ids)

    def replay() -> object:
        with collector_paused():
            return report(
                [compare(h, draft=draft, active=active) for h in histories], active_version=1
            )

    def baseline() -> object:
        with collector_paused():
            return [judge(h, active) for h in histories]

    # How loading went before: the json module and the collector running throughout.
    plain_factory = make_sessionmaker(create_engine(url))

    def load_plain() -> object:
        with session_scope(plain_factory) as session:
            return load_histories(session, ids)

    def end_to_end() -> object:
        with session_scope(factory) as session:
            return replay_conversations(session, ids, draft)

    result = report([compare(h, draft=draft, active=active) for h in histories], active_version=1)
    print(
        f"{len(histories)} conversations, {turns} turns; the draft flips "
        f"{result.to_person} to a person and {result.from_person} away "
        f"(unknown after a real handoff: {result.draft.unknown})"
    )
    n, stored_n = len(histories), len(ids)
    print(f"{'measurement':<36} {'median s':>9} {'p95 s':>9}")
    for name, step in (
        (f"baseline, active only ({n})", baseline),
        (f"replay, draft vs active ({n})", replay),
        (f"load, json + collector ({stored_n})", load_plain),
        (f"load ({stored_n})", load),
        (f"end to end ({stored_n})", end_to_end),
    ):
        times = timed(args.runs, step)
        print(f"{name:<36} {statistics.median(times):>9.2f} {p95(times):>9.2f}", flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
