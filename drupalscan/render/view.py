"""The view-model: the report reshaped for templates, which only loop and branch.

All arithmetic for pictures (bar widths, node coordinates) happens here so
that templates stay declarative and the numbers are testable.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from drupalscan.graph.build import site_features
from drupalscan.graph.layout import positions
from drupalscan.graph.plan import ACTIONS
from drupalscan.inventory import model
from drupalscan.inventory.model import SEVERITIES
from drupalscan.render.report import Report

ACTION_LABELS = {
    "keep_core": "Keep (core)",
    "contrib": "Contrib for Drupal 10/11",
    "replace": "Replace",
    "rewrite": "Rewrite",
    "drop": "Drop",
    "review": "Research",
}
STATUS_LABELS = {
    "core": "Drupal core",
    "in_core": "Moved into core",
    "has_release": "Has a Drupal 8+ release",
    "replaced": "Replaced",
    "obsolete": "Obsolete",
    "no_release": "No Drupal 8+ release",
    "custom": "Custom code",
    "unknown": "Unknown",
}
KIND_LABELS = {
    "drupal6": "Drupal 6",
    "drupal7": "Drupal 7",
    "drupal8+": "Drupal 8+",
    "drupal": "Drupal (version unknown)",
    "wordpress": "WordPress",
    "joomla": "Joomla",
    "sharepoint": "SharePoint",
    "static": "Static HTML",
    "other": "Other",
    "unknown": "Unknown",
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


# Geometry of the summary's effort chart (SVG user units, viewBox 900 wide).
EFFORT_BAR_X = 260
EFFORT_BAR_WIDTH = 520
# Geometry of the waves timeline.
WAVE_X = 110
WAVE_WIDTH = 760
WAVE_ROW = 54
# Geometry of the consolidation matrix.
MATRIX_LABEL = 300
MATRIX_COL = 120
MATRIX_ROW = 22
MATRIX_HEAD = 118
MATRIX_MAX_ROWS = 40
FEATURE_KINDS = {
    "module": "module",
    "type": "content type",
    "vocabulary": "vocabulary",
    "template": "page template",
}


def _hours(effort: model.Effort) -> str:
    return f"{effort.low:,.0f}–{effort.high:,.0f} h"


def _money(value: float, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def readiness(counts: Counter[str]) -> tuple[str, str]:
    """(label, css class) of a site's readiness from its finding severities."""
    if counts["blocker"]:
        return "Blocked until resolved", "bad"
    if counts["high"] >= 5:
        return "Major work", "bad"
    if counts["high"]:
        return "Significant work", "warn"
    return "Straightforward", "good"


