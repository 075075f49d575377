"""The view-model: the report reshaped for templates, which only loop and branch.

`build_view` turns a `Report` into a `viewmodel.ReportView`.  All arithmetic
for pictures (bar widths, node coordinates) happens here so that templates
stay declarative and the numbers are testable.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from drupalscan.graph.display import listed_modules
from drupalscan.graph.layout import positions
from drupalscan.graph.plan import ACTIONS, whole_hours
from drupalscan.inventory import model
from drupalscan.inventory.model import SEVERITIES
from drupalscan.render.report import Report
from drupalscan.render.viewmodel import (
    AxisTick,
    BrokenLinkRow,
    BundleRow,
    CodeFindingView,
    CodePlace,
    CodePlaces,
    ContentTypeRow,
    DependencyIssueRow,
    EffortBar,
    FindingView,
    GraphEdge,
    GraphNode,
    GraphPicture,
    GroupView,
    MatrixBand,
    MatrixCell,
    MatrixColumn,
    MatrixLine,
    MatrixView,
    ModuleEvidence,
    ModuleRow,
    PageLink,
    PageRow,
    RedirectChainRow,
    ReportView,
    RiskRow,
    RuleRow,
    SiteView,
    SourceView,
    TargetFieldView,
    TargetModuleRow,
    TargetTypeView,
    TemplateRow,
    ThemeRow,
    WaveBar,
    WaveChart,
    WaveView,
)
from drupalscan.rules.model import Rule

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
FEATURE_KINDS = {
    "module": "module",
    "type": "content type",
    "vocabulary": "vocabulary",
    "template": "page template",
}


LONG_TABLE = 30
"""Rows a table shows on screen before the rest fold behind "show all"."""

FACT_PHRASES = {
    "replacement": "the replacement",
    "name": "this module",
    "label": "this module",
    "change_record": "the change record",
    "core_latest": "the latest release",
    "symbol": "the API",
    "count": "the count",
}
"""Readable stand-ins for a rule remedy's blanks, for the appendix (no finding)."""

EVIDENCE_KINDS = {
    "asset-path": "page assets",
    "css-class": "CSS classes",
    "form-id": "forms",
    "header": "HTTP headers",
    "meta": "meta tags",
}

ISSUE_KINDS = {
    "missing": "Missing dependency",
    "cycle": "Dependency cycle",
    "removal_candidate": "Removal candidate",
}


def whole(hours: float) -> int:
    """Whole hours exactly as the plan rounds them for its cost (halves up)."""
    return whole_hours(hours)


def _span(low: int, high: int) -> str:
    return f"{low:,}–{high:,} h" if high else "0 h"


def code_places(evidence: list[str]) -> CodePlaces:
    """``dir/a.module:12``, ``dir/a.module:30`` -> ``a.module: 12, 30`` under ``dir/``.

    The per-use evidence of an API finding repeats one long directory; shown
    once, the file:line list fits a table cell (and an A4 page).
    """
    files: dict[str, list[str]] = {}
    for e in evidence:
        path, sep, line = e.rpartition(":")
        if not sep or not line.isdigit():
            path, line = e, ""
        files.setdefault(path, [])
        if line:
            files[path].append(line)
    dirs = [p.rpartition("/")[0] for p in files]
    common = dirs[0] if dirs and all(d == dirs[0] for d in dirs) else ""
    return CodePlaces(
        dir=common + "/" if common else "",
        files=[
            CodePlace(file=p[len(common) + 1 :] if common else p, lines=", ".join(lines))
            for p, lines in files.items()
        ],
    )


def _money(value: float, currency: str) -> str:
    return f"{currency} {value:,.0f}"


def _cost_text(low: int, high: int, rate: float, currency: str) -> str:
    if not rate:
        return ""
    return _money(low * rate, currency) + " – " + _money(high * rate, currency)


def _feature_label(feature: str) -> str:
    """``module:captcha`` -> ``captcha (module)``, for readers who do not know the keys."""
    kind, _, name = feature.partition(":")
    return f"{name} ({FEATURE_KINDS.get(kind, kind)})" if name else feature


