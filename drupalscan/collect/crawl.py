"""The crawl loop: fetch a site's pages into the store, then hand over to the summary.

Shape of a crawl, and why:

* One coordinator (the calling thread) owns the SQLite store and the
  frontier; a bounded pool of worker threads, each with its own
  ``requests.Session``, only fetches and parses.  SQLite connections are
  not shared between threads, and one writer keeps commits ordered.
* A page is committed in the same transaction as the links it revealed, so
  a crawl killed at any moment resumes with nothing lost: each committed
  page is done, every uncommitted one is still pending.  By default
  (COMMIT_MAX_PAGES = 1) the coordinator commits every time round its
  loop, as soon as any page has come back: one transaction for the pages
  that finished together.  So a kill -9 refetches only requests whose
  answer had not been committed yet, at most ``2 * concurrency`` (the
  pages in flight, being fetched or waiting for a parse helper);
  nothing committed is ever fetched again.  That cost 5-10 % of pages/s
  on a zero-latency loopback server when it was measured, before the
  parse helper (bench/bench_crawl.py; the commits themselves take ~40 us,
  the rest is the coordinator trading the GIL with the workers), and
  nothing measurable once a server takes 20 ms per page.
* Politeness is the `Throttle`'s (`drupalscan.collect.politeness`):
  adaptive concurrency and spacing per host; robots.txt as RFC 9309 reads
  it (`drupalscan.collect.robots`).  A portfolio run crawls several sites
  at once (`drupalscan.collect.portfolio`) and caps the requests in flight
  across all of them with a shared ``request_slots`` semaphore, taken per
  request by `Fetcher.permit`.
* Parsing may leave the process: a big crawl on a machine with a spare core
  hands each fetched page to a helper process (`drupalscan.collect.parseproc`),
  which returns the page record with its stored JSON already made.  The
  coordinator then only writes text and admits links, and the workers'
  shared interpreter lock is left to fetching (see `CrawlOptions.parse_processes`).
* After the loop, the site is summed up from the stored pages alone
  (`drupalscan.collect.summary`), then asked a bounded set of questions
  of its own (`drupalscan.collect.remote`: core version files, module
  probes, a WordPress site's REST index), and the two make the `Site`.
* Requests go to the crawled host only (either scheme): the sessions carry
  its credentials, cookies, extra headers and proxy.  A sitemap that
  robots.txt lists elsewhere is named in a warning, not fetched.
* Secrets (passwords, cookies, auth headers) live only in the sessions.
  Pages keep only allow-listed, identifying response headers (never
  Set-Cookie, never request headers), cookie names without values, and
  URLs lose their user info, so nothing secret reaches the store.

At some 650 lines this is the loop and the state it owns (frontier, seen set,
batches, the stored Site); every other part of a crawl has a module of its own.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from queue import Empty, SimpleQueue
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from requests.auth import HTTPBasicAuth, HTTPDigestAuth

from drupalscan.collect import remote as remote_step
from drupalscan.collect.fetch import Fetcher, FetchLimits
from drupalscan.collect.login import FormLogin, LoginError, fetch_for_record
from drupalscan.collect.pageparse import is_html_type
from drupalscan.collect.pagerecord import PageRecord, record_of, record_page
from drupalscan.collect.parseproc import ParseProcesses
from drupalscan.collect.politeness import Politeness, Throttle
from drupalscan.collect.robots import Robots
from drupalscan.collect.sitemaps import sitemap_urls
from drupalscan.collect.summary import PageSummary, content_types_from_templates, summarise_pages
from drupalscan.collect.urls import Scope, TrapGuard, host_of, normalise_url
from drupalscan.config import CrawlOptions
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress

COMMIT_MAX_PAGES = 1
"""Pages that make the coordinator commit: 1 commits every loop round with a
page in it, so a kill -9 refetches only answers not yet committed (see the
module docstring).  Larger values batch commits, for speed, and a kill then
refetches up to this many pages more."""
COMMIT_MAX_SECONDS = 1.0
"""Longest time fetched pages wait for their commit."""
RECENT_URLS = 50_000
"""URLs remembered in memory for quick dedup; older ones are looked up in the store."""
REFILL = 1000
"""Frontier rows loaded into memory at a time."""
PARSE_HELPERS_AFTER = 200
"""Pages handled before an auto-sized crawl starts its parse helpers."""


class CrawlError(Exception):
    """The crawl cannot start or go on; the message is one line for the user."""


def politeness_for(options: CrawlOptions) -> Politeness:
    """The throttle's bounds before robots.txt is read."""
    return Politeness(max_concurrency=options.concurrency, delay=options.delay)


