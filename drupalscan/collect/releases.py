"""Fetch drupal.org release-history XML for `drupalscan kb refresh`.

The same document update status reads: ``{base}/{project}/current``.  The
fetch is the only network use of the knowledge base, it is never automatic,
and its base URL can point at a mirror (the tests use a local server).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import requests

from drupalscan import __version__
from drupalscan.collect.urls import is_loopback

DEFAULT_BASE = "https://updates.drupal.org/release-history"
MAX_BYTES = 5_000_000
"""A release history is tens of KB; anything this large is not one."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """One project's outcome: the XML, or why there is none."""

    project: str
    xml: bytes | None
    error: str = ""


def fetch_histories(
    projects: Iterable[str],
    *,
    base: str = DEFAULT_BASE,
    timeout: float = 15.0,
    on_each: Callable[[Fetched], None] | None = None,
) -> list[Fetched]:
    """Fetch each project's release history, one request per project."""
    out = []
    with requests.Session() as session:
        session.headers["User-Agent"] = f"drupalscan/{__version__} (kb refresh)"
        # A mirror on this machine is reached directly, whatever http_proxy says.
        session.trust_env = not is_loopback(base)
        for project in projects:
            url = f"{base.rstrip('/')}/{project}/current"
            try:
                resp = session.get(url, timeout=timeout, stream=True, allow_redirects=True)
                body = resp.raw.read(MAX_BYTES + 1, decode_content=True)
                resp.close()
                if resp.status_code != 200:
                    got = Fetched(project, None, f"HTTP {resp.status_code} from {url}")
                elif len(body) > MAX_BYTES:
                    got = Fetched(project, None, f"{url}: response larger than {MAX_BYTES} bytes")
                else:
                    got = Fetched(project, body)
            except requests.RequestException as exc:
                got = Fetched(project, None, f"{url}: {type(exc).__name__}")
            out.append(got)
            if on_each:
                on_each(got)
    return out
