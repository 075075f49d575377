"""The live-site crawler: fetch a site's pages into the store, then sum it up.

Shape of a crawl, and why:

* One coordinator (the calling thread) owns the SQLite store and the
  frontier; a bounded pool of worker threads, each with its own
  ``requests.Session``, only fetches and parses.  SQLite connections are
  not shared between threads, and one writer keeps commits ordered.
* A page is committed in the same transaction as the links it revealed, so
  a crawl killed at any moment resumes with nothing lost: each committed
  page is done, every uncommitted one is still pending.  Commits are
  batched (at most COMMIT_MAX_PAGES pages or COMMIT_MAX_SECONDS) for
  speed; a kill -9 refetches at most that last batch and what was in flight.
* Politeness lives in `HostGate`: one schedule per host, ``delay`` between
  request starts with jitter, pushed back by ``Retry-After``.
* Secrets (passwords, cookies, auth headers) live only in the sessions.
  Pages keep no request or response headers, evidence names cookies
  without values, and URLs lose their user info, so nothing secret reaches
  the store.
"""

from __future__ import annotations

import email.utils
import random
import re
import threading
import time
import urllib.robotparser
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests
from bs4 import BeautifulSoup
from requests.auth import HTTPBasicAuth, HTTPDigestAuth
from requests.structures import CaseInsensitiveDict

from drupalscan import __version__
from drupalscan.collect import fingerprint as fp
from drupalscan.collect.pageparse import is_html_type, parse_html
from drupalscan.collect.urls import Scope, TrapGuard, host_of, normalise_url
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress

USER_AGENT = f"drupalscan/{__version__} (+https://github.com/drupalscan/drupalscan)"
COMMIT_MAX_PAGES = 50
"""Pages per store commit; a kill -9 refetches at most this many."""
COMMIT_MAX_SECONDS = 1.0
"""Longest time fetched pages wait for their commit."""
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
RETRY_AFTER_CAP = 30.0
"""A Retry-After longer than this is shortened: the crawl must end some day."""
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_SITEMAPS = 20
KEPT_HEADERS = (
    "Content-Type",
    "Content-Language",
    "Last-Modified",
    "Link",
    "X-Generator",
    "X-Drupal-Cache",
    "X-Drupal-Dynamic-Cache",
    "X-Powered-By",
    "X-Pingback",
    "X-Content-Encoded-By",
    "MicrosoftSharePointTeamServices",
    "SPRequestGuid",
)
"""Response headers kept in memory for parsing and fingerprinting; none is secret."""


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
    """Ask for ``sites/all/modules/NAME/NAME.info`` of candidate modules."""


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
    return min(BACKOFF_BASE * 2**attempt, BACKOFF_CAP) * random.uniform(0.8, 1.2)


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
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection error"
    return type(exc).__name__


# -- fetching --------------------------------------------------------------------


@dataclass(slots=True)
class Fetched:
    """One URL's outcome after redirects, retries and the size cap."""

    url: str
    final_url: str = ""
    status: int = 0
    redirects: list[str] = field(default_factory=list)
    headers: CaseInsensitiveDict[str] = field(default_factory=CaseInsensitiveDict)
    cookie_names: list[str] = field(default_factory=list)
    body: bytes | None = None
    size: int = 0
    error: str = ""

    @property
    def content_type(self) -> str:
        """The Content-Type header, or ""."""
        return self.headers.get("Content-Type", "")


class Robots:
    """robots.txt rules for our User-Agent (everything allowed when absent)."""

    def __init__(self, text: str = "", ignore: bool = True) -> None:
        self.ignore = ignore
        self.parser = urllib.robotparser.RobotFileParser()
        self.parser.parse(text.splitlines())
        self.sitemaps = list(self.parser.site_maps() or [])
        delay = None if ignore else self.parser.crawl_delay(USER_AGENT)
        self.crawl_delay = float(delay) if delay else 0.0

    def allowed(self, url: str) -> bool:
        """Whether our User-Agent may fetch the URL."""
        return self.ignore or self.parser.can_fetch(USER_AGENT, url)