def limits_for(options: CrawlOptions) -> FetchLimits:
    """The bounds every request of a crawl is held to."""
    return FetchLimits(
        timeout=options.timeout,
        read_time=options.read_time,
        max_bytes=options.max_bytes,
        retries=options.retries,
        max_redirects=options.max_redirects,
    )


def parse_helpers(options: CrawlOptions) -> int:
    """How many parse helper processes a crawl with these options uses."""
    if options.parse_processes is not None:
        return max(0, options.parse_processes)
    return 1 if (os.cpu_count() or 1) >= 2 else 0


def crawl_site(
    url: str,
    store: Store,
    options: CrawlOptions = CrawlOptions(),  # noqa: B008 - frozen, so sharing is safe
    progress: Progress | None = None,
    fingerprints: dict[str, Any] | None = None,
    probe_candidates: Sequence[remote_step.ProbeCandidate] = (),
    request_slots: threading.Semaphore | None = None,
    parser: ParseProcesses | None = None,
    throttle: Throttle | None = None,
) -> model.Site:
    """Crawl a site into the store (resuming if it was interrupted) and store its Site.

    Raises CrawlError when the crawl cannot start (unreachable host, start
    URL not HTML, login failed ...).  Per-URL failures are recorded on the
    pages and the crawl goes on.  ``request_slots``, shared by crawls running
    at once, caps their requests in flight together (see the module docstring).
    ``parser``, also shared by such crawls, is their one pool of parse helpers
    (the caller closes it); without it a crawl makes its own as its options say.
    ``throttle`` replaces the crawl's own (tests give one with a virtual clock).
    """
    crawl = _Crawl(url, store, options, progress or Progress(), throttle)
    crawl.fetcher.slots = request_slots
    crawl.parser = parser
    crawl.fingerprints = fingerprints
    crawl.probe_candidates = probe_candidates
    return crawl.run()


