"""The bundled knowledge-base files are well formed and carry the key facts."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from typing import Any

import pytest

from drupalscan.inventory.model import MODULE_STATUSES
from drupalscan.kb import PROJECT_STATUSES

D7_CORE_MODULES = {
    "aggregator", "announcements_feed", "block", "blog", "book", "color", "comment",
    "contact", "contextual", "dashboard", "dblog", "field", "field_sql_storage", "list",
    "number", "options", "text", "field_ui", "file", "filter", "forum", "help", "image",
    "locale", "menu", "node", "openid", "overlay", "path", "php", "poll", "profile", "rdf",
    "search", "shortcut", "simpletest", "statistics", "syslog", "system", "taxonomy",
    "toolbar", "tracker", "translation", "trigger", "update", "user",
}  # fmt: skip


def read(name: str) -> Any:
    """Load one bundled file the way the package does."""
    return json.loads((files("drupalscan.kb") / "data" / name).read_text(encoding="utf-8"))


def check_source(src: dict[str, str]) -> None:
    """A source names an https repository (or our own judgement) and a path/ref."""
    assert src.get("repo"), src
    assert src["repo"].startswith("https://") or src["repo"] == "drupalscan", src
    assert src.get("path") or src.get("commit") or src.get("branch"), src


@pytest.fixture(scope="module")
def core() -> dict[str, Any]:
    return read("core_modules.json")


@pytest.fixture(scope="module")
def contrib() -> dict[str, Any]:
    return read("contrib_projects.json")


@pytest.fixture(scope="module")
def api() -> dict[str, Any]:
    return read("api.json")


def test_all_46_core_modules(core: dict[str, Any]) -> None:
    assert set(core["modules"]) == D7_CORE_MODULES
    assert {"bartik", "garland", "seven", "stark"} <= set(core["themes"])
    assert {"minimal", "standard"} <= set(core["profiles"])


def test_core_entries_well_formed(core: dict[str, Any]) -> None:
    for name, entry in core["modules"].items():
        assert entry["status"] in MODULE_STATUSES, name
        assert entry["label"], name
        assert set(entry["migrate"]) == {"8.9.x", "9.5.x", "10.6.x", "11.x"}, name
        assert set(entry["migrate"].values()) <= {"finished", "not_finished", "not_declared"}
        assert entry["d8_counterpart"]["kind"] in {"same", "renamed", "split", "merged", "removed"}
        check_source(entry["source"])
        assert entry["source"]["commit"]
        for src in entry["sources"]:
            check_source(src)


def test_core_fates(core: dict[str, Any]) -> None:
    mods = core["modules"]
    assert mods["node"]["status"] == "core"
    assert mods["aggregator"]["d8_counterpart"]["removed_in"] == "10.0"
    assert mods["book"]["d8_counterpart"]["removed_in"] == "11.0"
    assert mods["blog"]["replacement"] == "node"
    assert mods["list"]["d8_counterpart"] == {
        "kind": "renamed", "modules": ["options"], "removed_in": "8.0",
    }  # fmt: skip
    assert mods["php"]["status"] == "obsolete"
    assert mods["contact"]["d8_counterpart"]["removed_in"] == "12.0"


def test_contrib_entries_well_formed(contrib: dict[str, Any]) -> None:
    projects = contrib["projects"]
    assert len(projects) >= 200
    for name, entry in projects.items():
        assert entry["status"] in PROJECT_STATUSES, name
        assert isinstance(entry["modules"], list) and entry["modules"], name
        assert entry["note"] and entry["note"].endswith("."), name
        assert entry["migration_path"] in (True, False, None), name
        assert all(isinstance(m, int) and m >= 8 for m in entry["d8_majors"]), name
        assert entry["sources"], name
        for src in entry["sources"]:
            check_source(src)
        if entry["status"] == "replaced":
            assert entry["replacement"], name


def test_top_300_covered(contrib: dict[str, Any]) -> None:
    ranks = contrib["usage_rank"]
    top = [n for n, r in ranks.items() if r <= 300]
    assert len(top) == 300
    # A few names (page_manager) are D7 submodules of another project.
    known = set(contrib["projects"]) | set(contrib["module_to_project"])
    assert [n for n in top if n not in known] == []


def test_module_to_project(contrib: dict[str, Any]) -> None:
    m2p = contrib["module_to_project"]
    assert m2p["views_ui"] == "views"
    assert m2p["page_manager"] == "ctools"
    assert m2p["node_reference"] == "references"


@pytest.mark.parametrize(
    ("project", "status", "replacement"),
    [
        ("views", "in_core", None),
        ("field_collection", "replaced", "paragraphs"),
        ("ctools", "has_release", None),
        ("entityreference", "in_core", None),
        ("date", "in_core", "datetime"),
        ("link", "in_core", "link"),
        ("email", "in_core", None),
        ("admin_menu", "replaced", "admin_toolbar"),
        ("token", "has_release", None),
        ("features", "replaced", "configuration management (core)"),
        # Expert review: a source says core covers them, but they still ship.
        ("panels", "has_release", None),
        ("panelizer", "has_release", None),
        ("menu_block", "has_release", None),
        ("imce", "has_release", None),
        ("context", "has_release", None),
        # AMA: obsolete, because core's configuration system does the job.
        ("strongarm", "obsolete", "configuration management (core)"),
        ("variable", "obsolete", "configuration system (core)"),
        ("jquery_update", "obsolete", None),
        # Truly absorbed: core carries the data even where a contrib namesake exists.
        ("ckeditor", "in_core", "ckeditor5 (core)"),
        ("entity", "in_core", None),
        ("picture", "in_core", "responsive_image"),
        # Well-known successions (issue 13), each with a source or a judgement.
        ("globalredirect", "replaced", "redirect"),
        ("nodequeue", "replaced", "entityqueue"),
        ("imagecache_actions", "replaced", "image_effects"),
        ("lightbox2", "replaced", "colorbox"),
        ("shadowbox", "replaced", "colorbox"),
        ("apachesolr", "replaced", "search_api_solr"),
        ("wysiwyg", "in_core", "editor + ckeditor5 (core)"),
        ("profile2", "replaced", "profile"),
        ("site_map", "replaced", "sitemap"),
        # Top-200 projects that only an AMA note decides.
        ("menu_attributes", "replaced", "link_attributes"),
        ("page_title", "replaced", "metatag"),
        ("gmap", "replaced", "geolocation"),
        ("views_php", "no_release", None),
    ],
)
def test_known_facts(
    contrib: dict[str, Any], project: str, status: str, replacement: str | None
) -> None:
    entry = contrib["projects"][project]
    assert entry["status"] == status
    assert entry["replacement"] == replacement


def test_d8_majors_from_composer_lock(contrib: dict[str, Any]) -> None:
    assert {10, 11} <= set(contrib["projects"]["ctools"]["d8_majors"])
    assert contrib["projects"]["metatag"]["migration_path"] is False


def test_api_entries_well_formed(api: dict[str, Any]) -> None:
    symbols = [e["symbol"] for e in api["entries"]]
    assert symbols == sorted(symbols) and len(symbols) == len(set(symbols))
    for e in api["entries"]:
        assert e["kind"] in {"function", "hook", "variable", "php"}, e
        assert e["severity"] in {"high", "medium", "low"}, e
        assert re.fullmatch(r"https://www\.drupal\.org/node/\d+(#.*)?", e["change_record"]), e
        assert e["replacement"], e
        re.compile(e["pattern"])
        check_source(e["source"])
        if e["kind"] == "hook":
            assert e["symbol"] == "hook_" + e["hook"]


REQUIRED_API = """hook_menu variable_get variable_set variable_del db_query db_select db_insert
db_update db_delete db_merge drupal_add_js drupal_add_css theme drupal_goto $_GET['q']
hook_block_info hook_block_view hook_field_info hook_field_formatter_view
hook_field_widget_form entity_load node_load user_load user_access drupal_set_message
hook_init hook_boot hook_node_view hook_form_alter module_invoke_all check_plain l url
menu_get_object arg""".split()


def test_required_api_symbols(api: dict[str, Any]) -> None:
    by_symbol = {e["symbol"]: e for e in api["entries"]}
    assert set(REQUIRED_API) <= set(by_symbol)
    assert by_symbol["hook_menu"]["severity"] == "high"
    assert by_symbol["hook_menu"]["change_record"] == "https://www.drupal.org/node/1800686"
    for kept in ("t", "drupal_static", "hook_cron", "hook_theme"):
        assert kept not in by_symbol


def test_data_size_reasonable() -> None:
    total = sum(
        len((files("drupalscan.kb") / "data" / n).read_bytes())
        for n in ("core_modules.json", "contrib_projects.json", "api.json",
                  "core_releases.json", "themes.json")
    )  # fmt: skip
    # About 2.2 MB since the knowledge base covers all 2,000 ranked projects
    # with their newest release; parsed once per process in ~30 ms.
    assert total < 2_500_000


def test_core_alternative_named_when_a_release_also_exists(contrib: dict[str, Any]) -> None:
    panels = contrib["projects"]["panels"]
    assert panels["note"].startswith("Layout Builder in core covers most uses")
    assert "8.x-4.9 in real Drupal 9-11 sites' composer.lock files" in panels["note"]
    assert {9, 11} <= set(contrib["projects"]["menu_block"]["d8_majors"])
    imce = contrib["projects"]["imce"]
    assert imce["sources"][0]["url"] == "https://www.drupal.org/project/imce"


def test_has_release_notes_name_the_majors_seen(contrib: dict[str, Any]) -> None:
    """A 2018 git tag proves Drupal 8 and no more: say so, and no more."""
    entry = contrib["projects"]["breakpoints"]
    assert entry["status"] == "has_release"
    assert entry["d8_majors"] == [8]
    assert "seen for Drupal 8 (" in entry["note"]
    assert "newer majors are not in the data" in entry["note"]
    # rules: the lock files show 4.0.0 for 9-11 beside the mirror's 2018 alpha.
    rules = contrib["projects"]["rules"]
    assert rules["d8_majors"] == [8, 9, 10, 11]
    assert rules["newest_release"]["version"] == "4.0.0"
    assert "pre-release tag only" in rules["note"]
    for name, entry in contrib["projects"].items():
        if entry["status"] == "has_release" and not entry["note"].startswith("Drupal.org lookup"):
            assert "seen for Drupal" in entry["note"] or entry["d8_majors"] == [], name


def test_newest_release_is_the_newest_version_not_the_biggest_number(
    contrib: dict[str, Any],
) -> None:
    """ctools 4.1.1 is newer than 8.x-3.15: the 8.x- prefix is the core line."""
    newest = contrib["projects"]["ctools"]["newest_release"]
    assert newest["version"] == "4.1.1"
    assert newest["majors"] == [9, 10, 11]
    assert newest["source"]["path"] == "composer.lock"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", newest["seen"])


def test_open_ended_constraints_stop_at_released_majors(contrib: dict[str, Any]) -> None:
    """A lock saying ^12 (or >=9) is not evidence that Drupal 12 runs it."""
    assert max(m for e in contrib["projects"].values() for m in e["d8_majors"]) == 11


def test_unknown_says_absence_of_evidence(contrib: dict[str, Any]) -> None:
    for name, entry in contrib["projects"].items():
        if entry["status"] == "unknown":
            assert "absence of evidence" in entry["note"], name


def test_lookups_and_judgements_cite_what_they_rest_on(contrib: dict[str, Any]) -> None:
    """A drupal.org lookup cites the pages read; a judgement says it is one."""
    nodequeue = contrib["projects"]["nodequeue"]
    assert nodequeue["note"].startswith("Drupal.org lookup (high confidence)")
    assert nodequeue["sources"][0]["url"].startswith("https://www.drupal.org/")
    assert nodequeue["sources"][0]["read"] == contrib["lookups_read"]
    lightbox2 = contrib["projects"]["lightbox2"]
    assert lightbox2["note"].startswith("Judged replaced by colorbox")
    assert lightbox2["sources"][0] == {
        "repo": "drupalscan",
        "path": "tools/kb-sources/judgements.json",
        "branch": "judgement",
    }
    assert any("drupal.org" in s.get("url", "") for s in lightbox2["sources"][1:])