def _status_label(mod: model.Module) -> str:
    """A Drupal 7 core module whose data core moves elsewhere reads "Merged into X"."""
    if mod.type == "core" and mod.status == "in_core" and mod.replacement:
        return f"Core, merged into {mod.replacement}"
    return STATUS_LABELS.get(mod.status, mod.status)


READINESS_CLASS = {
    "Blocked until resolved": "bad",
    "Major work": "bad",
    "Significant work": "warn",
    "Straightforward": "good",
}
"""The colour of each readiness label the plan gives (graph/display.py)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingHours:
    """The whole hours the plan shows for one finding, and where it is counted.

    The builders' working record between `effort_rows` and `FindingView`.
    """

    low: int
    high: int
    counted_low: int
    counted_high: int
    note: str
    """Where the work is counted when not here, or empty."""
    wave: int


def effort_rows(
    report: Report, names: dict[str, str]
) -> tuple[dict[str, list[tuple[model.Finding, FindingHours]]], dict[str, model.HourRange]]:
    """Each finding with the whole hours the plan shows for it, and each site's total.

    The figures are the plan's (`model.Display`, `EffortItem.shown_hours` and
    ``added_hours``): the JSON carries the same numbers.  Without effort items
    (an older plan) each finding shows its own range rounded.
    """
    plan = report.plan
    wave_of = {sid: w.index for w in plan.waves for sid in w.sites}
    items: dict[tuple[str, str, str], deque[model.EffortItem]] = defaultdict(deque)
    for item in plan.effort_items:
        items[(item.site, item.rule, item.subject)].append(item)
    counted_at: dict[tuple[str, str], tuple[str, int]] = {}
    for item in plan.effort_items:
        if item.counted_hours.high or item.counted_hours.low:
            counted_at.setdefault((item.rule, item.subject), (item.site, item.wave))
    out: dict[str, list[tuple[model.Finding, FindingHours]]] = defaultdict(list)
    for f in report.findings:
        queue = items.get((f.site, f.rule, f.subject.name))
        match = queue.popleft() if queue else None
        if match is None:
            own = model.HourRange(low=whole(f.effort_hours.low), high=whole(f.effort_hours.high))
            added, note, wave = own, "", wave_of.get(f.site, 0)
        else:
            own, added, wave = match.shown_hours, match.added_hours, match.wave
            note = ""
            if match.counted_hours != match.effort_hours:
                where = counted_at.get((f.rule, f.subject.name))
                if where and where[0] != f.site:
                    note = f"counted on {names.get(where[0], where[0])} (wave {where[1]})"
                else:
                    note = match.note
                    for sid, name in names.items():
                        note = note.replace(sid, name)
        out[f.site].append(
            (
                f,
                FindingHours(
                    low=own.low,
                    high=own.high,
                    counted_low=added.low,
                    counted_high=added.high,
                    note=note,
                    wave=wave,
                ),
            )
        )
    figures = {fig.site: fig for fig in plan.display.sites}
    totals = {}
    for s in report.sites:
        fig = figures.get(s.id)
        if fig is not None:
            totals[s.id] = fig.hours
        else:
            rows = out[s.id]
            totals[s.id] = model.HourRange(
                low=sum(r.counted_low for _, r in rows),
                high=sum(r.counted_high for _, r in rows),
            )
    return out, totals


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
        _site_view(s, rows[s.id], site_totals[s.id], report, plan, rate, currency, max_high)
        for s in sites
    ]
    by_id = {v.id: v for v in site_views}
    total_low = sum(v.effort_low for v in site_views)
    total_high = sum(v.effort_high for v in site_views)
    templates = {s.id: s.templates for s in sites}
    severity_counts = Counter(f.severity for f in report.findings)
    top = [f for f in report.findings if f.severity in ("blocker", "high")][:8]
    shown = {id(f): r for pairs in rows.values() for f, r in pairs}
    target_counts = Counter(t.action for t in plan.target.modules)
    waves = _waves(plan, names, by_id, rate, currency)
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
        total_effort=_span(total_low, total_high),
        total_low=total_low,
        total_high=total_high,
        total_cost=_cost_text(total_low, total_high, rate, currency),
        # The card shows the range on two lines: one long line wrapped mid-figure.
        cost_low=_money(total_low * rate, currency) if rate else "",
        cost_high=_money(total_high * rate, currency) if rate else "",
        rate=f"{currency} {rate:,.0f}/h" if rate else "",
        severity_counts=[(s, severity_counts.get(s, 0)) for s in SEVERITIES],
        finding_count=plan.display.finding_count or len(report.findings),
        shared_count=sum(1 for r in shown.values() if r.note),
        top_findings=[_finding_view(f, names, shown[id(f)]) for f in top],
        sites=site_views,
        target=[
            TargetModuleRow(
                name=t.name,
                action=ACTION_LABELS.get(t.action, t.action),
                action_key=t.action,
                status=STATUS_LABELS.get(t.status, t.status),
                replacement=t.replacement or "",
                releases=_majors(t.d8_majors),
                sites=[names.get(s, s) for s in t.source_sites],
            )
            for t in plan.target.modules
        ],
        target_counts=[
            (ACTION_LABELS[a], target_counts.get(a, 0)) for a in dict.fromkeys(ACTIONS.values())
        ],
        dependency_issues=[
            DependencyIssueRow(
                site=names.get(i.site, i.site),
                kind=ISSUE_KINDS.get(i.kind, i.kind.replace("_", " ").capitalize()),
                kind_key=i.kind,
                modules=i.modules,
                detail=i.detail,
            )
            for i in plan.dependency_issues
        ],
        content_model=[
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
        ],
        groups=[
            GroupView(
                index=g.index,
                sites=[names.get(s, s) for s in g.sites],
                shared=[_feature_label(f) for f in g.shared if not f.startswith("kind:")],
                unique=[
                    (names.get(s, s), [_feature_label(f) for f in feats])
                    for s, feats in sorted(g.unique.items())
                ],
            )
            for g in plan.groups
        ],
        waves=waves,
        wave_chart=_wave_chart(waves),
        matrix=_feature_matrix(sites, plan, names),
        # The planner sorts risks worst first; shown as given.
        risks=[
            RiskRow(
                severity=r.severity,
                title=r.title,
                detail=r.detail,
                sites=[names.get(s, s) for s in r.sites],
            )
            for r in plan.risks
        ],
        notes=plan.notes,
        dependency_picture=_graph_picture(plan),
        rules=[_rule_view(r, report) for r in report.rules],
    )


def _majors(majors: list[int]) -> str:
    """``[10, 11]`` -> ``Drupal 10, 11``."""
    return "Drupal " + ", ".join(str(m) for m in sorted(majors)) if majors else ""


def _rule_view(rule: Rule, report: Report) -> RuleRow:
    """One appendix row: the rule in general words, with one real finding as example."""
    fired = [f for f in report.findings if f.rule == rule.id]
    remedy = _PLACEHOLDER.sub(
        lambda m: FACT_PHRASES.get(m.group(1), "the " + m.group(1).replace("_", " ")),
        rule.remedy,
    )
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


def _finding_view(f: model.Finding, names: dict[str, str], hours: FindingHours) -> FindingView:
    return FindingView(
        rule=f.rule,
        severity=f.severity,
        site=names.get(f.site, f.site),
        subject=f.subject.name,
        kind=f.subject.kind,
        message=f.message,
        evidence=f.evidence,
        remedy=f.remedy,
        references=f.references,
        low=hours.low,
        high=hours.high,
        effort=_span(hours.low, hours.high),
        counted_low=hours.counted_low,
        counted_high=hours.counted_high,
        counted=_span(hours.counted_low, hours.counted_high),
        shared=bool(hours.note),
        note=hours.note,
        wave=hours.wave,
    )


def _code_finding_view(view: FindingView) -> CodeFindingView:
    """A per-call-site API finding: ``component: symbol`` and its file:line places."""
    component, _, symbol = view.subject.rpartition(": ")
    return CodeFindingView(
        finding=view, component=component, symbol=symbol, places=code_places(view.evidence)
    )


def _module_evidence(evidence: list[model.Evidence]) -> ModuleEvidence:
    """One short line ("seen in page assets (3)") and the observations behind it."""
    kinds = Counter(EVIDENCE_KINDS.get(e.kind, e.kind.replace("-", " ")) for e in evidence)
    return ModuleEvidence(
        summary="seen in " + ", ".join(f"{k} ({n})" for k, n in kinds.items()),
        details=[e.detail for e in evidence],
    )


def _module_rows(
    site: model.Site, findings: list[model.Finding], actions: dict[str, str]
) -> tuple[list[ModuleRow], list[str]]:
    """Modules that matter (enabled, custom, or with a finding) and the names of the rest."""
    flagged = {f.subject.name for f in findings if f.subject.kind == "module"}
    listed, others = listed_modules(site, flagged)
    shown = [
        ModuleRow(
            name=m.name,
            label=m.label or m.name,
            project=m.project or "",
            version=m.version or "",
            type=m.type,
            enabled="unknown" if m.enabled is None else ("yes" if m.enabled else "no"),
            status=_status_label(m),
            status_key=m.status,
            replacement=m.replacement or "",
            action=ACTION_LABELS.get(
                actions.get(m.name, ""), "Not migrated" if m.enabled is False else ""
            ),
            evidence=_module_evidence(m.evidence) if m.evidence else None,
        )
        for m in listed
    ]
    return shown, others


def template_label(signature: str, site: model.Site, layouts: dict[str, int]) -> str:
    """A client-readable name for a crawled template signature."""
    kind, _, name = signature.partition(":")
    types = {ct.name: ct.label for ct in site.content_types}
    if signature in layouts:
        return f"Page layout {layouts[signature]}"
    if kind == "node" and name:
        return "Content: " + (types.get(name) or name.replace("_", " ").capitalize())
    if kind == "views" and name:
        return "Views: " + name
    if kind == "page" and name:
        return "Page: " + name.replace("_", " ").replace("-", " ")
    return {
        "front": "Front page",
        "taxonomy-term": "Taxonomy term pages",
        "user": "User pages",
        "panels": "Panels pages",
    }.get(signature, signature)


def _template_rows(site: model.Site, examples: dict[str, list[PageLink]]) -> list[TemplateRow]:
    ordered = sorted(site.templates.items(), key=lambda kv: (-kv[1], kv[0]))
    layouts: dict[str, int] = {}
    for sig, _ in ordered:
        if sig.startswith("html:"):
            layouts[sig] = len(layouts) + 1
    return [
        TemplateRow(
            label=template_label(sig, site, layouts),
            signature=sig,
            pages=n,
            examples=examples.get(sig, []),
        )
        for sig, n in ordered
    ]


def _crawl_counts(site: model.Site) -> list[str]:
    """How the crawled URLs split up, so "20 crawled" and "17 by template" reconcile."""
    html = sum(site.templates.values())
    redirects = len(site.redirect_chains)
    broken = site.broken_links
    rest = site.pages - html - redirects
    parts = [
        (html, "HTML page", "HTML pages", " (by template below)"),
        (redirects, "redirect", "redirects", ""),
    ]
    if rest >= broken:
        parts += [
            (broken, "broken link", "broken links", ""),
            (rest - broken, "other file", "other files", " (PDFs, feeds, …)"),
        ]
    else:
        parts.append((max(rest, 0), "error or other file", "errors and other files", ""))
    return [f"{n} {one if n == 1 else many}{tail}" for n, one, many, tail in parts if n]


def _effort_bar(total: model.HourRange, max_high: int) -> EffortBar:
    """A site's bar in the summary chart, scaled so the largest high estimate fills it."""
    low = round(EFFORT_BAR_WIDTH * total.low / max_high, 1)
    high = round(EFFORT_BAR_WIDTH * total.high / max_high, 1)
    return EffortBar(low=low, high=high, label_x=round(EFFORT_BAR_X + high + 8, 1))


