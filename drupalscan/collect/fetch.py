"""Fetching for the crawler: one session per worker, bounded reads, polite permits.

Every request goes through a permit (`Fetcher.permit`): the host's
`Throttle` says when it may start and how many may be in flight, and a
portfolio's shared request slots (a semaphore across crawls) cap the
requests in flight across sites.  The slot is taken after the throttle's
wait, so waiting out a delay holds none, and it is given back when the
answer has been read or drained: the permit is a context manager around
exactly one HTTP exchange, so no path can leak a slot.

Hostile answers are handled with the reason written down: redirect bodies
are never read (`_Session`), bodies are bounded in decoded bytes and in
time (`read_body`), and only allow-listed, non-secret response headers
leave this module.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlunsplit

import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from drupalscan import __version__
from drupalscan.collect import fingerprint as fp
from drupalscan.collect.pageparse import is_html_type
from drupalscan.collect.pagerecord import Fetched
from drupalscan.collect.politeness import Permit, Throttle, backoff, retry_after
from drupalscan.collect.robots import Robots
from drupalscan.collect.urls import Scope, host_of, is_loopback, normalise_url

USER_AGENT = f"drupalscan/{__version__} (+https://github.com/drupalscan/drupalscan)"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DRAIN_BYTES = 65536
"""Bytes (decompressed) read from a skipped body so its connection can be reused."""
KEPT_HEADERS = tuple(
    dict.fromkeys(
        ("Content-Type", "Content-Language", "Last-Modified", "Location", *fp.FACT_HEADERS)
    )
)
"""Response headers kept in memory for parsing and fingerprinting; none is secret."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchLimits:
    """The bounds every request is held to (from `CrawlOptions`)."""

    timeout: float = 10.0
    """Seconds to connect and between bytes of a response."""
    read_time: float = 60.0
    """Longest seconds to read one body (``timeout`` only bounds the gap between bytes)."""
    max_bytes: int = 5_000_000
    """Larger bodies are not kept and the URL is recorded as "too large"."""
    retries: int = 3
    """Retries for connection errors, 408, 429 and 5xx."""
    max_redirects: int = 10
    """Longest redirect chain followed."""


