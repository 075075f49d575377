"""The view-model's arithmetic and wording: every figure shown adds up."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bs4 import BeautifulSoup

from drupalscan.graph.decisions import RULE
from drupalscan.graph.display import apportion
from drupalscan.inventory import model
from drupalscan.render.htmlout import render_html
from drupalscan.render.planview import rule_row
from drupalscan.render.report import Report
from drupalscan.render.siteview import template_label
from drupalscan.render.view import LONG_TABLE, build_view
from drupalscan.render.viewmodel import ReportView
from drupalscan.render.wording import whole

_SPAN = re.compile(r"^(?:(\d[\d,]*)–(\d[\d,]*)|0) h$")


def hours(text: str) -> tuple[int, int]:
    """``"1,234–2,000 h"`` -> (1234, 2000); ``"0 h"`` -> (0, 0)."""
    match = _SPAN.match(text)
    assert match, text
    if match.group(1) is None:
        return 0, 0
    return int(match.group(1).replace(",", "")), int(match.group(2).replace(",", ""))


def money(text: str) -> int:
    return int(text.split()[-1].replace(",", ""))


def test_apportion_adds_up_and_stays_close() -> None:
    values = [0.2] * 26 + [0.5] * 8 + [3.5, 101.1]
    shares = apportion(values, whole(sum(values)))
    assert sum(shares) == whole(sum(values))
    assert all(abs(s - v) < 1 for s, v in zip(shares, values, strict=True))
    assert apportion([], 0) == []
    assert whole(0.5) == 1 and whole(2.5) == 3 and whole(172.1) == 172


def _check_sums(v: ReportView, rate: float) -> None:
    sites = v.sites
    for s in sites:
        code = [c.finding for c in s.code_findings]
        rows = s.other_findings + code
        low = sum(hours(r.counted)[0] for r in rows)
        high = sum(hours(r.counted)[1] for r in rows)
        assert (low, high) == hours(s.effort_text), s.name
        # The two tables' subtotals are sums of their own rows too.
        for total_text, part in ((s.other_total, s.other_findings), (s.code_total, code)):
            assert hours(total_text) == (
                sum(hours(r.counted)[0] for r in part),
                sum(hours(r.counted)[1] for r in part),
            )
        for r in rows:
            # A row counted here shows what it counts; one counted elsewhere counts 0 h.
            if r.shared:
                assert hours(r.counted) == (0, 0) and r.note
            else:
                assert r.effort == r.counted
    total = hours(v.total_effort)
    assert total == (
        sum(hours(s.effort_text)[0] for s in sites),
        sum(hours(s.effort_text)[1] for s in sites),
    )
    waves = v.waves
    if waves:
        assert total == (
            sum(hours(w.effort)[0] for w in waves),
            sum(hours(w.effort)[1] for w in waves),
        )
    if rate:
        assert money(v.cost_low) == round(total[0] * rate)
        assert money(v.cost_high) == round(total[1] * rate)
        for w in waves:
            low, high = hours(w.effort)
            assert w.cost == f"EUR {low * rate:,.0f} – EUR {high * rate:,.0f}"


def test_displayed_rows_add_up_to_site_wave_and_total(example_report: Report) -> None:
    v = build_view(example_report)
    plan = example_report.plan
    _check_sums(v, float(plan.cost["rate"]))
    # The total is the plan's exact total rounded once, and so is the cost.
    low, high = hours(v.total_effort)
    assert (low, high) == (whole(plan.effort_hours.low), whole(plan.effort_hours.high))
    assert money(v.cost_high) == round(plan.cost["high"])


def test_work_counted_on_another_site_says_where(example_report: Report) -> None:
    v = build_view(example_report)
    shared = [f for s in v.sites for f in s.findings if f.shared]
    assert example_report.plan.effort_items, "the example plan lists its effort items"
    assert shared, "the example client shares module work between sites"
    names = {s.name for s in v.sites}
    for f in shared:
        match = re.fullmatch(r"counted on (.+) \(wave (\d+)\)", f.note)
        assert match and match.group(1) in names and match.group(1) != f.site, f.note
        assert hours(f.effort) != (0, 0)


def test_sums_hold_with_fractions_and_without_effort_items(example_report: Report) -> None:
    """An older plan (no effort items) and fractional hours still add up."""
    findings = [
        dataclasses.replace(f, effort_hours=model.Effort(low=0.2 + i % 3 / 10, high=1.45))
        for i, f in enumerate(example_report.findings)
    ]
    plan = dataclasses.replace(example_report.plan, effort_items=[], display=model.Display())
    _check_sums(build_view(dataclasses.replace(example_report, findings=findings, plan=plan)), 110)


def test_appendix_lists_the_rules_that_fired(example_report: Report) -> None:
    view = build_view(example_report)
    fired = {f.rule for f in example_report.findings if f.rule != RULE}  # not a rule: the plan's
    assert {r.id for r in view.rules} == fired
    assert view.rules_quiet == len(example_report.rules) - len(fired) > 0


def test_appendix_reads_without_placeholders(example_report: Report) -> None:
    rules = [rule_row(r, example_report) for r in example_report.rules]
    for r in rules:
        assert not re.search(r"[{}‹›]", r.remedy), r
    by_id = {r.id: r for r in rules}
    assert "the replacement" in by_id["D7-API-001"].remedy
    assert by_id["D7-CUS-001"].effort.endswith("at least 0.5 KLOC")
    assert "at least" not in by_id["D7-SITE-001"].effort


def test_template_labels() -> None:
    site = model.Site(
        id="s",
        source="http://x/",
        origin="url",
        content_types=[model.ContentType(name="policy", label="Policy")],
    )
    layouts = {"html:aa": 1, "html:bb": 2}
    assert template_label("node:policy", site, layouts) == "Content: Policy"
    assert template_label("node:job_posting", site, layouts) == "Content: Job posting"
    assert template_label("taxonomy-term", site, layouts) == "Taxonomy term pages"
    assert template_label("front", site, layouts) == "Front page"
    assert template_label("views:news", site, layouts) == "Views: news"
    assert template_label("html:bb", site, layouts) == "Page layout 2"


def test_site_details_reconcile(example_report: Report) -> None:
    v = build_view(example_report)
    for s, site in zip(v.sites, example_report.sites, strict=True):
        # Crawled URLs split into parts that add up to the count shown.
        if site.pages:
            parts = [int(p.split()[0]) for p in s.crawl_counts]
            assert sum(parts) == site.pages, s.crawl_counts
            assert [t.label for t in s.templates]
            assert not any(t.label.startswith("html:") for t in s.templates)
        # Modules shown are those that matter; the rest are only counted.
        flagged = {
            f.subject.name
            for f in example_report.findings
            if f.site == site.id and f.subject.kind == "module"
        }
        for m in s.modules:
            assert m.enabled != "no" or m.type == "custom" or m.name in flagged
        assert len(s.modules) + len(s.other_modules) == len(site.modules)
        for m in s.modules:
            if m.evidence:
                assert m.evidence.summary.startswith("seen in ")
    comms = next(s for s in v.sites if s.other_modules)
    assert len(comms.modules) < 80 < len(comms.other_modules) + len(comms.modules)


def _with_new_plan_data(report: Report) -> Report:
    """The example report plus the plan and site data the renderer must show."""
    sites = list(report.sites)
    crawled = next(i for i, s in enumerate(sites) if s.templates and s.kind == "drupal7")
    sites[crawled] = dataclasses.replace(
        sites[crawled],
        redirect_chains=[["http://x/old", "http://x/mid", "http://x/new-page"]],
        duplicate_titles={"Same title everywhere": ["http://x/a", "http://x/b"]},
        bundles=[
            model.ContentType(
                name="field_benefits",
                label="Benefit items",
                entity_type="field_collection_item",
                fields=[model.Field(name="field_benefit_name", type="text")],
            )
        ],
    )
    plan = report.plan
    target = dataclasses.replace(
        plan.target,
        modules=[
            dataclasses.replace(plan.target.modules[0], d8_majors=[11, 10]),
            *plan.target.modules[1:],
        ],
    )
    issues = [
        model.DependencyIssue(
            site=sites[0].id, kind="missing", modules=["views_ui", "views"], detail="views is off"
        ),
        model.DependencyIssue(site=sites[0].id, kind="cycle", modules=["a_mod", "b_mod"]),
    ]
    plan = dataclasses.replace(plan, target=target, dependency_issues=issues)
    return dataclasses.replace(report, sites=sites, plan=plan)


def test_new_plan_data_is_shown(example_report: Report) -> None:
    html = render_html(_with_new_plan_data(example_report))
    soup = BeautifulSoup(html, "html.parser")
    text = soup.get_text(" ")
    issues = soup.find(id="t-dep-issues")
    assert issues is not None and "Missing dependency" in issues.get_text()
    assert "Dependency cycle" in issues.get_text()
    assert "Drupal 10, 11" in soup.find(id="t-target").get_text()
    assert "Redirect chains (1)" in text and "via http://x/mid" in text
    assert "Duplicate page titles (1)" in text and "Same title everywhere" in text
    assert "Benefit items" in text and "field collection item" in text
    assert "Page layout 1" in text and "Static HTML" in text
    assert "‹" not in text and "{name}" not in text


def test_only_very_long_tables_fold(example_report: Report, tmp_path: Path) -> None:
    soup = BeautifulSoup(render_html(example_report), "html.parser")
    for table in soup.select("table.sortable[id]"):
        rows = table.tbody.find_all("tr", recursive=False)
        box = table.parent
        folded = [r for r in rows if "more" in (r.get("class") or [])]
        if len(rows) > LONG_TABLE:
            assert "long" in box["class"] and box.find("details", class_="show-all")
            assert len(folded) == len(rows) - LONG_TABLE
        else:
            assert not folded
    assert not soup.select(".scroll"), "no table scrolls inside its own box"
