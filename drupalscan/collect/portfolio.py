"""Collect a portfolio: many sources at once, within global and per-host limits.

`drupalscan plan --sources FILE` may name hundreds of URLs and docroots.
Collecting them one after another wastes the machine: a crawl spends most
of its time waiting for a remote server, a scan waits for the disk.  This
module runs them side by side, and why it is shaped as it is:

* **Lanes, not sources, are the unit of work.**  Sources on one host
  (scheme-less ``host:port``) form one lane, collected one after another,
  so two sites of one server are never crawled at once: politeness
  (`HostGate`) is per crawl, and two crawls would each think they had the
  host to themselves.  Every docroot is a lane of its own.  Longer lanes
  start first, which shortens the run when one host holds many sites.
* **A bounded pool of site workers** (``sites_at_once``) takes lanes off a
  queue.  Each worker thread opens its own `Store` on the same file and
  closes it when done: SQLite connections must not cross threads, and WAL
  plus the store's busy timeout let several writers queue for the lock.
* **A global request cap** is one semaphore shared by every crawl
  (`crawl_site(request_slots=...)`), so ``sites_at_once`` times the
  per-site concurrency never exceeds what the network or a proxy allows.
* **A failing source fails alone.**  Whatever it raises becomes a
  `Failure` with a one-line message and the workers carry on; the caller
  decides what failures mean for the exit status.
* **Resume** needs nothing here: whatever a source committed stays in the
  store, and the caller skips finished sources before the run.
* **Workers are daemon threads.**  On Ctrl-C the main thread stops waiting
  and the process exits; work in flight is lost exactly as with kill -9,
  which every collector already survives (its commits are whole).

The caller supplies ``work(source, store, progress)`` (the api layer, which
knows the knowledge base and the rules stage; collect must not import them).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress, TerminalProgress

Work = Callable[[str, Store, Progress], model.Site]
"""Collect one source into the given store; raise `SourceFailed` with a reason."""


class SourceFailed(Exception):
    """One source could not be collected; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class Failure:
    """A source that could not be collected, and why (one line)."""

    source: str
    message: str

    def line(self) -> str:
        """The message, prefixed with the source unless it already names it."""
        if self.source in self.message:
            return self.message
        return f"{self.source}: {self.message}"


def host_key(source: str) -> str:
    """The lane a source belongs to: ``host:port`` for a URL, the path for a docroot."""
    if "://" in source:
        return urlsplit(model.normalise_source(source)).netloc
    return model.normalise_source(source)


def lanes(sources: Iterable[str]) -> list[list[str]]:
    """Sources grouped by host, each group in source order, the longest first.

    Ties keep the order of their first source, so the schedule (and with
    it any log) is the same on every run.
    """
    groups: dict[str, list[str]] = {}
    for source in sorted(sources, key=model.normalise_source):
        groups.setdefault(host_key(source), []).append(source)
    return sorted(groups.values(), key=lambda lane: -len(lane))


def display_name(source: str) -> str:
    """A short name for the progress line: host and path, or the docroot's folder."""
    if "://" in source:
        parts = urlsplit(model.normalise_source(source))
        return parts.netloc + (parts.path if parts.path not in ("", "/") else "")
    return os.path.basename(source.rstrip("/")) or source


