"""Composer- and make-built repositories, Features exports and patches, scanned
and checked end to end as a user runs them (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from drupalscan.cli import main

FIXTURES = Path(__file__).parents[2] / "fixtures" / "codebases"


def scan_and_check(tmp_path: Path, repo: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    store = str(tmp_path / "s.db")
    scanned = CliRunner().invoke(main, ["--store", store, "scan", str(FIXTURES / repo), "--json"])
    assert scanned.exit_code == 0, scanned.stderr
    checked = CliRunner().invoke(main, ["--store", store, "check", "--json"])
    assert checked.exit_code == 0, checked.stderr
    (site,) = json.loads(scanned.stdout)["sites"]
    return site, json.loads(checked.stdout)["findings"]


def by(findings: list[dict[str, Any]], rule: str) -> dict[str, dict[str, Any]]:
    return {f["subject"]["name"]: f for f in findings if f["rule"] == rule}


@pytest.fixture(scope="module")
def composer(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[Any]]:
    return scan_and_check(tmp_path_factory.mktemp("composer"), "composer-intranet")


@pytest.fixture(scope="module")
def make(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[Any]]:
    return scan_and_check(tmp_path_factory.mktemp("make"), "make-site")


def test_every_project_composer_declares_is_inventoried(composer: Any) -> None:
    site, _ = composer
    lock = json.loads((FIXTURES / "composer-intranet/composer.lock").read_text())
    declared = {
        p["name"].split("/")[1]: p["extra"]["drupal"]["version"]
        for p in lock["packages"]
        if p["type"] == "drupal-module"
    }
    modules = {m["name"]: m for m in site["modules"]}
    assert len(declared) == 19
    for name, version in declared.items():
        mod = modules[name]
        assert mod["version"] == version, name
        assert mod["type"] == "contrib" and mod["path"] == "", name
        assert mod["declared_in"] == ["composer.lock"], name
        assert mod["status"] != "" and mod["source"], name  # a status, with its origin
    assert modules["globalredirect"]["status"] == "replaced"
    assert modules["globalredirect"]["replacement"] == "redirect"
    assert site["core_version"] == "7.98"


def test_declared_modules_findings_say_where_they_come_from(composer: Any) -> None:
    _, findings = composer
    views = by(findings, "D7-MOD-007")["views"]
    assert views["evidence"] == ["(declared in composer.lock, not in the tree scanned)"]
    assert "drupal.org issues: #3039261" in views["message"]
    assert views["effort_hours"] == {"low": 2.0, "high": 8.0}  # two patches


def test_features_exports_are_configuration_not_custom_code(composer: Any) -> None:
    _, findings = composer
    views = by(findings, "D7-FEAT-001")
    news = views["intranet_news: exported views"]
    assert "exports 3 view(s) (news_listing, news_archive, news_by_department)" in news["message"]
    assert news["effort_hours"] == {"low": 6.0, "high": 18.0}
    assert news["severity"] == "medium"
    assert "intranet_staff: exported views" in views
    content = by(findings, "D7-FEAT-002")[
        "intranet_news: exported content types, fields and vocabularies"
    ]
    assert content["severity"] == "low"
    assert "intranet_news: exported permissions and roles" in by(findings, "D7-FEAT-003")
    custom = {**by(findings, "D7-CUS-001"), **by(findings, "D7-CUS-003")}
    # intranet_staff is all generated: no rewrite; intranet_news has one
    # hand-written form alter, sized by its own lines; the plain module as before.
    assert "intranet_staff" not in custom
    news_code = custom["intranet_news"]
    assert news_code["rule"] == "D7-CUS-003" and "15 lines of PHP" in news_code["message"]
    assert news_code["effort_hours"] == {"low": 1.2, "high": 3.2}
    assert "intranet_tweaks" in custom
    assert not any(f["rule"] == "D7-CUS-002" for f in findings)
    # No exported view is a top blocker any more.
    assert not any(
        f["severity"] in ("high", "blocker") and f["subject"]["name"].startswith("intranet_")
        for f in findings
    )


def test_make_file_projects_patches_and_unverified_origin(make: Any) -> None:
    site, findings = make
    modules = {m["name"]: m for m in site["modules"]}
    assert modules["views"]["declared_in"] == ["intranet.make"]
    assert modules["hr_sso"]["type"] == "unverified"
    unverified = by(findings, "D7-MOD-012")["hr_sso"]
    assert "names project 'hr_sso'" in unverified["message"]
    patched = by(findings, "D7-MOD-007")
    assert "#1294478" in patched["ctools"]["message"]
    assert "#3039261" in patched["views"]["message"]
    assert "#2785347" in patched["webform"]["message"]  # the file in patched/webform
    assert "hr_directory: exported views" in by(findings, "D7-FEAT-001")
    system = modules["system"]
    assert system["patches"] == [
        "https://www.drupal.org/files/issues/cleanup-files-1399846-316.patch"
    ]
    themes = {t["name"]: t for t in site["themes"]}
    assert themes["adaptivetheme"]["declared_in"] == ["intranet.make"]
