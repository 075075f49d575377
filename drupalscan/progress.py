"""Progress reporting for long work, shown only on a terminal.

Collectors call a `Progress` object; the CLI passes a `TerminalProgress` when
stderr is a TTY and the silent base class otherwise, so logs and CI output
stay clean while a consultant at a terminal sees the crawl move.
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

    def finish(self, summary: str = "") -> None:
        """End the phase, optionally with a one-line summary."""


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
            self.started = self.last = time.monotonic()

    def update(self, done: int, total: int | None = None, **counters: int) -> None:
        """Redraw the line at most every ``min_interval`` seconds."""
        now = time.monotonic()
        with self.lock:
            if now - self.last < self.min_interval:
                return
            self.last = now
            rate = done / max(now - self.started, 1e-6)
            of = f"/{total}" if total else ""
            extra = "".join(f" {k} {v}" for k, v in counters.items())
            line = f"{self.label}: {done}{of}{extra} ({rate:.1f}/s)"
            self.stream.write("\r\x1b[2K" + line[:150])
            self.stream.flush()

    def finish(self, summary: str = "") -> None:
        """Clear the line and print the summary, if any."""
        with self.lock:
            self.stream.write("\r\x1b[2K")
            if summary:
                self.stream.write(summary + "\n")
            self.stream.flush()


def for_stream(stream: TextIO | None = None, quiet: bool = False) -> Progress:
    """Terminal progress when the stream is a TTY and not quiet, else silent."""
    stream = stream or sys.stderr
    if quiet or not stream.isatty():
        return Progress()
    return TerminalProgress(stream)