def _site_view(
    site: model.Site,
    pairs: list[tuple[model.Finding, FindingHours]],
    total: model.HourRange,
    report: Report,
    plan: model.Plan,
    rate: float,
    currency: str,
    max_high: int,
) -> SiteView:
    names = {s.id: s.name or s.source for s in report.sites}
    findings = [f for f, _ in pairs]
    counts = Counter(f.severity for f in findings)
    figures = {fig.site: fig for fig in plan.display.sites}.get(site.id)
    label = figures.readiness if figures else "Straightforward"
    css = READINESS_CLASS.get(label, "warn")
    actions = {t.name: t.action for t in plan.target.modules}
    views = [_finding_view(f, names, hours) for f, hours in pairs]
    other = [v for v in views if v.kind != "code"]
    # Per-call-site API findings get their own file:line table; mixed into
    # the findings table they would bury the few findings that decide cost.
    code = [_code_finding_view(v) for v in views if v.kind == "code"]
    low, high = total.low, total.high
    modules, other_modules = _module_rows(site, findings, actions)
    page_rows, examples = _page_samples(report.pages(site.id) if site.origin == "url" else ())
    bundles = [
        BundleRow(
            entity_type=b.entity_type.replace("_", " "),
            name=b.name,
            label=b.label or b.name,
            count="" if b.count is None else str(b.count),
            fields=[f"{f.name} ({f.type})" for f in b.fields],
        )
        for b in sorted(site.bundles, key=lambda b: (b.entity_type, b.name))
    ]
    templates = _template_rows(site, examples)
    return SiteView(
        id=site.id,
        name=site.name or site.source,
        source=site.source,
        origin="Local docroot" if site.origin == "docroot" else "Crawled over HTTP",
        kind=KIND_LABELS.get(site.kind, site.kind),
        core_version=site.core_version or "",
        core_candidates=site.core_candidates if not site.core_version else [],
        kind_evidence=[
            f"{e.detail} ({e.location})" if e.location else e.detail for e in site.kind_evidence
        ],
        readiness=label,
        readiness_class=css,
        effort_low=low,
        effort_high=high,
        effort_text=_span(low, high),
        cost_text=_cost_text(low, high, rate, currency),
        cost_sort=high * rate,
        bar=_effort_bar(total, max_high),
        severity=[(s, counts.get(s, 0)) for s in SEVERITIES],
        counts=sorted(site.counts.items()),
        modules=modules,
        other_modules=other_modules,
        themes=[
            ThemeRow(
                name=t.name,
                type=t.type,
                enabled="unknown" if t.enabled is None else ("yes" if t.enabled else "no"),
                default=t.default,
                base_theme=t.base_theme or "",
                engine=t.engine,
                templates=len(t.code.templates) if t.code else 0,
            )
            for t in site.themes
            if t.enabled is not False or t.type == "custom"
        ],
        content_types=[
            ContentTypeRow(
                name=ct.name,
                label=ct.label or ct.name,
                count="" if ct.count is None else str(ct.count),
                fields=[f"{f.name} ({f.type})" for f in ct.fields],
            )
            for ct in site.content_types
        ],
        bundles=bundles,
        vocabularies=[(v.label or v.name, v.terms) for v in site.vocabularies],
        findings=views,
        other_findings=other,
        other_total=_span(sum(v.counted_low for v in other), sum(v.counted_high for v in other)),
        code_findings=code,
        code_total=_span(
            sum(c.finding.counted_low for c in code), sum(c.finding.counted_high for c in code)
        ),
        shared_findings=sum(1 for v in views if v.shared),
        pages=site.pages,
        crawl_counts=_crawl_counts(site) if site.pages else [],
        templates=templates,
        html_pages=sum(t.pages for t in templates),
        sections=sorted(site.sections.items(), key=lambda kv: (-kv[1], kv[0]))[:15],
        broken_links=[
            BrokenLinkRow(url=b.url, status=b.status, referrers=b.referrers[:5])
            for b in site.broken_link_details
        ],
        redirect_chains=[
            RedirectChainRow(first=c[0], final=c[-1], hops=len(c) - 1, via=c[1:-1])
            for c in site.redirect_chains
            if c
        ],
        duplicate_titles=sorted(
            ((title, urls) for title, urls in site.duplicate_titles.items()),
            key=lambda kv: (-len(kv[1]), kv[0]),
        ),
        page_rows=page_rows,
        warnings=site.warnings,
        multisite=site.multisite,
    )


