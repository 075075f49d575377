"""Composer and drush make declarations, read as data (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drupalscan.collect.declared import (
    DeclaredProjects,
    drupal_version,
    make_version,
    read_composer,
    read_declared,
    read_make,
)
from drupalscan.collect.patches import issue_number, listed_in_patches_txt

FIXTURES = Path(__file__).parents[2] / "fixtures" / "codebases"


@pytest.mark.parametrize(
    ("composer", "extra", "expected"),
    [
        ("1.3.0", None, "7.x-1.3"),
        ("2.0.0-beta3", None, "7.x-2.0-beta3"),
        ("3.0.0-rc6", None, "7.x-3.0-rc6"),
        ("1.0.0-alpha.7", None, "7.x-1.0-alpha7"),
        ("1.x-dev", None, "7.x-1.x-dev"),
        ("dev-7.x-2.x", None, "7.x-2.x-dev"),
        ("7.98.0", None, "7.98"),
        ("3.16.0", "7.x-3.16", "7.x-3.16"),  # the lock's own name wins
        ("dev-master#eac11ea", None, None),
    ],
)
def test_composer_versions_map_to_drupal_org_names(
    composer: str, extra: str | None, expected: str | None
) -> None:
    assert drupal_version(composer, extra) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3.24", "7.x-3.24"),
        ('"3.18"', "7.x-3.18"),
        ("3.0-rc1", "7.x-3.0-rc1"),
        ("1.0-alpha7", "7.x-1.0-alpha7"),
        ("2.x-dev", "7.x-2.x-dev"),
        ("7.x-3.18", "7.x-3.18"),
        ("contrib", None),  # a real make file's typo: not a version
    ],
)
def test_make_versions_map_to_drupal_org_names(value: str, expected: str | None) -> None:
    assert make_version(value) == expected


@pytest.mark.parametrize(
    ("reference", "issue"),
    [
        (
            "https://www.drupal.org/files/issues/2019-03-11/views-exposed-sort-label-3039261-4.patch",
            "3039261",
        ),
        ("http://drupal.org/files/dynamic-modal-1294478-34.patch", "1294478"),
        ("https://www.drupal.org/files/issues/%20context-n988222-24-d7.patch", "988222"),
        ("https://drupal.org/files/0001-Issue-1540292-Only-add-context-ui-markup.patch", "1540292"),
        (
            "https://www.drupal.org/files/issues/2266933-exclude-unpublished-nodes-5.patch",
            "2266933",
        ),
        ("https://www.drupal.org/node/2412345", "2412345"),
        ("./patches/views-join-subquery.patch", None),
        ("sites/all/modules/views/fix.patch", None),
    ],
)
def test_issue_numbers_from_patch_names(reference: str, issue: str | None) -> None:
    assert issue_number(reference) == issue


def test_composer_lock_pins_and_json_declares() -> None:
    found = DeclaredProjects()
    read_composer(FIXTURES / "composer-intranet", found)
    projects = found.projects
    assert found.files == ["composer.json", "composer.lock", "composer.patches.json"]
    assert projects["views"].version == "7.x-3.29" and projects["views"].source == "composer.lock"
    assert projects["field_collection"].version == "7.x-1.x-dev"
    assert projects["better_formats"].version == "7.x-1.0-beta2"
    assert projects["drupal"].kind == "core" and projects["drupal"].version == "7.98"
    # require-dev without a lock entry: declared, version unknown.
    assert projects["devel"].source == "composer.json" and projects["devel"].version is None
    assert projects["devel"].constraint == "^1.7"
    assert projects["views"].patches == (
        "./patches/views-join-subquery.patch",
        "https://www.drupal.org/files/issues/2019-03-11/views-exposed-sort-label-3039261-4.patch",
    )
    assert "composer/installers" not in projects and "installers" not in projects


def test_drush_make_ini(tmp_path: Path) -> None:
    found = DeclaredProjects()
    read_make(FIXTURES / "make-site" / "intranet.make", "intranet.make", found)
    projects = found.projects
    assert projects["views"].version == "7.x-3.29"
    assert projects["pathauto"].version == "7.x-1.3"  # projects[pathauto] = 1.3
    assert projects["entity"].version is None  # projects[] = entity: latest
    assert projects["panels_breadcrumbs"].version == "7.x-2.x-dev"
    assert "calendar" not in projects  # commented out
    assert projects["ctools"].patches == ("http://drupal.org/files/dynamic-modal-1294478-34.patch",)
    assert projects["drupal"].kind == "core" and projects["drupal"].version == "7.97"
    assert projects["adaptivetheme"].kind == "theme"
    assert projects["hr_sso"].from_drupal_org is False  # an agency's git
    assert projects["panels_breadcrumbs"].from_drupal_org is True
    assert "ckeditor" not in projects  # libraries are not projects to plan


def test_drush_make_yaml_with_ini_comments(tmp_path: Path) -> None:
    """YAML inside a .make file, with a stray INI comment (seen in real repositories)."""
    (tmp_path / "site.make").write_text(
        "; Built for the HR portal\n"
        "core: 7.x\napi: 2\nprojects:\n  drupal:\n    version: 7.74-dev\n"
        "  ctools:\n    version: '1.15'\n  uc_coupon:\n    version: 3.x-dev\n"
        "    patch:\n      - https://www.drupal.org/files/issues/uc_coupon-2345678-3.patch\n"
        "  tests:\n    type: module\n    custom_download: true\n"
    )
    found = read_declared(tmp_path, ["site.make"])
    assert found.projects["ctools"].version == "7.x-1.15"
    assert found.projects["uc_coupon"].version == "7.x-3.x-dev"
    assert found.projects["uc_coupon"].patches == (
        "https://www.drupal.org/files/issues/uc_coupon-2345678-3.patch",
    )
    assert found.projects["drupal"].version is None  # 7.74-dev is no release


def test_broken_declarations_are_warnings_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "composer.lock").write_text("{ not json")
    (tmp_path / "composer.json").write_text(json.dumps(["a list, not an object"]))
    (tmp_path / "odd.make").write_text("projects:\n  - [unclosed\n")
    found = read_declared(tmp_path, ["odd.make"])
    assert found.projects == {}
    assert any("composer.lock: not readable JSON" in w for w in found.warnings)
    assert any("composer.json: not a JSON object" in w for w in found.warnings)


def test_patches_txt_lists_what_drush_make_applied() -> None:
    listed = listed_in_patches_txt(
        FIXTURES / "make-site/docroot/sites/all/modules/contrib/views/PATCHES.txt"
    )
    assert listed == [
        "https://www.drupal.org/files/issues/2019-03-11/views-exposed-sort-label-3039261-4.patch"
    ]
