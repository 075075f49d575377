"""Parse fetched pages in helper processes, so parsing does not slow fetching.

Why: the crawler's worker threads share one interpreter lock.  On a fast
server, fetching with requests already keeps that lock busy; parsing a page
(libxml2 plus the Python walk over its tree, ~0.3 ms) in the same process
roughly halved the pages per second (bench/bench_crawl.py).  A helper
process parses on another core while the crawler's threads go on fetching.

How: each helper is ``python -c ...`` importing this module and running
`main`, fed over its stdin and answering on its stdout, in order.  A message
is a 4-byte little-endian length and a body: the fetch goes in as a pickle
(the helper trusts the crawler that started it), the `PageRecord` comes back
as JSON of checked shape (the crawler does not trust the process that read
hostile markup).  A worker thread writes its page to the least busy
helper and goes back to fetching at once; a reader thread per helper hands
each answer to the page's ``deliver`` callback (the crawl's queue of
finished pages).  So fetching never waits for parsing, and a helper is
never idle while pages wait.  No lock is held while a pipe is waited on.

Robustness:

* A helper that dies on a page (a crash in C code on hostile markup, the
  OOM killer) is replaced and the page is tried once more in the new one;
  if that one dies too, the page is recorded with an error instead of
  taking the crawl down.  A helper that takes longer than `PARSE_TIMEOUT`
  is killed the same way, so one pathological page cannot hang a crawl.
* Until a helper is ready (starting one takes a few tenths of a second)
  and after one cannot be started at all, pages are parsed in the calling
  thread, exactly as without helpers: the record is the same either way.
* Helpers run in their own session (no Ctrl-C from the terminal: the
  crawler stops them) and end on their own when their stdin closes, which
  is also what happens when the crawler is killed.  They get no secrets:
  their environment keeps only what Python needs, and they are sent only
  the allow-listed response headers and cookie names the page record keeps.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from drupalscan.collect.pagerecord import Fetched, PageRecord, record_of, record_page
from drupalscan.inventory import model

PARSE_TIMEOUT = 60.0
"""Seconds a helper may spend on one page before it is killed."""
START_TIMEOUT = 60.0
"""Seconds a new helper may take to import the parser and say it is ready."""
READY = b"ready\n"
MAX_ANSWER = 256_000_000
"""Longest answer read from a helper: a garbled length must not allocate gigabytes."""
_HEAD = struct.Struct("<I")
_ENV_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "SYSTEMROOT")
"""Environment the helpers inherit (plus PYTHON* variables): nothing secret."""


class HelperDied(Exception):
    """A helper process ended, or was killed, while parsing a page."""


class _Quiet(Exception):
    """Nothing arrived from a helper within the wait (it may be busy)."""


Deliver = Callable[[PageRecord], None]


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def _helper_env() -> dict[str, str]:
    """Just enough environment to run Python; the crawl's secrets stay behind."""
    return {
        k: v for k, v in os.environ.items() if k in _ENV_KEPT or k.startswith(("PYTHON", "LC_"))
    }


@dataclass(slots=True)
class _Job:
    """One page sent to a helper, waiting for its answer."""

    got: Fetched
    depth: int
    site_host: str
    deliver: Deliver
    payload: bytes
    tries: int = 0
    sent: float = 0.0