def _split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without ``user:pass@``, and those credentials if present."""
    parts = urlsplit(url.strip())
    if parts.username is None:
        return url.strip(), None
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, (unquote(parts.username), unquote(parts.password or ""))


class KnownUrls:
    """The crawl's seen set, bounded: recent URLs in memory, the rest in the store.

    A site of a hundred thousand pages links to several times as many URLs;
    a set of them all would grow with the site.  The frontier table already
    holds every admitted URL (its primary key answers lookups), so memory
    keeps only the most recent RECENT_URLS, which catches the menu and
    footer links every page repeats.  Only the coordinator thread may call
    ``in`` (the store connection is its own); workers use `seen_or_claim`.
    """

    def __init__(self, store: Store, site_id: str, size: int = RECENT_URLS) -> None:
        self.store = store
        self.site_id = site_id
        self.size = size
        self.recent: OrderedDict[str, None] = OrderedDict()
        self._claims: set[str] = set()
        self._claims_lock = threading.Lock()

    def add(self, url: str) -> None:
        """Remember a URL just admitted (it reaches the store at the next flush)."""
        with self._claims_lock:
            self._remember(url)
            self._claims.discard(url)

    def admit(self, url: str) -> bool:
        """For the coordinator admitting a link: remember it and answer True,
        unless a worker is fetching it right now through a redirect.

        Under the same lock as `seen_or_claim`, so a link and a redirect to
        one page can never both fetch it: whichever comes first wins.
        """
        with self._claims_lock:
            if url in self._claims:
                return False
            self._remember(url)
            return True

    def _remember(self, url: str) -> None:
        self.recent[url] = None
        self.recent.move_to_end(url)
        if len(self.recent) > self.size:
            self.recent.popitem(last=False)

    def seen_or_claim(self, url: str) -> bool:
        """For a worker about to follow a redirect: True when the target is
        known or another worker is already following a redirect to it; else
        claim it and answer False.

        Two pages redirecting to one target (``/node/7`` and an old alias), or
        a redirect and a link to it, fetched at the same time would otherwise
        both fetch it: the seen set learns of a target only when its page
        comes back.
        """
        with self._claims_lock:
            if url in self.recent or url in self._claims:
                return True
            self._claims.add(url)
            return False

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        if url in self.recent:
            self.recent.move_to_end(url)
            return True
        if not self.store.in_frontier(self.site_id, url):
            return False
        self.add(url)
        return True


class _Crawl:
    """State of one crawl run; `run` is the whole story."""

    def __init__(
        self,
        url: str,
        store: Store,
        options: CrawlOptions,
        progress: Progress,
        throttle: Throttle | None = None,
    ) -> None:
        clean, userinfo = _split_userinfo(url)
        start = normalise_url(clean)
        if start is None:
            raise CrawlError(f"not an http(s) URL: {clean}")
        if options.concurrency < 1 or options.max_pages < 1:
            raise CrawlError("concurrency and max_pages must be at least 1")
        self.start = start
        self.source = model.normalise_source(clean)
        self.sid = model.site_id(clean)
        self.store = store
        self.options = options
        self.progress = progress
        self.fingerprints: dict[str, Any] | None = None
        self.probe_candidates: Sequence[remote_step.ProbeCandidate] = ()
        self.host = host_of(start)
        try:
            self.scope = Scope(self.host, options.path_prefix, options.include, options.exclude)
        except ValueError as exc:
            raise CrawlError(str(exc)) from None
        credentials = options.auth or userinfo
        self.form_login = bool(options.login_url) or options.auth_type == "form"
        auth: Any = None
        if credentials and not self.form_login:
            if options.auth_type == "digest":
                auth = HTTPDigestAuth(*credentials)
            elif options.auth_type == "basic":
                auth = HTTPBasicAuth(*credentials)
            else:
                raise CrawlError(f"unknown auth type {options.auth_type!r} (basic, digest, form)")
        self.credentials = credentials
        self.throttle = throttle or Throttle(politeness_for(options))
        self.fetcher = Fetcher(
            limits_for(options),
            self.scope,
            self.throttle,
            auth=auth,
            headers=options.headers,
            cookies=options.cookies,
        )
        self.login: FormLogin | None = None
        self.warnings: list[str] = []
        self.fetched = 0
        self.errors = 0
        # Coordinator-only state, flushed to the store together.
        self.batch_pages: list[tuple[str, int, str]] = []  # (url, status, page JSON)
        self.batch_enqueue: list[tuple[str, int, str]] = []
        self.batch_done: list[str] = []
        self.last_flush = time.monotonic()
        self.connected = False
        self.stored_initial = 0
        self.queued = 0
        self.sitemap_styles: list[str] = []
        self.parser: ParseProcesses | None = None
        """Parse helpers shared with other crawls; None: this crawl makes its own."""
        self.noted_parser = False

    # -- store -------------------------------------------------------------

    def _flush(self, force: bool = False) -> None:
        """Commit fetched pages with the links they revealed, in one transaction."""
        if not (self.batch_pages or self.batch_enqueue or self.batch_done):
            return
        if (
            not force
            and len(self.batch_pages) < COMMIT_MAX_PAGES
            and time.monotonic() - self.last_flush < COMMIT_MAX_SECONDS
        ):
            return
        with self.store.transaction():
            if self.batch_enqueue:
                self.queued += self.store.enqueue(self.sid, self.batch_enqueue)
            if self.batch_pages:
                self.store.put_page_rows(self.sid, self.batch_pages)
            if self.batch_done:
                self.store.mark_done(self.sid, self.batch_done)
        self.batch_pages, self.batch_enqueue, self.batch_done = [], [], []
        self.last_flush = time.monotonic()

    # -- before the first page ---------------------------------------------

    def _connect(self) -> None:
        """Log in and read robots.txt, once, before the first request that needs it."""
        if self.connected:
            return
        self.connected = True
        if self.form_login:
            if not self.credentials:
                raise CrawlError("form login needs a user name and password (--auth)")
            login_url = self.options.login_url or urljoin(self.start, "/user/login")
            login_url = normalise_url(login_url, self.start) or login_url
            user, password = self.credentials
            self.login = FormLogin(self.fetcher, login_url, user, password)
            try:
                self.login.login()
            except LoginError as exc:
                raise CrawlError(str(exc)) from None
        self._load_robots()

    def _load_robots(self) -> None:
        if self.options.ignore_robots:
            return
        root = urlunsplit((urlsplit(self.start).scheme, self.host, "/robots.txt", "", ""))
        got = self.fetcher.fetch(root, want_body=True)
        if got.status == 0 and got.error:
            self._unreachable(got.error)
        if got.status >= 500:
            raise CrawlError(
                f"{root} answered HTTP {got.status}; robots.txt rules say stay away "
                "(RFC 9309): retry later, or pass --ignore-robots with the owner's consent"
            )
        text = ""
        if got.status == 200 and got.body:
            text = got.body.decode("utf-8", "replace")
        robots = Robots(text, ignore=False, found=got.status == 200)
        self.fetcher.robots = robots
        asked = robots.crawl_delay
        if not asked:
            return
        if self.options.respect_crawl_delay:
            honoured = min(asked, max(self.options.max_crawl_delay, 0.0))
            self.throttle.set_policy(
                Politeness(max_concurrency=1, delay=max(self.options.delay, honoured))
            )
            note = f"robots.txt Crawl-delay {asked:g} s obeyed (one request at a time)"
            if honoured < asked:
                note = (
                    f"robots.txt asks for Crawl-delay {asked:g} s; obeyed up to "
                    f"{honoured:g} s (--max-crawl-delay), one request at a time"
                )
        else:
            note = (
                f"robots.txt asks for Crawl-delay {asked:g} s; not applied: the crawl adapts "
                "to the server's answers instead (--respect-crawl-delay applies it)"
            )
        self.warnings.append(note)
        self.progress.note(note)

    def _unreachable(self, error: str) -> None:
        if error.startswith("DNS"):
            raise CrawlError(f"cannot crawl {self.start}: {error}")
        raise CrawlError(f"cannot reach {self.host}: {error}")

    def _admit(
        self, url: str, depth: int, referrer: str, known: KnownUrls, guard: TrapGuard
    ) -> bool:
        """Whether a discovered URL enters the frontier (batched for the next flush)."""
        if depth > self.options.max_depth or url in known:
            return False
        if not self.scope.allows(url) or not self.fetcher.robots.allowed(url):
            return False
        if not guard.admit(url) or not known.admit(url):
            return False
        self.batch_enqueue.append((url, depth, referrer))
        return True

    # -- the run -----------------------------------------------------------

    def run(self) -> model.Site:
        started = time.monotonic()
        self.progress.start(f"crawl {self.host}")
        try:
            return self._run(started)
        finally:
            self.fetcher.close()

    def _run(self, started: float) -> model.Site:
        done, queued = self.store.frontier_size(self.sid)
        fresh = done + queued == 0
        stored = self.store.page_count(self.sid)
        budget = self.options.max_pages - stored
        self.stored_initial = stored
        self.queued = queued
        if fresh or (queued and budget > 0):
            self._connect()
        # Nothing here grows with the site: the frontier stays in the store and
        # is read REFILL rows at a time, known URLs are looked up there.
        known = KnownUrls(self.store, self.sid)
        guard = TrapGuard(self.options.per_pattern_cap, self.store.frontier_urls(self.sid))
        if fresh:
            self._start(known, guard)
            budget -= 1
        self._crawl_loop(known, guard, budget)
        self._flush(force=True)
        return self._conclude(started)

    def _start(self, known: KnownUrls, guard: TrapGuard) -> None:
        """Fetch the start URL synchronously: the place to fail with a clear message."""
        if not self.fetcher.robots.allowed(self.start):
            raise CrawlError(
                f"robots.txt disallows {self.start}; pass --ignore-robots with the owner's consent"
            )
        got = self.fetcher.fetch(self.start)
        if got.status == 0:
            self._unreachable(got.error)
        if got.redirects and not self.scope.same_host(got.final_url):
            raise CrawlError(
                f"{self.start} redirects to another host ({got.final_url}); crawl that URL instead"
            )
        if got.status == 401:
            raise CrawlError(f"{self.start} needs credentials (HTTP 401); pass --auth")
        if got.status >= 400:
            raise CrawlError(f"{self.start} answered HTTP {got.status}")
        if got.error:
            raise CrawlError(f"{self.start} could not be read: {got.error}")
        if not is_html_type(got.content_type):
            shown = got.content_type or "no Content-Type"
            raise CrawlError(f"{self.start} is not an HTML page ({shown})")
        known.add(self.start)
        guard.admit(self.start, force=True)
        self.batch_enqueue.append((self.start, 0, ""))
        self._handle(record_page(got, 0, self.host), known, guard)
        roots = [urljoin(self.start, "/sitemap.xml"), *self.fetcher.robots.sitemaps]
        roots = [normalise_url(root, self.start) or root for root in roots]
        elsewhere = [root for root in roots if not self.scope.same_host(root)]
        if elsewhere:
            self.warnings.append(
                f"robots.txt lists {len(elsewhere)} sitemap(s) on another host, not fetched "
                f"(requests go to {self.host} only): {', '.join(elsewhere[:3])}"
            )
            roots = [root for root in roots if root not in elsewhere]
        limit = max(self.options.max_pages * 2, 100)
        locs, self.sitemap_styles = sitemap_urls(self.fetcher.simple, roots, limit)
        for loc in locs:
            norm = normalise_url(loc)
            if norm:
                self._admit(norm, 1, "sitemap.xml", known, guard)

    def _handle(self, page: PageRecord, known: KnownUrls, guard: TrapGuard) -> None:
        self.fetched += 1
        self.queued = max(0, self.queued - 1)
        if page.error or page.status == 0:
            self.errors += 1
        final = page.final_url
        if final and final != page.url and self.scope.same_host(final) and final not in known:
            # The redirect target's content is recorded on this page; fetching
            # it again would only duplicate it.
            known.add(final)
            self.batch_enqueue.append((final, page.depth, page.url))
            self.batch_done.append(final)
        if 200 <= page.status < 300:
            for link in page.links:
                self._admit(link, page.depth + 1, page.url, known, guard)
        self.batch_pages.append((page.url, page.status, page.data))

    def _refill(self, inflight: Iterable[str]) -> list[tuple[str, int, str]]:
        """The next frontier rows to fetch, breadth first, skipping those in flight.

        Flushes first, so every page already fetched is marked done and every
        link found so far is in the store's queue.
        """
        self._flush(force=True)
        busy = set(inflight)
        rows = self.store.pending(self.sid, limit=REFILL + len(busy))
        return [row for row in rows if row[0] not in busy][:REFILL]

    def _crawl_loop(self, known: KnownUrls, guard: TrapGuard, budget: int) -> None:
        """Keep the workers busy until the frontier or the page budget is spent."""
        if budget <= 0:
            return
        workers = self.options.concurrency
        queue: deque[tuple[str, int, str]] = deque()
        inflight: set[str] = set()
        # Every URL given to a worker comes back here exactly once, as its page
        # record or as the exception that stopped it, from the worker or from
        # a parse helper's reader thread.  A queue is cheaper per page than
        # futures and concurrent.futures.wait() (measurable at ~1,000 pages/s).
        done: SimpleQueue[tuple[str, PageRecord | Exception]] = SimpleQueue()
        parser = self.parser
        if parser is None:
            helpers = parse_helpers(self.options)
            parser = ParseProcesses(helpers) if helpers else None
        if parser is not None and self.options.parse_processes is not None:
            parser.start()

        def work(url: str, depth: int) -> None:
            """Fetch in this worker; parse here or hand the page to a helper."""
            try:
                got = fetch_for_record(self.fetcher, self.login, url, known.seen_or_claim)
                if parser is None:
                    done.put((url, record_page(got, depth, self.host)))
                else:
                    parser.submit(got, depth, self.host, lambda record: done.put((url, record)))
            except Exception as exc:  # noqa: BLE001 - reported on the page
                done.put((url, exc))

        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drupalscan-crawl")
        try:
            while True:
                if parser and not parser.started and self.fetched >= PARSE_HELPERS_AFTER:
                    parser.start()  # a big crawl: worth the helpers' start-up
                if not queue and budget > 0 and len(inflight) < workers * 2:
                    queue.extend(self._refill(inflight))
                while queue and len(inflight) < workers * 2 and budget > 0:
                    url, depth, _ref = queue.popleft()
                    pool.submit(work, url, depth)
                    inflight.add(url)
                    budget -= 1
                if not inflight:
                    break
                finished = []
                try:
                    finished.append(done.get(timeout=0.5))
                    while True:
                        finished.append(done.get_nowait())
                except Empty:
                    pass
                for url, outcome in finished:
                    inflight.discard(url)
                    if isinstance(outcome, Exception):
                        error = f"internal error: {type(outcome).__name__}"
                        outcome = record_of(model.Page(url=url, error=error))
                    self._handle(outcome, known, guard)
                self._flush()
                self.progress.update(
                    self.stored_initial + self.fetched,
                    queued=self.queued + len(inflight),
                    errors=self.errors,
                )
        finally:
            pool.shutdown(wait=not inflight, cancel_futures=True)
            if parser is not None and parser.broken and not self.noted_parser:
                # Slower, not wrong: the pages were parsed in this process.
                self.noted_parser = True
                self.progress.note(f"{parser.broken}; pages were parsed in the crawl process")
            if parser is not None and parser is not self.parser:
                parser.close()
            self._flush(force=True)

    # -- the site ----------------------------------------------------------------

    def _conclude(self, started: float) -> model.Site:
        """The Site: the stored pages' summary, plus the remote step's answers.

        A rerun that fetched nothing new (the crawl was already whole) keeps
        the earlier run's remote answers instead of asking the site again.
        """
        previous = self.store.get_site(self.sid)
        summary = summarise_pages(self.store, self.sid, self.host)
        reuse = previous is not None and "crawl" in previous.collected and not self.fetched
        kind, kind_evidence = summary.kind()
        if reuse and previous is not None:
            answers = remote_step.Remote.from_site(previous)
        else:
            self._connect()
            answers = remote_step.assess(
                remote_step.Question(
                    base=urljoin(self.start, summary.base_path or "/"),
                    kind=kind,
                    summary=summary,
                    sitemap_styles=self.sitemap_styles,
                    fingerprints=self.fingerprints,
                    candidates=self.probe_candidates if self.options.probe else (),
                    budget=self.options.probe_budget if self.options.probe else 0,
                    concurrency=self.options.concurrency,
                ),
                self.fetcher.simple,
                self.fetcher.robots,
            )
        site = _site_from(self, summary, answers, previous if reuse else None)
        self.store.put_site(site)
        elapsed = time.monotonic() - started
        probes = f", {answers.requests} extra requests" if answers.requests else ""
        self.progress.finish(
            f"{self.host}: {summary.pages} pages, {summary.errors} errors, "
            f"{len(summary.broken_links)} broken links{probes} in {elapsed:.1f} s "
            f"(politeness: {self.throttle.stats.describe()})"
        )
        return site


def _site_from(
    crawl: _Crawl,
    summary: PageSummary,
    answers: remote_step.Remote,
    previous: model.Site | None,
) -> model.Site:
    """Assemble the Site from the page summary and the remote answers."""
    summary.add_signals(answers.signals)
    kind, kind_evidence = summary.kind()
    kind_evidence = _merge_evidence(kind_evidence, answers.evidence)
    if kind == "drupal" and answers.core_version:
        kind = {"6": "drupal6", "7": "drupal7"}.get(answers.core_version.split(".")[0], "drupal8+")
    modules, themes = remote_step.extensions(summary.signals.values(), answers)
    name = summary.site_name or summary.title_suffix or (previous.name if previous else "")
    warnings = [*summary.warnings, *crawl.warnings, *answers.warnings]
    if previous is not None:
        warnings = [*previous.warnings, *warnings]
    return model.Site(
        id=crawl.sid,
        source=crawl.source,
        origin="url",
        name=name,
        kind=kind,
        core_version=answers.core_version,
        core_candidates=answers.core_candidates,
        kind_evidence=kind_evidence,
        modules=modules,
        themes=themes,
        pages=summary.pages,
        templates=summary.templates,
        content_types=[*content_types_from_templates(summary.templates), *answers.content_types],
        vocabularies=answers.vocabularies,
        sections=summary.sections,
        broken_links=len(summary.broken_links),
        broken_link_details=summary.broken_links,
        redirect_chains=summary.redirect_chains,
        duplicate_titles=summary.duplicate_titles,
        warnings=list(dict.fromkeys(warnings)),
        collected=["crawl"],
    )


def _merge_evidence(
    first: list[model.Evidence], more: Iterable[model.Evidence]
) -> list[model.Evidence]:
    out = list(first)
    details = {e.detail for e in out}
    for ev in more:
        if ev.detail not in details:
            details.add(ev.detail)
            out.append(ev)
    return out
