"""Fingerprinting as pure functions: kinds, extensions, core version narrowing."""

from __future__ import annotations

import pytest

from drupalscan.collect import fingerprint as fp
from drupalscan.collect.pageparse import parse_html

from .httpfixtures import NORTHWIND

U = "http://s.example/"


def kind_of(*signal_lists: list[fp.Signal]) -> str:
    return fp.decide_kind([s for signals in signal_lists for s in signals])[0]


def test_drupal7_from_headers_and_cookie() -> None:
    headers = {"X-Generator": "Drupal 7 (https://www.drupal.org)", "X-Drupal-Cache": "HIT"}
    signals = fp.signals_from_headers(headers, U, ["SESS" + "a" * 32])
    kind, evidence = fp.decide_kind(signals)
    assert kind == "drupal7"
    details = [e.detail for e in evidence]
    assert "X-Generator: Drupal 7 (https://www.drupal.org)" in details
    assert "X-Drupal-Cache header" in details
    assert any("SESS" in d and "a" * 32 not in d for d in details)  # name shown, not whole


def test_drupal8_from_dynamic_cache_and_settings_json() -> None:
    page = parse_html(
        b'<html><head><script type="application/json" data-drupal-selector='
        b'"drupal-settings-json">{}</script><script src="/core/misc/drupal.js?v=9"></script>'
        b"</head><body></body></html>",
        U,
    )
    signals = fp.signals_from_headers({"X-Drupal-Dynamic-Cache": "MISS"}, U)
    signals += fp.signals_from_page(page, U)
    signals += fp.signals_from_assets(page.assets, "s.example", U, "drupal8+")
    assert kind_of(signals) == "drupal8+"


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({"X-Generator": "Drupal 6"}, "drupal6"),
        ({"MicrosoftSharePointTeamServices": "16.0.0.5"}, "sharepoint"),
        ({"X-Content-Encoded-By": "Joomla! 3"}, "joomla"),
        ({"X-Powered-By": "ASP.NET"}, "other"),
        ({}, "static"),
    ],
)
def test_kinds_from_headers(headers: dict[str, str], kind: str) -> None:
    assert kind_of(fp.signals_from_headers(headers, U)) == kind


@pytest.mark.parametrize(
    ("generator", "kind"),
    [
        ("WordPress 6.4.2", "wordpress"),
        ("Joomla! - Open Source Content Management", "joomla"),
        ("Microsoft FrontPage 4.0", "static"),
        ("Drupal 10 (https://www.drupal.org)", "drupal8+"),
    ],
)
def test_kinds_from_meta_generator(generator: str, kind: str) -> None:
    page = parse_html(
        f'<html><head><meta name="generator" content="{generator}"></head></html>'.encode(), U
    )
    assert kind_of(fp.signals_from_page(page, U)) == kind


def test_wordpress_from_asset_paths() -> None:
    page = parse_html(
        b'<html><head><link rel="stylesheet" href="/wp-content/themes/x/s.css"></head></html>', U
    )
    signals = fp.signals_from_page(page, U) + fp.signals_from_assets(page.assets, "s.example", U)
    assert kind_of(signals) == "wordpress"


def test_generic_drupal_signals_join_the_specific_version() -> None:
    generic = fp.signals_from_assets([U + "misc/drupal.js"], "s.example", U)
    assert kind_of(generic) == "drupal"
    specific = fp.signals_from_assets([U + "misc/jquery.once.js"], "s.example", U)
    assert kind_of(generic, specific) == "drupal7"


@pytest.mark.parametrize(
    ("path", "kind", "expected"),
    [
        ("/sites/all/modules/ctools/css/ctools.css", "drupal7", ("module", "ctools", "unknown")),
        ("/sites/all/modules/contrib/views/css/v.css", "drupal7", ("module", "views", "contrib")),
        ("/sites/example.com/modules/custom/hr/hr.js", "drupal7", ("module", "hr", "custom")),
        ("/sites/all/themes/northwind/css/n.css", "drupal7", ("theme", "northwind", "unknown")),
        ("/profiles/commons/modules/contrib/og/og.css", "drupal7", ("module", "og", "contrib")),
        ("/modules/node/node.css", "drupal7", ("module", "node", "core")),
        ("/themes/garland/style.css", "drupal7", ("theme", "garland", "core")),
        ("/core/modules/system/css/x.css", "drupal8+", ("module", "system", "core")),
        ("/modules/contrib/token/token.css", "drupal8+", ("module", "token", "contrib")),
        ("/sites/default/files/css/x.css", "drupal7", None),
        ("/sites/all/modules/README.txt", "drupal7", None),
    ],
)
def test_classify_asset(path: str, kind: str, expected: tuple[str, str, str] | None) -> None:
    found = fp.classify_asset(path, kind)
    assert (found[:3] if found else None) == expected


def test_modules_from_classes_settings_and_forms() -> None:
    page = parse_html(
        b'<html><head><script>jQuery.extend(Drupal.settings, {"basePath":"/",'
        b'"ajaxPageState":{"theme":"nw","js":{}},"CToolsModal":{},"googleanalytics":{}});'
        b'</script></head><body class="html not-front not-logged-in page-node">'
        b'<div class="block block-menu-block"></div><div class="view view-id-news"></div>'
        b'<div class="field-type-datestamp"></div>'
        b'<form><input name="form_id" value="webform_client_form_12"></form></body></html>',
        U,
    )
    modules, themes = fp.summarise_extensions(fp.signals_from_page(page, U))
    names = {m.name: m for m in modules}
    assert {"menu_block", "views", "date", "ctools", "google_analytics", "webform"} <= set(names)
    assert names["menu_block"].evidence[0].kind == "css-class"
    assert [t.name for t in themes] == ["nw"]


def test_evidence_is_deduplicated_and_capped() -> None:
    ev = [fp.Signal("module", "x", 1, fp.Evidence(kind="k", detail=f"d{i % 8}")) for i in range(40)]
    (module,), _ = fp.summarise_extensions(ev)
    assert len(module.evidence) == fp.MAX_EVIDENCE


# -- core version ---------------------------------------------------------------


def test_northwind_front_page_fingerprint() -> None:
    front = parse_html((NORTHWIND / "index.html").read_bytes(), "http://127.0.0.1:8708/")
    signals = fp.signals_from_page(front, "http://127.0.0.1:8708/")
    signals += fp.signals_from_assets(front.assets, "127.0.0.1:8708", "http://127.0.0.1:8708/")
    kind, _ = fp.decide_kind(signals)
    modules, themes = fp.summarise_extensions(signals)
    names = {m.name: m.type for m in modules}
    assert kind == "drupal7"
    assert names["ctools"] == "unknown" and names["node"] == "core"
    assert names["northwind_hr"] == "custom"
    assert {"panels", "ckeditor", "menu_block"} <= set(names)
    assert {t.name for t in themes} == {"northwind", "garland"}
