"""Pausing Python's cyclic garbage collector around bulk reads.

Loading a period for replay or analytics builds hundreds of thousands of small dicts,
lists, tuples and models, none of them in reference cycles. Every few hundred
allocations the collector walks all live containers again: that took two thirds of the
time to load 10,000 conversations (bench/replay.md). Reference counting still frees
everything while the collector is paused; it resumes when the last bulk read ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pausers = 0
_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pauses the collector for the block; nests and overlaps across threads (the
    collector resumes when the last block ends, and only if it was running before)."""
    global _pausers, _was_enabled
    with _lock:
        if _pausers == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _lock:
            _pausers -= 1
            if _pausers == 0 and _was_enabled:
                gc.enable()
