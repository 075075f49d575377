"""Page URLs a site lists in its sitemaps (sitemap indexes followed, bounded).

A Drupal site's menus rarely reach every page; its XML sitemap (the
xmlsitemap module, or robots.txt's ``Sitemap:`` lines) often does.  The
reading is bounded everywhere: sitemaps read, URLs kept, and bytes after
decompression (a ``sitemap.xml.gz`` may be a gzip bomb).
"""

from __future__ import annotations

import re
import zlib
from collections import deque
from collections.abc import Callable, Iterable

from drupalscan.collect.urls import normalise_url

MAX_SITEMAPS = 20
SITEMAP_MAX_BYTES = 50_000_000
"""Most bytes of one decompressed sitemap (the sitemaps.org limit)."""

_LOC = re.compile(rb"<loc>\s*([^<\s]+)\s*</loc>", re.IGNORECASE)
_STYLESHEET = re.compile(rb"<\?xml-stylesheet[^>]*href=[\"']([^\"']+)[\"']", re.IGNORECASE)

Fetch = Callable[[str], tuple[int, bytes]]


def sitemap_urls(fetch: Fetch, roots: Iterable[str], limit: int) -> tuple[list[str], list[str]]:
    """Page URLs listed in sitemaps, and the XSL stylesheets the sitemaps name.

    The stylesheet is evidence of what wrote the sitemap (Drupal's
    xmlsitemap module styles its own with ``sitemap.xsl``).
    """
    todo = deque(dict.fromkeys(roots))
    done: set[str] = set()
    found: dict[str, None] = {}
    stylesheets: dict[str, None] = {}
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
                body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, SITEMAP_MAX_BYTES)
            except zlib.error:
                continue
        head = body[:2000]
        style = _STYLESHEET.search(head)
        if style:
            stylesheets.setdefault(style.group(1).decode("utf-8", "replace")[:300], None)
        index = b"<sitemapindex" in head
        for raw in _LOC.findall(body):
            loc = raw.decode("utf-8", "replace").replace("&amp;", "&")
            if index:
                todo.append(normalise_url(loc, url) or loc)
            elif len(found) < limit:
                found.setdefault(loc, None)
    return list(found), list(stylesheets)
