"""URL normalisation, crawl scope and trap protection.

One spelling per resource is what keeps the crawl frontier finite: the same
page reached as ``/a?b=1&a=2#top`` and ``/a?a=2&b=1`` must be one frontier
row, or a site is crawled several times over and its page counts lie.  The
functions here are pure so they can be tested without a server.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urljoin, urlsplit, urlunsplit

SESSION_PARAMS = frozenset({"phpsessid", "sid", "jsessionid", "sessionid", "session_id", "cfid"})
"""Query parameters that carry a session, not content (dropped)."""

_SESSION_PREFIXES = ("sess", "ssess")
"""Drupal names its session cookie (and, misconfigured, parameter) SESS<hash>."""

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE = "/:@!$'()*,;-._~?%"

_DATE = re.compile(r"\d{4}-\d{1,2}(?:-\d{1,2})?|\d{8}")
_DIGITS = re.compile(r"\d+")

LOGOUT = re.compile(r"(?:^|[/=])user/logout(?:$|[/?&])|/logout(?:$|[/?])", re.IGNORECASE)
"""Logout links end an authenticated crawl; they are never followed."""


def _is_session_param(name: str) -> bool:
    low = name.lower()
    return low in SESSION_PARAMS or (low.startswith(_SESSION_PREFIXES) and len(low) > 20)


def _normalise_escapes(text: str, safe: str) -> str:
    """Decode escaped unreserved characters, upper-case the remaining escapes.

    ``%7Euser`` and ``~user`` are the same URL (RFC 3986 6.2.2); so are
    ``%2f`` and ``%2F``.  Characters that must be escaped are escaped once.
    """

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_PCT.sub(fix, text), safe=safe)


def _remove_dot_segments(path: str) -> str:
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        if seg == ".":
            if i == len(segments) - 1:
                out.append("")
            continue
        if seg == "..":
            if len(out) > 1:
                out.pop()
            if i == len(segments) - 1:
                out.append("")
            continue
        out.append(seg)
    result = "/".join(out)
    return result if result.startswith("/") else "/" + result


def normalise_url(url: str, base: str | None = None) -> str | None:
    """The canonical form of an http(s) URL (resolved against ``base``), or None.

    See `_normalise`; results are cached because every page of a site
    repeats the same menu and footer links.
    """
    url = url.strip()
    if not url:
        return None
    if base:
        if url.startswith("/") and not url.startswith("//"):
            url = _origin(base) + url
        elif "://" not in url[:12]:
            try:
                url = urljoin(base, url)
            except ValueError:
                return None
    return _normalise(url)


@lru_cache(maxsize=1024)
def _origin(base: str) -> str:
    """``scheme://netloc`` of a page URL; cached, as every link on a page shares it."""
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=65536)
def _normalise(url: str) -> str | None:
    """The canonical form of an http(s) URL, or None when it is not one.

    Fragments go, query parameters are sorted, session ids are dropped,
    default ports go, scheme and host are lower-cased, percent-encoding is
    normalised, dot segments are resolved, user info is dropped (it would
    leak credentials into the store) and ``;jsessionid=`` path parameters
    are removed.
    """
    if not url or len(url) > 4000:
        return None
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            return None
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            return None
        port = parts.port
    except ValueError:
        return None
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = re.sub(r";jsessionid=[^/?#]*", "", parts.path, flags=re.IGNORECASE)
    path = _remove_dot_segments(_normalise_escapes(path or "/", _PATH_SAFE))
    pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_session_param(k)
    ]
    safe = _QUERY_SAFE.replace("%", "")
    query = "&".join(
        quote(k, safe=safe) + ("=" + quote(v, safe=safe) if v else "") for k, v in sorted(pairs)
    )
    return urlunsplit((scheme, host, path, query, ""))


def host_of(url: str) -> str:
    """Host and non-default port of a normalised URL (the scope key)."""
    return urlsplit(url).netloc


def is_loopback(url_or_host: str) -> bool:
    """Whether a URL (or ``host[:port]``) names this machine: localhost, 127/8 or ::1.

    Loopback traffic never goes through a proxy: an agency laptop or CI
    runner often sets ``http_proxy`` without ``no_proxy``, and a proxy
    elsewhere cannot reach a server on this machine's loopback (the demo,
    a local mirror, a tunnel's local end).
    """
    text = url_or_host if "://" in url_or_host else f"//{url_or_host}"
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def path_pattern(url: str) -> tuple[str, bool]:
    """The URL's shape, and whether that shape is a likely crawler trap.

    Digits become ``N`` and dates ``D``; query values are dropped so that
    ``/search?q=a`` and ``/search?q=b`` share one pattern.  A shape is trap
    prone when it holds a date, two or more numbers (``/events/2024/05``,
    an endless calendar) or a query string (endless filter combinations).
    A single number (``/node/N``) is a content id, not a trap, and is never
    capped: capping it would stop a crawl at 50 nodes.
    """
    parts = urlsplit(url)
    path = unquote(parts.path)
    dates = len(_DATE.findall(path))
    shaped = _DATE.sub("D", path)
    numbers = len(_DIGITS.findall(shaped))
    shaped = _DIGITS.sub("N", shaped)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    if keys:
        shaped += "?" + "&".join(keys)
    trap = bool(dates or numbers >= 2 or keys)
    return shaped, trap


def repeated_segments(url: str, limit: int = 3) -> bool:
    """Whether a path repeats one segment ``limit`` times (``/a/b/a/b/a/b``).

    Relative links on pages served under many paths build such URLs forever.
    """
    segments = [s for s in urlsplit(url).path.split("/") if s]
    if not segments:
        return False
    return Counter(segments).most_common(1)[0][1] >= limit


@dataclass(slots=True)
class Scope:
    """Which URLs a crawl may visit: same host, path prefix, include/exclude."""

    host: str
    path_prefix: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    _include: list[re.Pattern[str]] = field(default_factory=list, init=False)
    _exclude: list[re.Pattern[str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        try:
            self._include = [re.compile(p) for p in self.include]
            self._exclude = [re.compile(p) for p in self.exclude]
        except re.error as exc:
            raise ValueError(f"bad include/exclude pattern: {exc}") from None
        if self.path_prefix and not self.path_prefix.startswith("/"):
            self.path_prefix = "/" + self.path_prefix

    def same_host(self, url: str) -> bool:
        """Whether the URL is on the crawled host (either scheme)."""
        return host_of(url) == self.host

    def allows(self, url: str) -> bool:
        """Whether the crawl may fetch this (normalised) URL."""
        if not self.same_host(url):
            return False
        parts = urlsplit(url)
        if self.path_prefix and not parts.path.startswith(self.path_prefix):
            return False
        if LOGOUT.search(parts.path) or LOGOUT.search(parts.query):
            return False
        if self._include and not any(p.search(url) for p in self._include):
            return False
        return not any(p.search(url) for p in self._exclude)


class TrapGuard:
    """Counts URLs per trap-prone pattern and refuses those over the cap."""

    def __init__(self, cap: int, known: Iterable[str] = ()) -> None:
        self.cap = cap
        self.counts: Counter[str] = Counter()
        for url in known:
            self.admit(url, force=True)

    def admit(self, url: str, force: bool = False) -> bool:
        """Count the URL and say whether it may enter the frontier."""
        if len(url) > 2000 or repeated_segments(url):
            return force
        pattern, trap = path_pattern(url)
        if not trap:
            return True
        if not force and self.counts[pattern] >= self.cap:
            return False
        self.counts[pattern] += 1
        return True
