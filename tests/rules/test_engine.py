"""Rule selection, project settings, messages, ordering and effort quantities."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

import pytest

from drupalscan.config import ConfigError, Settings, load_settings
from drupalscan.inventory import model
from drupalscan.kb import KnowledgeBase, load_kb
from drupalscan.rules.engine import (
    SEVERITY_ORDER,
    evaluate,
    quantity,
    run_checks,
    select_rules,
    sort_findings,
    unknown_rule_ids,
)
from drupalscan.rules.loader import load_rules, parse_rule
from drupalscan.rules.model import EFFORT_PER, EffortSpec, Rule


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="module")
def rules() -> dict[str, Rule]:
    return {r.id: r for r in load_rules()}


def _rule(**changes: Any) -> Rule:
    base = Rule(
        id="D7-MOD-901",
        title="Test rule",
        applies_to="module",
        severity="low",
        category="modules",
        effort=EffortSpec(low=1, high=2, per="module"),
        rationale="Because.",
        remedy="Do it.",
        message="{label} ({name})",
        match={"status": "obsolete"},
        path="D7-MOD-901.toml",
    )
    return dataclasses.replace(base, **changes)


def _site(**changes: Any) -> model.Site:
    return model.Site(id="s1", source="/var/www/s1", origin="docroot", **changes)


def _config(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "drupalscan.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


# ---------------------------------------------------------- select / ignore


def test_select_and_ignore_by_id_and_alias() -> None:
    a = _rule(id="D7-MOD-901", aliases=["obsolete-module"])
    b = _rule(id="D7-MOD-902", aliases=["patched"])
    c = _rule(id="D7-SITE-901")
    every = [a, b, c]

    def ids(select: tuple[str, ...] = (), ignore: tuple[str, ...] = ()) -> list[str]:
        return [r.id for r in select_rules(every, select, ignore)]

    assert ids() == ["D7-MOD-901", "D7-MOD-902", "D7-SITE-901"]
    assert ids(select=("D7-MOD-902",)) == ["D7-MOD-902"]
    assert ids(select=("obsolete-module", "D7-SITE-901")) == ["D7-MOD-901", "D7-SITE-901"]
    assert ids(ignore=("patched",)) == ["D7-MOD-901", "D7-SITE-901"]
    assert ids(ignore=("D7-SITE-901", "obsolete-module")) == ["D7-MOD-902"]
    assert ids(select=("D7-MOD-901",), ignore=("obsolete-module",)) == []
    assert ids(select=("no-such-rule",)) == []
    assert ids(select=("D7-MOD",)) == [], "no prefix matching"
    assert ids(select=("d7-mod-902",)) == ["D7-MOD-902"], "case-insensitive, like the CLI"
    assert ids(ignore=("OBSOLETE-MODULE",)) == ["D7-MOD-902", "D7-SITE-901"]


def test_unknown_rule_ids() -> None:
    every = [_rule(id="D7-MOD-901", aliases=["obsolete-module"]), _rule(id="D7-SITE-901")]
    assert unknown_rule_ids(every, []) == []
    assert unknown_rule_ids(every, ["D7-MOD-901", "obsolete-module", "d7-site-901"]) == []
    assert unknown_rule_ids(every, ["D7-MOD-999", "D7-MOD", "D7-MOD-999", "x"]) == [
        "D7-MOD-999",
        "D7-MOD",
        "x",
    ], "as given, each once, in order; no prefix matching"


def test_unknown_rule_ids_against_shipped_rules(rules: dict[str, Rule]) -> None:
    assert unknown_rule_ids(rules.values(), list(rules)) == []
    assert unknown_rule_ids(rules.values(), ["D7-MOD-001", "D7-MOD-0001"]) == ["D7-MOD-0001"]


def test_run_checks_applies_select_and_ignore_from_config(
    tmp_path: Path, rules: dict[str, Rule], kb: KnowledgeBase
) -> None:
    site = _site(kind="drupal7", core_version="7.100")
    inventory = model.Inventory(sites=[site])
    every = list(rules.values())

    fired = {f.rule for f in run_checks(inventory, every, kb)}
    assert {"D7-SITE-003", "D7-SITE-006"} <= fired

    settings = _config(tmp_path, '[rules]\nignore = ["D7-SITE-006"]\n')
    fired = {f.rule for f in run_checks(inventory, every, kb, settings)}
    assert "D7-SITE-006" not in fired and "D7-SITE-003" in fired

    settings = _config(tmp_path, '[rules]\nselect = ["D7-SITE-006"]\n')
    assert [f.rule for f in run_checks(inventory, every, kb, settings)] == ["D7-SITE-006"]


# ------------------------------------------------------ drupalscan.toml


def test_effort_rates_override(tmp_path: Path, rules: dict[str, Rule], kb: KnowledgeBase) -> None:
    site = _site(
        modules=[
            model.Module(
                name="acme", type="custom", enabled=True, code=model.CodeFacts(php_lines=2500)
            )
        ]
    )
    (default,) = evaluate(rules["D7-CUS-001"], site, kb)
    assert default.effort_hours == model.Effort(low=30.0, high=80.0)

    settings = _config(tmp_path, '[effort."D7-CUS-001"]\nlow = 10\nhigh = 30\n')
    assert settings.effort == {"D7-CUS-001": {"low": 10.0, "high": 30.0}}
    (custom,) = evaluate(rules["D7-CUS-001"], site, kb, settings)
    assert custom.effort_hours == model.Effort(low=25.0, high=75.0), "rate x 2.5 KLOC"

    tiny = _site(
        modules=[
            model.Module(
                name="acme",
                type="custom",
                enabled=True,
                code=model.CodeFacts(php_files=1, php_lines=40),
            )
        ]
    )
    assert evaluate(rules["D7-CUS-001"], tiny, kb, settings) == []  # under 500 lines
    small = _config(tmp_path, '[effort."D7-CUS-003"]\nlow = 10\nhigh = 30\n')
    (floor,) = evaluate(rules["D7-CUS-003"], tiny, kb, small)
    assert floor.effort_hours == model.Effort(low=1.0, high=3.0), "rate x 0.1 KLOC floor"


def test_effort_override_for_another_rule_changes_nothing(
    tmp_path: Path, rules: dict[str, Rule], kb: KnowledgeBase
) -> None:
    site = _site(kind="drupal7")
    settings = _config(tmp_path, '[effort."D7-CUS-001"]\nlow = 10\nhigh = 30\n')
    (finding,) = evaluate(rules["D7-SITE-006"], site, kb, settings)
    assert finding.effort_hours == model.Effort(low=8.0, high=16.0)


def test_rule_settings_override_threshold(
    tmp_path: Path, rules: dict[str, Rule], kb: KnowledgeBase
) -> None:
    site = _site(
        content_types=[
            model.ContentType(name="article", count=15000),
            model.ContentType(name="news", count=20000),
        ]
    )
    rule = rules["D7-CT-002"]
    assert [f.subject.name for f in evaluate(rule, site, kb)] == ["article", "news"]

    settings = _config(tmp_path, '[rules.settings."D7-CT-002"]\nthreshold = 20000\n')
    assert settings.rule_settings == {"D7-CT-002": {"threshold": 20000}}
    findings = evaluate(rule, site, kb, settings)
    assert [f.subject.name for f in findings] == ["news"]
    assert "(threshold 20000)" in findings[0].message
    assert rule.settings == {"threshold": 10000}, "the loaded rule is untouched"


def test_rule_settings_merge_with_defaults(
    tmp_path: Path, rules: dict[str, Rule], kb: KnowledgeBase
) -> None:
    """Overriding one setting of D7-CT-001 keeps the others (bad_status)."""
    site = _site(
        content_types=[
            model.ContentType(
                name="page",
                fields=[
                    model.Field(
                        name="field_fc", type="field_collection", module="field_collection"
                    ),
                    model.Field(name="field_x", type="acme_field", module="acme_field"),
                ],
            )
        ]
    )
    rule = rules["D7-CT-001"]
    (default,) = evaluate(rule, site, kb)
    assert len(default.evidence) == 2

    settings = _config(tmp_path, '[rules.settings."D7-CT-001"]\nno_path_types = []\n')
    (merged,) = evaluate(rule, site, kb, settings)
    assert merged.evidence == ["field_x (acme_field, module acme_field: unknown)"]


def test_load_settings_reads_every_section(tmp_path: Path) -> None:
    settings = _config(
        tmp_path,
        """