def _graph_picture(plan: model.Plan) -> GraphPicture:
    """Nodes and edges of the non-core dependency graph in SVG coordinates."""
    actions = {t.name: t.action for t in plan.target.modules}
    pos = {name: (xy[0], xy[1]) for name, xy in plan.display.layout.items()}
    if not pos and plan.dependency_edges:  # an older plan, without the layout
        pos = positions(plan.dependency_edges)
    width, height, pad = 900, 520, 40
    nodes = [
        GraphNode(
            name=name,
            x=round(pad + x * (width - 2 * pad), 1),
            y=round(pad + y * (height - 2 * pad), 1),
            action=actions.get(name, "keep_core"),
            # Labels near the right edge go left of their dot so they stay inside.
            anchor="end" if x > 0.8 else "start",
            label_x=round(pad + x * (width - 2 * pad) + (-9 if x > 0.8 else 9), 1),
        )
        for name, (x, y) in pos.items()
    ]
    at = {n.name: n for n in nodes}
    edges = [
        GraphEdge(x1=at[u].x, y1=at[u].y, x2=at[v].x, y2=at[v].y)
        for u, v in plan.dependency_edges
        if u in at and v in at
    ]
    return GraphPicture(width=width, height=height, nodes=nodes, edges=edges)


def _waves(
    plan: model.Plan,
    names: dict[str, str],
    sites: dict[str, SiteView],
    rate: float,
    currency: str,
) -> list[WaveView]:
    """Waves as text: who moves, what it costs, and why in this order.

    A wave's hours are the sums of its sites' displayed totals, so the wave
    table adds up to the report's total.
    """
    out = []
    figures = {fig.wave: fig for fig in plan.display.waves}
    for w in plan.waves:
        fig = figures.get(w.index)
        if fig is not None:
            low, high = fig.hours.low, fig.hours.high
        else:  # an older plan: the sum of its sites' shown totals
            low = sum(sites[s].effort_low for s in w.sites if s in sites)
            high = sum(sites[s].effort_high for s in w.sites if s in sites)
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
                effort=_span(low, high),
                low=low,
                high=high,
                cost=_cost_text(low, high, rate, currency),
                rationale=w.rationale,
            )
        )
    return out