@dataclass(slots=True)
class Answer:
    """One HTTP exchange after its retries: status, kept headers, body if read."""

    status: int = 0
    headers: CaseInsensitiveDict[str] = field(default_factory=CaseInsensitiveDict)
    cookie_names: list[str] = field(default_factory=list)
    body: bytes | None = None
    size: int = 0
    error: str = ""

    @property
    def location(self) -> str:
        """The Location header of a redirect, or ""."""
        if self.status in REDIRECT_STATUSES:
            return self.headers.get("Location", "")
        return ""


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
    """Thread-safe fetching for one crawl: a session per worker thread, shared permits."""

    def __init__(
        self,
        limits: FetchLimits,
        scope: Scope,
        throttle: Throttle,
        *,
        auth: Any = None,
        headers: tuple[tuple[str, str], ...] = (),
        cookies: tuple[tuple[str, str], ...] = (),
        slots: threading.Semaphore | None = None,
    ) -> None:
        self.limits = limits
        self.scope = scope
        self.throttle = throttle
        self.slots = slots
        self.extra_headers = dict(headers)
        # requests reads proxies, the CA bundle and ~/.netrc from the
        # environment on every request (its trust_env): about 15 % of a fast
        # fetch.  A crawl talks to one host, so they are read once, here,
        # with requests' own functions, and the sessions do not look again.
        # Loopback is never proxied: a proxy elsewhere cannot reach it.
        here = urlunsplit(("http", scope.host, "/", "", ""))
        self.proxies = {} if is_loopback(here) else requests.utils.get_environ_proxies(here)
        self.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self.auth = auth if auth is not None else requests.utils.get_netrc_auth(here)
        self.robots = Robots()
        self.local = threading.local()
        self.lock = threading.Lock()
        self.cookies = requests.cookies.RequestsCookieJar()
        for name, value in cookies:
            self.cookies.set(name, value)
        self.generation = 0
        """Bumped when the shared cookies change (a login); sessions then copy them."""
        self.sessions: list[requests.Session] = []

    # -- sessions ------------------------------------------------------------

    def session(self) -> requests.Session:
        """This thread's session, made on first use with auth, headers and cookies.

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
            sess.headers.update(self.extra_headers)
            sess.auth = self.auth
            sess.max_redirects = self.limits.max_redirects
            self.local.session = sess
            self.local.generation = -1
            with self.lock:
                self.sessions.append(sess)
        if self.local.generation != self.generation:
            with self.lock:
                sess.cookies.update(self.cookies)
            self.local.generation = self.generation
        return sess

    def share_cookies(self, jar: requests.cookies.RequestsCookieJar) -> None:
        """Make these cookies (a new login's) every worker's from their next request."""
        with self.lock:
            self.cookies.update(jar)
            self.generation += 1

    def close(self) -> None:
        """Close every worker session."""
        with self.lock:
            for sess in self.sessions:
                sess.close()
            self.sessions.clear()

    # -- permits -------------------------------------------------------------

    @contextmanager
    def permit(self) -> Iterator[Permit]:
        """The right to make one request: the throttle's slot and time, then a global slot.

        The caller records the outcome on the permit; leaving the block
        gives both slots back.
        """
        with self.throttle.request() as permit:
            if self.slots is not None:
                self.slots.acquire()
            try:
                yield permit
            finally:
                if self.slots is not None:
                    self.slots.release()

    # -- one exchange ----------------------------------------------------------

    def exchange(
        self,
        url: str,
        *,
        method: str = "GET",
        data: dict[str, str] | None = None,
        read: bool | None = None,
    ) -> Answer:
        """One request, retried on connection errors, 408, 429 and 5xx.

        ``read`` None keeps the body of HTML answers only; True keeps any
        body; False only measures it.  A redirect's body is never read.
        Only the crawled host is ever asked: the sessions carry its
        credentials, cookies, headers and proxy, which must not reach
        another host (a robots.txt may list a sitemap anywhere).
        """
        host = host_of(url)
        if not self.scope.same_host(url):
            return Answer(error=f"{host} is not the crawled host; not fetched")
        sess = self.session()
        answer = Answer()
        for attempt in range(self.limits.retries + 1):
            pause: float | None = None
            with self.permit() as permit:
                permit.retry = attempt > 0
                sent = self.throttle.clock.now()
                try:
                    resp = sess.request(
                        method,
                        url,
                        data=data,
                        stream=True,
                        timeout=self.limits.timeout,
                        allow_redirects=False,
                    )
                except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                    answer = Answer(error=describe_error(exc, host))
                    if answer.error.startswith("DNS"):
                        return answer
                    pause = backoff(attempt)
                except requests.RequestException as exc:
                    return Answer(error=describe_error(exc, host))
                else:
                    permit.status = resp.status_code
                    permit.latency = self.throttle.clock.now() - sent
                    if resp.status_code in RETRY_STATUSES and attempt < self.limits.retries:
                        asked = retry_after(resp.headers.get("Retry-After"))
                        pause = backoff(attempt) if asked is None else asked
                        _release(resp)
                        answer = Answer(status=resp.status_code)
                    else:
                        answer = self._answer(resp, read)
            if pause is None or attempt >= self.limits.retries:
                break
            self.throttle.defer(pause)
        if answer.status in RETRY_STATUSES and not answer.error:
            attempts = self.limits.retries + 1
            answer.error = f"HTTP {answer.status} after {attempts} attempt{'s' * (attempts > 1)}"
        return answer

    def _answer(self, resp: requests.Response, read: bool | None) -> Answer:
        """Status, kept headers and (maybe) body of a response; always closes it."""
        answer = Answer(
            status=resp.status_code,
            headers=CaseInsensitiveDict(
                {k: resp.headers[k] for k in KEPT_HEADERS if k in resp.headers}
            ),
            cookie_names=[c.name for c in resp.cookies],
        )
        if answer.location:
            _release(resp)
            return answer
        content_type = answer.headers.get("Content-Type", "")
        keep = is_html_type(content_type) if read is None else read
        limit = self.limits.max_bytes
        length = resp.headers.get("Content-Length", "")
        try:
            if length.isdigit() and int(length) > limit:
                answer.size, answer.error = int(length), "too large"
                return answer
            if not keep and length.isdigit():
                answer.size = int(length)
                if answer.size <= DRAIN_BYTES:
                    _release(resp)
                return answer
            body, answer.size, answer.error = read_body(
                resp, limit, self.limits.read_time, keep=keep
            )
            if keep and not answer.error:
                answer.body = body
        finally:
            resp.close()
        return answer

    # -- a URL, redirects followed ---------------------------------------------

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
            answer = self.exchange(current, read=want_body)
            out.status = answer.status
            out.cookie_names.extend(answer.cookie_names)
            out.headers = CaseInsensitiveDict(
                {k: v for k, v in answer.headers.items() if k.lower() != "location"}
            )
            if not answer.location:
                out.final_url = current
                out.body, out.size, out.error = answer.body, answer.size, answer.error
                return out
            target = normalise_url(answer.location, current)
            out.redirects.append(current)
            if target is None:
                out.error = "redirect to a non-HTTP URL"
                return out
            out.final_url = target
            if target in seen:
                out.error = "redirect loop"
                return out
            if len(out.redirects) > self.limits.max_redirects:
                out.error = f"too many redirects (more than {self.limits.max_redirects})"
                return out
            if not self.scope.same_host(target) or (known is not None and known(target)):
                return out
            if not self.robots.allowed(target):
                out.error = "redirect target disallowed by robots.txt"
                return out
            seen.add(target)
            current = target

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