[report]
client = "Northwind Traders"
agency = "Acme Digital"
logo = "acme.svg"

[cost]
rate = 120
currency = "GBP"

[rules]
select = ["D7-MOD-001"]
ignore = ["D7-SITE-006"]

[rules.settings.D7-CT-002]
threshold = 20000

[effort.D7-CUS-001]
low = 10
high = 30.5
""",
    )
    assert settings == Settings(
        client="Northwind Traders",
        agency="Acme Digital",
        logo="acme.svg",
        rate=120.0,
        currency="GBP",
        select=("D7-MOD-001",),
        ignore=("D7-SITE-006",),
        rule_settings={"D7-CT-002": {"threshold": 20000}},
        effort={"D7-CUS-001": {"low": 10.0, "high": 30.5}},
        source=str(tmp_path / "drupalscan.toml"),
    )


def test_empty_config_is_defaults(tmp_path: Path) -> None:
    settings = _config(tmp_path, "")
    assert dataclasses.replace(settings, source="") == Settings()


def test_default_config_file_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings() == Settings()
    (tmp_path / "drupalscan.toml").write_text("[cost]\nrate = 99\n", encoding="utf-8")
    assert load_settings().rate == 99.0


# ------------------------------------------------------------ config errors

BAD_CONFIGS = {
    "invalid toml": "[rules\nselect = []",
    "section not a table": 'report = "Northwind"',
    "rate not a number": '[cost]\nrate = "lots"',
    "effort rate not a number": '[effort.D7-CUS-001]\nlow = "ten"\nhigh = 30',
    "effort missing high": "[effort.D7-CUS-001]\nlow = 10",
    "effort entry not a table": "[effort]\nD7-CUS-001 = 10",
    "rule settings not a table": "[rules.settings]\nD7-CT-002 = 20000",
    "rules.settings not a table": "[rules]\nsettings = 5",
}


@pytest.mark.parametrize("text", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_config_errors(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match=r"drupalscan\.toml: "):
        _config(tmp_path, text)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "nope.toml")


def test_unreadable_config_file(tmp_path: Path) -> None:
    path = tmp_path / "drupalscan.toml"
    path.write_bytes(b"[report]\nclient = '\xff'\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(path)


CONFIG_GAPS = {
    "select given as a string": (
        '[rules]\nselect = "D7-SITE-006"',
        "tuple(str(r) for r in 'D7-SITE-006') splits it into characters: every rule is "
        "silently deselected",
    ),
    "ignore given as a string": (
        '[rules]\nignore = "D7-SITE-006"',
        "split into characters: nothing is ignored, silently",
    ),
    "effort low above high": (
        "[effort.D7-CUS-001]\nlow = 30\nhigh = 10",
        "accepted, so findings get Effort(low > high), which the model forbids",
    ),
}


@pytest.mark.parametrize(
    "text",
    [t for t, _why in CONFIG_GAPS.values()],
    ids=CONFIG_GAPS.keys(),
)
def test_config_gaps(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError):
        _config(tmp_path, text)


# ------------------------------------------------------------ messages


def test_missing_fact_formats_as_question_mark(kb: KnowledgeBase) -> None:
    rule = _rule(message="{label} is {nope}", remedy="Fix {name} with {also_missing}")
    site = _site(modules=[model.Module(name="fast_404", status="obsolete")])
    (finding,) = evaluate(rule, site, kb)
    assert finding.message == "fast_404 is ?"
    assert finding.remedy == "Fix fast_404 with ?"


def test_message_sees_rule_settings(kb: KnowledgeBase) -> None:
    rule = _rule(message="{name} over {limit}", settings={"limit": 3})
    site = _site(modules=[model.Module(name="m", status="obsolete")])
    assert evaluate(rule, site, kb)[0].message == "m over 3"


def test_rule_setting_does_not_shadow_subject_fact(kb: KnowledgeBase) -> None:
    rule = _rule(message="{label}", settings={"label": "x"})
    site = _site(modules=[model.Module(name="m", label="My module", status="obsolete")])
    assert evaluate(rule, site, kb)[0].message == "My module"


def test_finding_fields(kb: KnowledgeBase) -> None:
    rule = _rule(references=["https://www.drupal.org/"])
    site = _site(modules=[model.Module(name="m", path="sites/all/modules/m", status="obsolete")])
    (finding,) = evaluate(rule, site, kb)
    assert finding == model.Finding(
        rule="D7-MOD-901",
        severity="low",
        site="s1",
        subject=model.Subject(kind="module", name="m", status="obsolete"),
        message="m (m)",
        category="modules",
        evidence=["sites/all/modules/m"],
        effort_hours=model.Effort(low=1.0, high=2.0),
        quantity=1.0,
        unit="module",
        remedy="Do it.",
        references=["https://www.drupal.org/"],
    )


def test_content_type_evidence_names_the_site(rules: dict[str, Rule], kb: KnowledgeBase) -> None:
    site = _site(content_types=[model.ContentType(name="article", count=50000)])
    (finding,) = evaluate(rules["D7-CT-002"], site, kb)
    assert finding.evidence == ["node_type article: 50000 nodes, 0 fields"]


# ------------------------------------------------------------ ordering


def test_findings_sorted_by_severity(rules: dict[str, Rule], kb: KnowledgeBase) -> None:
    site = _site(
        kind="drupal7",
        core_version="7.100",
        settings={"php_filter": {"module_enabled": True}},
        modules=[
            model.Module(name="views", type="contrib", status="in_core", enabled=True),
            model.Module(name="ctools", type="contrib", status="has_release", enabled=True),
            model.Module(name="acme", type="custom", enabled=True),
            model.Module(name="fc", type="contrib", status="replaced", enabled=True),
        ],
    )
    findings = run_checks(model.Inventory(sites=[site]), list(rules.values()), kb)
    severities = [f.severity for f in findings]
    assert severities[0] == "blocker"
    assert set(severities) == set(SEVERITY_ORDER)
    assert severities == sorted(severities, key=SEVERITY_ORDER.__getitem__)


def test_sort_findings_order_and_stability() -> None:
    def f(sev: str, site: str, rule: str, name: str) -> model.Finding:
        return model.Finding(
            rule=rule,
            severity=sev,
            site=site,
            subject=model.Subject(kind="m", name=name),
            message="",
        )

    ordered = [
        f("blocker", "b", "D7-SITE-001", "x"),
        f("high", "a", "D7-MOD-001", "a"),
        f("high", "a", "D7-MOD-001", "b"),
        f("high", "a", "D7-SITE-003", "a"),
        f("high", "b", "D7-MOD-001", "a"),
        f("medium", "a", "D7-MOD-003", "a"),
        f("low", "a", "D7-MOD-002", "a"),
        f("info", "a", "D7-MOD-006", "a"),
        f("weird", "a", "D7-MOD-006", "a"),
    ]
    shuffled = ordered[:]
    random.Random(7).shuffle(shuffled)
    assert sort_findings(shuffled) == ordered


# ------------------------------------------------------------ quantity


@pytest.mark.parametrize(
    ("per", "minimum", "facts", "expected"),
    [
        ("finding", 1.0, {"kloc": 9, "count": 9000}, 1.0),
        ("module", 1.0, {"kloc": 9}, 1.0),
        ("content_type", 1.0, {"count": 50000}, 1.0),
        ("site", 1.0, {"nodes": 50000}, 1.0),
        ("site", 2.0, {}, 2.0),
        ("kloc", 0.5, {"kloc": 2.5}, 2.5),
        ("kloc", 0.5, {"kloc": 0.04}, 0.5),
        ("kloc", 0.5, {"kloc": 0.5}, 0.5),
        ("kloc", 0.5, {}, 0.5),
        ("1000_nodes", 1.0, {"count": 2500}, 2.5),
        ("1000_nodes", 1.0, {"count": 400}, 1.0),
        ("1000_nodes", 1.0, {"count": None, "nodes": 3000}, 3.0),
        ("1000_nodes", 1.0, {"nodes": 12000}, 12.0),
        ("1000_nodes", 1.0, {}, 1.0),
        ("template", 8.0, {"templates": 3}, 8.0),
        ("template", 8.0, {"templates": 12}, 12.0),
        ("template", 1.0, {"templates": 0}, 1.0),
        ("use", 1.0, {"uses": 3}, 3.0),
        ("use", 1.0, {"uses": 1}, 1.0),
        ("theme", 1.0, {"templates": 12}, 1.0),
        ("patch", 1.0, {"patches": 3}, 3.0),
        ("item", 1.0, {"items": 8}, 8.0),
    ],
)
def test_quantity(per: str, minimum: float, facts: dict[str, Any], expected: float) -> None:
    rule = _rule(effort=EffortSpec(low=1, high=2, per=per, min=minimum))
    assert quantity(rule, facts) == pytest.approx(expected)


def test_quantity_covers_every_unit() -> None:
    tested = {
        "finding",
        "module",
        "theme",
        "content_type",
        "site",
        "kloc",
        "1000_nodes",
        "template",
        "use",
        "patch",
        "item",
    }
    assert tested == set(EFFORT_PER)


def test_effort_is_rate_times_quantity_rounded(kb: KnowledgeBase) -> None:
    rule = _rule(effort=EffortSpec(low=12, high=32, per="kloc", min=0.5), match={"type": "custom"})
    site = _site(
        modules=[model.Module(name="m", type="custom", code=model.CodeFacts(php_lines=1234))]
    )
    (finding,) = evaluate(rule, site, kb)
    # 1234 lines = 1.23 KLOC (the kloc fact has 2 decimals); hours keep 2 decimals.
    assert finding.effort_hours == model.Effort(low=14.76, high=39.36)


def test_quarter_hour_rate_is_not_rounded_away(kb: KnowledgeBase) -> None:
    rule = _rule(effort=EffortSpec(low=0.25, high=1, per="module"))
    site = _site(modules=[model.Module(name="m", status="obsolete")])
    (finding,) = evaluate(rule, site, kb)
    assert finding.effort_hours == model.Effort(low=0.25, high=1.0)


def test_parse_then_evaluate_predicate_rule(kb: KnowledgeBase) -> None:
    rule = parse_rule(
        "D7-CT-901.toml",
        """