def build_view(report: Report) -> dict[str, Any]:
    """Everything the HTML and Markdown templates show."""
    plan = report.plan
    sites = report.sites
    names = {s.id: s.name or s.source for s in sites}
    by_site: dict[str, list[model.Finding]] = defaultdict(list)
    for f in report.findings:
        by_site[f.site].append(f)
    cost = plan.cost
    currency = str(cost.get("currency", "")) if cost else ""
    rate = float(cost["rate"]) if cost else 0.0
    site_views = [_site_view(s, by_site[s.id], report, plan, rate, currency) for s in sites]
    max_high = max((v["effort"].high for v in site_views), default=0) or 1
    for v in site_views:
        v["bar_low"] = round(EFFORT_BAR_WIDTH * v["effort"].low / max_high, 1)
        v["bar_high"] = round(EFFORT_BAR_WIDTH * v["effort"].high / max_high, 1)
        v["bar_label_x"] = round(EFFORT_BAR_X + v["bar_high"] + 8, 1)
    templates = {s.id: s.templates for s in sites}
    severity_counts = Counter(f.severity for f in report.findings)
    top = [f for f in report.findings if f.severity in ("blocker", "high")][:8]
    target_counts = Counter(t.action for t in plan.target.modules)
    waves = _waves(plan, names, rate, currency)
    return {
        "title": f"Drupal migration assessment{': ' + report.client if report.client else ''}",
        "client": report.client,
        "agency": report.agency,
        "logo": report.logo,
        "generated_at": report.generated_at,
        "version": report.version,
        "site_count": len(sites),
        "kinds": Counter(KIND_LABELS.get(s.kind, s.kind) for s in sites).most_common(),
        "total_effort": _hours(plan.effort_hours),
        "total_low": plan.effort_hours.low,
        "total_high": plan.effort_hours.high,
        "total_cost": (
            _money(cost["low"], currency) + " – " + _money(cost["high"], currency) if cost else ""
        ),
        # The card shows the range on two lines: one long line wrapped mid-figure.
        "cost_low": _money(cost["low"], currency) if cost else "",
        "cost_high": _money(cost["high"], currency) if cost else "",
        "rate": f"{currency} {rate:,.0f}/h" if cost else "",
        "severity_counts": [(s, severity_counts.get(s, 0)) for s in SEVERITIES],
        "finding_count": len(report.findings),
        "top_findings": [_finding_view(f, names) for f in top],
        "sites": site_views,
        "target": [
            {
                "name": t.name,
                "action": ACTION_LABELS.get(t.action, t.action),
                "action_key": t.action,
                "status": STATUS_LABELS.get(t.status, t.status),
                "replacement": t.replacement or "",
                "sites": [names.get(s, s) for s in t.source_sites],
            }
            for t in plan.target.modules
        ],
        "target_counts": [
            (ACTION_LABELS[a], target_counts.get(a, 0)) for a in dict.fromkeys(ACTIONS.values())
        ],
        "content_model": [
            {
                "name": u.name,
                "label": u.label,
                "fields": [
                    {
                        "name": f.name,
                        "type": f.type,
                        "cardinality": "unlimited" if f.cardinality == -1 else f.cardinality,
                    }
                    for f in u.fields
                ],
                "sources": [_source_view(src, names, templates) for src in u.sources],
                "conflicts": u.conflicts,
            }
            for u in plan.content_model
        ],
        "groups": [
            {
                "index": g.index,
                "sites": [names.get(s, s) for s in g.sites],
                "shared": g.shared,
                "unique": [(names.get(s, s), feats) for s, feats in sorted(g.unique.items())],
            }
            for g in plan.groups
        ],
        "waves": waves,
        "wave_chart": _wave_chart(plan, names),
        "matrix": _feature_matrix(sites, plan, names),
        "risks": [
            {
                "severity": r.severity,
                "title": r.title,
                "detail": r.detail,
                "sites": [names.get(s, s) for s in r.sites],
            }
            for r in plan.risks
        ],
        "notes": plan.notes,
        "dependency_picture": _graph_picture(plan),
        "rules": [
            {
                "id": r.id,
                "title": r.title,
                "severity": r.severity,
                "category": r.category,
                "rationale": r.rationale,
                # The appendix shows the rule, not one finding: name the blanks
                # that each finding fills in (e.g. the API's replacement).
                "remedy": _PLACEHOLDER.sub(r"‹\1›", r.remedy),
                "references": r.references,
                "effort": (
                    f"{r.effort.low:g}–{r.effort.high:g} h per {r.effort.per.replace('_', ' ')}"
                ),
                "fired": sum(1 for f in report.findings if f.rule == r.id),
            }
            for r in report.rules
        ],
    }


def _finding_view(f: model.Finding, names: dict[str, str]) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "site": names.get(f.site, f.site),
        "subject": f.subject.name,
        "kind": f.subject.kind,
        "message": f.message,
        "evidence": f.evidence,
        "effort": _hours(f.effort_hours),
        "low": f.effort_hours.low,
        "high": f.effort_hours.high,
        "remedy": f.remedy,
        "references": f.references,
    }


