"""How hard a crawl may press a server: adaptive by default, fixed when asked.

The policy, and why:

* **Adapt to the server, not to a number in robots.txt.**  Every Drupal 7
  release ships ``Crawl-delay: 10`` in its robots.txt, so that value says
  nothing about what a site's owner wants; obeyed, it turns a 3-second
  assessment of 110 pages into 20 minutes.  The major crawlers (Googlebot,
  Scrapy, SEO crawlers) ignore Crawl-delay and watch the server instead;
  so do we.  ``--respect-crawl-delay`` obeys it for owners who mean it.
* **Bounded concurrency that follows latency** (Scrapy's AutoThrottle is
  the model, which derives its target from observed latency).  A crawl
  starts with one request in flight (``START_CONCURRENCY``) and looks
  at its answers in windows of a few responses.  When a window's median
  latency climbs well above the fastest the server has been
  (``SLOW_FACTOR`` times, and ``SLOW_FLOOR`` seconds more), the server is
  queueing our requests: one fewer may be in flight, and once down to
  one, request starts are spaced by the server's own latency, doubling
  while it stays slow.  Healthy windows undo that one step at a time, up
  to ``--concurrency``.
* **429, 502, 503 and 504 are the server saying "too much".**  The
  concurrency is halved and starts are spaced at least ``OVERLOAD_DELAY``
  apart; a ``Retry-After`` stops every request until it has passed.  The
  retries of one request count once: a single page that keeps answering
  503 is a broken page, not a server asking the whole crawl to slow down.
* ``--delay`` is a floor under all of this: the owner's explicit wish.

Every decision goes through a `Clock`, so tests check what the throttle
decided (the start times it scheduled, the waits it asked for) instead of
how long a busy machine took.
"""

from __future__ import annotations

import email.utils
import random
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

START_CONCURRENCY = 1
"""Requests in flight when a crawl starts: the first window measures the server
unloaded (the baseline every later window is compared with); it grows from
there while the server keeps up."""
SLOW_FACTOR = 2.0
"""A window this many times slower than the fastest one means the server is queueing."""
SLOW_FLOOR = 0.05
"""...and also this many seconds slower: sub-millisecond jitter on a fast server is noise."""
OVERLOAD_DELAY = 0.5
"""Least spacing between request starts after a 429/503, in seconds."""
MAX_DELAY = 10.0
"""Longest spacing the throttle chooses on its own (``--delay`` may ask for more)."""
OVERLOAD_STATUSES = frozenset({429, 502, 503, 504})
"""Answers that mean "you are sending too much" rather than "this page is broken"."""
RETRY_AFTER_CAP = 30.0
"""A Retry-After longer than this is shortened: the crawl must end some day."""
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
JITTER = 0.25
"""Spacing gets up to this share added at random, so workers do not march in step."""


class Clock(Protocol):
    """Where the throttle reads the time and waits; tests give it a virtual one."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait this long."""
        ...


class SystemClock:
    """The real monotonic clock."""

    def now(self) -> float:
        """time.monotonic()."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """time.sleep()."""
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True, slots=True, kw_only=True)
class Politeness:
    """What the throttle may do: the user's bounds."""

    max_concurrency: int = 4
    """Most requests in flight, ever (``--concurrency``)."""
    delay: float = 0.0
    """Least seconds between request starts (``--delay``, or an obeyed Crawl-delay)."""
    adaptive: bool = True
    """Follow the server's latency and overload answers."""

    def start_concurrency(self) -> int:
        """Requests allowed in flight at the start."""
        if not self.adaptive:
            return self.max_concurrency
        return max(1, min(START_CONCURRENCY, self.max_concurrency))


@dataclass(slots=True)
class ThrottleStats:
    """What the throttle did, for the crawl's summary line and for tests."""

    requests: int = 0
    lowest_concurrency: int = 0
    highest_concurrency: int = 0
    slowdowns: int = 0
    """Windows in which latency said the server was queueing."""
    overloads: int = 0
    """429/502/503/504 answers."""
    longest_delay: float = 0.0
    waited: float = 0.0
    """Seconds requests were held back in all."""

    def describe(self) -> str:
        """One phrase for the crawl's summary line."""
        span = (
            f"{self.lowest_concurrency}"
            if self.lowest_concurrency == self.highest_concurrency
            else f"{self.lowest_concurrency}-{self.highest_concurrency}"
        )
        parts = [f"concurrency {span}"]
        if self.slowdowns or self.overloads:
            parts.append(
                f"backed off {self.slowdowns + self.overloads} time"
                f"{'s' * (self.slowdowns + self.overloads != 1)}"
            )
        if self.longest_delay:
            parts.append(f"up to {self.longest_delay:.2g} s between requests")
        return ", ".join(parts)


@dataclass(slots=True)
class Permit:
    """One request's place in the schedule; the caller records how it went."""

    start: float
    """When the throttle let it go (clock seconds)."""
    status: int = 0
    """The HTTP status, 0 when the request failed."""
    latency: float | None = None
    """Seconds from sending the request to its answer's headers, when they came."""
    retry: bool = False
    """A repeat of a request that already failed: its answer is not news about the
    server's load (one page answering 503 three times is one signal, not three)."""