id = "D7-CT-901"
title = "t"
applies_to = "content_type"
severity = "high"
category = "content"
message = "{name}: {fields} fields"
effort = { low = 1, high = 1, per = "content_type" }
rationale = "r"
remedy = "x"
predicate = "fields_without_migration_path"
[settings]
no_path_types = ["weird"]
""",
    )
    site = _site(
        content_types=[
            model.ContentType(name="a", fields=[model.Field(name="f", type="weird")]),
            model.ContentType(name="b", fields=[model.Field(name="g", type="text", module="text")]),
        ]
    )
    (finding,) = evaluate(rule, site, kb)
    assert finding.subject == model.Subject(kind="content_type", name="a")
    assert finding.message == "a: 1 fields"
    assert finding.evidence == ["f (weird, module ?)"]


# ------------------------------------------------------------ subjects


def test_module_subject_carries_kb_verdict(rules: dict[str, Rule], kb: KnowledgeBase) -> None:
    from drupalscan.rules.annotate import annotate_site

    site = annotate_site(
        _site(
            kind="drupal7",
            modules=[
                model.Module(name="field_collection", type="contrib", enabled=True),
                model.Module(name="acme", type="custom", enabled=True),
            ],
        ),
        kb,
    )
    (replaced,) = evaluate(rules["D7-MOD-003"], site, kb)
    assert replaced.subject.kind == "module"
    assert replaced.subject.status == "replaced"
    assert replaced.subject.replacement == "paragraphs"
    assert replaced.subject.source and "upgrade_status" in replaced.subject.source
    (custom,) = evaluate(rules["D7-CUS-002"], site, kb)
    assert custom.subject == model.Subject(
        kind="module", name="acme", status="custom", replacement=None, source="site code"
    )
    (site_finding,) = evaluate(rules["D7-SITE-006"], site, kb)
    assert site_finding.subject.status is None, "only modules carry a verdict"


def test_check_json_shape_of_module_subject(rules: dict[str, Rule], kb: KnowledgeBase) -> None:
    """What `check --json` prints for a module finding (issue 5 output contract)."""
    import json

    from drupalscan.inventory import io

    site = _site(
        modules=[
            model.Module(
                name="panels",
                type="contrib",
                enabled=True,
                status="has_release",
                d8_majors=[8, 9, 10, 11],
                source="github.com/drupalprojects/panels",
            )
        ]
    )
    findings = evaluate(rules["D7-MOD-006"], site, kb)
    data = json.loads(io.dumps({"schema_version": model.SCHEMA_VERSION, "findings": findings}))
    (finding,) = data["findings"]
    assert finding["subject"] == {
        "kind": "module",
        "name": "panels",
        "status": "has_release",
        "replacement": None,
        "source": "github.com/drupalprojects/panels",
    }
    assert {"rule", "severity", "site", "message", "evidence", "effort_hours"} <= set(finding)


# ------------------------------------------------------------ effort text


@pytest.mark.parametrize(
    ("effort", "text"),
    [
        (EffortSpec(low=12, high=32, per="kloc", min=0.5), "12–32 h per KLOC, at least 0.5 KLOC"),
        (
            EffortSpec(low=2, high=6, per="template", min=8),
            "2–6 h per template, at least 8 templates",
        ),
        (
            EffortSpec(low=1, high=3, per="1000_nodes"),
            "1–3 h per 1,000 nodes, at least 1,000 nodes",
        ),
        (EffortSpec(low=0.25, high=1, per="use"), "0.25–1 h per use"),
        (EffortSpec(low=8, high=16, per="site"), "8–16 h per site"),
        (EffortSpec(low=4, high=4, per="module"), "4 h per module"),
        (EffortSpec(low=1, high=2, per="module", min=2), "1–2 h per module, at least 2 modules"),
    ],
)
def test_effort_text(effort: EffortSpec, text: str) -> None:
    assert _rule(effort=effort).effort_text() == text


def test_effort_text_with_project_rates(rules: dict[str, Rule]) -> None:
    rule = rules["D7-CUS-001"]
    assert rule.effort_text() == "12–32 h per KLOC, at least 0.5 KLOC"
    assert rule.effort_text(10, 30) == "10–30 h per KLOC, at least 0.5 KLOC"
