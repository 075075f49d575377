"""Intranets that are not Drupal 7 keep their kind, with evidence, and get no Drupal probes.

Each server answers as the real platform does (shapes taken from real sites'
heads and headers): Joomla 3 (its generator, /media/jui/ with a media hash,
its stock robots.txt that closes /administrator/), SharePoint 2016 (its
version header and /_layouts/15/), Drupal 10 (X-Generator, drupal-settings
JSON, /core/ assets) and a plain static site.
"""

from __future__ import annotations

from collections.abc import Callable

from drupalscan.collect.crawl import CrawlOptions, crawl_site
from drupalscan.collect.probe import Candidate
from drupalscan.inventory.store import Store

from .httpfixtures import Reply, Req, Server, html, server

__all__ = ["server"]

MakeServer = Callable[..., Server]
PROBES = [Candidate("views", "views"), Candidate("token", "token")]

JOOMLA_ROBOTS = (
    "User-agent: *\nDisallow: /administrator/\nDisallow: /bin/\nDisallow: /cache/\n"
    "Disallow: /cli/\nDisallow: /components/\nDisallow: /includes/\nDisallow: /installation/\n"
    "Disallow: /language/\nDisallow: /layouts/\nDisallow: /libraries/\nDisallow: /logs/\n"
    "Disallow: /modules/\nDisallow: /plugins/\nDisallow: /tmp/\n"
)
JOOMLA_HEAD = (
    '<meta name="generator" content="Joomla! - Open Source Content Management" />'
    '<script type="application/json" class="joomla-script-options new">'
    '{"csrf.token":"c50ee43b98f577753931d0543aec93ea","system.paths":{"root":"","base":""}}'
    "</script>"
    '<script src="/media/jui/js/jquery.min.js?42c3e03fc397565a413664a287fa9ba8"></script>'
    '<script src="/media/system/js/caption.js?42c3e03fc397565a413664a287fa9ba8"></script>'
)
JOOMLA_MANIFEST = """<?xml version="1.0" encoding="utf-8"?>
<extension version="3.6" type="file" method="upgrade">
	<name>files_joomla</name>
	<author>Joomla! Project</author>
	<version>3.10.12</version>
	<creationDate>July 2023</creationDate>
</extension>
"""


def log_paths(handler: Callable[[Req], Reply], log: list[str]) -> Callable[[Req], Reply]:
    def handle(req: Req) -> Reply:
        log.append(req.path)
        return handler(req)

    return handle


def joomla(req: Req) -> Reply:
    path = req.path.split("?")[0]
    if path == "/robots.txt":
        return Reply(JOOMLA_ROBOTS, content_type="text/plain")
    if path == "/administrator/manifests/files/joomla.xml":
        return Reply(JOOMLA_MANIFEST, content_type="application/xml")
    if path in ("/", "/index.php/about"):
        return Reply(html("Home", '<a href="/index.php/about">About</a>', head=JOOMLA_HEAD))
    return Reply("", status=404)


def test_joomla_keeps_its_kind_and_robots_closes_its_manifest(
    server: MakeServer, store: Store
) -> None:
    log: list[str] = []
    srv = server(log_paths(joomla, log))
    site = crawl_site(srv.url, store, CrawlOptions(retries=0), probe_candidates=PROBES)
    assert site.kind == "joomla" and site.core_version is None
    assert any("Joomla" in e.detail for e in site.kind_evidence)
    assert not any(p.startswith(("/administrator/", "/sites/")) for p in log)
    with Store(store.path.parent / "consent.db") as consented:
        options = CrawlOptions(retries=0, ignore_robots=True)
        site = crawl_site(srv.url, consented, options, probe_candidates=PROBES)
    assert site.core_version == "3.10.12"
    assert any(e.detail.endswith("<version>3.10.12</version>") for e in site.kind_evidence)


SHAREPOINT_HEADERS = {
    "Server": "Microsoft-IIS/10.0",
    "X-SharePointHealthScore": "0",
    "SPRequestGuid": "0acbdea1-5d3e-401d-3343-b8127105aaeb",
    "X-Powered-By": "ASP.NET",
    "MicrosoftSharePointTeamServices": "16.0.0.10417",
}


def sharepoint(req: Req) -> Reply:
    head = (
        '<meta name="GENERATOR" content="Microsoft SharePoint" />'
        '<script src="/_layouts/15/init.js?rev=pbnS5XGhdGdIs1RH%2F8J%2FdQ%3D%3DTAG0"></script>'
    )
    if req.path in ("/", "/SitePages/Policies.aspx"):
        body = '<a href="/SitePages/Policies.aspx">Policies</a>'
        return Reply(html("Home", body, head=head), headers=SHAREPOINT_HEADERS)
    return Reply("", status=404, headers=SHAREPOINT_HEADERS)


def test_sharepoint_gives_its_version_header(server: MakeServer, store: Store) -> None:
    log: list[str] = []
    srv = server(log_paths(sharepoint, log))
    site = crawl_site(srv.url, store, CrawlOptions(retries=0), probe_candidates=PROBES)
    assert site.kind == "sharepoint" and site.core_version == "16.0.0.10417"
    assert not any("/sites/" in p or p.endswith(".info") for p in log)


def drupal10(req: Req) -> Reply:
    headers = {
        "X-Generator": "Drupal 10 (https://www.drupal.org)",
        "X-Drupal-Dynamic-Cache": "MISS",
    }
    head = (
        '<meta name="Generator" content="Drupal 10 (https://www.drupal.org)" />'
        '<link rel="icon" href="/core/themes/olivero/favicon.ico" />'
        '<link rel="stylesheet" href="/core/themes/olivero/css/base/base.css?s9zj5l" />'
        '<script src="/core/misc/drupal.js?v=10.2.5"></script>'
        '<script type="application/json" data-drupal-selector="drupal-settings-json">'
        '{"path":{"baseUrl":"\\/","currentPath":"node"},"user":{"uid":0}}</script>'
    )
    if req.path in ("/", "/about"):
        return Reply(
            html("Welcome | Intranet", '<a href="/about">About</a>', head=head), headers=headers
        )
    return Reply("", status=404, headers=headers)


def test_drupal10_is_not_probed_for_drupal7_modules(server: MakeServer, store: Store) -> None:
    log: list[str] = []
    srv = server(log_paths(drupal10, log))
    site = crawl_site(srv.url, store, CrawlOptions(retries=0), probe_candidates=PROBES)
    assert site.kind == "drupal8+"
    assert any(e.detail.startswith("X-Generator: Drupal 10") for e in site.kind_evidence)
    assert not any(p.startswith("/sites/") for p in log)
    assert "olivero" in {t.name for t in site.themes}


def test_static_site_is_static_and_asked_nothing_more(server: MakeServer, store: Store) -> None:
    log: list[str] = []
    pages = {
        "/": html("Facilities", '<a href="/buildings.html">Buildings</a>'),
        "/buildings.html": html("Buildings"),
    }

    def static(req: Req) -> Reply:
        if req.path in pages:
            return Reply(pages[req.path], headers={"Server": "Apache/2.2.22"})
        return Reply("Not Found", status=404, headers={"Server": "Apache/2.2.22"})

    srv = server(log_paths(static, log))
    site = crawl_site(srv.url, store, CrawlOptions(retries=0), probe_candidates=PROBES)
    assert site.kind == "static"
    assert set(log) == {"/robots.txt", "/", "/sitemap.xml", "/buildings.html"}
