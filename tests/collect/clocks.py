"""A virtual clock for the throttle: tests check what it decided, not how long a run took.

`VirtualClock.sleep` advances the clock instead of waiting, and records
every wait asked for; `now` reads the virtual time.  A real crawl given a
throttle with this clock runs at full speed while its schedule (the start
time handed to every request) says exactly how polite it was.
"""

from __future__ import annotations

import threading


class VirtualClock:
    """Time that passes only when someone waits; thread-safe."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.sleeps: list[float] = []
        self.lock = threading.Lock()

    def now(self) -> float:
        with self.lock:
            return self.time

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.time += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Let time pass (a slow answer, say) without anyone waiting."""
        with self.lock:
            self.time += seconds


def gaps(schedule: list[float]) -> list[float]:
    """Differences between consecutive start times."""
    return [b - a for a, b in zip(schedule, schedule[1:], strict=False)]