def _wave_chart(waves: list[WaveView]) -> WaveChart:
    """A Gantt-style timeline: waves run one after another, length = high estimate.

    The dark part of each bar is the low estimate, as in the effort chart, so a
    reader sees both how long the programme may take and how uncertain it is.
    """
    total = sum(w.high for w in waves)
    scale = WAVE_WIDTH / total if total else 0.0
    equal = WAVE_WIDTH / max(len(waves), 1)
    rows = []
    cursor = 0.0
    for i, w in enumerate(waves):
        width = w.high * scale if total else equal
        low = w.low * scale if total else 0.0
        x = WAVE_X + cursor
        y = 28 + i * WAVE_ROW
        text = ", ".join(w.sites) + f" · {w.effort}"
        # Labels are placed above their bar; late waves would run off the right
        # edge, so their label ends where the bar ends instead.
        flip = x + 6.8 * len(text) > WAVE_X + WAVE_WIDTH + 20
        rows.append(
            WaveBar(
                index=w.index,
                x=round(x, 1),
                y=y,
                width=round(max(width, 3.0), 1),
                low_width=round(min(low, width), 1),
                text=text,
                text_x=round(x + width if flip else x, 1),
                anchor="end" if flip else "start",
            )
        )
        cursor += width
    axis_y = 28 + len(waves) * WAVE_ROW - 14
    ticks = [
        AxisTick(
            x=round(WAVE_X + WAVE_WIDTH * q, 1),
            label=f"{total * q:,.0f} h" if total else "",
        )
        for q in (0, 0.25, 0.5, 0.75, 1)
    ]
    return WaveChart(
        rows=rows,
        ticks=ticks,
        axis_y=axis_y,
        height=axis_y + 26,
        label_x=0,
        x0=WAVE_X,
        x1=WAVE_X + WAVE_WIDTH,
    )


