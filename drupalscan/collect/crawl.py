"""The live-site crawler: fetch a site's pages into the store, then sum it up.

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
* Politeness lives in `HostGate`: one schedule per host, ``delay`` between
  request starts with jitter, pushed back by ``Retry-After``.  robots.txt's
  Crawl-delay raises ``delay``, up to ``max_crawl_delay``.
* A portfolio run crawls several sites at once (`drupalscan.collect.portfolio`)
  and caps the requests in flight across all of them: ``crawl_site`` takes an
  optional ``request_slots`` semaphore shared by those crawls.  A worker takes
  a slot after `HostGate` lets it go (so waiting out a delay holds none) and
  gives it back once the response is closed, body read; a thread never holds
  two.  Without the semaphore nothing changes.
* The site summary is derived from the stored pages alone, in URL order:
  each page keeps the facts fingerprinting reads (`fp.PageFacts`: the
  identifying response headers, cookie names, meta generator, Drupal.settings
  keys, module-naming classes, form ids), so a crawl interrupted and
  resumed concludes exactly what an uninterrupted one does.
* Parsing may leave the process: a big crawl on a machine with a spare core
  hands each fetched page to a helper process (`drupalscan.collect.parseproc`),
  which returns the page record with its stored JSON already made.  The
  coordinator then only writes text and admits links, and the workers'
  shared interpreter lock is left to fetching (see `CrawlOptions.parse_processes`).
* Requests go to the crawled host only (either scheme): the sessions carry
  its credentials, cookies, extra headers and proxy.  A sitemap that
  robots.txt lists elsewhere is named in a warning, not fetched.
* Secrets (passwords, cookies, auth headers) live only in the sessions.
  Pages keep only allow-listed, identifying response headers (never
  Set-Cookie, never request headers), cookie names without values, and
  URLs lose their user info, so nothing secret reaches the store.
"""

from __future__ import annotations

import email.utils
import os
import random
import re
import threading
import time
import urllib.robotparser
import zlib
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests
import urllib3.exceptions
from bs4 import BeautifulSoup
from requests.auth import HTTPBasicAuth, HTTPDigestAuth
from requests.structures import CaseInsensitiveDict

from drupalscan import __version__
from drupalscan.collect import fingerprint as fp
from drupalscan.collect.pageparse import is_html_type
from drupalscan.collect.pagerecord import Fetched, PageRecord, record_of, record_page
from drupalscan.collect.parseproc import ParseProcesses
from drupalscan.collect.urls import Scope, TrapGuard, host_of, is_loopback, normalise_url
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress

USER_AGENT = f"drupalscan/{__version__} (+https://github.com/drupalscan/drupalscan)"
COMMIT_MAX_PAGES = 1
"""Pages that make the coordinator commit: 1 commits every loop round with a
page in it, so a kill -9 refetches only answers not yet committed (see the
module docstring).  Larger values batch commits, for speed, and a kill then
refetches up to this many pages more."""
COMMIT_MAX_SECONDS = 1.0
"""Longest time fetched pages wait for their commit."""
MAX_REDIRECT_CHAINS = 200
"""Redirect chains listed on a Site; more are counted in a warning."""
MAX_DUPLICATE_TITLES = 200
"""Shared titles listed on a Site (most repeated first); more are counted."""
MAX_DUPLICATE_URLS = 50
"""URLs listed per shared title."""
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RETRY_AFTER_CAP = 30.0
"""A Retry-After longer than this is shortened: the crawl must end some day."""
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_SITEMAPS = 20
SITEMAP_MAX_BYTES = 50_000_000
"""Most bytes of one decompressed sitemap (the sitemaps.org limit)."""
RECENT_URLS = 50_000
"""URLs remembered in memory for quick dedup; older ones are looked up in the store."""
REFILL = 1000
"""Frontier rows loaded into memory at a time."""
MAX_RELOGINS = 3
"""Form logins after the first one in a crawl; a session that keeps expiring is an error."""
DRAIN_BYTES = 65536
"""Bytes (decompressed) read from a skipped body so its connection can be reused."""
KEPT_HEADERS = tuple(
    dict.fromkeys(("Content-Type", "Content-Language", "Last-Modified", *fp.FACT_HEADERS))
)
"""Response headers kept in memory for parsing and fingerprinting; none is secret."""
PARSE_HELPERS_AFTER = 200
"""Pages handled before an auto-sized crawl starts its parse helpers."""