class Fetcher:
    """Thread-safe fetching: one session per worker thread, shared politeness."""

    def __init__(
        self, options: CrawlOptions, scope: Scope, gate: HostGate, auth: Any = None
    ) -> None:
        self.options = options
        self.scope = scope
        self.gate = gate
        self.auth = auth
        self.robots = Robots()
        self.local = threading.local()
        self.cookies = requests.cookies.RequestsCookieJar()
        for name, value in options.cookies:
            self.cookies.set(name, value)
        self.sessions: list[requests.Session] = []
        self.lock = threading.Lock()

    def session(self) -> requests.Session:
        """This thread's session, made on first use with auth, headers, cookies."""
        sess = getattr(self.local, "session", None)
        if sess is None:
            sess = requests.Session()
            sess.headers["User-Agent"] = USER_AGENT
            sess.headers.update(dict(self.options.headers))
            sess.auth = self.auth
            sess.cookies.update(self.cookies)
            sess.max_redirects = self.options.max_redirects
            self.local.session = sess
            with self.lock:
                self.sessions.append(sess)
        return sess

    def close(self) -> None:
        """Close every worker session."""
        with self.lock:
            for sess in self.sessions:
                sess.close()
            self.sessions.clear()

    def _request(
        self, url: str, method: str = "GET", data: dict[str, str] | None = None
    ) -> tuple[requests.Response | None, str]:
        """One request with retries on connection errors, 408, 429 and 5xx."""
        host = host_of(url)
        sess = self.session()
        error = ""
        for attempt in range(self.options.retries + 1):
            self.gate.wait(host)
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
                error = describe_error(exc, host)
                if error.startswith("DNS"):
                    return None, error
                if attempt < self.options.retries:
                    self.gate.defer(host, backoff(attempt))
                continue
            except requests.RequestException as exc:
                return None, describe_error(exc, host)
            if resp.status_code in RETRY_STATUSES and attempt < self.options.retries:
                pause = retry_after(resp.headers.get("Retry-After"))
                resp.close()
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
            return out

    def _read(self, resp: requests.Response, out: Fetched, read: bool) -> None:
        """Read (or just measure) the body, stopping at max_bytes."""
        limit = self.options.max_bytes
        length = resp.headers.get("Content-Length", "")
        try:
            if length.isdigit() and int(length) > limit:
                out.size = int(length)
                out.error = "too large"
                return
            if not read and length.isdigit():
                out.size = int(length)
                if out.size <= 65536:
                    _release(resp)
                return
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_content(65536):
                size += len(chunk)
                if size > limit:
                    out.error = "too large"
                    break
                if read:
                    chunks.append(chunk)
            out.size = size
            if read and not out.error:
                out.body = b"".join(chunks)
        except (requests.RequestException, OSError) as exc:
            out.error = describe_error(exc, host_of(out.final_url))
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


def _release(resp: requests.Response) -> None:
    """Drain a small body so the connection goes back to the pool, then close."""
    try:
        length = resp.headers.get("Content-Length", "")
        if length.isdigit() and int(length) <= 65536:
            resp.content  # noqa: B018 - reading returns the connection to the pool
    except (requests.RequestException, OSError):
        pass
    finally:
        resp.close()


# -- one page --------------------------------------------------------------------


@dataclass(slots=True)
class Result:
    """What a worker hands the coordinator for one URL."""

    page: model.Page
    final_url: str
    signals: list[fp.Signal]
    site_name: str = ""
    base_path: str = ""


def fetch_page(
    fetcher: Fetcher, url: str, depth: int, site_host: str, known: Callable[[str], bool]
) -> Result:
    """Fetch, parse and fingerprint one URL (runs in a worker thread)."""
    got = fetcher.fetch(url, known=known)
    return page_from_fetch(got, depth, site_host)


def page_from_fetch(got: Fetched, depth: int, site_host: str) -> Result:
    """Turn a fetch into a Page record plus fingerprint signals."""
    ctype = got.content_type.split(";", 1)[0].strip().lower()
    fields: dict[str, Any] = {}
    signals = fp.signals_from_headers(got.headers, got.url, got.cookie_names)
    site_name = base_path = ""
    if got.body is not None and is_html_type(ctype) and not got.error:
        parsed = parse_html(got.body, got.final_url or got.url, got.headers, site_host)
        fields = {
            "title": parsed.title,
            "description": parsed.description,
            "canonical": parsed.canonical,
            "language": parsed.language,
            "word_count": parsed.word_count,
            "headings": parsed.headings,
            "links": parsed.links,
            "external_links": parsed.external_links,
            "assets": parsed.assets,
            "template": parsed.template,
            "body_classes": parsed.body_classes,
        }
        signals.extend(fp.signals_from_page(parsed, got.url))
        site_name = parsed.site_name
        settings = parsed.drupal_settings or {}
        if isinstance(settings.get("basePath"), str):
            base_path = settings["basePath"]
        if parsed.error and not got.error:
            fields["error"] = parsed.error
    page = model.Page(
        url=got.url,
        final_url=got.final_url,
        status=got.status,
        redirects=got.redirects,
        content_type=ctype,
        size=got.size,
        last_modified=got.headers.get("Last-Modified", ""),
        depth=depth,
        **{"error": got.error, **fields},
    )
    return Result(page, got.final_url, signals, site_name, base_path)


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
            import gzip

            try:
                body = gzip.decompress(body)[:50_000_000]
            except OSError:
                continue
        index = b"<sitemapindex" in body[:2000]
        for raw in _LOC.findall(body):
            loc = raw.decode("utf-8", "replace").replace("&amp;", "&")
            if index:
                todo.append(loc)
            elif len(found) < limit:
                found.setdefault(loc, None)
    return list(found)


