"""Progress display: a live line on a terminal, plain lines elsewhere, nothing when quiet."""

from __future__ import annotations

import io

import pytest

from drupalscan import progress as progress_module
from drupalscan.progress import Progress, SummaryProgress, TerminalProgress, for_stream

CLEAR = "\r\x1b[2K"


class FakeTTY(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    """A settable time.monotonic."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress_module.time, "monotonic", fake)
    return fake


def test_for_stream_picks_by_terminal_and_quiet() -> None:
    assert type(for_stream(FakeTTY())) is TerminalProgress
    assert type(for_stream(io.StringIO())) is SummaryProgress
    assert type(for_stream(FakeTTY(), quiet=True)) is Progress
    assert type(for_stream(io.StringIO(), quiet=True)) is Progress


def test_terminal_redraws_in_place_with_rate(clock: Clock) -> None:
    tty = FakeTTY()
    shown = for_stream(tty)
    shown.start("crawl intranet.example")
    clock.now += 0.5
    shown.update(10, queued=40, errors=1)  # the first update draws at once
    first = tty.getvalue()
    assert first == f"{CLEAR}crawl intranet.example: 10 done, queued 40, errors 1 (20.0/s)"
    clock.now += 0.05
    shown.update(11, queued=39, errors=1)  # within min_interval: no redraw
    assert tty.getvalue() == first
    clock.now += 0.45
    shown.update(30, total=100)
    assert tty.getvalue() == first + f"{CLEAR}crawl intranet.example: 30/100 done (30.0/s)"
    assert "\n" not in tty.getvalue()


def test_terminal_finish_clears_and_leaves_the_summary(clock: Clock) -> None:
    tty = FakeTTY()
    shown = TerminalProgress(tty)
    shown.start("crawl x")
    clock.now += 1
    shown.update(5)
    shown.note("robots.txt asks for Crawl-delay 10 s; capped at 2 s")
    shown.finish("x: 5 pages, 0 errors, 0 broken links in 1.0 s")
    lines = tty.getvalue().split("\n")
    assert lines[-3].endswith(f"{CLEAR}note: robots.txt asks for Crawl-delay 10 s; capped at 2 s")
    assert lines[-2] == f"{CLEAR}x: 5 pages, 0 errors, 0 broken links in 1.0 s"
    assert lines[-1] == ""
    shown.update(6)  # the note let the next update draw at once
    assert tty.getvalue().endswith(f"{CLEAR}crawl x: 6 done (6.0/s)")


def test_terminal_finish_without_summary_just_clears() -> None:
    tty = FakeTTY()
    shown = TerminalProgress(tty)
    shown.start("crawl x")
    shown.finish()
    assert tty.getvalue() == CLEAR


def test_not_a_terminal_prints_only_notes_and_the_summary() -> None:
    log = io.StringIO()
    shown = for_stream(log)
    shown.start("crawl x")
    for done in range(100):
        shown.update(done, queued=3)
    shown.note("capped")
    shown.finish("x: 100 pages, 0 errors, 0 broken links in 2.0 s")
    assert log.getvalue() == "note: capped\nx: 100 pages, 0 errors, 0 broken links in 2.0 s\n"
    assert "\x1b" not in log.getvalue() and "\r" not in log.getvalue()


def test_quiet_prints_nothing() -> None:
    log = FakeTTY()
    shown = for_stream(log, quiet=True)
    shown.start("crawl x")
    shown.update(1)
    shown.note("n")
    shown.finish("summary")
    assert log.getvalue() == ""


def test_stream_without_isatty_is_not_a_terminal() -> None:
    class Bare:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    bare = Bare()
    shown = for_stream(bare)  # type: ignore[arg-type]
    shown.finish("done")
    assert bare.text == "done\n"