class _Helper:
    """One helper process: its pipes, the pages sent to it in order, its reader.

    Pages are written by the submitting threads and answered in the order
    they were written, so the oldest job in ``jobs`` owns the next answer.
    """

    def __init__(self) -> None:
        code = (
            f"import sys; sys.path.insert(0, {_package_root()!r}); "
            "from drupalscan.collect.parseproc import main; main()"
        )
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed code
            [sys.executable, "-P", "-c", code],  # -P: nothing from the working directory
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
            start_new_session=True,
            env=_helper_env(),
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.send_fd = self.proc.stdin.fileno()
        self.recv_fd = self.proc.stdout.fileno()
        self.buffer = b""
        self.jobs: deque[_Job] = deque()
        self.lock = threading.Lock()
        """Guards ``jobs`` and ``dead``; never held while waiting on a pipe."""
        self.send_lock = threading.Lock()
        """Held by the one thread writing a job (a pipe write may wait for the
        helper to read), so jobs are queued and written in the same order."""
        self.dead = False

    def wait_ready(self, timeout: float) -> None:
        """Block until the helper has imported the parser (or raise HelperDied)."""
        try:
            if self._read_exactly(len(READY), timeout) != READY:
                raise HelperDied("helper did not start")
        except _Quiet:
            raise HelperDied(f"not ready within {timeout:g} s") from None

    def send(self, job: _Job) -> bool:
        """Queue a job and write it; False when the helper is (now) dead."""
        message = _HEAD.pack(len(job.payload)) + job.payload
        with self.send_lock:
            with self.lock:
                if self.dead:
                    return False
                job.sent = time.monotonic()
                self.jobs.append(job)
            try:
                view = memoryview(message)
                while view:
                    view = view[os.write(self.send_fd, view) :]
            except OSError:  # BrokenPipeError: gone; the reader hands its jobs on
                with self.lock:
                    self.dead = True
        return True

    def answer(self, wait: float) -> bytes:
        """The next answer on the pipe.

        Raises `_Quiet` when nothing more arrived for ``wait`` seconds (what
        was read so far is kept for the next call) and `HelperDied` when the
        pipe closed.
        """
        (size,) = _HEAD.unpack(self._read_exactly(_HEAD.size, wait))
        if size > MAX_ANSWER:
            raise HelperDied(f"an answer of {size} bytes")
        try:
            return self._read_exactly(size, wait)
        except _Quiet:
            self.buffer = _HEAD.pack(size) + self.buffer
            raise

    def overdue(self, since: float, limit: float) -> bool:
        """Whether the oldest job has waited over ``limit`` seconds for its answer."""
        with self.lock:
            oldest = self.jobs[0].sent if self.jobs else None
        return oldest is not None and time.monotonic() - max(oldest, since) > limit

    def _read_exactly(self, size: int, wait: float) -> bytes:
        while len(self.buffer) < size:
            ready, _, _ = select.select([self.recv_fd], [], [], wait)
            if not ready:
                raise _Quiet
            try:
                chunk = os.read(self.recv_fd, max(65536, size - len(self.buffer)))
            except OSError as exc:
                raise HelperDied(str(exc)) from None
            if not chunk:
                raise HelperDied("helper ended")
            self.buffer += chunk
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out

    def orphans(self) -> list[_Job]:
        """Mark the helper dead and take the jobs it will never answer."""
        with self.lock:
            self.dead = True
            jobs, self.jobs = list(self.jobs), deque()
        return jobs

    def stop(self) -> None:
        """Close the pipes (the helper ends on EOF) and make sure it has gone.

        Called by the helper's own reader thread, the only reader of its
        stdout.  A writer still blocked on stdin is waited for (the helper is
        dead or dying, so its write fails soon): closing a descriptor while
        another thread uses it could send that thread to a file opened later.
        """
        with self.lock:
            self.dead = True
        with self.send_lock:
            stdin = self.proc.stdin
            try:
                if stdin is not None:
                    stdin.close()
            except OSError:
                pass
        for stream in (self.proc.stdout,):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _request(got: Fetched, depth: int, site_host: str) -> bytes:
    """A parse request: the fetch's fields by name, the depth and the crawled host.

    Pickled (it carries the body's bytes); only ever read by a helper this
    crawler started.  By name, so a field added to `Fetched` travels without
    a second edit here.
    """
    fetched = {f.name: getattr(got, f.name) for f in dataclasses.fields(Fetched)}
    fetched["headers"] = dict(got.headers)
    request = {"fetched": fetched, "depth": depth, "site_host": site_host}
    return pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)


def _record_fields(record: PageRecord) -> dict[str, Any]:
    """A page record as the JSON object a helper answers with."""
    return dataclasses.asdict(record)


_RECORD_TYPES: dict[str, type] = {"str": str, "int": int, "list[str]": list}


def _checked_record(value: Any) -> PageRecord:
    """A PageRecord from an answer, refusing anything not of PageRecord's exact shape."""
    fields = {f.name: str(f.type) for f in dataclasses.fields(PageRecord)}
    if not isinstance(value, dict) or set(value) != set(fields):
        raise ValueError("not a page record")
    for name, kind in fields.items():
        item = value[name]
        expected = _RECORD_TYPES.get(kind)
        if expected is None or not isinstance(item, expected) or isinstance(item, bool):
            raise ValueError("not a page record")
        if kind == "list[str]" and not all(isinstance(link, str) for link in cast(list[Any], item)):
            raise ValueError("not a page record")
    return PageRecord(**value)


def _failed(got: Fetched, depth: int, why: str) -> PageRecord:
    """The record of a page the helpers could not parse: its fetch, and why."""
    page = model.Page(
        url=got.url,
        final_url=got.final_url,
        status=got.status,
        redirects=list(got.redirects),
        content_type=got.content_type.split(";", 1)[0].strip().lower(),
        size=got.size,
        depth=depth,
        error=why,
    )
    return record_of(page)


