"""The verdict rules of tools/build_kb.py on hand-made signals (no raw data needed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def build_kb() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_kb", REPO / "tools" / "build_kb.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


US = {"type": "upgrade_status_moved_into_core", "source": {"repo": "github.com/u/s"}}
TAG = {"type": "drupal_org_git_mirror_branches_tags", "source": {"repo": "github.com/m/p"}}
AMA = {"type": "acquia_migrate_accelerate_preflight", "source": {"repo": "github.com/a/a"}}
STATE = {"type": "core_migrate_drupal_state", "source": {"repo": "github.com/d/c"}}


def fact(base: dict[str, Any], **value: Any) -> dict[str, Any]:
    return {**base, "value": value}


def verdict(build_kb: ModuleType, name: str, *facts: dict[str, Any]) -> dict[str, Any]:
    sig = build_kb.merge_signals([build_kb.fact_signals(list(facts))])
    result: dict[str, Any] = build_kb.decide(name, build_kb.apply_curated(name, sig))
    return result


def test_moved_into_core_without_release_is_in_core(build_kb: ModuleType) -> None:
    v = verdict(build_kb, "acme", fact(US, in_core_since="8.x", in_core_complete=True))
    assert v["status"] == "in_core"
    assert "no Drupal 8+ release" in v["note"]


def test_moved_into_core_with_release_is_has_release(build_kb: ModuleType) -> None:
    v = verdict(
        build_kb,
        "panels",
        fact(US, in_core_since="8.5", in_core_complete=True),
        fact(TAG, n_8x_tags=3, latest_8x_tag="8.x-4.3", latest_8x_stable_tag="8.x-4.3"),
    )
    assert v["status"] == "has_release"
    assert v["d8_majors"] == [8]
    assert v["note"].startswith("Layout Builder in core covers most uses, but")


def test_core_migrated_data_stays_in_core_despite_release(build_kb: ModuleType) -> None:
    v = verdict(
        build_kb,
        "picture",
        fact(US, in_core_since="8.x", in_core_complete=True),
        fact(STATE, core_branch="11.x", state="finished", destination_modules=["responsive_image"]),
        fact(TAG, n_8x_tags=1, latest_8x_tag="8.x-1.0", latest_8x_stable_tag="8.x-1.0"),
    )
    assert v["status"] == "in_core"
    assert v["replacement"] == "responsive_image"


def test_ama_obsolete_without_release_is_obsolete(build_kb: ModuleType) -> None:
    v = verdict(
        build_kb,
        "strongarm",
        fact(AMA, vetted=True, note_categories=["obsolete", "functionality_in_core"]),
    )
    assert v["status"] == "obsolete"
    assert v["replacement"] == "configuration management (core)"


def test_release_beats_ama_obsolete(build_kb: ModuleType) -> None:
    v = verdict(
        build_kb,
        "libraries",
        fact(AMA, vetted=True, note_categories=["obsolete"]),
        fact(TAG, n_8x_tags=1, latest_8x_tag="8.x-3.0-alpha1", latest_8x_stable_tag=None),
    )
    assert v["status"] == "has_release"
    assert "pre-release tag only" in v["note"]
    assert "calls it obsolete" in v["note"]


def test_no_evidence_is_unknown_and_says_so(build_kb: ModuleType) -> None:
    v = verdict(
        build_kb,
        "acme",
        fact(AMA, vetted=True, note_categories=[]),
        fact(TAG, n_8x_tags=0, branches_8x=["8.x-1.x"]),
    )
    assert v["status"] == "unknown"
    assert "absence of evidence, not evidence of absence" in v["note"]
    assert "8.x branch but no 8.x tag" in v["note"]
