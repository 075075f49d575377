"""`build_view`: the `Report` reshaped for the templates, which only loop and branch.

This module puts the view-model together; its shape is `viewmodel`, the
per-site parts are built by `siteview`, the plan-wide parts by `planview`,
the pictures by `charts`, and the wording of keys and figures is `wording`.
Every figure is the plan's (`model.Display`): the view reads and formats it.
"""

from __future__ import annotations

from collections import Counter

from drupalscan.inventory.model import SEVERITIES
from drupalscan.render.charts import feature_matrix, graph_picture, wave_chart
from drupalscan.render.planview import (
    content_model,
    dependency_issue_rows,
    group_views,
    risk_rows,
    rule_row,
    target_counts,
    target_rows,
    wave_views,
)
from drupalscan.render.report import Report
from drupalscan.render.siteview import effort_rows, finding_view, site_view
from drupalscan.render.viewmodel import ReportView
from drupalscan.render.wording import KIND_LABELS, cost_text, hours_text, money

LONG_TABLE = 30
"""Rows a table shows on screen before the rest fold behind "show all"."""


def build_view(report: Report) -> ReportView:
    """Everything the HTML and Markdown templates show."""
    plan = report.plan
    sites = report.sites
    names = {s.id: s.name or s.source for s in sites}
    rows, site_totals = effort_rows(report, names)
    cost = plan.cost
    currency = str(cost.get("currency", "")) if cost else ""
    rate = float(cost["rate"]) if cost else 0.0
    max_high = max((t.high for t in site_totals.values()), default=0) or 1
    site_views = [
        site_view(s, rows[s.id], site_totals[s.id], report, plan, rate, currency, max_high)
        for s in sites
    ]
    by_id = {v.id: v for v in site_views}
    total_low = sum(v.effort_low for v in site_views)
    total_high = sum(v.effort_high for v in site_views)
    templates = {s.id: s.templates for s in sites}
    severity_counts = Counter(f.severity for f in report.findings)
    top = [f for f in report.findings if f.severity in ("blocker", "high")][:8]
    shown = {id(f): r for pairs in rows.values() for f, r in pairs}
    waves = wave_views(plan, names, by_id, rate, currency)
    return ReportView(
        title=f"Drupal migration assessment{': ' + report.client if report.client else ''}",
        client=report.client,
        agency=report.agency,
        logo=report.logo,
        generated_at=report.generated_at,
        version=report.version,
        site_count=len(sites),
        long_table=LONG_TABLE,
        kinds=Counter(KIND_LABELS.get(s.kind, s.kind) for s in sites).most_common(),
        total_effort=hours_text(total_low, total_high),
        total_low=total_low,
        total_high=total_high,
        total_cost=cost_text(total_low, total_high, rate, currency),
        # The card shows the range on two lines: one long line wrapped mid-figure.
        cost_low=money(total_low * rate, currency) if rate else "",
        cost_high=money(total_high * rate, currency) if rate else "",
        rate=f"{currency} {rate:,.0f}/h" if rate else "",
        severity_counts=[(s, severity_counts.get(s, 0)) for s in SEVERITIES],
        finding_count=plan.display.finding_count or len(report.findings),
        shared_count=sum(1 for r in shown.values() if r.note),
        top_findings=[finding_view(f, names, shown[id(f)]) for f in top],
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
        rules=[rule_row(r, report) for r in report.rules],
    )
