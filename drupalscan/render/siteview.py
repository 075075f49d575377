"""The per-site part of the view-model: a site's findings, modules, themes and pages.

One `SiteView` per site, and the finding rows the summary reuses.  The
hours, costs, readiness and counts are the plan's, found by `figures`: a
finding's row shows its `FindingHours`, a site its `model.SiteFigures`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

from drupalscan.graph.display import listed_modules
from drupalscan.inventory import model
from drupalscan.inventory.model import SEVERITIES
from drupalscan.render.charts import effort_bar
from drupalscan.render.figures import FindingHours, FindingRow
from drupalscan.render.report import Report
from drupalscan.render.viewmodel import (
    BrokenLinkRow,
    BundleRow,
    CodeFindingView,
    CodePlace,
    CodePlaces,
    ContentTypeRow,
    FindingView,
    ModuleEvidence,
    ModuleRow,
    PageLink,
    PageRow,
    RedirectChainRow,
    SiteView,
    TemplateRow,
    ThemeRow,
)
from drupalscan.render.wording import (
    EVIDENCE_KINDS,
    KIND_LABELS,
    READINESS_CLASS,
    STATUS_LABELS,
    action_labels,
    hours_text,
    money_text,
    origin_text,
    release_text,
    status_label,
)


def finding_view(f: model.Finding, names: dict[str, str], hours: FindingHours) -> FindingView:
    """One finding's row: the finding in words and the hours the plan shows for it."""
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
        effort=hours_text(hours.low, hours.high),
        counted_low=hours.counted_low,
        counted_high=hours.counted_high,
        counted=hours_text(hours.counted_low, hours.counted_high),
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


def _module_evidence(evidence: list[model.Evidence]) -> ModuleEvidence:
    """One short line ("seen in page assets (3)") and the observations behind it."""
    kinds = Counter(EVIDENCE_KINDS.get(e.kind, e.kind.replace("-", " ")) for e in evidence)
    return ModuleEvidence(
        summary="seen in " + ", ".join(f"{k} ({n})" for k, n in kinds.items()),
        details=[e.detail for e in evidence],
    )


def _module_rows(
    site: model.Site, findings: list[model.Finding], actions: dict[str, str], core: int
) -> tuple[list[ModuleRow], list[str]]:
    """Modules that matter (enabled, custom, or with a finding) and the names of the rest."""
    labels = action_labels(core)
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
            status=status_label(m),
            status_key=m.status,
            release=release_text(m.release, m.d8_majors) if m.status == "has_release" else "",
            origin=origin_text(m.source),
            source=m.source,
            replacement=m.replacement or "",
            action=labels.get(
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
    """The crawled templates, largest first; unnamed layouts are numbered in that order."""
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


def site_view(
    site: model.Site,
    pairs: list[FindingRow],
    figures: model.SiteFigures,
    report: Report,
    currency: str,
    max_high: int,
) -> SiteView:
    """Everything the report says about one site, with the plan's `figures` for it."""
    plan = report.plan
    names = {s.id: s.name or s.source for s in report.sites}
    findings = [f for f, _ in pairs]
    label = figures.readiness
    css = READINESS_CLASS.get(label, "warn")
    actions = {t.name: t.action for t in plan.target.modules}
    views = [finding_view(f, names, hours) for f, hours in pairs]
    other = [v for v in views if v.kind != "code"]
    # Per-call-site API findings get their own file:line table; mixed into
    # the findings table they would bury the few findings that decide cost.
    code = [_code_finding_view(v) for v in views if v.kind == "code"]
    total = figures.hours
    modules, other_modules = _module_rows(site, findings, actions, plan.target.core)
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
        effort_low=total.low,
        effort_high=total.high,
        effort_text=hours_text(total.low, total.high),
        cost_text=money_text(figures.cost, currency),
        # A float as before: the plan's cost is an int when the rate is one.
        cost_sort=float(figures.cost.high) if figures.cost else 0.0,
        bar=effort_bar(total, max_high),
        severity=[(s, figures.findings.get(s, 0)) for s in SEVERITIES],
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
                status=STATUS_LABELS.get(t.status, t.status) if t.type == "contrib" else "",
                release=release_text(t.release, t.d8_majors) if t.type == "contrib" else "",
                origin=origin_text(t.source) if t.type == "contrib" else "",
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
        other_total=hours_text(figures.finding_hours.low, figures.finding_hours.high),
        code_findings=code,
        code_total=hours_text(figures.code_hours.low, figures.code_hours.high),
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
