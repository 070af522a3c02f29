"""A per-key sliding window for requests that have no conversation yet (starting one).

In-process on purpose: with several replicas each allows its own share, which is fine
for flood control; per-conversation message limits are counted in the database.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque

WINDOW_SECONDS = 60.0
MAX_KEYS = 10_000


class SlidingWindow:
    def __init__(self, *, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def hit(self, key: str) -> int:
        """Records a hit; returns 0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        if len(self._hits) > MAX_KEYS:
            self._hits.clear()  # bounded memory beats perfect accounting under attack
        hits = self._hits[key]
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return max(1, math.ceil(hits[0] + WINDOW_SECONDS - now))
        hits.append(now)
        return 0
