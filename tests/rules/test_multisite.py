"""A multisite codebase with an install profile, scanned and planned as a user runs
it (issue 14): one inventory per site, and the code the sites share counted once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from drupalscan.cli import main

FIXTURE = Path(__file__).parents[2] / "fixtures" / "codebases" / "multisite-departments"
DOCROOT = FIXTURE / "docroot"


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("multisite")
    store = tmp / "s.db"
    out = tmp / "plan.json"
    run("--store", str(store), "plan", str(DOCROOT), "--format", "json", "-o", str(out))
    return store, json.loads(out.read_text())


def _sites(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in report["sites"]}


def test_each_site_with_a_settings_php_is_its_own_inventory(tmp_path: Path) -> None:
    scanned = json.loads(run("--store", str(tmp_path / "s.db"), "scan", str(DOCROOT), "--json"))
    sites = {s["name"]: s for s in scanned["sites"]}
    # sites/default holds only default.settings.php: Drupal serves no site from it.
    assert sorted(sites) == ["history", "physics"]
    assert sites["physics"]["source"] == f"{DOCROOT}#sites/physics"
    modules = {name: {m["name"]: m for m in s["modules"]} for name, s in sites.items()}
    for name in ("history", "physics"):
        # The install profile's modules, sites/all, and the site's own directory.
        assert {"ctools", "views", "dept_people", "uni_sso", "googleanalytics"} <= set(
            modules[name]
        )
        assert modules[name]["dept_people"]["path"] == (
            "profiles/uni_department/modules/custom/dept_people"
        )
        assert any(
            "install profile taken to be uni_department" in w for w in sites[name]["warnings"]
        )
        assert {t["name"] for t in sites[name]["themes"]} >= {"dept_theme"}
    assert "history_archive" in modules["history"] and "history_archive" not in modules["physics"]
    assert "webform" in modules["physics"] and "webform" not in modules["history"]


def test_site_option_and_source_spelling_pick_one_site(tmp_path: Path) -> None:
    store = str(tmp_path / "s.db")
    by_host = json.loads(
        run("--store", store, "scan", str(DOCROOT), "--site", "www.history.example.ac.uk", "--json")
    )
    assert [s["name"] for s in by_host["sites"]] == ["history"]
    by_source = json.loads(run("--store", store, "scan", f"{DOCROOT}#sites/physics", "--json"))
    assert [s["name"] for s in by_source["sites"]] == ["physics"]


def test_shared_code_is_counted_once_and_own_code_on_its_site(planned: Any) -> None:
    _store, report = planned
    names = {s["id"]: s["name"] for s in report["sites"]}
    counted: dict[tuple[str, str], dict[str, float]] = {}
    for item in report["plan"]["effort_items"]:
        key = (item["rule"], item["subject"])
        counted.setdefault(key, {})[names[item["site"]]] = item["counted_hours"]["high"]
    # Code in sites/all and in the install profile: one rewrite for both sites.
    for key in [
        ("D7-CUS-003", "uni_sso"),
        ("D7-CUS-003", "dept_people"),
        ("D7-THM-001", "dept_theme"),
        ("D7-API-001", "uni_sso: drupal_goto"),
    ]:
        assert sorted(counted[key].values()) == [0, counted[key]["history"]], key
        assert counted[key]["history"] > 0
    # One core to update: the site finding counts once, whichever site has it.
    core = [counted["D7-SITE-003", name][name] for name in ("history", "physics")]
    assert sorted(core) == [0, 6]
    # A site's own code and its own migration count on that site.
    assert counted["D7-CUS-003", "history_archive"]["history"] > 0
    assert counted["D7-SITE-006", "history"]["history"] > 0
    assert counted["D7-SITE-006", "physics"]["physics"] > 0
    assert any(
        "code that sites of one multisite codebase share" in n for n in report["plan"]["notes"]
    )


def test_the_same_code_in_two_codebases_is_not_one_piece_of_work(tmp_path: Path) -> None:
    """Two copies of a module may have drifted apart: only one codebase shares code."""
    for copy in ("a", "b"):
        shutil.copytree(DOCROOT, tmp_path / copy / "docroot")
    out = tmp_path / "plan.json"
    run(
        "--store", str(tmp_path / "s.db"), "plan",
        str(tmp_path / "a" / "docroot"), str(tmp_path / "b" / "docroot"),
        "--format", "json", "-o", str(out),
    )  # fmt: skip
    report = json.loads(out.read_text())
    counted = [
        item
        for item in report["plan"]["effort_items"]
        if item["rule"] == "D7-CUS-003" and item["subject"] == "uni_sso"
    ]
    assert len(counted) == 4  # two sites in each copy
    assert sum(1 for item in counted if item["counted_hours"]["high"] > 0) == 2


def test_settings_php_secrets_stay_out_of_store_and_report(planned: Any) -> None:
    store, report = planned
    text = json.dumps(report)
    stored = b"".join(p.read_bytes() for p in store.parent.glob(store.name + "*"))
    for secret in ("Tr0ub4dor&3-history", "kq0M8ZLJvQd1cWf6s2m6uV8T7yqkqB3", "dept_physics"):
        assert secret not in text
        assert secret.encode() not in stored


def test_a_second_plan_reuses_both_sites(planned: Any, tmp_path: Path) -> None:
    store, _ = planned
    result = CliRunner().invoke(
        main, ["--store", str(store), "plan", str(DOCROOT), "-o", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0, result.stderr
    assert "2 already in the store" in result.stderr