class CrawlError(Exception):
    """The crawl cannot start or go on; the message is one line for the user."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlOptions:
    """How to crawl.  Defaults are polite for a site you are allowed to assess."""

    concurrency: int = 4
    """Worker threads, hence the most requests in flight to the host."""
    delay: float = 0.0
    """Seconds between request starts to one host (plus up to 25 % jitter)."""
    timeout: float = 10.0
    """Seconds to connect and between bytes of a response."""
    max_pages: int = 500
    """Pages stored per site, across resumed runs."""
    max_depth: int = 20
    """Link hops from the start URL."""
    include: tuple[str, ...] = ()
    """Regexes; when given, a URL must match one to be crawled."""
    exclude: tuple[str, ...] = ()
    """Regexes; a URL matching one is not crawled."""
    path_prefix: str = ""
    """Only crawl paths starting with this (e.g. ``/hr/``)."""
    ignore_robots: bool = False
    """Skip robots.txt, only with the site owner's consent."""
    max_crawl_delay: float = 2.0
    """Longest robots.txt Crawl-delay honoured, in seconds: the delay used is
    ``max(delay, min(Crawl-delay, max_crawl_delay))``.  A site asking for 10 s
    would make a 5,000-page crawl take 14 hours; the cap is noted in the
    site's warnings."""
    max_bytes: int = 5_000_000
    """Larger responses are cut off and recorded as "too large"."""
    retries: int = 3
    """Retries for connection errors, 408, 429 and 5xx."""
    max_redirects: int = 10
    """Longest redirect chain followed."""
    per_pattern_cap: int = 50
    """Most URLs per trap-prone pattern (``/events/N/N``, ``/search?q``)."""
    auth: tuple[str, str] | None = None
    """(user, password) for HTTP auth or the Drupal login form."""
    auth_type: str = "basic"
    """``basic``, ``digest`` or ``form`` (implied by ``login_url``)."""
    cookies: tuple[tuple[str, str], ...] = ()
    """Cookies to send (e.g. an existing session)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra request headers (e.g. an access token)."""
    login_url: str = ""
    """Drupal login page (``/user/login``); the form is filled with ``auth``."""
    probe: bool = False
    """Ask for ``NAME.info`` of candidate modules under ``sites/all/modules``,
    ``sites/all/modules/contrib`` and ``sites/default/modules`` (bounded)."""
    read_time: float = 60.0
    """Longest seconds to read one response body: ``timeout`` only bounds the
    gap between bytes, so a server trickling a byte a second would hold a
    worker for days without this."""
    parse_processes: int | None = None
    """Helper processes that parse pages (`drupalscan.collect.parseproc`):
    0 parses in the worker threads; N starts N helpers at once; None (auto)
    starts one on a machine with two cores or more, once a crawl has handled
    `PARSE_HELPERS_AFTER` pages: starting it costs more than parsing a small
    site's pages.  One helper parses about 2,000 typical pages a second,
    more than one process fetches with requests; a second one only
    competes for the cores (bench/bench_crawl.py, 2 cores)."""


def parse_helpers(options: CrawlOptions) -> int:
    """How many parse helper processes a crawl with these options uses."""
    if options.parse_processes is not None:
        return max(0, options.parse_processes)
    return 1 if (os.cpu_count() or 1) >= 2 else 0


# -- politeness ------------------------------------------------------------------


class HostGate:
    """Spaces request starts per host and applies Retry-After to all workers."""

    def __init__(self, delay: float) -> None:
        self.delay = max(0.0, delay)
        self.lock = threading.Lock()
        self.next: dict[str, float] = {}

    def wait(self, host: str) -> None:
        """Block until this host may receive the next request."""
        if not self.delay and not self.next:
            return
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next.get(host, 0.0))
            gap = self.delay + (random.uniform(0, self.delay * 0.25) if self.delay else 0.0)
            self.next[host] = slot + gap
        if slot > now:
            time.sleep(slot - now)

    def defer(self, host: str, seconds: float) -> None:
        """Let no request reach the host for ``seconds`` (Retry-After, backoff)."""
        with self.lock:
            self.next[host] = max(self.next.get(host, 0.0), time.monotonic() + seconds)


def effective_delay(options: CrawlOptions, crawl_delay: float) -> float:
    """Seconds between requests: ``--delay``, raised to robots.txt's Crawl-delay up to the cap.

    The site's wish is honoured by default (STYLE 7: be polite), but only up
    to ``max_crawl_delay``: Crawl-delay values of 10-30 s are common
    leftovers that would make an assessment crawl last days.
    """
    honoured = min(max(crawl_delay, 0.0), max(options.max_crawl_delay, 0.0))
    return max(options.delay, honoured)


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), RETRY_AFTER_CAP))


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter: 0.5, 1, 2, 4 ... seconds, capped."""
    return float(min(BACKOFF_BASE * 2**attempt, BACKOFF_CAP) * random.uniform(0.8, 1.2))


def describe_error(exc: BaseException, host: str) -> str:
    """A short, secret-free description of a failed request."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.Timeout):
        return "timeout"
    if re.search(r"NameResolution|Name or service not known|getaddrinfo|nodename nor", text):
        return f"DNS lookup failed for {host.split(':')[0]}"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "SSLError" in type(exc).__name__ or "SSL" in text[:200]:
        return "TLS/SSL error"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection broken while reading"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "bad compressed data"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection error"
    return type(exc).__name__


# -- fetching --------------------------------------------------------------------


class Robots:
    """robots.txt rules for our User-Agent (everything allowed when absent)."""

    def __init__(self, text: str = "", ignore: bool = True) -> None:
        self.ignore = ignore
        self.parser = urllib.robotparser.RobotFileParser()
        self.parser.parse(text.splitlines())
        self.sitemaps = list(self.parser.site_maps() or [])
        self.crawl_delay = 0.0 if ignore else crawl_delay(text)

    def allowed(self, url: str) -> bool:
        """Whether our User-Agent may fetch the URL."""
        return self.ignore or self.parser.can_fetch(USER_AGENT, url)


