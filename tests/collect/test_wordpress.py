"""A WordPress intranet assessed from outside: version, plugins, theme, content model.

The site (`tests.collect.wpsite`) answers as WordPress 6.4 does; see that
module for what each answer is modelled on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from drupalscan import api
from drupalscan.collect.crawl import CrawlOptions
from drupalscan.collect.wordpress import (
    extensions_from_assets,
    plugin_version_from_readme,
    version_from_assets,
    version_from_generator,
)
from drupalscan.config import Settings
from drupalscan.inventory import model
from drupalscan.inventory.store import Store

from .httpfixtures import Server, server
from .wpsite import WP_VERSION, WordPressSite

__all__ = ["server"]

MakeServer = Callable[..., Server]


def assess(server: MakeServer, store: Store, site: WordPressSite) -> model.Site:
    srv = server(site.handler())
    site.base = srv.url.rstrip("/")
    (crawled,) = api.crawl([srv.url], store, CrawlOptions(retries=0))
    return crawled


def test_wordpress_intranet_from_outside(server: MakeServer, store: Store) -> None:
    site = assess(server, store, WordPressSite())
    assert site.kind == "wordpress" and site.core_version == WP_VERSION
    plugins = {m.name: m for m in site.modules}
    assert {p: m.version for p, m in plugins.items()} == {
        "contact-form-7": "5.8.4",  # its assets' ?ver=
        "the-events-calendar": "6.2.8.1",
        "staff-directory": "3.1.0",  # ?ver= is WordPress's own: readme.txt's Stable tag
        "wordpress-seo": None,  # only its REST namespace (yoast/v1) shows it
    }
    assert all(m.type == "plugin" and m.status == "unknown" for m in plugins.values())
    assert [e.detail for e in plugins["wordpress-seo"].evidence] == ["REST namespace yoast/v1"]
    (theme,) = site.themes
    assert (theme.name, theme.version) == ("twentytwentyone", "2.0")
    types = {c.name: c.label for c in site.content_types if c.module == "wordpress"}
    assert types == {"page": "Pages", "post": "Posts", "staff": "Staff", "tribe_events": "Events"}
    assert {v.name for v in site.vocabularies} == {"category", "post_tag", "department"}
    assert site.pages >= 7  # the sitemap index led to /benefits/
    assert any(e.detail == f'meta generator "WordPress {WP_VERSION}"' for e in site.kind_evidence)


def test_wordpress_findings_and_plan(server: MakeServer, store: Store) -> None:
    site = assess(server, store, WordPressSite())
    findings = api.check(store, Settings())
    rules = {f.rule for f in findings}
    assert {"WP-SITE-001", "WP-CT-001", "WP-PLG-001"} <= rules
    assert not {r for r in rules if r.startswith("D7-MOD")}  # no Drupal module rule on plugins
    assert "D7-SITE-004" not in rules  # WordPress has its own, cheaper path
    post_types = sorted(f.subject.name for f in findings if f.rule == "WP-CT-001")
    assert post_types == ["staff", "tribe_events"]
    report = api.build_report(store, Settings())
    assert not report.plan.target.modules  # plugins are decisions, not modules to install
    assert site.id in {s.id for s in report.sites}


def test_hardened_wordpress_still_gives_its_version(server: MakeServer, store: Store) -> None:
    """No generator meta, no feed version: core assets' ?ver= still name it."""
    site = assess(server, store, WordPressSite(hide_version=True))
    assert site.kind == "wordpress" and site.core_version == WP_VERSION
    assert any(
        "block-library" not in e.detail and "?ver=" in e.detail for e in site.kind_evidence
    ) or any("?ver=" in e.detail for e in site.kind_evidence)


def test_closed_rest_api_leaves_the_content_model_unknown(server: MakeServer, store: Store) -> None:
    site = assess(server, store, WordPressSite(rest_open=False))
    assert site.kind == "wordpress"
    assert not [c for c in site.content_types if c.module == "wordpress"]
    assert "wordpress-seo" not in {m.name for m in site.modules}


def test_wordpress_with_robots_obeyed_asks_nothing_it_forbids(
    server: MakeServer, tmp_path: Path
) -> None:
    wp = WordPressSite()
    srv = server(wp.handler())
    wp.base = srv.url.rstrip("/")
    with Store(tmp_path / "s.db") as store:
        api.crawl([srv.url], store, CrawlOptions(retries=0))
    assert not any(p.startswith("/wp-admin/") for p in srv.hits)


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("WordPress 6.4.2", "6.4.2"),
        ("WordPress 5.7", "5.7"),
        ("Redux 4.5.7", None),
    ],
)
def test_generator_versions(text: str, version: str | None) -> None:
    assert version_from_generator(text) == version


def test_ver_values_say_what_they_belong_to() -> None:
    page = "http://hub.test/"
    assets = [
        "http://hub.test/wp-includes/js/jquery/jquery.min.js?ver=3.7.1",  # jQuery's version
        "http://hub.test/wp-includes/css/dist/block-library/style.min.css?ver=6.4.2",
        "http://hub.test/wp-content/plugins/contact-form-7/includes/css/styles.css?ver=5.8.4",
        "http://hub.test/wp-content/plugins/no-version/style.css?ver=6.4.2",  # inherited
        "http://other.test/wp-content/plugins/elsewhere/x.css?ver=1.0",  # another host
    ]
    version, evidence = version_from_assets(assets, dict.fromkeys(assets, page))
    assert version == "6.4.2" and len(evidence) == 1
    plugins, themes = extensions_from_assets(assets, {}, version, "hub.test")
    assert {n: p.version for n, p in plugins.items()} == {
        "contact-form-7": "5.8.4",
        "no-version": None,
    }
    assert themes == {}


def test_readme_stable_tag() -> None:
    assert plugin_version_from_readme(b"=== X ===\nStable Tag: 2.0.1\n") == "2.0.1"
    assert plugin_version_from_readme(b"=== X ===\nStable tag: trunk\n") is None
    assert plugin_version_from_readme(b"<html><body>Stable tag: 1.0</body></html>") is None
