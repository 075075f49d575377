"""KnowledgeBase lookups, verdicts and overrides."""

from __future__ import annotations

import pytest

from drupalscan.inventory.model import MODULE_STATUSES
from drupalscan.kb import KnowledgeBase, load_kb


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


def test_cached() -> None:
    assert load_kb() is load_kb()


def test_core_lookup(kb: KnowledgeBase) -> None:
    node = kb.core_module("node")
    assert node is not None and node.required and node.status == "core"
    assert kb.is_core("bartik") and kb.is_core("standard")
    assert not kb.is_core("views")
    assert kb.core_module("views") is None
    assert len(kb.core_modules()) == 46


def test_project_for_module(kb: KnowledgeBase) -> None:
    assert kb.project_for_module("views_ui") == "views"
    assert kb.project_for_module("no_such_module_xyz") is None


def test_verdict_statuses(kb: KnowledgeBase) -> None:
    assert kb.verdict("node").status == "core"
    assert kb.verdict("views").status == "in_core"
    fc = kb.verdict("field_collection")
    assert (fc.status, fc.replacement) == ("replaced", "paragraphs")
    assert kb.verdict("ctools").status == "has_release"
    assert kb.verdict("views_ui").status == "in_core"  # via its project
    assert kb.verdict("anything", module_type="custom").status == "custom"
    unknown = kb.verdict("no_such_module_xyz")
    assert unknown.status == "unknown" and unknown.source
    for name in ("node", "views", "php", "aggregator", "blog", "ctools"):
        v = kb.verdict(name)
        assert v.status in MODULE_STATUSES and v.source and v.note


def test_verdict_removed_core_modules(kb: KnowledgeBase) -> None:
    agg = kb.verdict("aggregator")
    assert agg.status == "has_release" and "10.0" in agg.note
    assert 10 not in agg.d8_majors
    assert kb.verdict("php").status == "obsolete"
    blog = kb.verdict("blog")
    assert (blog.status, blog.replacement) == ("in_core", "node")


def test_verdict_explicit_project(kb: KnowledgeBase) -> None:
    assert kb.verdict("some_submodule", project="views").status == "in_core"


def test_with_overrides(kb: KnowledgeBase) -> None:
    refreshed = kb.with_overrides(
        {
            "field_collection": {
                "modules": ["field_collection"],
                "status": "has_release",
                "replacement": None,
                "d8_majors": [10, 11],
                "migration_path": None,
                "note": "Refreshed.",
                "sources": [{"repo": "https://www.drupal.org", "path": "/x"}],
            },
            "brand_new": {"modules": ["brand_new_a"], "status": "no_release", "note": "x."},
        }
    )
    assert refreshed.verdict("field_collection").status == "has_release"
    assert refreshed.verdict("field_collection").d8_majors == (10, 11)
    assert refreshed.verdict("brand_new_a").status == "no_release"
    assert kb.verdict("field_collection").status == "replaced"  # original untouched
    with pytest.raises(ValueError):
        kb.with_overrides({"x": {"status": "bogus"}})


def test_api_entries(kb: KnowledgeBase) -> None:
    entries = kb.api_entries()
    assert len(entries) >= 100
    menu = kb.api_entry("hook_menu")
    assert menu is not None and menu.hook == "menu"
    assert menu.regex("mymod").search("function mymod_menu() {")
    assert not menu.regex("mymod").search("function other_menu() {")
    assert menu.regex().search("function other_menu() {")
    vg = kb.api_entry("variable_get")
    assert vg is not None
    rx = vg.regex()
    assert rx.search("$x = variable_get('site_name', '');")
    assert not rx.search("function variable_get($name) {")
    assert not rx.search("$this->variable_get('x');")
    assert not rx.search("Foo::variable_get('x');")
    q = kb.api_entry("$_GET['q']")
    assert q is not None and q.kind == "php"
    assert q.regex().search('if ($_GET["q"] == "node") {}')


def test_releases_and_fingerprints(kb: KnowledgeBase) -> None:
    assert kb.latest_core(7) == "7.105"
    assert kb.latest_core("6") == kb.core_releases(6)[-1]
    rels = kb.core_releases(7)
    assert rels[0] == "7.0" and rels.index("7.9") < rels.index("7.10")
    assert kb.core_releases(5) == []
    fp = kb.core_fingerprints()
    assert "CHANGELOG.txt" in fp["files"]
    fp["files"].clear()
    assert kb.core_fingerprints()["files"]  # callers get copies


def test_theme_rank(kb: KnowledgeBase) -> None:
    assert kb.theme_rank("bootstrap") == 1
    assert kb.usage_rank("ctools") == 1
