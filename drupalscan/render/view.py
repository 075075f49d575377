"""`build_view`: the `Report` reshaped for the templates, which only loop and branch.

This module puts the view-model together; its shape is `viewmodel`, the
per-site parts are built by `siteview`, the plan-wide parts by `planview`,
the pictures by `charts`, and the wording of keys and figures is `wording`.
Every figure is the plan's (`model.Display`, found by `figures`): the view
reads and formats it.
"""

from __future__ import annotations

from collections import Counter

from drupalscan.inventory.model import SEVERITIES
from drupalscan.kb import load_kb
from drupalscan.render.charts import feature_matrix, graph_picture, wave_chart
from drupalscan.render.clientview import business_view, decision_rows
from drupalscan.render.figures import effort_rows, plan_display
from drupalscan.render.planview import (
    content_model,
    dependency_issue_rows,
    driver_rows,
    group_views,
    risk_rows,
    rule_row,
    target_counts,
    target_rows,
    wave_views,
)
from drupalscan.render.report import Report
from drupalscan.render.siteview import finding_view, site_view
from drupalscan.render.viewmodel import ReportView
from drupalscan.render.wording import KIND_LABELS, hours_text, money, money_text

LONG_TABLE = 30
"""Rows a table shows on screen before the rest fold behind "show all"."""


def build_view(report: Report) -> ReportView:
    """Everything the HTML and Markdown templates show."""
    plan = report.plan
    sites = report.sites
    names = {s.id: s.name or s.source for s in sites}
    rows = effort_rows(report, names)
    cost = plan.cost
    currency = str(cost.get("currency", "")) if cost else ""
    rate = float(cost["rate"]) if cost else 0.0
    display = plan_display(report, rows, rate)
    figures = {fig.site: fig for fig in display.sites}
    max_high = max((fig.hours.high for fig in display.sites), default=0) or 1
    site_views = [
        site_view(s, rows[s.id], figures[s.id], report, currency, max_high) for s in sites
    ]
    total, total_cost = display.hours, display.cost
    templates = {s.id: s.templates for s in sites}
    # The costliest blockers and high-severity findings: what drives cost and
    # risk leads, not the first eight in site order.
    serious = [f for f in report.findings if f.severity in ("blocker", "high")]
    top = sorted(
        serious,
        key=lambda f: (f.severity != "blocker", -f.effort_hours.high, f.rule, f.subject.name),
    )[:8]
    shown = {id(f): r for pairs in rows.values() for f, r in pairs}
    waves = wave_views(plan, display, names, currency)
    rule_rows = [rule_row(r, report) for r in report.rules]
    kb_origin = load_kb().provenance()
    return ReportView(
        title=f"Drupal migration assessment{': ' + report.client if report.client else ''}",
        client=report.client,
        agency=report.agency,
        logo=report.logo,
        generated_at=report.generated_at,
        version=report.version,
        site_count=len(sites),
        target_core=plan.target.core,
        kb_origin=kb_origin,
        long_table=LONG_TABLE,
        kinds=Counter(KIND_LABELS.get(s.kind, s.kind) for s in sites).most_common(),
        total_effort=hours_text(total.low, total.high),
        total_low=total.low,
        total_high=total.high,
        total_cost=money_text(total_cost, currency),
        # The card shows the range on two lines: one long line wrapped mid-figure.
        cost_low=money(total_cost.low, currency) if total_cost else "",
        cost_high=money(total_cost.high, currency) if total_cost else "",
        rate=f"{currency} {rate:,.0f}/h" if rate else "",
        severity_counts=[(s, display.findings.get(s, 0)) for s in SEVERITIES],
        finding_count=display.finding_count,
        shared_count=sum(1 for r in shown.values() if r.note),
        top_findings=[finding_view(f, names, shown[id(f)]) for f in top],
        drivers=driver_rows(plan, report.rules),
        sites=site_views,
        target=target_rows(plan, names),
        target_counts=target_counts(plan),
        dependency_issues=dependency_issue_rows(plan, names),
        content_model=content_model(plan, names, templates),
        groups=group_views(plan, names),
        waves=waves,
        wave_chart=wave_chart(waves),
        matrix=feature_matrix(sites, plan, names),
        risks=risk_rows(plan, names),
        notes=plan.notes,
        dependency_picture=graph_picture(plan),
        rules=[row for row in rule_rows if row.fired],
        rules_quiet=sum(1 for row in rule_rows if not row.fired),
        decisions=decision_rows(plan, names),
        decided_count=sum(1 for d in plan.decisions if d.decided),
        business=business_view(plan.business),
    )
