"""Progress reporting for long work: a live line on a terminal, one line in logs.

Collectors call a `Progress` object; the CLI picks one with `for_stream`:

* on a terminal, `TerminalProgress` redraws one line in place (done,
  queued, errors, rate) and leaves the end summary behind;
* not on a terminal (a log, CI, a pipe), `SummaryProgress` prints no
  redraws and no escape codes, only notes and the one-line end summary,
  so a log still says what a crawl did and how long it took;
* with ``--quiet``, the silent base class: nothing at all.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    """Silent progress sink; the interface collectors use."""

    def start(self, label: str, total: int | None = None) -> None:
        """Begin a phase (e.g. ``crawl intranet.example``)."""

    def update(self, done: int, total: int | None = None, **counters: int) -> None:
        """Report how far the phase is; counters are extra figures (errors, queued)."""

    def note(self, text: str) -> None:
        """Tell the user something worth a line of its own (a capped Crawl-delay)."""

    def finish(self, summary: str = "") -> None:
        """End the phase, optionally with a one-line summary."""


class SummaryProgress(Progress):
    """Notes and end summaries as plain lines; no live display (not a terminal)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.lock = threading.Lock()

    def _line(self, text: str) -> None:
        with self.lock:
            self.stream.write(text + "\n")
            self.stream.flush()

    def note(self, text: str) -> None:
        """Print the note on its own line."""
        self._line(f"note: {text}")

    def finish(self, summary: str = "") -> None:
        """Print the summary, if any."""
        if summary:
            self._line(summary)


class TerminalProgress(Progress):
    """A one-line progress display redrawn in place on a terminal."""

    def __init__(self, stream: TextIO | None = None, min_interval: float = 0.1) -> None:
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self.label = ""
        self.started = 0.0
        self.last = 0.0
        self.lock = threading.Lock()

    def start(self, label: str, total: int | None = None) -> None:
        """Begin a phase and remember when, for the rate."""
        with self.lock:
            self.label = label
            self.started = time.monotonic()
            # The first update draws at once: a slow first page must not
            # leave the terminal blank for min_interval.
            self.last = self.started - self.min_interval

    def update(self, done: int, total: int | None = None, **counters: int) -> None:
        """Redraw the line at most every ``min_interval`` seconds."""
        now = time.monotonic()
        with self.lock:
            if now - self.last < self.min_interval:
                return
            self.last = now
            rate = done / max(now - self.started, 1e-6)
            of = f"/{total}" if total else ""
            extra = "".join(f", {k} {v}" for k, v in counters.items())
            line = f"{self.label}: {done}{of} done{extra} ({rate:.1f}/s)"
            self.stream.write("\r\x1b[2K" + line[:150])
            self.stream.flush()

    def note(self, text: str) -> None:
        """Print the note above the live line (which the next update redraws)."""
        with self.lock:
            self.stream.write(f"\r\x1b[2Knote: {text}\n")
            self.stream.flush()
            self.last = 0.0

    def finish(self, summary: str = "") -> None:
        """Clear the line and print the summary, if any."""
        with self.lock:
            self.stream.write("\r\x1b[2K")
            if summary:
                self.stream.write(summary + "\n")
            self.stream.flush()


def for_stream(stream: TextIO | None = None, quiet: bool = False) -> Progress:
    """The progress display for a stream (stderr by default).

    Quiet: silent.  A terminal: the live line (`TerminalProgress`).
    Anything else: only notes and the one-line end summary
    (`SummaryProgress`), since a log without them would not say what ran.
    """
    stream = stream or sys.stderr
    if quiet:
        return Progress()
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        return TerminalProgress(stream)
    return SummaryProgress(stream)
