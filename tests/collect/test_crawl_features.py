"""Crawler features against local servers (127.0.0.1, port 0): site-level facts,
politeness, probing, auth, sitemaps, scope, and resuming without losing evidence."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import secrets
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drupalscan.collect import fingerprint, summary
from drupalscan.collect.crawl import CrawlError, CrawlOptions, crawl_site
from drupalscan.inventory.model import site_id
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress, SummaryProgress

from .httpfixtures import Reply, Req, Server, html, northwind_handler, server

__all__ = ["server"]  # the fixture, imported for pytest

MakeServer = Callable[..., Server]
FAST = CrawlOptions(retries=0, timeout=5, ignore_robots=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "store.db") as st:
        yield st


# -- site level: redirect chains, duplicate titles, broken links -------------------


def test_redirect_chains_and_duplicate_titles(server: MakeServer, store: Store) -> None:
    routes: dict[str, Reply | str] = {
        "/": html(
            "Home | S",
            '<a href="/old">o</a><a href="/older">o2</a><a href="/x">x</a><a href="/y">y</a>'
            '<a href="/z">z</a><a href="/gone">g</a><a href="/untitled1">u</a>'
            '<a href="/untitled2">u</a><a href="/err1">e</a><a href="/err2">e</a>',
        ),
        "/old": Reply("", status=301, headers={"Location": "/new"}),
        "/older": Reply("", status=302, headers={"Location": "/old"}),
        "/new": html("New | S"),
        "/x": html("Same | S"),
        "/y": html("Same | S"),
        "/z": html("  Same | S "),
        "/untitled1": html(""),
        "/untitled2": html(""),
        "/err1": Reply(html("Oops"), status=500),
        "/err2": Reply(html("Oops"), status=500),
        "/gone": Reply(html("Gone"), status=404),
    }
    srv = server(routes)
    site = crawl_site(srv.url, store, FAST)
    u = srv.url
    assert site.redirect_chains == [
        [u + "old", u + "new"],
        [u + "older", u + "old", u + "new"],
    ]
    # Shared by 2+ HTML 200 pages, whitespace ignored; not empty titles, not errors.
    assert site.duplicate_titles == {"Same | S": [u + "x", u + "y", u + "z"]}
    assert site.broken_links == 3
    assert [b.url for b in site.broken_link_details] == [u + "err1", u + "err2", u + "gone"]


def test_site_level_lists_are_capped_and_counted(
    server: MakeServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary, "MAX_REDIRECT_CHAINS", 2)
    monkeypatch.setattr(summary, "MAX_DUPLICATE_TITLES", 1)
    monkeypatch.setattr(summary, "MAX_DUPLICATE_URLS", 2)
    routes: dict[str, Reply | str] = {
        "/": html("H", "".join(f'<a href="/r{i}">r</a><a href="/t{i}">t</a>' for i in range(4))),
    }
    for i in range(4):
        routes[f"/r{i}"] = Reply("", status=301, headers={"Location": f"/t{i}"})
        routes[f"/t{i}"] = html("Popular" if i < 3 else "Twice")
    routes["/extra"] = html("Twice")
    routes["/"] = html("H", str(routes["/"]) + '<a href="/extra">e</a>')
    srv = server(routes)
    site = crawl_site(srv.url, store, FAST)
    assert len(site.redirect_chains) == 2
    assert site.duplicate_titles == {"Popular": [srv.url + "t0", srv.url + "t1"]}
    assert any("4 redirect chains met" in w for w in site.warnings)
    assert any("2 page titles are shared" in w for w in site.warnings)


# -- resume keeps every page's evidence ----------------------------------------------


class StopAfter(Progress):
    """Simulates Ctrl-C once ``n`` pages are done."""

    def __init__(self, n: int) -> None:
        self.n = n

    def update(self, done: int, total: int | None = None, **counters: int) -> None:
        if done >= self.n:
            raise KeyboardInterrupt


def conclusions(site: object) -> dict[str, object]:
    return {
        "kind": site.kind,  # type: ignore[attr-defined]
        "kind_evidence": site.kind_evidence,  # type: ignore[attr-defined]
        "modules": site.modules,  # type: ignore[attr-defined]
        "themes": site.themes,  # type: ignore[attr-defined]
        "core": (site.core_version, site.core_candidates),  # type: ignore[attr-defined]
        "name": site.name,  # type: ignore[attr-defined]
    }


def test_resumed_crawl_keeps_the_evidence_of_pages_fetched_before(
    server: MakeServer, tmp_path: Path
) -> None:
    srv = server(northwind_handler())
    options = CrawlOptions(retries=0, ignore_robots=True, concurrency=2)
    with Store(tmp_path / "whole.db") as whole:
        expected = crawl_site(srv.url, whole, options, fingerprints={})
    assert "contact" in {m.name for m in expected.modules}  # only /contact's form id says so
    srv.hits.clear()
    with Store(tmp_path / "resumed.db") as resumed:
        with pytest.raises(KeyboardInterrupt):
            crawl_site(srv.url, resumed, options, progress=StopAfter(40), fingerprints={})
        first = {p.url for p in resumed.pages(site_id(srv.url))}
        assert srv.url + "contact" in first and len(first) < expected.pages
        hits_before = srv.hits["/contact"]
        got = crawl_site(srv.url, resumed, options, fingerprints={})
        assert srv.hits["/contact"] == hits_before  # not fetched again: its facts are stored
    assert got.pages == expected.pages
    assert conclusions(got) == conclusions(expected)


def test_summary_is_derived_from_stored_pages_in_url_order(
    server: MakeServer, store: Store
) -> None:
    """Two runs of one site, fetched in different orders, conclude the same."""
    srv = server(northwind_handler())
    one = crawl_site(srv.url, store, CrawlOptions(retries=0, ignore_robots=True, concurrency=1))
    with Store(store.path.parent / "other.db") as other:
        two = crawl_site(srv.url, other, CrawlOptions(retries=0, ignore_robots=True, concurrency=4))
    assert conclusions(one) == conclusions(two)
    assert (one.pages, one.templates, one.redirect_chains, one.duplicate_titles) == (
        two.pages,
        two.templates,
        two.redirect_chains,
        two.duplicate_titles,
    )


# -- the summary line ------------------------------------------------------------------


def test_summary_progress_prints_the_crawl_delay_note(server: MakeServer, store: Store) -> None:
    def handle(req: Req) -> Reply:
        if req.path == "/robots.txt":
            return Reply("User-agent: *\nCrawl-delay: 9\n", content_type="text/plain")
        if req.path == "/":
            return Reply(html("H", "".join(f'<a href="/{i}">x</a>' for i in range(3))))
        return Reply(html(req.path))

    srv = server(handle)
    out = io.StringIO()
    crawl_site(srv.url, store, CrawlOptions(retries=0), SummaryProgress(out))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("note: robots.txt asks for Crawl-delay 9 s; not applied")
    assert re.fullmatch(
        r"127\.0\.0\.1:\d+: 4 pages, 0 errors, 0 broken links in \d+\.\d s "
        r"\(politeness: concurrency [\d-]+\)",
        lines[1],
    )


# -- auth: RFC 7616 digest ---------------------------------------------------------------


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - what RFC 7616 MD5 specifies


def digest_site(user: str, password: str, seen: list[str]) -> Callable[[Req], Reply]:
    """Pages behind RFC 7616 digest auth (MD5, qop=auth), checked in full."""
    realm, nonce, opaque = "Intranet", secrets.token_hex(16), secrets.token_hex(8)
    challenge = (
        f'Digest realm="{realm}", qop="auth", algorithm=MD5, nonce="{nonce}", opaque="{opaque}"'
    )
    pages = {"/": html("Home", '<a href="/private">p</a>'), "/private": html("Private")}

    def valid(header: str, req: Req) -> bool:
        if not header.startswith("Digest "):
            return False
        p = urllib.request.parse_keqv_list(urllib.request.parse_http_list(header[7:]))
        if p.get("username") != user or p.get("realm") != realm or p.get("nonce") != nonce:
            return False
        if p.get("uri") != req.path or p.get("qop") != "auth" or p.get("opaque") != opaque:
            return False
        if p.get("algorithm", "MD5").upper() != "MD5":
            return False
        ha1 = md5(f"{user}:{realm}:{password}")
        ha2 = md5(f"{req.method}:{p['uri']}")
        expected = md5(f"{ha1}:{nonce}:{p.get('nc')}:{p.get('cnonce')}:auth:{ha2}")
        return p.get("response") == expected

    def handle(req: Req) -> Reply:
        header = req.headers.get("Authorization", "")
        seen.append(header)
        if not valid(header, req):
            return Reply("no", status=401, headers={"WWW-Authenticate": challenge})
        body = pages.get(req.path)
        return Reply(body) if body else Reply("", status=404)

    return handle


def test_digest_auth(server: MakeServer, tmp_path: Path) -> None:
    seen: list[str] = []
    srv = server(digest_site("alice", "Digest-SECRET-pw", seen))
    with Store(tmp_path / "d.db") as st:
        with pytest.raises(CrawlError, match="needs credentials"):
            crawl_site(srv.url, st, FAST)
        wrong = CrawlOptions(retries=0, ignore_robots=True, auth=("alice", "x"), auth_type="digest")
        with pytest.raises(CrawlError, match="needs credentials"):
            crawl_site(srv.url, st, wrong)
        options = CrawlOptions(
            retries=0, ignore_robots=True, auth=("alice", "Digest-SECRET-pw"), auth_type="digest"
        )
        site = crawl_site(srv.url, st, options)
        assert {p.url: p.status for p in st.pages(site.id)} == {
            srv.url: 200,
            srv.url + "private": 200,
        }
    assert any('username="alice"' in h for h in seen)
    assert not any("Digest-SECRET-pw" in h for h in seen)  # digest never sends the password
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"Digest-SECRET-pw" not in data


# -- 429, sitemap index, depth and include -----------------------------------------------


def test_429_with_retry_after_is_retried(server: MakeServer, store: Store) -> None:
    calls: list[float] = []

    def handle(req: Req) -> Reply:
        if req.path == "/":
            return Reply(html("Home", '<a href="/limited">l</a>'))
        if req.path == "/limited":
            calls.append(time.monotonic())
            if len(calls) == 1:
                return Reply("slow down", status=429, headers={"Retry-After": "1"})
            return Reply(html("Allowed"))
        return Reply("", status=404)

    srv = server(handle)
    site = crawl_site(srv.url, store, CrawlOptions(retries=2, ignore_robots=True))
    page = next(p for p in store.pages(site.id) if p.url.endswith("/limited"))
    assert (page.status, page.title, page.error) == (200, "Allowed", "")
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.9


def test_429_without_retries_left_is_recorded(server: MakeServer, store: Store) -> None:
    routes: dict[str, Reply | str] = {
        "/": html("Home", '<a href="/limited">l</a>'),
        "/limited": Reply("slow down", status=429, headers={"Retry-After": "0"}),
    }
    srv = server(routes)
    site = crawl_site(srv.url, store, CrawlOptions(retries=1, ignore_robots=True))
    page = next(p for p in store.pages(site.id) if p.url.endswith("/limited"))
    assert (page.status, page.error) == (429, "HTTP 429 after 2 attempts")
    assert srv.hits["/limited"] == 2


def urlset(*locs: str) -> str:
    return "<urlset>" + "".join(f"<url><loc>{loc}</loc></url>" for loc in locs) + "</urlset>"


def test_sitemap_index_with_a_gzipped_sitemap(server: MakeServer, store: Store) -> None:
    routes: dict[str, Reply | str] = {"/": html("Home")}
    srv = server(routes)
    u = srv.url
    routes["/sitemap.xml"] = Reply(
        "<?xml version='1.0'?><sitemapindex>"
        f"<sitemap><loc>{u}sitemap-pages.xml</loc></sitemap>"
        f"<sitemap><loc>{u}sitemap-news.xml.gz</loc></sitemap></sitemapindex>",
        content_type="application/xml",
    )
    routes["/sitemap-pages.xml"] = Reply(
        urlset(f"{u}from-plain", f"{u}also-plain"), content_type="application/xml"
    )
    routes["/sitemap-news.xml.gz"] = Reply(
        gzip.compress(urlset(f"{u}from-gzip?b=2&amp;a=1").encode()),
        content_type="application/x-gzip",
    )
    for path in ("/from-plain", "/also-plain", "/from-gzip"):
        routes[path] = html(path)
    site = crawl_site(srv.url, store, FAST)
    assert sorted(p.url.removeprefix(u) for p in store.pages(site.id)) == [
        "",
        "also-plain",
        "from-gzip?a=1&b=2",
        "from-plain",
    ]
    assert srv.hits["/sitemap.xml"] == 1 and srv.hits["/sitemap-news.xml.gz"] == 1


def chain_site(req: Req) -> Reply:
    """/ -> /d1 -> /d2 -> ... each page linking to the next."""
    path = req.path.split("?")[0]
    n = 0 if path == "/" else int(path[2:]) if path[2:].isdigit() else -1
    if n < 0:
        return Reply("", status=404)
    return Reply(html(f"D{n}", f'<a href="/d{n + 1}">next</a>'))


def test_max_depth(server: MakeServer, store: Store) -> None:
    srv = server(chain_site)
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, ignore_robots=True, max_depth=2))
    pages = sorted((p.url.removeprefix(srv.url), p.depth) for p in store.pages(site.id))
    assert pages == [("", 0), ("d1", 1), ("d2", 2)]
    assert srv.hits["/d3"] == 0


def test_include_regexes(server: MakeServer, store: Store) -> None:
    routes: dict[str, Reply | str] = {
        "/": html("H", '<a href="/docs/a">a</a><a href="/blog/b">b</a><a href="/docs/c.pdf">c</a>'),
        "/docs/a": html("A", '<a href="/wiki/w">w</a><a href="/docs/d">d</a>'),
        "/docs/d": html("D"),
        "/docs/c.pdf": Reply(b"%PDF", content_type="application/pdf"),
        "/blog/b": html("B"),
        "/wiki/w": html("W"),
    }
    srv = server(routes)
    options = CrawlOptions(
        retries=0, ignore_robots=True, include=(r"/docs/", r"/wiki/"), exclude=(r"\.pdf$",)
    )
    site = crawl_site(srv.url, store, options)
    assert sorted(p.url.removeprefix(srv.url) for p in store.pages(site.id)) == [
        "",
        "docs/a",
        "docs/d",
        "wiki/w",
    ]
    assert srv.hits["/blog/b"] == 0 and srv.hits["/docs/c.pdf"] == 0
    with pytest.raises(CrawlError, match="bad include/exclude pattern"):
        crawl_site(srv.url, store, CrawlOptions(include=("(",)))


# -- stored facts hold no secrets ---------------------------------------------------------


def test_page_facts_keep_cookie_names_not_values(server: MakeServer, tmp_path: Path) -> None:
    cookie = "SESS" + "a" * 32
    routes: dict[str, Reply | str] = {
        "/": Reply(
            html("H"),
            headers={
                "Set-Cookie": f"{cookie}=cookie-VALUE-secret; path=/",
                "X-Generator": "Drupal 7 (https://www.drupal.org)",
                "X-Secret-Header": "header-VALUE-secret",
            },
        )
    }
    srv = server(routes)
    with Store(tmp_path / "c.db") as st:
        site = crawl_site(srv.url, st, FAST, fingerprints={})
        (page,) = st.pages(site.id)
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert b"cookie-VALUE-secret" not in data and b"header-VALUE-secret" not in data
    assert any(e.kind == "cookie" for e in site.kind_evidence)
    assert page.cookie_names == [cookie]
    assert set(page.headers) <= set(fingerprint.FACT_HEADERS)
