"""From graphs and findings to the consolidation plan.

The plan is built in this order, each step from a graph:

1. target modules: the merged dependency graph, each module's action taken
   from its knowledge-base status;
2. unified content model: connected components of the content graph;
3. consolidation groups: communities of the site-similarity graph;
4. waves: one per group (readiest first), each bringing the modules its
   sites need that no earlier wave brought, with their dependencies, in
   topological order;
5. effort: the findings' ranges, with module work that consolidation makes
   shared counted once, in the first wave that needs it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import networkx as nx

from drupalscan.config import Settings
from drupalscan.graph import build
from drupalscan.inventory import model

ACTIONS = {
    "core": "keep_core",
    "in_core": "keep_core",
    "has_release": "contrib",
    "replaced": "replace",
    "obsolete": "drop",
    "no_release": "rewrite",
    "custom": "rewrite",
    "unknown": "review",
}
"""Module status -> what happens to it on the target."""

SHARED_RULE_PREFIXES = ("D7-MOD-", "D7-CT-001")
"""Findings about a module or content model that consolidation does once for
all sites (the target installs a module once); custom code and site work are
per site."""


def plan(
    sites: Sequence[model.Site],
    findings: Sequence[model.Finding],
    settings: Settings | None = None,
) -> model.Plan:
    """Build the consolidation plan for a set of sites."""
    settings = settings or Settings()
    sites = sorted(sites, key=lambda s: s.source)
    by_id = {s.id: s for s in sites}
    dep_graph = build.merged_dependency_graph(sites)
    target = model.Target(
        modules=_target_modules(sites, dep_graph),
        vocabularies=_union(v.name for s in sites for v in s.vocabularies),
        roles=_union(r for s in sites for r in s.settings.get("roles", []) if isinstance(r, str)),
        menus=_union(m for s in sites for m in s.settings.get("menus", []) if isinstance(m, str)),
        themes=_union(
            t.name for s in sites for t in s.themes if t.type == "custom" and t.enabled is not False
        ),
    )
    content_model = _content_model(sites)
    groups = _groups(sites)
    counted, notes = _count_once(findings, groups)
    waves = _waves(sites, by_id, groups, dep_graph, content_model, counted)
    site_effort: dict[str, model.Effort] = {s.id: model.Effort() for s in sites}
    for finding, effort in counted:
        site_effort[finding.site] = site_effort.get(finding.site, model.Effort()) + effort
    total = sum((w.effort_hours for w in waves), model.Effort())
    cost: dict[str, object] = {}
    if settings.rate:
        cost = {
            "rate": settings.rate,
            "currency": settings.currency,
            "low": round(total.low * settings.rate, 2),
            "high": round(total.high * settings.rate, 2),
        }
    return model.Plan(
        target=target,
        content_model=content_model,
        waves=waves,
        groups=groups,
        effort_hours=total,
        site_effort=site_effort,
        risks=_risks(sites, findings),
        dependency_edges=sorted([u, v] for u, v in dep_graph.edges if _shown(dep_graph, u, v)),
        redirects=[],
        cost=cost,
        notes=notes,
    )


def _union(items: Iterable[str]) -> list[str]:
    """Sorted distinct names: the target has one of each, whatever site had it."""
    return sorted(set(items))


def _shown(graph: nx.DiGraph, u: str, v: str) -> bool:
    """Edges worth drawing: those touching a non-core module."""
    return graph.nodes[u].get("type") != "core" or graph.nodes[v].get("type") != "core"


def _target_modules(sites: Sequence[model.Site], graph: nx.DiGraph) -> list[model.TargetModule]:
    mods: dict[str, model.Module] = {}
    where: dict[str, list[str]] = defaultdict(list)
    for site in sites:
        for mod in build.enabled_modules(site):
            mods.setdefault(mod.name, mod)
            where[mod.name].append(site.id)
    out = []
    for name in (
        nx.lexicographical_topological_sort(graph.reverse(copy=False))
        if nx.is_directed_acyclic_graph(graph)
        else sorted(graph.nodes)
    ):
        if name not in mods:
            continue
        mod = mods[name]
        action = ACTIONS.get(mod.status, "review")
        out.append(
            model.TargetModule(
                name=name,
                action=action,
                source_sites=sorted(where[name]),
                status=mod.status,
                replacement=mod.replacement,
                reason=mod.source,
            )
        )
    return sorted(
        out,
        key=lambda t: (
            list(ACTIONS.values()).index(t.action) if t.action in ACTIONS.values() else 99,
            t.name,
        ),
    )


def _content_model(sites: Sequence[model.Site]) -> list[model.UnifiedType]:
    graph = build.content_graph(sites)
    unified = []
    for component in nx.connected_components(graph):
        members = sorted(n for n in component if n[0] != "name")
        if not members:
            continue
        cts = [(site_id, graph.nodes[(site_id, name)]["ct"]) for site_id, name in members]
        name_counts = Counter(ct.name for _, ct in cts)
        target_name = sorted(name_counts, key=lambda n: (-name_counts[n], n))[0]
        fields: dict[str, model.Field] = {}
        seen: dict[str, set[tuple[str, int]]] = defaultdict(set)
        for _, ct in cts:
            for fld in ct.fields:
                fields.setdefault(fld.name, fld)
                seen[fld.name].add((fld.type, fld.cardinality))
        conflicts = []
        for fname, variants in sorted(seen.items()):
            types = sorted({t for t, _ in variants})
            cards = sorted({c for _, c in variants})
            if len(types) > 1:
                conflicts.append(f"{fname}: field types differ ({', '.join(types)})")
            if len(cards) > 1:
                shown = ", ".join("unlimited" if c == -1 else str(c) for c in cards)
                conflicts.append(f"{fname}: cardinality differs ({shown})")
        target_sig = {f"{f.name}:{f.type}" for f in fields.values()}
        sources = [
            model.TypeSource(
                site=site_id,
                type=ct.name,
                field_map={f.name: f.name for f in ct.fields},
                nodes=ct.count,
                similarity=round(build.jaccard(set(build.field_signature(ct)), target_sig), 2),
            )
            for site_id, ct in cts
        ]
        label = next(
            (ct.label for _, ct in cts if ct.name == target_name and ct.label), target_name
        )
        unified.append(
            model.UnifiedType(
                name=target_name,
                label=label,
                fields=sorted(fields.values(), key=lambda f: f.name),
                sources=sources,
                conflicts=conflicts,
            )
        )
    return sorted(unified, key=lambda u: u.name)


def _groups(sites: Sequence[model.Site]) -> list[model.Group]:
    groups = []
    by_id = {s.id: s for s in sites}
    for index, members in enumerate(build.consolidation_groups(sites), start=1):
        feats = {sid: build.site_features(by_id[sid]) for sid in members}
        shared = set.intersection(*feats.values()) if len(members) > 1 else set()
        unique = {sid: sorted(f - shared) for sid, f in feats.items()} if len(members) > 1 else {}
        groups.append(model.Group(index=index, sites=members, shared=sorted(shared), unique=unique))
    return groups


def _count_once(
    findings: Sequence[model.Finding], groups: Sequence[model.Group]
) -> tuple[list[tuple[model.Finding, model.Effort]], list[str]]:
    """Each finding with the effort it adds to the plan.

    The target installs and configures a module once, whatever number of
    sites used it, so a module finding repeated on several sites counts on the
    first site in wave order only; the others count zero and say so.
    """
    order = {sid: i for i, g in enumerate(groups) for sid in g.sites}
    seen: set[tuple[str, str]] = set()
    counted = []
    shared = 0
    for finding in sorted(
        findings, key=lambda f: (order.get(f.site, 99), f.site, f.rule, f.subject.name)
    ):
        key = (finding.rule, finding.subject.name)
        if finding.rule.startswith(SHARED_RULE_PREFIXES) and finding.subject.kind == "module":
            if key in seen:
                counted.append((finding, model.Effort()))
                shared += 1
                continue
            seen.add(key)
        counted.append((finding, finding.effort_hours))
    notes = []
    if shared:
        notes.append(
            f"{shared} module finding(s) repeat on more than one site; the target installs "
            "each module once, so each is counted once, in the first wave that needs it."
        )
    return counted, notes


def _waves(
    sites: Sequence[model.Site],
    by_id: dict[str, model.Site],
    groups: Sequence[model.Group],
    dep_graph: nx.DiGraph,
    content_model: Sequence[model.UnifiedType],
    counted: Sequence[tuple[model.Finding, model.Effort]],
) -> list[model.Wave]:
    effort_by_site: dict[str, model.Effort] = defaultdict(model.Effort)
    findings_by_site: Counter[str] = Counter()
    blockers: Counter[str] = Counter()
    for finding, effort in counted:
        effort_by_site[finding.site] = effort_by_site[finding.site] + effort
        findings_by_site[finding.site] += 1
        if finding.severity == "blocker":
            blockers[finding.site] += 1

    # Readiest group first: fewest blockers, then least effort per site (a pilot wave).
    def readiness(group: model.Group) -> tuple[float, float, int]:
        b = sum(blockers[s] for s in group.sites)
        e = sum(effort_by_site[s].high for s in group.sites) / len(group.sites)
        return (b, e, group.index)

    ordered = sorted(groups, key=readiness)
    type_of = {(src.site, src.type): u.name for u in content_model for src in u.sources}
    placed_modules: set[str] = set()
    placed_types: set[str] = set()
    generations = {}
    acyclic = dep_graph.copy()
    acyclic.remove_edges_from(list(nx.selfloop_edges(acyclic)))
    condensed = nx.condensation(acyclic)
    for depth, layer in enumerate(nx.topological_generations(condensed.reverse(copy=False))):
        for comp in layer:
            for node in condensed.nodes[comp]["members"]:
                generations[node] = depth
    closures: dict[str, set[str]] = {}

    def closure(name: str) -> set[str]:
        """Everything a module needs, transitively (memoised: shared by many sites)."""
        if name not in closures:
            closures[name] = nx.descendants(dep_graph, name) if name in dep_graph else set()
        return closures[name]

    waves = []
    for index, group in enumerate(ordered, start=1):
        needed: set[str] = set()
        for sid in group.sites:
            for mod in build.enabled_modules(by_id[sid]):
                needed.add(mod.name)
                needed |= closure(mod.name)
        new_modules = sorted(needed - placed_modules, key=lambda m: (generations.get(m, 0), m))
        placed_modules |= needed
        types = sorted(
            {type_of[(sid, ct.name)] for sid in group.sites for ct in by_id[sid].content_types}
            - placed_types
        )
        placed_types |= set(types)
        nodes = sum(ct.count or 0 for sid in group.sites for ct in by_id[sid].content_types)
        effort = sum((effort_by_site[s] for s in group.sites), model.Effort())
        rationale = (
            "Pilot: fewest blockers and least effort per site."
            if index == 1
            else "After wave(s) "
            + ", ".join(str(i) for i in range(1, index))
            + ": reuses their modules and content types."
        )
        waves.append(
            model.Wave(
                index=index,
                sites=list(group.sites),
                modules=new_modules,
                content_types=types,
                nodes=nodes,
                effort_hours=model.Effort(low=round(effort.low, 1), high=round(effort.high, 1)),
                findings=sum(findings_by_site[s] for s in group.sites),
                rationale=rationale,
            )
        )
    return waves


def _risks(sites: Sequence[model.Site], findings: Sequence[model.Finding]) -> list[model.Risk]:
    names = {s.id: s.name or s.source for s in sites}
    risks = []
    blockers = [f for f in findings if f.severity == "blocker"]
    for f in blockers:
        risks.append(
            model.Risk(severity="blocker", title=f.message, detail=f.remedy, sites=[f.site])
        )
    unknown = [f for f in findings if f.rule == "D7-MOD-005"]
    if unknown:
        mods = sorted({f.subject.name for f in unknown})
        risks.append(
            model.Risk(
                severity="medium",
                title=f"{len(mods)} module(s) of unknown Drupal 8+ status",
                detail="Estimates for them are wide until researched: " + ", ".join(mods[:30]),
                sites=sorted({f.site for f in unknown}),
            )
        )
    custom_lines = sum(
        (m.code.php_lines if m.code else 0) for s in sites for m in s.modules if m.type == "custom"
    )
    if custom_lines:
        risks.append(
            model.Risk(
                severity="high" if custom_lines > 5000 else "medium",
                title=f"{custom_lines:,} lines of custom PHP to rewrite",
                detail=(
                    "Rewrite estimates scale with code size; hidden business rules in "
                    "custom code are the usual source of overruns."
                ),
                sites=sorted({s.id for s in sites if any(m.type == "custom" for m in s.modules)}),
            )
        )
    manual = [f for f in findings if f.rule in ("D7-CT-001", "D7-SITE-004")]
    if manual:
        risks.append(
            model.Risk(
                severity="high",
                title="Content that core migrations will not carry over automatically",
                detail="; ".join(
                    sorted({_where(names.get(f.site, f.site), f.subject.name) for f in manual})
                ),
                sites=sorted({f.site for f in manual}),
            )
        )
    unseen = [s for s in sites if s.origin == "url" and s.kind.startswith("drupal")]
    if unseen:
        risks.append(
            model.Risk(
                severity="medium",
                title="Sites seen only from outside",
                detail=(
                    "Modules, content types and custom code of crawled sites are inferred "
                    "from their pages; a codebase and database copy will refine the estimate."
                ),
                sites=[s.id for s in unseen],
            )
        )
    return risks


def _where(site: str, subject: str) -> str:
    """'site: subject', or just the site when the finding is about the site itself."""
    return site if subject == site else f"{site}: {subject}"


_SLUG = re.compile(r"[^a-z0-9]+")


def redirect_map(
    site: model.Site, pages: Sequence[model.Page], content_model: Sequence[model.UnifiedType]
) -> list[dict[str, str]]:
    """Old URLs of a crawled site mapped to their target path pattern."""
    type_map = {src.type: u.name for u in content_model for src in u.sources if src.site == site.id}
    out = []
    for page in pages:
        if page.status != 200 or not page.content_type.startswith("text/html"):
            continue
        template = page.template
        if template.startswith("node:"):
            ctype = type_map.get(template[5:], template[5:])
            target = f"/{ctype.replace('_', '-')}/[node:title]"
        elif template.startswith("taxonomy-term"):
            target = "/[term:vocabulary]/[term:name]"
        elif template == "front":
            target = "/"
        else:
            from urllib.parse import urlsplit

            path = urlsplit(page.url).path
            target = path if site.kind.startswith("drupal") else "/legacy" + path
        out.append({"site": site.id, "old_url": page.url, "template": template, "target": target})
    return out