def _site_view(
    site: model.Site,
    findings: list[model.Finding],
    report: Report,
    plan: model.Plan,
    rate: float,
    currency: str,
) -> dict[str, Any]:
    names = {s.id: s.name or s.source for s in report.sites}
    counts = Counter(f.severity for f in findings)
    label, css = readiness(counts)
    effort = plan.site_effort.get(site.id, model.Effort())
    actions = {t.name: t.action for t in plan.target.modules}
    code_findings = [
        {**_finding_view(f, names), "component": comp, "symbol": sym}
        for f in findings
        if f.subject.kind == "code"
        for comp, _, sym in [f.subject.name.rpartition(": ")]
    ]
    pages = report.pages.get(site.id, [])
    return {
        "id": site.id,
        "name": site.name or site.source,
        "source": site.source,
        "origin": "Local docroot" if site.origin == "docroot" else "Crawled over HTTP",
        "kind": KIND_LABELS.get(site.kind, site.kind),
        "core_version": site.core_version or "",
        "core_candidates": site.core_candidates if not site.core_version else [],
        "kind_evidence": [
            f"{e.detail} ({e.location})" if e.location else e.detail for e in site.kind_evidence
        ],
        "readiness": label,
        "readiness_class": css,
        "effort": effort,
        "effort_text": _hours(effort),
        "cost_text": _cost_range(effort, rate, currency),
        "cost_sort": effort.high * rate,
        "severity": [(s, counts.get(s, 0)) for s in SEVERITIES],
        "counts": sorted(site.counts.items()),
        "modules": [
            {
                "name": m.name,
                "label": m.label or m.name,
                "project": m.project or "",
                "version": m.version or "",
                "type": m.type,
                "enabled": "unknown" if m.enabled is None else ("yes" if m.enabled else "no"),
                "status": STATUS_LABELS.get(m.status, m.status),
                "status_key": m.status,
                "replacement": m.replacement or "",
                "action": ACTION_LABELS.get(
                    actions.get(m.name, ""), "Not migrated" if m.enabled is False else ""
                ),
                "evidence": [e.detail for e in m.evidence][:3],
            }
            for m in sorted(
                # Hidden core test modules that nobody enabled are noise here.
                (m for m in site.modules if not (m.hidden and m.type == "core" and not m.enabled)),
                key=lambda m: (m.enabled is False, m.type != "custom", m.type != "contrib", m.name),
            )
        ],
        "themes": [
            {
                "name": t.name,
                "type": t.type,
                "enabled": "unknown" if t.enabled is None else ("yes" if t.enabled else "no"),
                "default": t.default,
                "base_theme": t.base_theme or "",
                "engine": t.engine,
                "templates": len(t.code.templates) if t.code else 0,
            }
            for t in site.themes
            if t.enabled is not False or t.type == "custom"
        ],
        "content_types": [
            {
                "name": ct.name,
                "label": ct.label or ct.name,
                "count": "" if ct.count is None else ct.count,
                "fields": [f"{f.name} ({f.type})" for f in ct.fields],
            }
            for ct in site.content_types
        ],
        "vocabularies": [(v.label or v.name, v.terms) for v in site.vocabularies],
        "findings": [_finding_view(f, names) for f in findings],
        # Per-call-site API findings get their own file:line table; mixed into
        # the findings table they would bury the few findings that decide cost.
        "other_findings": [_finding_view(f, names) for f in findings if f.subject.kind != "code"],
        "code_findings": code_findings,
        "pages": site.pages,
        "templates": sorted(site.templates.items(), key=lambda kv: (-kv[1], kv[0])),
        "template_examples": _template_examples(pages),
        "sections": sorted(site.sections.items(), key=lambda kv: (-kv[1], kv[0]))[:15],
        "broken_links": [
            {"url": b.url, "status": b.status, "referrers": b.referrers[:5]}
            for b in site.broken_link_details
        ],
        "page_rows": [
            {"url": p.url, "status": p.status, "title": p.title, "template": p.template}
            for p in pages[:200]
        ],
        "warnings": site.warnings,
        "multisite": site.multisite,
    }


