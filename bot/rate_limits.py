"""Counting what each client does, in memory, in this Rasa process.

A sliding window per key (a conversation, a client address): enough to stop one client from
crowding out the others without a network round trip on every customer line. With several
Rasa processes each counts its own share; docs/SECURITY.md says so.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Callable, Deque

# Keys remembered at once; the least recently used go first (a flood of new keys cannot
# exhaust memory, and a forgotten key only starts counting again).
MAX_KEYS = 50_000


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.clock = clock
        self._seen: OrderedDict[str, Deque[float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Counts one event for `key`, unless `limit` happened within the window already."""
        now = self.clock()
        times = self._seen.pop(key, None) or deque()
        while times and now - times[0] >= self.window_seconds:
            times.popleft()
        allowed = len(times) < self.limit
        if allowed:
            times.append(now)
        self._seen[key] = times
        while len(self._seen) > MAX_KEYS:
            self._seen.popitem(last=False)
        return allowed

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may act again (0 when it may now)."""
        times = self._seen.get(key)
        if not times or len(times) < self.limit:
            return 0.0
        return max(0.0, self.window_seconds - (self.clock() - times[0]))