class Throttle:
    """Schedules one host's requests under a `Politeness` (thread-safe)."""

    SCHEDULE_KEPT = 10_000
    """Start times kept in `schedule`; older ones are dropped."""

    def __init__(self, policy: Politeness | None = None, clock: Clock = SYSTEM_CLOCK) -> None:
        self.policy = policy or Politeness()
        self.clock = clock
        self.cond = threading.Condition()
        self.limit = self.policy.start_concurrency()
        """Requests allowed in flight now."""
        self.delay = self.policy.delay
        """Least seconds between request starts now."""
        self.active = 0
        self.next_start = 0.0
        self.baseline: float | None = None
        """The fastest window median seen: the server unloaded."""
        self.window: list[float] = []
        self.stats = ThrottleStats(
            lowest_concurrency=self.limit,
            highest_concurrency=self.limit,
            longest_delay=self.delay,
        )
        self.schedule: list[float] = []
        """Start times handed out, in order (the last `SCHEDULE_KEPT`)."""

    def set_policy(self, policy: Politeness) -> None:
        """Change the bounds (robots.txt read, Crawl-delay obeyed) before requests start."""
        with self.cond:
            self.policy = policy
            self.limit = min(max(self.limit, 1), policy.max_concurrency)
            if not policy.adaptive:
                self.limit = policy.max_concurrency
            self.delay = max(self.delay, policy.delay)
            self._note_limits()
            self.cond.notify_all()

    @contextmanager
    def request(self) -> Iterator[Permit]:
        """Hold a place for one request: wait for a free slot and its start time.

        The caller fills in ``status`` and ``latency``; leaving the block
        frees the slot and lets the outcome steer the next ones.
        """
        permit = self.acquire()
        try:
            yield permit
        finally:
            self.release(permit)

    def acquire(self) -> Permit:
        """Wait for a free slot, then for this request's start time."""
        with self.cond:
            while self.active >= self.limit:
                self.cond.wait()
            self.active += 1
            now = self.clock.now()
            start = max(now, self.next_start)
            gap = self.delay
            if gap:
                gap += random.uniform(0, gap * JITTER)
            self.next_start = start + gap
            self.stats.requests += 1
            self.schedule.append(start)
            if len(self.schedule) > self.SCHEDULE_KEPT:
                del self.schedule[: self.SCHEDULE_KEPT // 2]
            wait = start - now
            self.stats.waited += max(wait, 0.0)
        if wait > 0:
            self.clock.sleep(wait)
        return Permit(start=start)

    def release(self, permit: Permit) -> None:
        """Free the slot and learn from the answer."""
        with self.cond:
            self.active -= 1
            if self.policy.adaptive:
                if permit.status in OVERLOAD_STATUSES:
                    if not permit.retry:
                        self._overloaded()
                elif permit.status and permit.latency is not None and permit.status < 500:
                    self._observe(permit.latency)
            self.cond.notify_all()

    def defer(self, seconds: float) -> None:
        """Let no request start for ``seconds`` (Retry-After, retry backoff)."""
        with self.cond:
            self.next_start = max(self.next_start, self.clock.now() + max(seconds, 0.0))

    # -- adaptation (called with the lock held) ------------------------------

    def _observe(self, latency: float) -> None:
        self.window.append(latency)
        if len(self.window) < max(4, 2 * self.limit):
            return
        median = statistics.median(self.window)
        self.window.clear()
        if self.baseline is None:
            self.baseline = median
            return
        slow = median > self.baseline * SLOW_FACTOR and median - self.baseline > SLOW_FLOOR
        if slow:
            self.stats.slowdowns += 1
            if self.limit > 1:
                self.limit -= 1
            else:
                self.delay = min(max(self.delay * 2, median, self.policy.delay), MAX_DELAY)
        elif self.delay > self.policy.delay:
            halved = self.delay / 2
            self.delay = halved if halved > max(self.policy.delay, 0.01) else self.policy.delay
        elif self.limit < self.policy.max_concurrency:
            self.limit += 1
        self.baseline = min(self.baseline, median)
        self._note_limits()

    def _overloaded(self) -> None:
        self.stats.overloads += 1
        self.window.clear()
        self.limit = max(1, self.limit // 2)
        self.delay = min(max(self.delay * 2, OVERLOAD_DELAY, self.policy.delay), MAX_DELAY)
        self._note_limits()

    def _note_limits(self) -> None:
        self.stats.lowest_concurrency = min(self.stats.lowest_concurrency, self.limit)
        self.stats.highest_concurrency = max(self.stats.highest_concurrency, self.limit)
        self.stats.longest_delay = max(self.stats.longest_delay, self.delay)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date), capped.

    ``now`` is the wall-clock time an HTTP date is measured from (default: now).
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    base = time.time() if now is None else now
    return max(0.0, min(when.timestamp() - base, RETRY_AFTER_CAP))


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 0.5, 1, 2, 4 ... seconds, capped."""
    return float(min(BACKOFF_BASE * 2**attempt, BACKOFF_CAP) * random.uniform(0.8, 1.2))
