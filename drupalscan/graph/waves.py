"""Consolidation groups, their order, and the migration waves built from it.

Groups are communities of the site-similarity graph.  The readiest group
goes first (fewest blockers, then least effort per site: a pilot), decided
before any effort is shared out, because sharing depends on the order.
Each wave brings the modules its sites need that no earlier wave brought,
with their dependencies, in topological order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx

from drupalscan.graph import build
from drupalscan.graph.effort import UNCOUNTED_PREFIX, Hours
from drupalscan.inventory import model


def groups(sites: Sequence[model.Site]) -> list[model.Group]:
    """Consolidation groups with the features their sites share and do not."""
    groups = []
    by_id = {s.id: s for s in sites}
    for index, members in enumerate(build.consolidation_groups(sites), start=1):
        feats = {sid: build.site_features(by_id[sid]) for sid in members}
        shared = set.intersection(*feats.values()) if len(members) > 1 else set()
        unique = {sid: sorted(f - shared) for sid, f in feats.items()} if len(members) > 1 else {}
        groups.append(model.Group(index=index, sites=members, shared=sorted(shared), unique=unique))
    return groups


def wave_order(
    groups: Sequence[model.Group], findings: Sequence[model.Finding]
) -> list[model.Group]:
    """Groups in wave order: fewest blockers, then least effort per site (a pilot).

    Readiness uses each site's own findings, before shared work is counted
    once: which site a shared finding counts on depends on this order, so
    the order cannot depend on that choice.
    """
    own: dict[str, float] = defaultdict(float)
    blockers: Counter[str] = Counter()
    for finding in findings:
        own[finding.site] += finding.effort_hours.high
        if finding.severity == "blocker":
            blockers[finding.site] += 1

    def readiness(group: model.Group) -> tuple[int, float, int]:
        b = sum(blockers[s] for s in group.sites)
        e = sum(own[s] for s in group.sites) / len(group.sites)
        return (b, e, group.index)

    return sorted(groups, key=readiness)


@dataclass(slots=True)
class Introduced:
    """Where each module and content type first came to the target."""

    modules: dict[str, int]
    types: dict[str, int]


def waves(
    by_id: dict[str, model.Site],
    names: dict[str, str],
    ordered: Sequence[model.Group],
    dep_graph: nx.DiGraph[str],
    content_model: Sequence[model.UnifiedType],
    items: Sequence[model.EffortItem],
    per_site: dict[str, Hours],
) -> list[model.Wave]:
    """The waves, in order, each with what it brings and what it costs.

    `Wave.findings` counts the findings whose hours count in the wave: a
    module finding counted on an earlier site is left out, so findings and
    hours describe the same items.
    """
    counted_findings: Counter[int] = Counter(
        item.wave for item in items if not item.note.startswith(UNCOUNTED_PREFIX)
    )
    type_of = {(src.site, src.type): u.name for u in content_model for src in u.sources}
    introduced = Introduced(modules={}, types={})
    generations: dict[str, int] = {}
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
        types = {type_of[(sid, ct.name)] for sid in group.sites for ct in by_id[sid].content_types}
        rationale = wave_rationale(index, needed, types, introduced, dep_graph)
        new_modules = sorted(
            needed - introduced.modules.keys(), key=lambda m: (generations.get(m, 0), m)
        )
        new_types = sorted(types - introduced.types.keys())
        introduced.modules.update(dict.fromkeys(new_modules, index))
        introduced.types.update(dict.fromkeys(new_types, index))
        cts = [(sid, ct) for sid in group.sites for ct in by_id[sid].content_types]
        unknown = [(sid, ct.name) for sid, ct in cts if ct.count is None]
        if unknown:
            where = ", ".join(sorted({names.get(sid, sid) for sid, _ in unknown}))
            rationale += (
                f" Node counts unknown for {len(unknown)} content type(s) of {where} "
                "(seen from outside); the node figure counts known types only."
            )
        hours = Hours()
        for sid in group.sites:
            hours.merge(per_site[sid])
        waves.append(
            model.Wave(
                index=index,
                sites=list(group.sites),
                modules=new_modules,
                content_types=new_types,
                nodes=sum(ct.count or 0 for _, ct in cts),
                effort_hours=hours.effort(),
                findings=counted_findings[index],
                rationale=rationale,
            )
        )
    return waves


def listed(names: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` with a ``+N more`` tail, for sentences."""
    shown = ", ".join(names[:limit])
    return shown + (f", +{len(names) - limit} more" if len(names) > limit else "")


