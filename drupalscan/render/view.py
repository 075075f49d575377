"""The view-model: the report reshaped for templates, which only loop and branch.

All arithmetic for pictures (bar widths, node coordinates) happens here so
that templates stay declarative and the numbers are testable.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

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
        v["bar_low"] = round(100 * v["effort"].low / max_high, 1)
        v["bar_high"] = round(100 * v["effort"].high / max_high, 1)
    severity_counts = Counter(f.severity for f in report.findings)
    top = [f for f in report.findings if f.severity in ("blocker", "high")][:8]
    target_counts = Counter(t.action for t in plan.target.modules)
    wave_max = max((w.effort_hours.high for w in plan.waves), default=0) or 1
    waves = []
    cursor = 0.0
    for w in plan.waves:
        width = (
            100 * w.effort_hours.high / sum(x.effort_hours.high or 0 for x in plan.waves or [])
            if any(x.effort_hours.high for x in plan.waves)
            else 100 / max(len(plan.waves), 1)
        )
        waves.append(
            {
                "index": w.index,
                "sites": [names.get(s, s) for s in w.sites],
                "modules": w.modules,
                "content_types": w.content_types,
                "nodes": w.nodes,
                "findings": w.findings,
                "effort": _hours(w.effort_hours),
                "cost": _money(w.effort_hours.low * rate, currency)
                + " – "
                + _money(w.effort_hours.high * rate, currency)
                if rate
                else "",
                "rationale": w.rationale,
                "x": round(cursor, 2),
                "width": round(width, 2),
                "bar": round(100 * w.effort_hours.high / wave_max, 1),
            }
        )
        cursor += width
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
                "sources": [
                    {
                        "site": names.get(src.site, src.site),
                        "type": src.type,
                        "nodes": "" if src.nodes is None else src.nodes,
                        "similarity": f"{src.similarity:.0%}",
                        "field_map": sorted(src.field_map.items()),
                    }
                    for src in u.sources
                ],
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
                "remedy": r.remedy,
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
    code_findings = [_finding_view(f, names) for f in findings if f.subject.kind == "code"]
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
        "cost_text": _money(effort.low * rate, currency)
        + " – "
        + _money(effort.high * rate, currency)
        if rate
        else "",
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
        "code_findings": code_findings,
        "pages": site.pages,
        "templates": sorted(site.templates.items(), key=lambda kv: (-kv[1], kv[0])),
        "sections": sorted(site.sections.items(), key=lambda kv: (-kv[1], kv[0]))[:15],
        "broken_links": [
            {"url": b.url, "status": b.status, "referrers": b.referrers[:5]}
            for b in site.broken_links
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
