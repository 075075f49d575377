"""The crawler honours proxies and .netrc from the environment, read once per crawl.

requests would read them on every request; the crawler reads them once
with requests' own functions (see `Fetcher.__init__`).  These tests pin
that the settings still apply: a real loopback proxy and a basic-auth site.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from drupalscan.collect.crawl import CrawlError, CrawlOptions, crawl_site, limits_for
from drupalscan.collect.fetch import Fetcher
from drupalscan.collect.politeness import Throttle
from drupalscan.collect.urls import Scope
from drupalscan.inventory.store import Store

from .httpfixtures import Reply, Req, Server, html, server

__all__ = ["server"]

MakeServer = Callable[..., Server]
FAST = CrawlOptions(retries=0, ignore_robots=True, parse_processes=0)
PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*PROXY_VARS, "no_proxy", "NO_PROXY", "NETRC", "REQUESTS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def site(req: Req) -> Reply:
    path = req.path
    if "://" in path:  # a proxy is asked for the absolute URL
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    if path == "/":
        return Reply(html("Home", '<a href="/a">A</a>'))
    if path == "/a":
        return Reply(html("A"))
    return Reply("", status=404)


def test_http_proxy_from_the_environment_is_used(
    server: MakeServer, store: Store, clean_env: pytest.MonkeyPatch
) -> None:
    """A site elsewhere is reached through the proxy; the proxy here answers for it,
    so nothing leaves loopback (``.test`` names never resolve)."""
    proxy = server(site)
    clean_env.setenv("http_proxy", proxy.url)
    far = "http://intranet.example.test/"
    result = crawl_site(far, store, FAST)
    assert result.pages == 2
    assert {far, far + "a"} <= set(proxy.hits)  # absolute URLs: proxied


def test_no_proxy_from_the_environment_is_honoured(clean_env: pytest.MonkeyPatch) -> None:
    """The proxies a crawl uses are decided once; no_proxy takes a host out of them."""
    clean_env.setenv("http_proxy", "http://127.0.0.1:9")
    far = Scope("intranet.example.test")
    assert Fetcher(limits_for(FAST), far, Throttle()).proxies == {"http": "http://127.0.0.1:9"}
    clean_env.setenv("no_proxy", "example.test")
    assert Fetcher(limits_for(FAST), far, Throttle()).proxies == {}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_loopback_is_never_proxied(host: str, clean_env: pytest.MonkeyPatch) -> None:
    """http_proxy without no_proxy (common on CI runners) must not capture loopback."""
    for name in PROXY_VARS:
        clean_env.setenv(name, "http://127.0.0.1:9")
    assert Fetcher(limits_for(FAST), Scope(f"{host}:8080"), Throttle()).proxies == {}


def test_loopback_crawl_works_with_a_dead_proxy(
    server: MakeServer, store: Store, clean_env: pytest.MonkeyPatch
) -> None:
    target = server(site)
    for name in PROXY_VARS:
        clean_env.setenv(name, "http://127.0.0.1:9")  # refuses connections
    assert crawl_site(target.url, store, FAST).pages == 2
    assert {"/", "/a"} <= set(target.hits)


def test_netrc_credentials_are_used_and_not_stored(
    server: MakeServer, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    secret = "netrc-SECRET-pw"
    expected = "Basic " + base64.b64encode(f"alice:{secret}".encode()).decode()

    def private(req: Req) -> Reply:
        if req.headers.get("Authorization") != expected:
            return Reply("no", status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})
        return site(req)

    srv = server(private)
    with Store(tmp_path / "without.db") as st, pytest.raises(CrawlError, match="credentials"):
        crawl_site(srv.url, st, FAST)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login alice password {secret}\n")
    netrc.chmod(0o600)
    clean_env.setenv("NETRC", str(netrc))
    with Store(tmp_path / "n.db") as st:
        result = crawl_site(srv.url, st, FAST)
        assert result.pages == 2
        assert {p.status for p in st.pages(result.id)} == {200}
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("n.db*"))
    assert secret.encode() not in stored


def test_no_request_leaves_the_crawled_host(
    server: MakeServer, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    """A sitemap listed on another host is not fetched: the sessions carry this
    site's credentials (.netrc, --auth, --cookie, --header)."""
    other = server(site)
    robots = f"User-agent: *\nDisallow:\nSitemap: {other.url}sitemap.xml\n"

    def home(req: Req) -> Reply:
        if req.path == "/robots.txt":
            return Reply(robots, content_type="text/plain")
        return site(req)

    srv = server(home)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password netrc-SECRET\n")
    netrc.chmod(0o600)
    clean_env.setenv("NETRC", str(netrc))
    options = CrawlOptions(
        retries=0, cookies=(("SESSabc", "cookie-SECRET"),), headers=(("X-Token", "t-SECRET"),)
    )
    with Store(tmp_path / "o.db") as st:
        result = crawl_site(srv.url, st, options)
    assert result.pages == 2
    assert not other.requests
    assert any("sitemap(s) on another host, not fetched" in w for w in result.warnings)


def test_sitemaps_on_the_crawled_host_spelled_otherwise_are_still_read(
    server: MakeServer, store: Store
) -> None:
    """The host check compares normalised URLs: ``HTTP://LOCALHOST:PORT`` is this host."""

    def home(req: Req) -> Reply:
        loud = base.replace("http://localhost", "HTTP://LOCALHOST")
        if req.path == "/robots.txt":
            return Reply(f"User-agent: *\nSitemap: {loud}index.xml\n", content_type="text/plain")
        if req.path == "/index.xml":
            entry = f"<sitemap><loc>{loud}pages.xml</loc></sitemap>"
            return Reply(f"<sitemapindex>{entry}</sitemapindex>", content_type="application/xml")
        if req.path == "/pages.xml":
            locs = f"<url><loc>{base}hidden</loc></url><url><loc>{loud}deeper</loc></url>"
            return Reply(f"<urlset>{locs}</urlset>", content_type="application/xml")
        if req.path in ("/", "/hidden", "/deeper"):
            return Reply(html(req.path))
        return Reply("", status=404)

    srv = server(home)
    base = f"http://localhost:{srv.port}/"  # loopback by name, so the host has a case
    result = crawl_site(base, store, CrawlOptions(retries=0))
    stored = {p.url for p in store.pages(result.id)}
    assert stored == {base, base + "hidden", base + "deeper"}
    assert not any("another host" in w for w in result.warnings)