class ParseProcesses:
    """A small pool of helper processes that turn fetches into page records.

    `submit` may be called from any number of threads and returns at once
    (unless the helpers' pipes are full, which throttles the fetching).
    Every submitted page is delivered exactly once, from a reader thread,
    or at once from the calling thread while no helper is ready.
    """

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError("ParseProcesses needs at least one helper")
        self.count = count
        self.helpers: list[_Helper] = []
        self.lock = threading.Lock()
        self.turn = 0
        self.started = False
        self.closed = False
        self.broken = ""
        """Why a helper could not be started; then pages are parsed in-thread."""
        self.replaced = 0
        """Helpers replaced after dying or hanging on a page."""
        self.parsed = 0
        """Pages parsed by helpers (the rest were parsed in the calling thread)."""

    def start(self) -> None:
        """Start the helpers in the background; pages are parsed in-thread meanwhile."""
        with self.lock:
            if self.started or self.closed:
                return
            self.started = True
        for _ in range(self.count):
            threading.Thread(target=self._run_helper, name="drupalscan-parse", daemon=True).start()

    def submit(self, got: Fetched, depth: int, site_host: str, deliver: Deliver) -> None:
        """Have a page parsed; ``deliver`` receives its record."""
        self._route(_Job(got, depth, site_host, deliver, b""))

    def _route(self, job: _Job) -> None:
        """Send a job to the least busy live helper, or parse it in this thread.

        A page that already killed a helper (``tries``) is never parsed
        in-thread: whatever crashed the helper would crash the crawler.
        """
        got, depth, site_host, deliver = job.got, job.depth, job.site_host, job.deliver
        while True:
            with self.lock:
                live = [h for h in self.helpers if not h.dead]
                if not live or self.closed:
                    break
                self.turn += 1
                helper = min(live[self.turn % len(live) :] + live, key=lambda h: len(h.jobs))
            if not job.payload:
                job.payload = _request(got, depth, site_host)
            if helper.send(job):
                return
        if job.tries:
            deliver(_failed(got, depth, "parsing crashed the parser"))
        else:
            deliver(record_page(got, depth, site_host))

    def _resend(self, jobs: list[_Job]) -> None:
        """Route a dead helper's pages again (in its own thread: see `_keep_helper`)."""
        for job in jobs:
            try:
                self._route(job)
            except Exception as exc:  # noqa: BLE001 - the page still comes back
                job.deliver(_failed(job.got, job.depth, f"internal error: {type(exc).__name__}"))

    # -- the reader threads, one per helper --------------------------------------

    def _run_helper(self) -> None:
        """One helper's reader thread; no job may be lost, even to a bug here."""
        jobs: list[_Job] = []
        current: list[_Helper] = []
        try:
            self._keep_helper(jobs, current)
        except BaseException as exc:  # noqa: BLE001 - its pages must still come back
            with self.lock:
                self.broken = self.broken or f"parse helper reader failed ({type(exc).__name__})"
            for helper in current:
                jobs.extend(helper.orphans())
                helper.proc.kill()
                helper.stop()
            for job in jobs:
                job.deliver(_failed(job.got, job.depth, f"internal error: {type(exc).__name__}"))

    def _keep_helper(self, jobs: list[_Job], current: list[_Helper]) -> None:
        """Start a helper, read its answers, replace it when it dies.

        ``jobs`` holds the pages in hand between two helpers (the dead one's
        unanswered pages) and ``current`` the live helper: if this raises,
        the caller delivers both's pages.  The pages in hand are re-sent by
        another thread: this one must be free to read the new helper's
        answers, or a re-send bigger than the pipes would wait forever.
        """
        while True:
            current.clear()
            helper = self._launch()
            if helper is None:
                if self.closed:
                    jobs.clear()  # their URLs stay pending in the store
                    return
                while jobs:
                    job = jobs[0]
                    record = (
                        _failed(job.got, job.depth, "parsing crashed the parser")
                        if job.tries
                        else record_page(job.got, job.depth, job.site_host)
                    )
                    jobs.pop(0)
                    job.deliver(record)
                return
            current.append(helper)
            if jobs:
                pending = list(jobs)
                jobs.clear()
                name = "drupalscan-parse-resend"
                resend = threading.Thread(target=self._resend, args=(pending,), name=name)
                resend.daemon = True
                resend.start()
            why = self._read_answers(helper)
            if why is None:
                helper.proc.kill()
                helper.stop()
                return
            if not self._retire(helper, why, jobs):
                return

    def _read_answers(self, helper: _Helper) -> str | None:
        """Deliver a helper's answers; why it died, or None once the pool is closed."""
        since = time.monotonic()
        while True:
            try:
                data = helper.answer(min(1.0, PARSE_TIMEOUT))
            except _Quiet:
                if helper.overdue(since, PARSE_TIMEOUT):
                    return f"no answer within {PARSE_TIMEOUT:g} s"
                continue
            except HelperDied as exc:
                return None if self.closed else str(exc)
            since = time.monotonic()
            with helper.lock:
                job = helper.jobs.popleft() if helper.jobs else None
            if job is None:
                return "an answer nobody asked for"
            self._deliver(job, data)

    def _deliver(self, job: _Job, data: bytes) -> None:
        """Hand a helper's answer to its page; a garbled answer fails that page only.

        Answers are JSON, not pickle: the helper is the process that reads
        hostile markup, and what it says must not be able to run code here.
        """
        try:
            kind, value = json.loads(data)
            if kind == "error":
                record = _failed(job.got, job.depth, f"internal error: {str(value)[:80]}")
            else:
                record = _checked_record(value)
                with self.lock:
                    self.parsed += 1
        except Exception as exc:  # noqa: BLE001 - whatever it is, the page comes back
            record = _failed(job.got, job.depth, f"internal error: {type(exc).__name__}")
        job.deliver(record)

    def _retire(self, helper: _Helper, why: str, jobs: list[_Job]) -> bool:
        """Retire a dead or hung helper, moving its unanswered pages into ``jobs``.

        Its oldest page is the one it was parsing: that page gets one more
        try in a successor, and fails with ``why`` the second time.  False
        when the pool is closing (unanswered pages stay pending in the store).
        """
        jobs[:0] = helper.orphans()  # first: whatever happens next, they are in hand
        helper.proc.kill()
        helper.stop()
        with self.lock:
            if helper in self.helpers:
                self.helpers.remove(helper)
            self.replaced += 1
            if self.closed:
                jobs.clear()
                return False
        if jobs:
            culprit = jobs[0]
            culprit.tries += 1
            if culprit.tries >= 2:
                jobs.pop(0)
                what = "timed out" if "within" in why else "crashed the parser"
                culprit.deliver(_failed(culprit.got, culprit.depth, f"parsing {what} (twice)"))
        return True

    def _launch(self) -> _Helper | None:
        """A new helper that has said it is ready, or None (pool marked broken)."""
        try:
            helper = _Helper()
        except OSError as exc:
            self.broken = f"cannot start a parse helper ({exc.strerror or exc})"
            return None
        try:
            helper.wait_ready(START_TIMEOUT)
        except HelperDied as exc:
            self.broken = f"a parse helper did not start ({exc})"
            helper.proc.kill()
            helper.stop()
            return None
        with self.lock:
            if self.closed:
                helper.stop()
                return None
            self.helpers.append(helper)
        return helper

    def close(self) -> None:
        """Stop every helper (idempotent); later pages are parsed in-thread.

        The helpers are killed, not asked: their reader threads see them go
        and close the pipes themselves (closing a descriptor another thread
        is reading could hand that thread a file opened later).  Pages still
        being parsed are not delivered; their URLs stay pending in the store.
        """
        with self.lock:
            self.closed = True
            helpers, self.helpers = self.helpers, []
        for helper in helpers:
            helper.dead = True  # a plain store: no helper lock, whoever holds it
            helper.proc.kill()
            helper.proc.wait()

    def pids(self) -> Sequence[int]:
        """Process ids of the running helpers (for tests and diagnostics)."""
        with self.lock:
            return [h.proc.pid for h in self.helpers if not h.dead]


# -- the helper side ------------------------------------------------------------


def main() -> None:
    """Serve parse requests on stdin/stdout until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the crawler decides when to stop
    inp = sys.stdin.buffer
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers may reach the pipe
    out.write(READY)
    out.flush()
    while True:
        head = inp.read(_HEAD.size)
        if len(head) < _HEAD.size:
            return
        (size,) = _HEAD.unpack(head)
        payload = inp.read(size)
        if len(payload) < size:
            return
        try:
            request = pickle.loads(payload)  # noqa: S301 - from the crawler that started us
            got = Fetched(**request["fetched"])
            record = record_page(got, request["depth"], request["site_host"])
            answer: tuple[str, Any] = ("ok", _record_fields(record))
        except Exception as exc:  # noqa: BLE001 - reported on the page, the helper goes on
            answer = ("error", type(exc).__name__)
        data = json.dumps(answer).encode("ascii")  # \u escapes carry any text exactly
        out.write(_HEAD.pack(len(data)) + data)
        out.flush()