def _graph_picture(plan: model.Plan) -> dict[str, Any]:
    """Nodes and edges of the non-core dependency graph in SVG coordinates."""
    actions = {t.name: t.action for t in plan.target.modules}
    pos = positions(plan.dependency_edges)
    width, height, pad = 900, 520, 40
    nodes = [
        {
            "name": name,
            "x": round(pad + x * (width - 2 * pad), 1),
            "y": round(pad + y * (height - 2 * pad), 1),
            "action": actions.get(name, "keep_core"),
            # Labels near the right edge go left of their dot so they stay inside.
            "anchor": "end" if x > 0.8 else "start",
            "label_x": round(pad + x * (width - 2 * pad) + (-9 if x > 0.8 else 9), 1),
        }
        for name, (x, y) in pos.items()
    ]
    at = {n["name"]: n for n in nodes}
    edges = [
        {"x1": at[u]["x"], "y1": at[u]["y"], "x2": at[v]["x"], "y2": at[v]["y"]}
        for u, v in plan.dependency_edges
        if u in at and v in at
    ]
    return {"width": width, "height": height, "nodes": nodes, "edges": edges}


def _cost_range(effort: model.Effort, rate: float, currency: str) -> str:
    if not rate:
        return ""
    return _money(effort.low * rate, currency) + " – " + _money(effort.high * rate, currency)


def _waves(
    plan: model.Plan, names: dict[str, str], rate: float, currency: str
) -> list[dict[str, Any]]:
    """Waves as text: who moves, what it costs, and why in this order."""
    return [
        {
            "index": w.index,
            "sites": [names.get(s, s) for s in w.sites],
            "modules": w.modules,
            "content_types": w.content_types,
            # Crawled sites have no node count: "0 nodes" would read as "empty".
            "nodes": w.nodes,
            "nodes_text": f"{w.nodes:,}",
            "findings": w.findings,
            "effort": _hours(w.effort_hours),
            "low": w.effort_hours.low,
            "high": w.effort_hours.high,
            "cost": _cost_range(w.effort_hours, rate, currency),
            "rationale": w.rationale,
        }
        for w in plan.waves
    ]


def _wave_chart(plan: model.Plan, names: dict[str, str]) -> dict[str, Any]:
    """A Gantt-style timeline: waves run one after another, length = high estimate.

    The dark part of each bar is the low estimate, as in the effort chart, so a
    reader sees both how long the programme may take and how uncertain it is.
    """
    waves = plan.waves
    total = sum(w.effort_hours.high for w in waves)
    scale = WAVE_WIDTH / total if total else 0.0
    equal = WAVE_WIDTH / max(len(waves), 1)
    rows = []
    cursor = 0.0
    for i, w in enumerate(waves):
        width = w.effort_hours.high * scale if total else equal
        low = w.effort_hours.low * scale if total else 0.0
        x = WAVE_X + cursor
        y = 28 + i * WAVE_ROW
        text = ", ".join(names.get(s, s) for s in w.sites) + f" · {_hours(w.effort_hours)}"
        # Labels are placed above their bar; late waves would run off the right
        # edge, so their label ends where the bar ends instead.
        flip = x + 6.8 * len(text) > WAVE_X + WAVE_WIDTH + 20
        rows.append(
            {
                "index": w.index,
                "x": round(x, 1),
                "y": y,
                "width": round(max(width, 3.0), 1),
                "low_width": round(min(low, width), 1),
                "text": text,
                "text_x": round(x + width if flip else x, 1),
                "anchor": "end" if flip else "start",
            }
        )
        cursor += width
    axis_y = 28 + len(waves) * WAVE_ROW - 14
    ticks = [
        {
            "x": round(WAVE_X + WAVE_WIDTH * q, 1),
            "label": f"{total * q:,.0f} h" if total else "",
        }
        for q in (0, 0.25, 0.5, 0.75, 1)
    ]
    return {
        "rows": rows,
        "ticks": ticks,
        "axis_y": axis_y,
        "height": axis_y + 26,
        "label_x": 0,
        "x0": WAVE_X,
        "x1": WAVE_X + WAVE_WIDTH,
    }