_ROBOTS_LINE = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*([^#]*)")


def crawl_delay(robots_txt: str, agent: str = "drupalscan") -> float:
    """The Crawl-delay robots.txt sets for our agent (its own group, else ``*``).

    The standard library reads whole seconds only and ignores ``0.5``; sites
    do write fractions, so the groups are read here.
    """
    found: dict[str, float] = {}
    agents: list[str] = []
    in_rules = False
    for line in robots_txt.splitlines():
        match = _ROBOTS_LINE.match(line)
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value.lower())
            continue
        in_rules = True
        if key == "crawl-delay":
            try:
                seconds = float(value)
            except ValueError:
                continue
            if seconds >= 0:
                for name in agents:
                    found.setdefault(name, seconds)
    for name, seconds in found.items():
        if name != "*" and name in agent.lower():
            return seconds
    return found.get("*", 0.0)


class _Session(requests.Session):
    """A session that never reads a redirect's body on its own.

    Even with ``allow_redirects=False`` requests prepares the next request
    of a redirect (``Response.next``) and reads the redirect's whole body,
    decompressed, to release the socket: a redirect carrying a gzip bomb or
    an endless body would exhaust memory or hang a worker.  The crawler
    follows redirects itself, so requests is told there is never one.
    """

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        return None


class Fetcher:
    """Thread-safe fetching: one session per worker thread, shared politeness."""

    def __init__(
        self,
        options: CrawlOptions,
        scope: Scope,
        gate: HostGate,
        auth: Any = None,
        slots: threading.Semaphore | None = None,
    ) -> None:
        self.options = options
        self.scope = scope
        self.gate = gate
        self.slots = slots
        # requests reads proxies, the CA bundle and ~/.netrc from the
        # environment on every request (its trust_env): about 15 % of a fast
        # fetch.  A crawl talks to one host, so they are read once, here,
        # with requests' own functions, and the sessions do not look again.
        here = urlunsplit(("http", scope.host, "/", "", ""))
        self.proxies = {} if is_loopback(here) else requests.utils.get_environ_proxies(here)
        self.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self.auth = auth if auth is not None else requests.utils.get_netrc_auth(here)
        self.robots = Robots()
        self.local = threading.local()
        self.cookies = requests.cookies.RequestsCookieJar()
        for name, value in options.cookies:
            self.cookies.set(name, value)
        self.sessions: list[requests.Session] = []
        self.lock = threading.Lock()
        # Form login: how to log in again when the session expires mid-crawl.
        self.login: Callable[[], None] | None = None
        self.login_path = ""
        self.login_lock = threading.Lock()
        self.login_generation = 0
        self.relogins = 0
        self.relogin_error = ""

    def session(self) -> requests.Session:
        """This thread's session, made on first use with auth, headers, cookies.

        After a new login (another thread may have done it) the shared
        cookies are copied in again, so every worker uses the new session.
        """
        sess = getattr(self.local, "session", None)
        if sess is None:
            sess = _Session()
            sess.trust_env = False  # read once in __init__
            sess.proxies.update(self.proxies)
            sess.verify = self.verify or True
            sess.headers["User-Agent"] = USER_AGENT
            sess.headers.update(dict(self.options.headers))
            sess.auth = self.auth
            sess.max_redirects = self.options.max_redirects
            self.local.session = sess
            self.local.generation = -1
            with self.lock:
                self.sessions.append(sess)
        if self.local.generation != self.login_generation:
            with self.lock:
                sess.cookies.update(self.cookies)
            self.local.generation = self.login_generation
        return sess

    def logged_out(self, got: Fetched) -> bool:
        """Whether a form-login crawl's answer says the session has expired.

        Drupal answers an expired session with a redirect to the login form
        or with 403/401.  A 403 page that still carries Drupal's
        ``logged-in`` body class is a real access denial, not an expiry.
        """
        if self.login is None:
            return False
        if got.redirects and self.login_path:
            path = urlsplit(got.final_url).path.rstrip("/")
            if path == self.login_path.rstrip("/"):
                return True
        if got.status in (401, 403):
            return b"logged-in" not in (got.body or b"").replace(b"not-logged-in", b"")
        return False

    def relogin(self, generation: int) -> str:
        """Log in again unless another thread already did; "" or why not.

        Bounded by MAX_RELOGINS per crawl: a site that logs us out on every
        page must not be hammered with login POSTs.
        """
        with self.login_lock:
            if self.login_generation != generation:
                return ""
            if self.relogin_error:
                return self.relogin_error
            if self.login is None or self.relogins >= MAX_RELOGINS:
                self.relogin_error = f"session expired again after {self.relogins} new logins"
                return self.relogin_error
            self.relogins += 1
            try:
                self.login()
            except CrawlError as exc:
                self.relogin_error = f"session expired; logging in again failed ({exc})"
                return self.relogin_error
            with self.lock:
                self.login_generation += 1
            return ""

    def take_slot(self) -> None:
        """Wait for one of the portfolio's global request slots (if any).

        A slot this thread still holds is given back first, so a response
        left unclosed by a bug cannot shrink the global cap for good.
        """
        if self.slots is not None:
            self.give_slot()
            self.slots.acquire()
            self.local.slot = True

    def give_slot(self) -> None:
        """Give this thread's request slot back; a no-op when it holds none."""
        if self.slots is not None and getattr(self.local, "slot", False):
            self.local.slot = False
            self.slots.release()

    def close(self) -> None:
        """Close every worker session."""
        with self.lock:
            for sess in self.sessions:
                sess.close()
            self.sessions.clear()

    def _request(
        self, url: str, method: str = "GET", data: dict[str, str] | None = None
    ) -> tuple[requests.Response | None, str]:
        """One request with retries on connection errors, 408, 429 and 5xx.

        Only the crawled host is ever asked: the sessions carry its
        credentials, cookies, headers and proxy, which must not reach
        another host (a robots.txt may list a sitemap anywhere).
        """
        host = host_of(url)
        if not self.scope.same_host(url):
            return None, f"{host} is not the crawled host; not fetched"
        sess = self.session()
        error = ""
        for attempt in range(self.options.retries + 1):
            self.gate.wait(host)
            self.take_slot()  # held until the caller has closed the response
            try:
                resp = sess.request(
                    method,
                    url,
                    data=data,
                    stream=True,
                    timeout=self.options.timeout,
                    allow_redirects=False,
                )
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                self.give_slot()
                error = describe_error(exc, host)
                if error.startswith("DNS"):
                    return None, error
                if attempt < self.options.retries:
                    self.gate.defer(host, backoff(attempt))
                continue
            except requests.RequestException as exc:
                self.give_slot()
                return None, describe_error(exc, host)
            except BaseException:
                self.give_slot()
                raise
            if resp.status_code in RETRY_STATUSES and attempt < self.options.retries:
                pause = retry_after(resp.headers.get("Retry-After"))
                resp.close()
                self.give_slot()
                self.gate.defer(host, backoff(attempt) if pause is None else pause)
                continue
            return resp, ""
        return None, error

    def fetch(
        self, url: str, want_body: bool | None = None, known: Callable[[str], bool] | None = None
    ) -> Fetched:
        """GET a URL following same-host redirects by hand.

        ``want_body`` None reads the body of HTML responses only; True reads
        any body (robots.txt, sitemaps, fingerprint files).  A redirect to a
        URL the crawl already ``known``s is recorded, not followed: that
        page is (or will be) fetched on its own.
        """
        out = Fetched(url=url, final_url=url)
        current = url
        seen = {url}
        try:
            while True:
                resp, error = self._request(current)
                if resp is None:
                    out.error = error
                    return out
                out.status = resp.status_code
                out.cookie_names.extend(c.name for c in resp.cookies)
                out.headers = CaseInsensitiveDict(
                    {k: resp.headers[k] for k in KEPT_HEADERS if k in resp.headers}
                )
                location = resp.headers.get("Location")
                if resp.status_code in REDIRECT_STATUSES and location:
                    _release(resp)
                    self.give_slot()
                    target = normalise_url(location, current)
                    out.redirects.append(current)
                    if target is None:
                        out.error = "redirect to a non-HTTP URL"
                        return out
                    out.final_url = target
                    if target in seen:
                        out.error = "redirect loop"
                        return out
                    if len(out.redirects) > self.options.max_redirects:
                        out.error = f"too many redirects (more than {self.options.max_redirects})"
                        return out
                    if not self.scope.same_host(target) or (known is not None and known(target)):
                        return out
                    if not self.robots.allowed(target):
                        out.error = "redirect target disallowed by robots.txt"
                        return out
                    seen.add(target)
                    current = target
                    continue
                out.final_url = current
                read = is_html_type(out.content_type) if want_body is None else want_body
                self._read(resp, out, read)
                if out.status in RETRY_STATUSES and not out.error:
                    attempts = self.options.retries + 1
                    out.error = f"HTTP {out.status} after {attempts} attempt{'s' * (attempts > 1)}"
                return out
        finally:
            self.give_slot()

    def _read(self, resp: requests.Response, out: Fetched, read: bool) -> None:
        """Read (or just measure) the body, stopping at max_bytes of decoded data."""
        limit = self.options.max_bytes
        length = resp.headers.get("Content-Length", "")
        try:
            if length.isdigit() and int(length) > limit:
                out.size = int(length)
                out.error = "too large"
                return
            if not read and length.isdigit():
                out.size = int(length)
                if out.size <= DRAIN_BYTES:
                    _release(resp)
                return
            body, out.size, out.error = read_body(resp, limit, self.options.read_time, keep=read)
            if read and not out.error:
                out.body = body
        finally:
            resp.close()

    def simple(self, url: str) -> tuple[int, bytes]:
        """(status, body) of a URL for robots, sitemaps and fingerprinting.

        robots.txt applies here as everywhere; a disallowed URL answers
        status -1 without a request.
        """
        if not self.robots.allowed(url):
            return -1, b""
        got = self.fetch(url, want_body=True)
        if got.error or got.body is None:
            return got.status if got.status and not got.error else 0, b""
        return got.status, got.body


def read_body(
    resp: requests.Response, limit: int, seconds: float, keep: bool = True
) -> tuple[bytes, int, str]:
    """(body, size, error) of a streamed response, bounded in bytes and time.

    ``limit`` counts decompressed bytes, so a gzip bomb (a few KB that
    inflate to gigabytes) stops at the limit; ``read1`` returns what has
    arrived instead of waiting for a full chunk, so the ``seconds`` deadline
    also stops a server that trickles bytes just inside the read timeout.
    Errors are secret-free one-liners; the body is b"" unless ``keep``.
    """
    deadline = time.monotonic() + seconds
    raw = resp.raw
    read1 = getattr(raw, "read1", None)
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if read1 is not None:
                chunk = read1(65536, decode_content=True)
            else:  # urllib3 1.x: no read1; read() waits for a whole chunk
                chunk = raw.read(65536, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                return b"", size, "too large"
            if keep:
                chunks.append(chunk)
            if time.monotonic() > deadline:
                return b"", size, f"too slow (body not read within {seconds:g} s)"
    except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as exc:
        return b"", size, describe_error(_wrap(exc), host_of(resp.url or ""))
    return b"".join(chunks), size, ""


def _wrap(exc: BaseException) -> BaseException:
    """Map urllib3 read errors (raw reads raise them) to what `describe_error` knows."""
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return requests.exceptions.Timeout(str(exc))
    if isinstance(exc, urllib3.exceptions.DecodeError):
        return requests.exceptions.ContentDecodingError(str(exc))
    if isinstance(exc, (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError)):
        return requests.exceptions.ChunkedEncodingError(str(exc))
    return exc


def _release(resp: requests.Response) -> None:
    """Drain a small body so the connection goes back to the pool, then close.

    Bounded in decoded bytes and time: a redirect whose small body is a
    gzip bomb must not be inflated whole (``resp.content`` would).
    """
    try:
        length = resp.headers.get("Content-Length", "")
        if length.isdigit() and int(length) <= DRAIN_BYTES:
            read_body(resp, DRAIN_BYTES, 2.0, keep=False)
    finally:
        resp.close()


# -- one page --------------------------------------------------------------------


def fetch_for_record(fetcher: Fetcher, url: str, known: Callable[[str], bool]) -> Fetched:
    """Fetch one URL for its page record (runs in a worker thread).

    In a form-login crawl an answer that says "logged out" triggers one new
    login (shared by all workers, bounded) and one more try; when that
    fails the page keeps the answer as served, with the reason as error.
    """
    generation = fetcher.login_generation
    got = fetcher.fetch(url, known=known)
    if fetcher.logged_out(got):
        why = fetcher.relogin(generation)
        if not why:
            got = fetcher.fetch(url, known=known)
            if fetcher.logged_out(got):
                why = "session expired; still logged out after logging in again"
        if why and not got.error:
            got.error = why
    return got


# -- sitemaps --------------------------------------------------------------------

_LOC = re.compile(rb"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)


def sitemap_urls(fetch: fp.Fetch, roots: Iterable[str], limit: int) -> list[str]:
    """Page URLs listed in sitemaps, following sitemap indexes (bounded)."""
    todo = deque(dict.fromkeys(roots))
    done: set[str] = set()
    found: dict[str, None] = {}
    while todo and len(done) < MAX_SITEMAPS and len(found) < limit:
        url = todo.popleft()
        if url in done:
            continue
        done.add(url)
        status, body = fetch(url)
        if status != 200 or not body:
            continue
        if body[:2] == b"\x1f\x8b":
            try:
                # Bounded: a sitemap.xml.gz may be a gzip bomb.
                body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, SITEMAP_MAX_BYTES)
            except zlib.error:
                continue
        index = b"<sitemapindex" in body[:2000]
        for raw in _LOC.findall(body):
            loc = raw.decode("utf-8", "replace").replace("&amp;", "&")
            if index:
                todo.append(normalise_url(loc, url) or loc)
            elif len(found) < limit:
                found.setdefault(loc, None)
    return list(found)


# -- login -----------------------------------------------------------------------


def drupal_login(fetcher: Fetcher, login_url: str, user: str, password: str) -> None:
    """Log in through Drupal's user login form; CrawlError when it fails.

    The form's hidden fields (form_build_id, form_id user_login) are sent
    back with name and pass; success means a session cookie came back.
    The resulting cookies are copied to every worker session.  Called
    again by `Fetcher.relogin` when the session expires mid-crawl.
    """
    sess = fetcher.session()
    before = {c.name: c.value for c in sess.cookies}
    resp, error = fetcher._request(login_url)
    if resp is None:
        raise CrawlError(f"login failed: cannot load {login_url} ({error})")
    html, _, error = read_body(resp, fetcher.options.max_bytes, fetcher.options.read_time)
    resp.close()
    fetcher.give_slot()
    if error:
        raise CrawlError(f"login failed: cannot read {login_url} ({error})")
    soup = BeautifulSoup(html.decode("utf-8", "replace"), "html.parser")
    form = None
    for candidate in soup.find_all("form"):
        ids = {i.get("value") for i in candidate.find_all("input", attrs={"name": "form_id"})}
        if ids & {"user_login", "user_login_block", "user_login_form"}:
            form = candidate
            break
    if form is None:
        raise CrawlError(f"login failed: no Drupal login form at {login_url}")
    data = {
        str(i["name"]): str(i.get("value") or "")
        for i in form.find_all("input")
        if i.get("name") and str(i.get("type") or "").lower() in ("hidden", "submit")
    }
    data.update({"name": user, "pass": password})
    action = normalise_url(str(form.get("action") or login_url), login_url) or login_url
    resp, error = fetcher._request(action, method="POST", data=data)
    if resp is None:
        raise CrawlError(f"login failed: posting the form failed ({error})")
    # Drupal 7 answers a good login with a redirect; a bad one re-renders the
    # form (and may still set an anonymous session cookie for its message).
    redirected = resp.status_code in REDIRECT_STATUSES
    form_again = False
    if not redirected:
        answer, _, _ = read_body(resp, fetcher.options.max_bytes, fetcher.options.read_time)
        form_again = b'value="user_login' in answer
    else:
        _release(resp)
    resp.close()
    fetcher.give_slot()
    # New or changed cookies only: on a re-login the expired session cookie
    # is still in the jar and proves nothing.
    new = {c.name for c in sess.cookies if before.get(c.name) != c.value}
    session = any(n.upper().startswith(("SESS", "SSESS")) for n in new)
    if form_again or resp.status_code >= 400 or not (session or (new and redirected)):
        raise CrawlError("login failed: no session cookie was set (check user name and password)")
    fetcher.cookies.update(sess.cookies)


# -- the crawl -------------------------------------------------------------------


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


def content_types_from_templates(templates: Mapping[str, int]) -> list[model.ContentType]:
    """Content types a crawled Drupal site shows through ``node:TYPE`` pages.

    Fields and node counts are not visible from outside (count stays None),
    but the machine names let the content model match them with other sites.
    """
    return [
        model.ContentType(name=sig[5:], label=sig[5:].replace("_", " ").capitalize())
        for sig in sorted(templates)
        if sig.startswith("node:") and sig[5:]
    ]


_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " » ")


def title_suffix(title: str) -> str:
    """The site-name part of a page title: ``Page | Site`` or ``Page - Site``.

    Drupal 7 writes ``Page | Site``; hand-made intranets and other CMSs use
    dashes and other separators.  The most common suffix across pages names
    the site.
    """
    for sep in _TITLE_SEPARATORS:
        if sep in title:
            return title.rsplit(sep, 1)[1].strip()
    return ""


class KnownUrls:
    """The crawl's seen set, bounded: recent URLs in memory, the rest in the store.

    A site of a hundred thousand pages links to several times as many URLs;
    a set of them all would grow with the site.  The frontier table already
    holds every admitted URL (its primary key answers lookups), so memory
    keeps only the most recent RECENT_URLS, which catches the menu and
    footer links every page repeats.  Only the coordinator thread may call
    ``in`` (the store connection is its own); workers use `recently_seen`.
    """

    def __init__(self, store: Store, site_id: str, size: int = RECENT_URLS) -> None:
        self.store = store
        self.site_id = site_id
        self.size = size
        self.recent: OrderedDict[str, None] = OrderedDict()

    def add(self, url: str) -> None:
        """Remember a URL just admitted (it reaches the store at the next flush)."""
        self.recent[url] = None
        self.recent.move_to_end(url)
        if len(self.recent) > self.size:
            self.recent.popitem(last=False)

    def recently_seen(self, url: str) -> bool:
        """Memory-only check, safe from worker threads (a dict lookup)."""
        return url in self.recent

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


def crawl_site(
    url: str,
    store: Store,
    options: CrawlOptions = CrawlOptions(),  # noqa: B008 - frozen, so sharing is safe
    progress: Progress | None = None,
    fingerprints: dict[str, Any] | None = None,
    probe_candidates: Sequence[str] = (),
    request_slots: threading.Semaphore | None = None,
    parser: ParseProcesses | None = None,
) -> model.Site:
    """Crawl a site into the store (resuming if it was interrupted) and store its Site.

    Raises CrawlError when the crawl cannot start (unreachable host, start
    URL not HTML, login failed ...).  Per-URL failures are recorded on the
    pages and the crawl goes on.  ``request_slots``, shared by crawls running
    at once, caps their requests in flight together (see the module docstring).
    ``parser``, also shared by such crawls, is their one pool of parse helpers
    (the caller closes it); without it a crawl makes its own as its options say.
    """
    crawl = _Crawl(url, store, options, progress or Progress(), fingerprints, probe_candidates)
    crawl.fetcher.slots = request_slots
    crawl.parser = parser
    return crawl.run()


class _Crawl:
    """State of one crawl run; `run` is the whole story."""

    def __init__(
        self,
        url: str,
        store: Store,
        options: CrawlOptions,
        progress: Progress,
        fingerprints: dict[str, Any] | None,
        probe_candidates: Sequence[str],
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
        self.fingerprints = fingerprints
        self.probe_candidates = probe_candidates
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
        self.fetcher = Fetcher(options, self.scope, HostGate(options.delay), auth)
        self.signals: dict[tuple[str, str, str, str], fp.Signal] = {}
        self.site_name = ""
        self.base_path = ""
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
        self.parser: ParseProcesses | None = None
        self.noted_parser = False
        """Parse helpers shared with other crawls; None: this crawl makes its own."""

    # -- helpers -----------------------------------------------------------

    def _add_signals(self, signals: Iterable[fp.Signal]) -> None:
        for sig in signals:
            key = (sig.topic, sig.name, sig.evidence.kind, sig.evidence.detail)
            self.signals.setdefault(key, sig)

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

    def _connect(self) -> None:
        """Log in and read robots.txt, once, before the first request that needs it."""
        if self.connected:
            return
        self.connected = True
        if self.form_login:
            if not self.credentials:
                raise CrawlError("form login needs a user name and password (--auth)")
            login = self.options.login_url or urljoin(self.start, "/user/login")
            login = normalise_url(login, self.start) or login
            user, password = self.credentials
            drupal_login(self.fetcher, login, user, password)
            self.fetcher.login = lambda: drupal_login(self.fetcher, login, user, password)
            self.fetcher.login_path = urlsplit(login).path
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
            text = got.body[:500_000].decode("utf-8", "replace")
        self.fetcher.robots = Robots(text, ignore=False)
        asked = self.fetcher.robots.crawl_delay
        self.fetcher.gate.delay = effective_delay(self.options, asked)
        if asked > self.fetcher.gate.delay:
            cap = self.options.max_crawl_delay
            note = (
                f"robots.txt asks for Crawl-delay {asked:g} s; capped at "
                f"{self.fetcher.gate.delay:g} s (--max-crawl-delay {cap:g})"
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
        if not guard.admit(url):
            return False
        known.add(url)
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
        site = self._summarise(started)
        return site

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
        for loc in sitemap_urls(self.fetcher.simple, roots, limit):
            norm = normalise_url(loc)
            if norm:
                self._admit(norm, 1, "sitemap.xml", known, guard)

    def _handle(self, page: PageRecord, known: KnownUrls, guard: TrapGuard) -> None:
        self.fetched += 1
        self.queued = max(0, self.queued - 1)
        if page.error or page.status == 0:
            self.errors += 1
        self.site_name = self.site_name or page.site_name
        self.base_path = self.base_path or page.base_path
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
                got = fetch_for_record(self.fetcher, url, known.recently_seen)
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

    # -- site level ----------------------------------------------------------

    def _summarise(self, started: float) -> model.Site:
        """Compute the Site from every stored page, in URL order.

        Everything page-level (kind, modules and themes signals, templates,
        sections, broken links, redirect chains, duplicate titles) comes
        from the stored pages, so an interrupted and resumed crawl sums up
        as an uninterrupted one.  Pages are streamed from the store twice
        (totals, then referrers of failures and URLs of shared titles) so
        memory does not grow with the pages' content: held are counters,
        failed URLs, a hash per distinct title and the capped lists.
        """
        previous = self.store.get_site(self.sid)
        self.signals = {}
        templates: Counter[str] = Counter()
        sections: Counter[str] = Counter()
        bad: dict[str, int] = {}  # stored URLs that failed or answered >= 400
        bad_finals: dict[str, int] = {}  # targets of redirects that ended >= 400
        assets: dict[str, str] = {}
        titles: Counter[str] = Counter()
        title_hashes: Counter[int] = Counter()
        chains: dict[tuple[str, ...], None] = {}
        chain_hashes: set[int] = set()
        site_name = base_path = ""
        errors = 0
        total = 0
        any_links = False
        for page in self.store.pages(self.sid):
            total += 1
            failed = page.status == 0 or bool(page.error and page.error != "too large")
            if page.status >= 400 or failed:
                bad[page.url] = page.status
            if page.final_url and page.final_url != page.url and page.status >= 400:
                bad_finals.setdefault(page.final_url, page.status)
            if page.error:
                errors += 1
            any_links = any_links or bool(page.links)
            if page.redirects:
                chain = (*page.redirects, page.final_url or page.url)
                chain_hashes.add(hash(chain))
                if len(chains) < MAX_REDIRECT_CHAINS:
                    chains.setdefault(chain, None)
                final = page.final_url
                if final and final != page.url and self.store.has_page(self.sid, final):
                    # Its target is stored as a page of its own.  Whether this
                    # page holds a copy of the target's content or just the
                    # redirect depends on which of the two the crawl met first;
                    # counting it would make the summary depend on crawl order.
                    continue
            self._add_signals(fp.signals_from_facts(_page_facts(page), page.url))
            site_name = site_name or page.site_name
            if not base_path:
                base_path = page.drupal_settings.get("basePath", "")
            if 200 <= page.status < 300 and page.content_type and is_html_type(page.content_type):
                if page.template:
                    templates[page.template] += 1
                segment = urlsplit(page.url).path.strip("/").split("/")[0]
                sections[segment or "/"] += 1
                for asset in page.assets:
                    assets.setdefault(asset, page.url)
                suffix = title_suffix(page.title)
                if suffix:
                    titles[suffix] += 1
                if page.status == 200 and not page.error and page.title.strip():
                    title_hashes[hash(page.title.strip())] += 1
        for final, code in bad_finals.items():
            # A stored page's own status wins over the redirect's that reached it.
            if final not in bad and not self.store.has_page(self.sid, final):
                bad[final] = code
        shared = [(h, n) for h, n in title_hashes.items() if n > 1]
        shared.sort(key=lambda item: -item[1])
        wanted = {h for h, _ in shared[:MAX_DUPLICATE_TITLES]}
        del title_hashes
        referrers: dict[str, list[str]] = {}
        by_title: dict[str, dict[str, None]] = {}
        if (bad and any_links) or wanted:
            # Pages stream in URL order, so the first 20 referrers are the
            # sorted first 20 the report shows; the same for shared titles.
            for page in self.store.pages(self.sid):
                for link in dict.fromkeys(page.links) if bad else ():
                    if link in bad:
                        refs = referrers.setdefault(link, [])
                        if len(refs) < 20:
                            refs.append(page.url)
                title = page.title.strip()
                if (
                    wanted
                    and page.status == 200
                    and not page.error
                    and title
                    and hash(title) in wanted
                    and is_html_type(page.content_type)
                ):
                    urls = by_title.setdefault(title, {})
                    if len(urls) < MAX_DUPLICATE_URLS:
                        # A redirected page is its target: one page, not two.
                        urls.setdefault(page.final_url or page.url, None)
        broken_links = [
            model.BrokenLink(url=u, status=bad[u], referrers=refs)
            for u, refs in sorted(referrers.items())
        ]
        duplicates = {t: sorted(u) for t, u in by_title.items() if len(u) > 1}
        duplicate_titles = dict(sorted(duplicates.items(), key=lambda i: (-len(i[1]), i[0])))
        redirect_chains = _stitch_chains(list(chains))
        if len(shared) > MAX_DUPLICATE_TITLES:
            self.warnings.append(
                f"{len(shared)} page titles are shared by several pages; "
                f"the {MAX_DUPLICATE_TITLES} most repeated are listed"
            )
        if len(chain_hashes) > len(redirect_chains):
            self.warnings.append(
                f"{len(chain_hashes)} redirect chains met; the first "
                f"{len(redirect_chains)} (in URL order) are listed"
            )
        self.site_name = site_name or self.site_name
        self.base_path = base_path or self.base_path
        reuse = previous is not None and "crawl" in previous.collected and not self.fetched
        if reuse and previous is not None:
            self._add_signals(_signals_from_site(previous))
        asset_kind, _ = fp.decide_kind(self.signals.values())
        by_page: dict[str, list[str]] = {}
        for asset, page_url in assets.items():
            by_page.setdefault(page_url, []).append(asset)
        for page_url, page_assets in by_page.items():
            self._add_signals(fp.signals_from_assets(page_assets, self.host, page_url, asset_kind))
        kind, kind_evidence = fp.decide_kind(self.signals.values())
        core_version: str | None = None
        candidates: list[str] = []
        if reuse and previous is not None:
            core_version, candidates = previous.core_version, list(previous.core_candidates)
            kind_evidence = _merge_evidence(kind_evidence, previous.kind_evidence)
        elif kind.startswith("drupal"):
            self._connect()
            remote = self._remote(kind)
            core_version, candidates = remote.core_version, remote.core_candidates
            kind_evidence = _merge_evidence(kind_evidence, remote.evidence)
            self._add_signals(remote.signals)
            self.warnings.extend(remote.warnings)
            if kind == "drupal" and core_version:
                kind = {"6": "drupal6", "7": "drupal7"}.get(core_version.split(".")[0], "drupal8+")
        modules, themes = fp.summarise_extensions(self.signals.values())
        name = self.site_name or (titles.most_common(1)[0][0] if titles else "")
        if not name and previous is not None:
            name = previous.name
        warnings = list(dict.fromkeys(self.warnings))
        if reuse and previous is not None:
            warnings = list(dict.fromkeys([*previous.warnings, *warnings]))
        site = model.Site(
            id=self.sid,
            source=self.source,
            origin="url",
            name=name,
            kind=kind,
            core_version=core_version,
            core_candidates=candidates,
            kind_evidence=kind_evidence,
            modules=modules,
            themes=themes,
            pages=total,
            templates=dict(sorted(templates.items())),
            content_types=content_types_from_templates(templates),
            sections=dict(sorted(sections.items())),
            broken_links=len(broken_links),
            broken_link_details=broken_links,
            redirect_chains=redirect_chains,
            duplicate_titles=duplicate_titles,
            warnings=warnings,
            collected=["crawl"],
        )
        self.store.put_site(site)
        elapsed = time.monotonic() - started
        self.progress.finish(
            f"{self.host}: {total} pages, {errors} errors, "
            f"{len(broken_links)} broken links in {elapsed:.1f} s"
        )
        return site

    def _probe_layouts(self) -> list[tuple[str, str]]:
        """`fp.PROBE_LAYOUTS`, the ones this site's asset paths use first.

        A site keeps its contributed modules in one place; asking there
        first makes each probe one request instead of up to three.
        """
        used: Counter[int] = Counter()
        for sig in self.signals.values():
            if sig.topic == "module" and sig.evidence.kind == "asset-path":
                for i, (directory, _type) in enumerate(fp.PROBE_LAYOUTS):
                    if f"/{directory}/{sig.name}/" in sig.evidence.detail:
                        used[i] += 1
        order = sorted(range(len(fp.PROBE_LAYOUTS)), key=lambda i: -used[i])
        return [fp.PROBE_LAYOUTS[i] for i in order]

    def _remote(self, kind: str) -> fp.Remote:
        """CHANGELOG, core file hashes and optional probes, through the fetcher."""
        table = self.fingerprints if self.fingerprints is not None else fp.load_default_table()
        base = urljoin(self.start, self.base_path or "/")
        names = list(self.probe_candidates) if self.options.probe else []
        remote = fp.remote_fingerprint(
            base, self.fetcher.simple, kind, table, names, probe_layouts=self._probe_layouts()
        )
        if not self.options.ignore_robots and not self.fetcher.robots.allowed(
            urljoin(base, "CHANGELOG.txt")
        ):
            remote.warnings.append(
                "robots.txt disallows CHANGELOG.txt and core files, so the core version "
                "was not checked; pass --ignore-robots with the owner's consent"
            )
        return remote


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


def _signals_from_site(site: model.Site) -> list[fp.Signal]:
    """Re-use a stored site's conclusions when a re-run fetched nothing new."""
    out = [fp.Signal("kind", site.kind, 10, ev) for ev in site.kind_evidence]
    for module in site.modules:
        out.extend(fp.Signal("module", module.name, 1, ev, module.type) for ev in module.evidence)
    for theme in site.themes:
        out.extend(fp.Signal("theme", theme.name, 1, ev, theme.type) for ev in theme.evidence)
    return out


def _page_facts(page: model.Page) -> fp.PageFacts:
    """A stored page's fingerprint facts."""
    return fp.PageFacts(
        headers=page.headers,
        cookie_names=page.cookie_names,
        generator=page.generator,
        site_name=page.site_name,
        drupal_settings=page.drupal_settings,
        classes=page.classes,
        form_ids=page.form_ids,
        markers=page.markers,
        body_classes=page.body_classes,
    )


def _stitch_chains(chains: list[tuple[str, ...]]) -> list[list[str]]:
    """Redirect chains joined where one ends at a URL another starts from.

    A redirect to a URL the crawl already knows is recorded, not followed
    (`Fetcher.fetch`), so ``/older -> /old`` and ``/old -> /new`` are stored
    on two pages; the report wants ``/older -> /old -> /new``.  Loops stop
    where a URL repeats.
    """
    by_first = {chain[0]: chain for chain in chains}
    out: dict[tuple[str, ...], None] = {}
    for chain in chains:
        joined = list(chain)
        seen = set(joined)
        nxt = by_first.get(joined[-1])
        while nxt is not None and nxt is not chain and len(joined) < 100:
            rest = nxt[1:]
            joined.extend(rest)
            if not rest or seen & set(rest):
                break
            seen.update(rest)
            nxt = by_first.get(joined[-1])
        out.setdefault(tuple(joined), None)
    return [list(chain) for chain in out]
