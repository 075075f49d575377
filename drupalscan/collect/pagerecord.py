"""From one fetched response to the page record the crawler stores.

Kept apart from `drupalscan.collect.crawl` because this is the part that may
run in another process (`drupalscan.collect.parseproc`): it needs no network
library, only the parser, the fingerprint facts and the model.  Everything
that goes in (`Fetched`) and comes out (`PageRecord`) is plain data, so it
crosses a pipe as cheaply as it crosses a function call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drupalscan.collect import fingerprint as fp
from drupalscan.collect.pageparse import is_html_type, parse_html
from drupalscan.inventory import io, model


@dataclass(slots=True)
class Fetched:
    """One URL's outcome after redirects, retries and the size cap.

    ``headers`` holds only the allow-listed response headers
    (`drupalscan.collect.crawl.KEPT_HEADERS`), keyed by their canonical
    spelling, which is how every reader looks them up.
    """

    url: str
    final_url: str = ""
    status: int = 0
    redirects: list[str] = field(default_factory=list)
    headers: Mapping[str, str] = field(default_factory=dict)
    cookie_names: list[str] = field(default_factory=list)
    body: bytes | None = None
    size: int = 0
    error: str = ""

    @property
    def content_type(self) -> str:
        """The Content-Type header, or ""."""
        return self.headers.get("Content-Type", "")


@dataclass(slots=True)
class PageRecord:
    """What the crawl coordinator needs of one fetched URL.

    ``data`` is the page's stored JSON, made where the page was parsed, so
    the coordinator (which owns the store and is the crawl's bottleneck on
    a fast server) only writes text and admits links.
    """

    url: str
    final_url: str
    status: int
    error: str
    depth: int
    links: list[str]
    data: str
    site_name: str = ""
    base_path: str = ""


def page_from_fetch(got: Fetched, depth: int, site_host: str) -> model.Page:
    """The Page record of a fetch, with the fingerprint facts it carries."""
    ctype = got.content_type.split(";", 1)[0].strip().lower()
    fields: dict[str, Any] = {}
    error = got.error
    if got.body is not None and is_html_type(ctype) and not got.error:
        parsed = parse_html(got.body, got.final_url or got.url, got.headers, site_host)
        fields = {
            **fp.page_facts(parsed),
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
        }
        error = parsed.error
    return model.Page(
        url=got.url,
        final_url=got.final_url,
        status=got.status,
        redirects=got.redirects,
        content_type=ctype,
        size=got.size,
        last_modified=got.headers.get("Last-Modified", ""),
        depth=depth,
        error=error,
        headers=fp.header_facts(got.headers),
        cookie_names=sorted({n[:100] for n in got.cookie_names})[: fp.MAX_FACT_ITEMS],
        **fields,
    )


def record_page(got: Fetched, depth: int, site_host: str) -> PageRecord:
    """Parse a fetch into the record the coordinator stores and follows."""
    page = page_from_fetch(got, depth, site_host)
    return record_of(page)


def record_of(page: model.Page) -> PageRecord:
    """The coordinator's record of an already built page."""
    return PageRecord(
        url=page.url,
        final_url=page.final_url,
        status=page.status,
        error=page.error,
        depth=page.depth,
        links=page.links,
        data=io.dumps(page, indent=None),
        site_name=page.site_name,
        base_path=page.drupal_settings.get("basePath", ""),
    )