def wave_rationale(
    index: int,
    needed: set[str],
    types: set[str],
    introduced: Introduced,
    dep_graph: nx.DiGraph[str],
) -> str:
    """Why the wave comes where it does and what it reuses from earlier waves.

    Core modules are left out of "reuses": every Drupal target has them, so
    sharing them says nothing about the order.
    """
    if index == 1:
        return "Pilot: fewest blockers and least effort per site."
    reused_mods = sorted(
        m for m in needed & introduced.modules.keys() if dep_graph.nodes[m].get("type") != "core"
    )
    reused_types = sorted(types & introduced.types.keys())
    earlier = "wave 1" if index == 2 else f"waves 1–{index - 1}"
    head = f"After {earlier}: more blockers or more effort per site."
    if not reused_mods and not reused_types:
        return head + (
            " Independent of earlier waves: shares no contrib or custom module and no "
            "content type with them."
        )
    parts = []
    if reused_mods:
        parts.append(f"{len(reused_mods)} module(s) ({listed(reused_mods)})")
    if reused_types:
        parts.append(f"{len(reused_types)} content type(s) ({listed(reused_types)})")
    sources = sorted(
        {introduced.modules[m] for m in reused_mods} | {introduced.types[t] for t in reused_types}
    )
    origin = listed([str(i) for i in sources], limit=8)
    return f"{head} Reuses {' and '.join(parts)} already introduced by wave(s) {origin}."


# ------------------------------------------------------------ issues, risks


def dependency_issues(
    sites: Sequence[model.Site], graphs: dict[str, nx.DiGraph[str]]
) -> list[model.DependencyIssue]:
    """What each site's dependency graph shows that the migration must settle.

    Missing dependencies are grouped by the dependency (one issue says which
    modules need it); each cycle with a non-core module is one issue; a
    site's removal candidates are one issue, since one clean-up settles them.
    """
    out = []
    for site in sites:
        issues = build.dependency_issues(site, graph=graphs[site.id])
        present = {m.name: m for m in site.modules}
        constraints = {
            (m.name, d): m.constraints.get(d, "") for m in site.modules for d in m.dependencies
        }
        needers: dict[str, list[str]] = defaultdict(list)
        for module, dep in issues.missing:
            needers[dep].append(module)
        for dep, mods in sorted(needers.items()):
            state = "disabled" if dep in present else "absent"
            wants = ", ".join(
                m + (f" ({constraints[(m, dep)]})" if constraints.get((m, dep)) else "")
                for m in sorted(mods)
            )
            out.append(
                model.DependencyIssue(
                    site=site.id,
                    kind="missing",
                    modules=[dep, *sorted(mods)],
                    detail=f"{dep} is {state} but {wants} need(s) it",
                )
            )
        for cycle in issues.cycles:
            if all(present[m].type == "core" for m in cycle if m in present):
                # Drupal 7 core ships one (field <-> field_sql_storage); it is
                # enabled as a unit and nothing on the site can change it.
                continue
            out.append(
                model.DependencyIssue(
                    site=site.id,
                    kind="cycle",
                    modules=cycle,
                    detail=(
                        " → ".join([*cycle, cycle[0]])
                        + ": a dependency cycle; these modules can only be enabled and "
                        "migrated together"
                    ),
                )
            )
        if issues.removal_candidates:
            out.append(
                model.DependencyIssue(
                    site=site.id,
                    kind="removal_candidate",
                    modules=issues.removal_candidates,
                    detail=(
                        f"{len(issues.removal_candidates)} module(s) on disk, disabled and "
                        "needed by no enabled module: leave them out of the migration"
                    ),
                )
            )
    return out