def _feature_matrix(
    sites: list[model.Site], plan: model.Plan, names: dict[str, str]
) -> dict[str, Any]:
    """Sites × the features more than one of them uses, as matrix coordinates.

    This is the picture behind the consolidation groups: a full row of dots is
    something built once on the target platform and reused by every site.
    """
    feats = {
        s.id: {f for f in site_features(s) if f.split(":", 1)[0] in FEATURE_KINDS} for s in sites
    }
    order = [sid for g in plan.groups for sid in g.sites if sid in feats]
    order += [s.id for s in sites if s.id not in order]
    counts = Counter(f for fs in feats.values() for f in fs)
    kind_rank = {k: i for i, k in enumerate(FEATURE_KINDS)}
    shared = sorted(
        (f for f, n in counts.items() if n >= 2),
        key=lambda f: (-counts[f], kind_rank[f.split(":", 1)[0]], f),
    )
    shown = shared[:MATRIX_MAX_ROWS]
    group_of = {sid: g.index for g in plan.groups for sid in g.sites}
    columns: list[dict[str, Any]] = []
    for i, sid in enumerate(order):
        x = MATRIX_LABEL + i * MATRIX_COL + MATRIX_COL / 2
        columns.append(
            {
                "name": names.get(sid, sid),
                "x": x,
                "group": group_of.get(sid, 0),
                "unique": sum(1 for f in feats[sid] if counts[f] == 1),
            }
        )
    top = MATRIX_HEAD + 8
    rows = []
    for j, feat in enumerate(shown):
        kind, name = feat.split(":", 1)
        y = top + j * MATRIX_ROW + MATRIX_ROW / 2
        rows.append(
            {
                "kind": FEATURE_KINDS[kind],
                "name": name if len(name) <= 34 else name[:33] + "…",
                "y": y,
                "cells": [
                    {"x": c["x"], "present": feat in feats[sid]}
                    for c, sid in zip(columns, order, strict=True)
                ],
            }
        )
    bands = []
    for g in plan.groups:
        xs = [float(c["x"]) for c in columns if c["group"] == g.index]
        if xs:
            bands.append(
                {
                    "index": g.index,
                    "x": min(xs) - MATRIX_COL / 2 + 4,
                    "width": max(xs) - min(xs) + MATRIX_COL - 8,
                    "centre": (min(xs) + max(xs)) / 2,
                }
            )
    unique_y = top + len(shown) * MATRIX_ROW + MATRIX_ROW / 2 + 4
    return {
        "columns": columns,
        "rows": rows,
        "bands": bands,
        "shared": len(shared),
        "more": len(shared) - len(shown),
        "head": MATRIX_HEAD,
        "top": top - 4,
        "label_x": MATRIX_LABEL - 12,
        "unique_y": unique_y,
        "group_y": unique_y + MATRIX_ROW,
        "width": MATRIX_LABEL + len(columns) * MATRIX_COL + 160,
        "height": unique_y + MATRIX_ROW + 14,
    }


def _source_view(
    src: model.TypeSource, names: dict[str, str], templates: dict[str, dict[str, int]]
) -> dict[str, Any]:
    """One source row of a target content type.

    A type seen only in a crawl has neither fields nor a node count; saying so
    reads better than "0 %" and a blank mapping.
    """
    crawled = src.nodes is None and not src.field_map
    pages = templates.get(src.site, {}).get(f"node:{src.type}", 0)
    return {
        "site": names.get(src.site, src.site),
        "type": src.type,
        "nodes": "" if src.nodes is None else src.nodes,
        "similarity": "–" if crawled else f"{src.similarity:.0%}",
        "field_map": sorted(src.field_map.items()),
        "crawled": crawled,
        "pages": pages,
    }


def _template_examples(pages: list[model.Page], limit: int = 5) -> dict[str, list[dict[str, str]]]:
    """A few crawled pages per template, so "node:policy — 10 pages" has faces."""
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for p in pages:
        if p.template and len(out[p.template]) < limit:
            out[p.template].append({"title": p.title or p.url, "url": p.url})
    return dict(out)
