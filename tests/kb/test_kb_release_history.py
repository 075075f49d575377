"""Release-history XML parsing, on the update module's own fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from drupalscan.kb.release_history import (
    ReleaseHistoryError,
    core_majors,
    parse_release_history,
    to_project_entry,
)

DATA = Path(__file__).parent / "data"


def parse(name: str) -> dict:
    return parse_release_history((DATA / name).read_bytes())


@pytest.mark.parametrize("path", sorted(DATA.glob("*.xml")), ids=lambda p: p.name)
def test_every_sample_parses(path: Path) -> None:
    result = parse_release_history(path.read_text(encoding="utf-8"))
    assert set(result) >= {"project", "status", "supported_branches", "releases", "d8_majors"}


def test_no_releases() -> None:
    result = parse("aaa_update_test.no-releases.xml")
    assert result["no_releases"] is True and result["releases"] == []
    entry = to_project_entry(result, {"name": "aaa_update_test", "status": "unknown"})
    assert entry["status"] == "unknown"  # no release listed is still not "no path"


def test_unsupported_branch() -> None:
    result = parse("aaa_update_test.1_0-unsupported.xml")
    assert result["supported_branches"] == ["8.x-2."]
    by_version = {r["version"]: r for r in result["releases"]}
    assert by_version["8.x-1.1"]["supported"] is False
    assert by_version["8.x-2.0"]["supported"] is True
    assert by_version["8.x-1.0"]["status"] == "unpublished"


def test_security_releases() -> None:
    result = parse("aaa_update_test.sec.8.x-1.2_8.x-2.2.xml")
    by_version = {r["version"]: r for r in result["releases"]}
    assert by_version["8.x-2.2"]["security"] is True
    assert by_version["8.x-1.1"]["security"] is False and by_version["8.x-1.1"]["insecure"]
    assert by_version["8.x-3.0-beta1"]["insecure"] is True
    assert result["d8_majors"] == [8]
    assert by_version["8.x-2.2"]["date"] == 1250424521


def test_core_compatibility() -> None:
    result = parse("aaa_update_test.core_compatibility.8.x-1.2_8.x-2.2.xml")
    by_version = {r["version"]: r for r in result["releases"]}
    assert by_version["8.x-2.2"]["core_compatibility"] == "^8.1.1"
    assert by_version["8.x-1.0"]["core_compatibility"] is None
    assert result["d8_majors"] == [8]
    other = parse("aaa_update_test.8.x-1.2.xml")
    assert other["releases"][0]["core_compatibility"] == "8.0.0 || 8.1.1"


def test_core_project() -> None:
    result = parse("drupal.8.0.0-9.0.0.xml")
    assert result["project"] == "drupal"
    assert result["d8_majors"] == [8, 9]
    assert result["supported_branches"] == ["8.0.", "8.1.", "9.0."]


@pytest.mark.parametrize(
    ("constraint", "majors"),
    [
        ("^8 || ^9", {8, 9}),
        ("^10.3 || ^11", {10, 11}),
        ("^9.5 || ^10 || ^11", {9, 10, 11}),
        ("8.0.0 || 8.1.1", {8}),
        ("^10.3 | ^11", {10, 11}),
        (">=10", {10, 11, 12}),
        ("~9.2", {9}),
        ("7.x", set()),
        ("", set()),
        (None, set()),
    ],
)
def test_core_majors(constraint: str | None, majors: set[int]) -> None:
    assert core_majors(constraint) == majors


@pytest.mark.parametrize(
    "doc",
    [
        '<?xml version="1.0"?><!DOCTYPE project [<!ENTITY a "x">]><project>&a;</project>',
        '<!doctype project SYSTEM "http://127.0.0.1/x.dtd"><project/>',
        b'<project><!ENTITY b "y"></project>',
    ],
)
def test_rejects_dtd_and_entities(doc: str | bytes) -> None:
    with pytest.raises(ReleaseHistoryError):
        parse_release_history(doc)


def test_rejects_garbage() -> None:
    with pytest.raises(ReleaseHistoryError):
        parse_release_history("<project><unclosed></project>")
    with pytest.raises(ReleaseHistoryError):
        parse_release_history("<html></html>")


def test_to_project_entry_release() -> None:
    result = parse("aaa_update_test.sec.8.x-1.2_8.x-2.2.xml")
    entry = to_project_entry(result, {"status": "unknown", "modules": ["aaa_update_test"]})
    assert entry["status"] == "has_release" and entry["d8_majors"] == [8]
    kept = to_project_entry(result, {"status": "replaced", "replacement": "x"})
    assert kept["status"] == "replaced" and kept["replacement"] == "x"


def test_to_project_entry_newest_release_and_date() -> None:
    result = parse("aaa_update_test.sec.8.x-1.2_8.x-2.2.xml")
    entry = to_project_entry(result, {"status": "unknown"}, refreshed="2026-12-01")
    assert entry["refreshed"] == "2026-12-01"
    newest = entry["newest_release"]
    published = [r for r in result["releases"] if r["status"] == "published"]
    assert newest["version"] == max(published, key=lambda r: r["date"] or 0)["version"]
    assert newest["majors"] == [8]
    assert newest["source"]["path"] == "/release-history/aaa_update_test/current"


def test_a_history_with_only_drupal_7_releases_is_no_release() -> None:
    result = parse("nice_menus.7x-only.xml")
    assert result["d8_majors"] == [] and len(result["releases"]) == 2
    entry = to_project_entry(result, {"status": "unknown", "modules": ["nice_menus"]})
    assert entry["status"] == "no_release"
    assert entry["newest_release"] is None
    assert "only for Drupal 7 or older (newest 7.x-2.5)" in entry["note"]
    # A successor the bundle knows is not undone by a 7.x-only history.
    kept = to_project_entry(result, {"status": "replaced", "replacement": "superfish"})
    assert kept["status"] == "replaced" and kept["replacement"] == "superfish"