class PortfolioProgress:
    """Overall progress of a portfolio, drawn through a `drupalscan.progress.Progress`.

    The live line reads ``sites (now: a, b): 3/12 done, pages 410, errors 2,
    failed 1``; per-site crawls report into it through `site` instead of
    drawing their own lines, which would overwrite each other.  Per-site end
    summaries are dropped so a log gets one line for the whole run
    (`finish`); notes (a capped Crawl-delay) still get a line each, named.
    """

    def __init__(self, target: Progress, total: int, already: int = 0) -> None:
        self.target = target
        self.total = total
        self.already = already
        self.done = already
        self.failed = 0
        self.pages: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.current: list[str] = []
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.target.start("sites", total)

    def site(self, source: str) -> Progress:
        """A `Progress` for one source's collector, feeding this display."""
        with self.lock:
            self.current.append(source)
        self._draw()
        return _SiteProgress(self, source)

    def site_done(self, source: str, ok: bool) -> None:
        """Count a finished source (``ok`` False: it failed)."""
        with self.lock:
            if source in self.current:
                self.current.remove(source)
            self.done += 1
            self.failed += not ok
        self._draw()

    def _draw(self) -> None:
        with self.lock:
            now = ", ".join(display_name(s) for s in self.current)
            label = f"sites (now: {now})" if now else "sites"
            pages = sum(self.pages.values())
            errors = sum(self.errors.values())
            done, failed = self.done, self.failed
        if isinstance(self.target, TerminalProgress):
            # progress.py has no relabel call; its label is a public attribute
            # read under its lock, and start() would reset the rate's clock.
            with self.target.lock:
                self.target.label = label
        self.target.update(done, self.total, pages=pages, errors=errors, failed=failed)

    def summary(self) -> str:
        """One line for the whole run (what a log keeps)."""
        with self.lock:
            ok = self.done - self.failed
            pages = sum(self.pages.values())
            errors = sum(self.errors.values())
            elapsed = time.monotonic() - self.started
            return (
                f"{ok} of {self.total} sources collected ({self.already} already in the store), "
                f"{self.failed} failed; {pages} pages, {errors} page errors in {elapsed:.1f} s"
            )

    def finish(self, summary: bool = True) -> None:
        """Clear the live line, leaving the one-line summary unless told not to."""
        self.target.finish(self.summary() if summary else "")


class _SiteProgress(Progress):
    """What one crawl reports, folded into the portfolio's line."""

    def __init__(self, parent: PortfolioProgress, source: str) -> None:
        self.parent = parent
        self.source = source

    def update(self, done: int, total: int | None = None, **counters: int) -> None:
        """Record this site's pages and errors; redraw the portfolio line."""
        with self.parent.lock:
            self.parent.pages[self.source] = done
            self.parent.errors[self.source] = counters.get("errors", 0)
        self.parent._draw()

    def note(self, text: str) -> None:
        """Pass the note on, naming the site it is about."""
        self.parent.target.note(f"{display_name(self.source)}: {text}")


def run(
    sources: Sequence[str],
    work: Work,
    store_path: Path,
    *,
    sites_at_once: int,
    progress: PortfolioProgress,
    inline_store: Store | None = None,
) -> tuple[dict[str, model.Site], list[Failure]]:
    """Collect every source; returns (site by source, failures), whatever order they end in.

    ``inline_store`` runs everything in the calling thread on that store
    (``sites_at_once`` 1, or a store that is not a file): no threads at
    all, the cheapest way to do one site at a time.
    """
    todo = lanes(sources)
    sites: dict[str, model.Site] = {}
    failures: list[Failure] = []
    lock = threading.Lock()

    def one(source: str, store: Store) -> None:
        site_progress = progress.site(source)
        try:
            site = work(source, store, site_progress)
        except SourceFailed as exc:
            with lock:
                failures.append(Failure(source, str(exc)))
            progress.site_done(source, ok=False)
            return
        except Exception as exc:  # noqa: BLE001 - one bad source must not stop the others
            with lock:
                failures.append(Failure(source, f"internal error ({type(exc).__name__}: {exc})"))
            progress.site_done(source, ok=False)
            return
        with lock:
            sites[source] = site
        progress.site_done(source, ok=True)

    if not todo:
        return sites, failures
    if inline_store is not None:
        for lane in todo:
            for source in lane:
                one(source, inline_store)
        return sites, sorted(failures, key=lambda f: model.normalise_source(f.source))

    pending: queue.SimpleQueue[list[str]] = queue.SimpleQueue()
    for lane in todo:
        pending.put(lane)
    finished: queue.SimpleQueue[BaseException | None] = queue.SimpleQueue()

    def worker() -> None:
        try:
            with Store(store_path) as store:
                while True:
                    try:
                        lane = pending.get_nowait()
                    except queue.Empty:
                        break
                    for source in lane:
                        one(source, store)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            finished.put(exc)
            return
        finished.put(None)

    count = max(1, min(sites_at_once, len(todo)))
    for i in range(count):
        threading.Thread(target=worker, name=f"drupalscan-site-{i}", daemon=True).start()
    for _ in range(count):
        # A timeout keeps the main thread responsive to Ctrl-C.
        while True:
            try:
                error = finished.get(timeout=0.5)
                break
            except queue.Empty:
                continue
        if error is not None:
            raise error
    return sites, sorted(failures, key=lambda f: model.normalise_source(f.source))