def _feature_matrix(sites: list[model.Site], plan: model.Plan, names: dict[str, str]) -> MatrixView:
    """Sites × the features more than one of them uses, as matrix coordinates.

    This is the picture behind the consolidation groups: a full row of dots is
    something built once on the target platform and reused by every site.
    """
    matrix = plan.display.matrix
    order = matrix.sites or [s.id for s in sites]
    shown = [row.feature for row in matrix.features]
    has = {row.feature: set(row.sites) for row in matrix.features}
    group_of = {sid: g.index for g in plan.groups for sid in g.sites}
    columns = [
        MatrixColumn(
            name=names.get(sid, sid),
            x=MATRIX_LABEL + i * MATRIX_COL + MATRIX_COL / 2,
            group=group_of.get(sid, 0),
            unique=matrix.unique.get(sid, 0),
        )
        for i, sid in enumerate(order)
    ]
    top = MATRIX_HEAD + 8
    rows = []
    for j, feat in enumerate(shown):
        kind, name = feat.split(":", 1)
        rows.append(
            MatrixLine(
                kind=FEATURE_KINDS[kind],
                name=name if len(name) <= 34 else name[:33] + "…",
                y=top + j * MATRIX_ROW + MATRIX_ROW / 2,
                cells=[
                    MatrixCell(x=c.x, present=sid in has[feat])
                    for c, sid in zip(columns, order, strict=True)
                ],
            )
        )
    bands = []
    for g in plan.groups:
        xs = [c.x for c in columns if c.group == g.index]
        if xs:
            bands.append(
                MatrixBand(
                    index=g.index,
                    x=min(xs) - MATRIX_COL / 2 + 4,
                    width=max(xs) - min(xs) + MATRIX_COL - 8,
                    centre=(min(xs) + max(xs)) / 2,
                )
            )
    unique_y = top + len(shown) * MATRIX_ROW + MATRIX_ROW / 2 + 4
    return MatrixView(
        columns=columns,
        rows=rows,
        bands=bands,
        shared=matrix.shared,
        more=matrix.shared - len(shown),
        head=MATRIX_HEAD,
        top=top - 4,
        label_x=MATRIX_LABEL - 12,
        unique_y=unique_y,
        group_y=unique_y + MATRIX_ROW,
        width=MATRIX_LABEL + len(columns) * MATRIX_COL + 160,
        height=unique_y + MATRIX_ROW + 14,
    )


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


def _page_samples(
    pages: Iterable[model.Page], rows: int = 200, per_template: int = 5
) -> tuple[list[PageRow], dict[str, list[PageLink]]]:
    """The first pages (in URL order) for the page table, and a few per template.

    One pass over the streamed pages, keeping only what is shown, so
    "node:policy — 10 pages" has faces without the site's pages in memory.
    """
    table: list[PageRow] = []
    examples: dict[str, list[PageLink]] = defaultdict(list)
    for p in pages:
        if len(table) < rows:
            table.append(PageRow(url=p.url, status=p.status, title=p.title, template=p.template))
        if p.template and len(examples[p.template]) < per_template:
            examples[p.template].append(PageLink(title=p.title or p.url, url=p.url))
    return table, dict(examples)