# -- login -----------------------------------------------------------------------


def drupal_login(fetcher: Fetcher, login_url: str, user: str, password: str) -> None:
    """Log in through Drupal's user login form; CrawlError when it fails.

    The form's hidden fields (form_build_id, form_id user_login) are sent
    back with name and pass; success means a session cookie came back.
    The resulting cookies are copied to every worker session.
    """
    sess = fetcher.session()
    before = {c.name for c in sess.cookies}
    resp, error = fetcher._request(login_url)
    if resp is None:
        raise CrawlError(f"login failed: cannot load {login_url} ({error})")
    html = resp.content[: fetcher.options.max_bytes]
    resp.close()
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
        form_again = b'value="user_login' in resp.content[: fetcher.options.max_bytes]
    resp.close()
    names = {c.name for c in sess.cookies}
    session = any(n.upper().startswith(("SESS", "SSESS")) for n in names)
    new = names - before
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


def crawl_site(
    url: str,
    store: Store,
    options: CrawlOptions = CrawlOptions(),  # noqa: B008 - frozen, so sharing is safe
    progress: Progress | None = None,
    fingerprints: dict[str, Any] | None = None,
    probe_candidates: Sequence[str] = (),
) -> model.Site:
    """Crawl a site into the store (resuming if it was interrupted) and store its Site.

    Raises CrawlError when the crawl cannot start (unreachable host, start
    URL not HTML, login failed ...).  Per-URL failures are recorded on the
    pages and the crawl goes on.
    """
    return _Crawl(url, store, options, progress or Progress(), fingerprints, probe_candidates).run()


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
        self.batch_pages: list[model.Page] = []
        self.batch_enqueue: list[tuple[str, int, str]] = []
        self.batch_done: list[str] = []
        self.last_flush = time.monotonic()
        self.connected = False
        self.stored_initial = 0

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
                self.store.enqueue(self.sid, self.batch_enqueue)
            if self.batch_pages:
                self.store.put_pages(self.sid, self.batch_pages)
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
            drupal_login(self.fetcher, login, *self.credentials)
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
        if self.fetcher.robots.crawl_delay > self.options.delay:
            self.warnings.append(
                f"robots.txt asks for Crawl-delay {self.fetcher.robots.crawl_delay:g} s; "
                f"this crawl used --delay {self.options.delay:g} s"
            )

    def _unreachable(self, error: str) -> None:
        if error.startswith("DNS"):
            raise CrawlError(f"cannot crawl {self.start}: {error}")
        raise CrawlError(f"cannot reach {self.host}: {error}")

    def _admit(self, url: str, depth: int, referrer: str, seen: set[str], guard: TrapGuard) -> bool:
        """Whether a discovered URL enters the frontier (and queue it if so)."""
        if url in seen or depth > self.options.max_depth:
            return False
        if not self.scope.allows(url) or not self.fetcher.robots.allowed(url):
            return False
        if not guard.admit(url):
            return False
        seen.add(url)
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
        if fresh or (queued and budget > 0):
            self._connect()
        seen = self.store.known_urls(self.sid)
        guard = TrapGuard(self.options.per_pattern_cap, seen)
        queue: deque[tuple[str, int, str]] = deque()
        if fresh:
            self._start(seen, guard, queue)
            budget -= 1
        if budget > 0:
            queue.extend(self.store.pending(self.sid, limit=1_000_000))
        self._crawl_loop(queue, seen, guard, budget)
        self._flush(force=True)
        site = self._summarise(started)
        return site

    def _start(self, seen: set[str], guard: TrapGuard, queue: deque[tuple[str, int, str]]) -> None:
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
        seen.add(self.start)
        guard.admit(self.start, force=True)
        self.batch_enqueue.append((self.start, 0, ""))
        result = page_from_fetch(got, 0, self.host)
        self._handle(result, seen, guard, queue)
        roots = [urljoin(self.start, "/sitemap.xml"), *self.fetcher.robots.sitemaps]
        limit = max(self.options.max_pages * 2, 100)
        for loc in sitemap_urls(self.fetcher.simple, roots, limit):
            norm = normalise_url(loc)
            if norm and self._admit(norm, 1, "sitemap.xml", seen, guard):
                queue.append((norm, 1, "sitemap.xml"))

    def _handle(
        self,
        result: Result,
        seen: set[str],
        guard: TrapGuard,
        queue: deque[tuple[str, int, str]],
    ) -> None:
        page = result.page
        self.fetched += 1
        if page.error or page.status == 0:
            self.errors += 1
        self._add_signals(result.signals)
        self.site_name = self.site_name or result.site_name
        self.base_path = self.base_path or result.base_path
        final = result.final_url
        if final and final != page.url and self.scope.same_host(final) and final not in seen:
            # The redirect target's content is recorded on this page; fetching
            # it again would only duplicate it.
            seen.add(final)
            self.batch_enqueue.append((final, page.depth, page.url))
            self.batch_done.append(final)
        if 200 <= page.status < 300:
            for link in page.links:
                if self._admit(link, page.depth + 1, page.url, seen, guard):
                    queue.append((link, page.depth + 1, page.url))
        self.batch_pages.append(page)

    def _crawl_loop(
        self,
        queue: deque[tuple[str, int, str]],
        seen: set[str],
        guard: TrapGuard,
        budget: int,
    ) -> None:
        """Keep the workers busy until the frontier or the page budget is spent."""
        if budget <= 0 or not queue:
            return
        workers = self.options.concurrency
        inflight: dict[Future[Result], str] = {}
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drupalscan-crawl")
        try:
            while queue or inflight:
                while queue and len(inflight) < workers * 2 and budget > 0:
                    url, depth, _ref = queue.popleft()
                    future = pool.submit(
                        fetch_page, self.fetcher, url, depth, self.host, seen.__contains__
                    )
                    inflight[future] = url
                    budget -= 1
                if not inflight:
                    break
                finished, _ = wait(list(inflight), timeout=0.5, return_when=FIRST_COMPLETED)
                for future in finished:
                    url = inflight.pop(future)
                    try:
                        result = future.result()
                    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the crawl
                        result = Result(
                            model.Page(url=url, error=f"internal error: {type(exc).__name__}"),
                            url,
                            [],
                        )
                    self._handle(result, seen, guard, queue)
                self._flush()
                self.progress.update(
                    self.stored_initial + self.fetched,
                    queued=len(queue) + len(inflight),
                    errors=self.errors,
                )
        finally:
            pool.shutdown(wait=not inflight, cancel_futures=True)
            self._flush(force=True)

    # -- site level ----------------------------------------------------------

    def _summarise(self, started: float) -> model.Site:
        """Compute the Site from every stored page plus what this run saw."""
        previous = self.store.get_site(self.sid)
        templates: Counter[str] = Counter()
        sections: Counter[str] = Counter()
        status: dict[str, int] = {}
        failed: set[str] = set()
        outlinks: list[tuple[str, list[str]]] = []
        assets: dict[str, str] = {}
        titles: Counter[str] = Counter()
        body_signals_done = False
        errors = 0
        total = 0
        for page in self.store.pages(self.sid):
            total += 1
            status[page.url] = page.status
            if page.final_url and page.final_url != page.url:
                status.setdefault(page.final_url, page.status)
            if page.status == 0 or (page.error and page.error != "too large"):
                failed.add(page.url)
            if page.error:
                errors += 1
            if page.links:
                outlinks.append((page.url, page.links))
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
                if page.body_classes and not body_signals_done:
                    body_signals_done = True
                    self._add_signals(fp.signals_from_classes(page.body_classes, (), page.url))
        broken: dict[str, set[str]] = {}
        for referrer, links in outlinks:
            for link in links:
                code = status.get(link)
                if code is None:
                    continue
                if code >= 400 or link in failed:
                    broken.setdefault(link, set()).add(referrer)
        broken_links = [
            model.BrokenLink(url=u, status=status[u], referrers=sorted(r)[:20])
            for u, r in sorted(broken.items())
        ]
        reuse = previous is not None and "crawl" in previous.collected and not self.fetched
        if reuse and previous is not None:
            self._add_signals(_signals_from_site(previous))
        elif not self.fetched and total:
            # Resumed after every page was committed but before the site was:
            # this run saw no headers, so ask the start page once more.
            self._connect()
            self._add_signals(page_from_fetch(self.fetcher.fetch(self.start), 0, self.host).signals)
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
            broken_links=broken_links,
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

    def _remote(self, kind: str) -> fp.Remote:
        """CHANGELOG, core file hashes and optional probes, through the fetcher."""
        table = self.fingerprints if self.fingerprints is not None else fp.load_default_table()
        base = urljoin(self.start, self.base_path or "/")
        names = list(self.probe_candidates) if self.options.probe else []
        remote = fp.remote_fingerprint(base, self.fetcher.simple, kind, table, names)
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
