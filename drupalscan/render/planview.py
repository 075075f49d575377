"""The plan-wide parts of the view-model: target modules, content model, groups, waves, risks.

Everything after the per-site sections of the report, and the rules
appendix.  The waves' hours are the plan's (`Display.waves`).
"""

from __future__ import annotations

import re
from collections import Counter

from drupalscan.graph.decisions import RULE, RULE_TITLE
from drupalscan.graph.plan import ACTIONS
from drupalscan.inventory import model
from drupalscan.render.report import Report
from drupalscan.render.viewmodel import (
    DependencyIssueRow,
    DriverRow,
    GroupView,
    RiskRow,
    RuleRow,
    SourceView,
    TargetFieldView,
    TargetModuleRow,
    TargetTypeView,
    WaveView,
)
from drupalscan.render.wording import (
    FACT_PHRASES,
    ISSUE_KINDS,
    STATUS_LABELS,
    SUBJECT_PHRASES,
    action_labels,
    feature_label,
    hours_text,
    majors,
    money_text,
)
from drupalscan.rules.model import UNIT_LABELS, Rule

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def target_rows(plan: model.Plan, names: dict[str, str]) -> list[TargetModuleRow]:
    """The target site's modules, each with its action and the sites that use it."""
    return [
        TargetModuleRow(
            name=t.name,
            action=action_labels(plan.target.core).get(t.action, t.action),
            action_key=t.action,
            status=STATUS_LABELS.get(t.status, t.status),
            replacement=t.replacement or "",
            releases=majors(t.d8_majors),
            sites=[names.get(s, s) for s in t.source_sites],
        )
        for t in plan.target.modules
    ]


def target_counts(plan: model.Plan) -> list[tuple[str, int]]:
    """Target modules per action, in words, every action listed in the planner's order."""
    counts = Counter(t.action for t in plan.target.modules)
    labels = action_labels(plan.target.core)
    return [(labels[a], counts.get(a, 0)) for a in dict.fromkeys(ACTIONS.values())]


def dependency_issue_rows(plan: model.Plan, names: dict[str, str]) -> list[DependencyIssueRow]:
    """Missing dependencies, cycles and removal candidates, with the kind in words."""
    return [
        DependencyIssueRow(
            site=names.get(i.site, i.site),
            kind=ISSUE_KINDS.get(i.kind, i.kind.replace("_", " ").capitalize()),
            kind_key=i.kind,
            modules=i.modules,
            detail=i.detail,
        )
        for i in plan.dependency_issues
    ]


def content_model(
    plan: model.Plan, names: dict[str, str], templates: dict[str, dict[str, int]]
) -> list[TargetTypeView]:
    """The target content types and the source types merged into each."""
    return [
        TargetTypeView(
            name=u.name,
            label=u.label,
            fields=[
                TargetFieldView(
                    name=f.name,
                    type=f.type,
                    cardinality="unlimited" if f.cardinality == -1 else str(f.cardinality),
                )
                for f in u.fields
            ],
            sources=[_source_view(src, names, templates) for src in u.sources],
            conflicts=u.conflicts,
        )
        for u in plan.content_model
    ]


def group_views(plan: model.Plan, names: dict[str, str]) -> list[GroupView]:
    """The consolidation groups with their features named for readers."""
    return [
        GroupView(
            index=g.index,
            sites=[names.get(s, s) for s in g.sites],
            shared=[feature_label(f) for f in g.shared if not f.startswith("kind:")],
            unique=[
                (names.get(s, s), [feature_label(f) for f in feats])
                for s, feats in sorted(g.unique.items())
            ],
        )
        for g in plan.groups
    ]


def risk_rows(plan: model.Plan, names: dict[str, str]) -> list[RiskRow]:
    """The plan's risks; the planner sorts them worst first and they are shown as given."""
    return [
        RiskRow(
            severity=r.severity,
            title=r.title,
            detail=r.detail,
            sites=[names.get(s, s) for s in r.sites],
        )
        for r in plan.risks
    ]


def _source_view(
    src: model.TypeSource, names: dict[str, str], templates: dict[str, dict[str, int]]
) -> SourceView:
    """One source row of a target content type.

    A type seen only in a crawl has neither fields nor a node count; saying so
    reads better than "0 %" and a blank mapping.
    """
    crawled = src.nodes is None and not src.field_map
    pages = templates.get(src.site, {}).get(f"node:{src.type}", 0)
    return SourceView(
        site=names.get(src.site, src.site),
        type=src.type,
        nodes="" if src.nodes is None else str(src.nodes),
        similarity="–" if crawled else f"{src.similarity:.0%}",
        field_map=sorted(src.field_map.items()),
        crawled=crawled,
        pages=pages,
    )


def wave_views(
    plan: model.Plan, display: model.Display, names: dict[str, str], currency: str
) -> list[WaveView]:
    """Waves as text: who moves, what it costs, and why in this order.

    A wave's hours (the plan's, `display`) are the sums of its sites' shown
    totals, so the wave table adds up to the report's total.
    """
    out = []
    figures = {fig.wave: fig for fig in display.waves}
    for w in plan.waves:
        fig = figures[w.index]
        low, high = fig.hours.low, fig.hours.high
        out.append(
            WaveView(
                index=w.index,
                sites=[names.get(s, s) for s in w.sites],
                modules=w.modules,
                content_types=w.content_types,
                # Crawled sites have no node count: "0 nodes" would read as "empty".
                nodes=w.nodes,
                nodes_text=f"{w.nodes:,}",
                findings=w.findings,
                effort=hours_text(low, high),
                low=low,
                high=high,
                cost=money_text(fig.cost, currency),
                rationale=w.rationale,
            )
        )
    return out


def _blank(fact: str, rule: Rule, report: Report) -> str:
    """What a remedy's ``{fact}`` reads as in the appendix, where no finding fills it."""
    if fact in ("name", "label", "project"):
        return SUBJECT_PHRASES.get(rule.applies_to, "this item")
    if fact == "target_core":
        return str(report.plan.target.core)
    return FACT_PHRASES.get(fact, "the " + fact.replace("_", " "))


def rule_row(rule: Rule, report: Report) -> RuleRow:
    """One appendix row: the rule in general words, with one real finding as example."""
    fired = [f for f in report.findings if f.rule == rule.id]
    remedy = _PLACEHOLDER.sub(lambda m: _blank(m.group(1), rule, report), rule.remedy)
    example = next((f.remedy for f in fired if f.remedy and f.remedy != rule.remedy), "")
    return RuleRow(
        id=rule.id,
        title=rule.title,
        severity=rule.severity,
        category=rule.category,
        rationale=rule.rationale,
        remedy=remedy,
        example=example if _PLACEHOLDER.search(rule.remedy) else "",
        references=rule.references,
        effort=rule.effort_text(),
        fired=len(fired),
    )


def driver_rows(plan: model.Plan, rules: list[Rule]) -> list[DriverRow]:
    """The plan's sensitivity table in words: units counted, rate, hours, share."""
    by_id = {r.id: r for r in rules}
    out = []
    for d in plan.display.drivers:
        rule = by_id.get(d.rule)
        one, many = UNIT_LABELS.get(d.unit, (d.unit, d.unit))
        count = f"{d.quantity:g}"
        out.append(
            DriverRow(
                rule=d.rule,
                title=rule.title if rule else RULE_TITLE if d.rule == RULE else d.rule,
                counted=f"{count} {one if d.quantity == 1 else many}",
                rate=f"{d.rate.low:g}–{d.rate.high:g} h per {one}",
                effort=hours_text(d.hours.low, d.hours.high),
                share=d.share,
            )
        )
    return out
