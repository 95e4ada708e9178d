"""Sliding-window rate limits kept in this process: uploads per person, refusals logged per address.

Each app process keeps its own counts; they bound how much work one signed-in person can make one
process do (Office checks of uploads) and how fast one client can grow the log. Limits that must hold
across processes (sign-in throttling) live in the database instead (`services/auth.py`).
"""

from __future__ import annotations

import threading
import time
from collections import deque


class Window:
    """At most `limit` events per key within the last `seconds`."""

    def __init__(self, limit: int, seconds: float):
        self.limit, self.seconds = limit, seconds
        self._events: dict[object, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: object, count: int = 1) -> float:
        """Record `count` events for `key` and return 0, or return the seconds to wait and record none."""
        at = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= at - self.seconds:
                events.popleft()
            if len(events) + count > self.limit:
                wait = (events[0] + self.seconds - at) if events else self.seconds
                return max(wait, 1.0)
            events.extend([at] * count)
            if len(self._events) > 10_000:  # forget idle keys so the table cannot grow without bound
                for stale in [k for k, v in self._events.items() if not v or v[-1] <= at - self.seconds]:
                    del self._events[stale]
            return 0.0

    def clear(self) -> None:
        with self._lock:
            self._events.clear()


# Evidence files per person: a report with ten files every minute is far beyond any clerk's pace.
UPLOADS = Window(limit=60, seconds=600)
# Refused requests logged and audited per (person, address): the first 20 in 10 minutes, then none.
REFUSALS = Window(limit=20, seconds=600)
WINDOWS = [UPLOADS, REFUSALS]
