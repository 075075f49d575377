"""Every rule in checks/ against small sites described as data.

Each ``cases/<RULE-ID>.toml`` holds ``[[fail]]`` cases (the rule must fire)
and ``[[pass]]`` cases (it must not). A case is run through the real path:
``from_data(model.Site, ...)``, then ``annotate_site`` when the case says
``annotate = true``, then ``engine.evaluate``.

Case keys:

* ``name``: what the case shows (used in the test id);
* ``site``: a table mapping onto ``model.Site`` (``id``, ``source`` and
  ``origin`` default to a local docroot);
* ``expect``: subject names of the findings, in engine order (``[]`` for pass);
* ``annotate``: let the knowledge base set each module's status;
* ``rule_settings``: per-rule settings, as ``[rules.settings.<ID>]`` would give;
* ``core``: the target's Drupal major (``--core``; default 11);
* ``effort``: ``[low, high]`` hours of the first finding;
* ``message`` / ``evidence``: exact message / evidence of the first finding;
* ``xfail``: a known engine or rule bug, with the reason (strict).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drupalscan.config import Settings
from drupalscan.inventory import model
from drupalscan.inventory.io import from_data, to_data
from drupalscan.kb import load_kb
from drupalscan.rules.annotate import annotate_site
from drupalscan.rules.engine import evaluate
from drupalscan.rules.loader import load_rules
from drupalscan.rules.model import Rule

CASES_DIR = Path(__file__).parent / "cases"
KINDS = ("fail", "pass")
CASE_KEYS = {
    "name",
    "site",
    "expect",
    "annotate",
    "rule_settings",
    "core",
    "effort",
    "message",
    "evidence",
    "xfail",
}
SITE_DEFAULTS = {"id": "case-site", "source": "/var/www/case", "origin": "docroot"}


@dataclass(frozen=True)
class RuleCase:
    rule_id: str
    kind: str
    index: int
    data: dict[str, Any]

    @property
    def test_id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.data.get("name", "").lower()).strip("-")
        return f"{self.rule_id}-{self.kind}{self.index}-{slug}"


def _case_files() -> dict[str, dict[str, Any]]:
    return {
        p.stem: tomllib.loads(p.read_text(encoding="utf-8"))
        for p in sorted(CASES_DIR.glob("*.toml"))
    }


def _all_cases() -> list[RuleCase]:
    return [
        RuleCase(rule_id, kind, i, case)
        for rule_id, data in _case_files().items()
        for kind in KINDS
        for i, case in enumerate(data.get(kind, []))
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rule_case" not in metafunc.fixturenames:
        return
    params = []
    for case in _all_cases():
        marks = []
        if "xfail" in case.data:
            marks.append(pytest.mark.xfail(reason=case.data["xfail"], strict=True))
        params.append(pytest.param(case, id=case.test_id, marks=marks))
    metafunc.parametrize("rule_case", params)


def _rules() -> dict[str, Rule]:
    return {r.id: r for r in load_rules()}


def _unknown_keys(given: Any, built: Any, where: str = "site") -> list[str]:
    """Keys of the case data that the model dropped (from_data ignores typos)."""
    if isinstance(given, dict) and isinstance(built, dict):
        out = [f"{where}.{k}" for k in given if k not in built]
        for key in given.keys() & built.keys():
            out += _unknown_keys(given[key], built[key], f"{where}.{key}")
        return out
    if isinstance(given, list) and isinstance(built, list):
        return [e for g, b in zip(given, built, strict=True) for e in _unknown_keys(g, b, where)]
    return []


def _build_site(case: dict[str, Any]) -> model.Site:
    data = {**SITE_DEFAULTS, **case.get("site", {})}
    site = from_data(model.Site, data)
    assert _unknown_keys(data, to_data(site)) == [], "case data names no model field"
    if case.get("annotate", False):
        site = annotate_site(site, load_kb())
    return site


def test_rule_case(rule_case: RuleCase) -> None:
    rule = _rules()[rule_case.rule_id]
    case = rule_case.data
    settings = Settings(
        rule_settings={rule.id: dict(case.get("rule_settings", {}))},
        target_core=case.get("core", Settings().target_core),
    )
    site = _build_site(case)

    findings = evaluate(rule, site, load_kb(), settings)

    assert [f.subject.name for f in findings] == case["expect"]
    for finding in findings:
        assert finding.rule == rule.id
        assert finding.severity == rule.severity
        assert finding.category == rule.category
        assert finding.site == site.id
        assert finding.evidence, "a finding always carries evidence"
        assert 0 <= finding.effort_hours.low <= finding.effort_hours.high
        assert "?" not in finding.message, "a message names a fact the subject lacks"
    if "effort" in case:
        first = findings[0].effort_hours
        assert [first.low, first.high] == pytest.approx(case["effort"])
    if "message" in case:
        assert findings[0].message == case["message"]
    if "evidence" in case:
        assert findings[0].evidence == case["evidence"]


def test_every_rule_has_pass_and_fail_cases() -> None:
    files = _case_files()
    rule_ids = set(_rules())
    assert rule_ids, "no rules shipped"
    assert sorted(rule_ids - set(files)) == [], "rules without a case file"
    assert sorted(set(files) - rule_ids) == [], "case files for no rule"
    for rule_id, data in files.items():
        for kind in KINDS:
            plain = [c for c in data.get(kind, []) if "xfail" not in c]
            assert plain, f"{rule_id}: needs a {kind} case that is not an xfail"


def test_case_files_are_well_formed() -> None:
    for rule_id, data in _case_files().items():
        assert set(data) <= set(KINDS), f"{rule_id}: top-level keys {sorted(data)}"
        for kind in KINDS:
            for i, case in enumerate(data.get(kind, [])):
                where = f"{rule_id} {kind}[{i}]"
                assert set(case) <= CASE_KEYS, f"{where}: unknown keys {set(case) - CASE_KEYS}"
                assert case.get("name"), f"{where}: needs a name"
                assert isinstance(case.get("expect"), list), f"{where}: needs expect = [...]"
                if kind == "pass":
                    assert case["expect"] == [], f"{where}: a pass case expects no finding"
                    assert not {"effort", "message", "evidence"} & set(case), where
                else:
                    assert case["expect"], f"{where}: a fail case expects a finding"


def test_case_ids_are_unique() -> None:
    ids = [c.test_id for c in _all_cases()]
    assert len(ids) == len(set(ids))
