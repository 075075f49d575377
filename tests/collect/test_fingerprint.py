"""Fingerprinting as pure functions: kinds, extensions, core version narrowing."""

from __future__ import annotations

import hashlib

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


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


FILES = {
    "misc/drupal.js": {b"js-a": ["7.1", "7.2", "7.3"], b"js-b": ["7.4", "7.5"], b"js-c": ["7.6"]},
    "misc/ajax.js": {b"ajax-a": ["7.1", "7.2"], b"ajax-b": ["7.3", "7.4", "7.5", "7.6"]},
    "modules/system/system.base.css": {b"css-a": ["7.1", "7.2", "7.3", "7.4", "7.5", "7.6"]},
}
TABLE = {
    "files": {p: {md5(k): v for k, v in h.items()} for p, h in FILES.items()},
    "releases": ["7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "6.38"],
}


def test_core_from_changelog() -> None:
    assert fp.core_from_changelog("\nDrupal 7.79, 2021-04-07\n-----\n") == "7.79"
    assert fp.core_from_changelog("Drupal 8.9.20, 2021-11-17\n") == "8.9.20"
    assert fp.core_from_changelog("Not a changelog") is None


def test_hash_paths_prefer_files_with_many_versions() -> None:
    assert fp.hash_paths(TABLE, 2) == ["misc/drupal.js", "misc/ajax.js"]
    with_text = {
        **TABLE,
        "files": {**TABLE["files"], "CHANGELOG.txt": {str(i): [] for i in range(9)}},
    }
    assert fp.hash_paths(with_text, 1) == ["misc/drupal.js"]


def test_candidates_narrow_by_intersection() -> None:
    candidates, evidence = fp.candidates_from_hashes(
        TABLE, {"misc/drupal.js": md5(b"js-a"), "misc/ajax.js": md5(b"ajax-a")}, "7"
    )
    assert candidates == ["7.1", "7.2"]
    assert len(evidence) == 2
    only, _ = fp.candidates_from_hashes(
        TABLE, {"misc/drupal.js": md5(b"js-a"), "misc/ajax.js": md5(b"ajax-b")}, "7"
    )
    assert only == ["7.3"]


def test_unknown_or_contradicting_hashes_are_ignored_not_trusted() -> None:
    candidates, evidence = fp.candidates_from_hashes(
        TABLE,
        {"misc/drupal.js": md5(b"patched"), "misc/ajax.js": md5(b"ajax-a")},
        "7",
    )
    assert candidates == ["7.1", "7.2"]
    assert "matches no known release" in evidence[0].detail


def site_fetch(files: dict[str, tuple[int, bytes]], log: list[str]) -> fp.Fetch:
    def fetch(url: str) -> tuple[int, bytes]:
        path = url.removeprefix(U)
        log.append(path)
        return files.get(path, (404, b""))

    return fetch


def test_remote_prefers_changelog() -> None:
    log: list[str] = []
    files = {"CHANGELOG.txt": (200, b"Drupal 7.79, 2021-04-07\n"), "misc/drupal.js": (200, b"js-a")}
    remote = fp.remote_fingerprint(U, site_fetch(files, log), "drupal7", TABLE)
    assert remote.core_version == "7.79"
    assert remote.core_candidates == ["7.79"]
    assert log == ["CHANGELOG.txt"]


def test_remote_hashing_reports_candidates_not_a_guess() -> None:
    log: list[str] = []
    files = {"misc/drupal.js": (200, b"js-b"), "CHANGELOG.txt": (403, b"")}
    remote = fp.remote_fingerprint(U, site_fetch(files, log), "drupal7", TABLE)
    assert remote.core_candidates == ["7.4", "7.5"]
    assert remote.core_version is None
    assert len(log) == 1 + len(fp.hash_paths(TABLE))
    files["misc/ajax.js"] = (200, b"ajax-a")
    files["misc/drupal.js"] = (200, b"js-a")
    remote = fp.remote_fingerprint(U, site_fetch(files, []), "drupal7", TABLE)
    assert remote.core_candidates == ["7.1", "7.2"]
    files["misc/drupal.js"] = (200, b"js-c")
    files["misc/ajax.js"] = (200, b"ajax-b")
    assert fp.remote_fingerprint(U, site_fetch(files, []), "drupal7", TABLE).core_version == "7.6"


def test_remote_does_nothing_for_other_kinds() -> None:
    log: list[str] = []
    assert fp.remote_fingerprint(U, site_fetch({}, log), "wordpress", TABLE).requests == 0
    assert log == []


def test_probing_with_info_files() -> None:
    log: list[str] = []
    files = {
        "sites/all/modules/views/views.info": (403, b""),
        "sites/all/modules/token/token.info": (200, b"name = Token"),
    }
    remote = fp.remote_fingerprint(
        U, site_fetch(files, log), "drupal7", None, ["views", "token", "panels", "Bad/Name"]
    )
    found = {s.name: s.evidence.detail for s in remote.signals}
    assert found == {
        "views": "GET /sites/all/modules/views/views.info -> 403",
        "token": "GET /sites/all/modules/token/token.info -> 200",
    }
    # changelog, calibration, views and token at once, panels in all three layouts
    assert len(log) == 1 + 1 + 2 + 3


def test_probing_other_layouts_and_learning_the_site_s_one() -> None:
    log: list[str] = []
    files = {
        "sites/all/modules/contrib/views/views.info": (403, b""),
        "sites/all/modules/contrib/token/token.info": (403, b""),
        "sites/default/modules/webform/webform.info": (403, b""),
    }
    remote = fp.remote_fingerprint(
        U, site_fetch(files, log), "drupal7", None, ["views", "token", "webform"]
    )
    found = {s.name: (s.evidence.detail, s.type) for s in remote.signals}
    assert found == {
        "views": ("GET /sites/all/modules/contrib/views/views.info -> 403", "contrib"),
        "token": ("GET /sites/all/modules/contrib/token/token.info -> 403", "contrib"),
        "webform": ("GET /sites/default/modules/webform/webform.info -> 403", "unknown"),
    }
    probes = [u.removeprefix(U) for u in log[2:]]
    # views: two layouts; token: contrib first (learnt), one request; webform: all three.
    assert probes[:3] == [
        "sites/all/modules/views/views.info",
        "sites/all/modules/contrib/views/views.info",
        "sites/all/modules/contrib/token/token.info",
    ]
    assert len(probes) == 2 + 1 + 3


def test_probing_layouts_share_one_budget() -> None:
    log: list[str] = []
    names = [f"m{i}" for i in range(50)]
    remote = fp.remote_fingerprint(U, site_fetch({}, log), "drupal7", None, names, probe_budget=20)
    assert len(log) == 1 + 20  # the changelog, then the budget exactly
    assert remote.warnings


def test_probing_falls_back_when_every_info_is_denied() -> None:
    def fetch(url: str) -> tuple[int, bytes]:
        if url.endswith(".info"):
            return 403, b""
        return (200, b"x") if url.endswith("views/README.txt") else (404, b"")

    remote = fp.remote_fingerprint(U, fetch, "drupal7", None, ["views", "panels"])
    assert [s.name for s in remote.signals] == ["views"]


def test_probing_is_bounded() -> None:
    log: list[str] = []
    names = [f"m{i}" for i in range(500)]
    remote = fp.remote_fingerprint(U, site_fetch({}, log), "drupal7", None, names, probe_budget=100)
    assert remote.requests <= 101 + 1
    assert remote.warnings


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
