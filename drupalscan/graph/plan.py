"""From graphs and findings to the consolidation plan.

The plan is built in this order, each step from a graph:

1. target modules: the merged dependency graph, each module's action taken
   from its knowledge-base status and the Drupal majors it has releases for;
2. unified content model: connected components of the content graph, with
   each source type's fields mapped onto the target type's fields, and the
   decisions the merge leaves to the client, with the answers in force
   (`decisions`); each answer's hours join the findings;
3. consolidation groups: communities of the site-similarity graph;
4. wave order: one wave per group, readiest first (decided before any
   effort is shared out, because sharing depends on the order);
5. effort: every finding becomes an `EffortItem`; module work that
   consolidation makes shared counts on the first site, in wave order, that
   needs it, and zero elsewhere.  Site, wave and plan totals are exact sums
   of those items (`effort_sum`), and the cost is the whole hours shown
   times the rate;
6. waves: each bringing the modules its sites need that no earlier wave
   brought, with their dependencies, in topological order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from drupalscan.config import Settings
from drupalscan.graph import build, business, decisions, display, risks, target, waves
from drupalscan.graph.effort import (
    UNCOUNTED_PREFIX,
    Hours,
    cost,
    count_once,
    effort_sum,
    whole_hours,
)
from drupalscan.graph.redirects import redirect_map
from drupalscan.graph.target import ACTIONS
from drupalscan.inventory import model
from drupalscan.kb import KnowledgeBase, load_kb

__all__ = [
    "ACTIONS",
    "UNCOUNTED_PREFIX",
    "effort_sum",
    "plan",
    "redirect_map",
    "whole_hours",
]


def plan(
    sites: Sequence[model.Site],
    findings: Sequence[model.Finding],
    settings: Settings | None = None,
    kb: KnowledgeBase | None = None,
    paths: Mapping[str, Iterable[str]] | None = None,
) -> model.Plan:
    """Build the consolidation plan for a set of sites.

    Args:
        sites: every site of the assessment.
        findings: the rule findings on those sites (findings about other
            sites are ignored, so totals cover the planned sites only).
        settings: the blended rate and currency for the cost.
        kb: knowledge base for the Drupal majors modules have releases for;
            the bundled one by default.  Pass the one the findings were made
            with (e.g. with `kb refresh` overrides) so both agree.
        paths: per site id, the paths its pages live at (URL aliases from its
            database, crawled page paths); where sites share one, the client
            decides where the later pages go.
    """
    settings = settings or Settings()
    kb = kb if kb is not None else load_kb()
    sites = sorted(sites, key=lambda s: s.source)
    by_id = {s.id: s for s in sites}
    names = {s.id: s.name or s.source for s in sites}
    findings = [f for f in findings if f.site in by_id]
    site_graphs = {s.id: build.dependency_graph(s) for s in sites}
    dep_graph = build.merged_dependency_graph(sites, site_graphs)
    the_target = model.Target(
        core=settings.target_core,
        modules=target.target_modules(sites, dep_graph, kb, settings.target_core),
        vocabularies=target.union(v.name for s in sites for v in s.vocabularies),
        roles=target.union(
            r for s in sites for r in s.settings.get("roles", []) if isinstance(r, str)
        ),
        menus=target.union(
            m for s in sites for m in s.settings.get("menus", []) if isinstance(m, str)
        ),
        themes=target.union(
            t.name for s in sites for t in s.themes if t.type == "custom" and t.enabled is not False
        ),
    )
    unified, asked, decision_notes = decisions.decide(sites, settings, paths)
    the_target = decisions.apply_to_target(the_target, asked)
    site_groups = waves.groups(sites)
    ordered = waves.wave_order(site_groups, findings)
    # The answers in force cost hours like findings do; readiness (the wave
    # order above) stays the rules' judgement of each site.
    findings = [*findings, *decisions.as_findings(asked)]
    items, notes = count_once(findings, ordered, names)
    per_site: dict[str, Hours] = {s.id: Hours() for s in sites}
    for item in items:
        per_site[item.site].add(item.counted_hours)
    planned = waves.waves(by_id, names, ordered, dep_graph, unified, items, per_site)
    total = Hours()
    for hours in per_site.values():
        total.merge(hours)
    effort = total.effort()
    edges = sorted([u, v] for u, v in dep_graph.edges if target.shown(dep_graph, u, v))
    items, figures = display.display(
        sites, findings, items, effort, planned, site_groups, edges, settings.rate
    )
    money = cost(effort, settings)
    return model.Plan(
        target=the_target,
        content_model=unified,
        waves=planned,
        groups=site_groups,
        effort_hours=effort,
        site_effort={sid: hours.effort() for sid, hours in per_site.items()},
        risks=risks.risks(sites, [f for f in findings if f.rule != decisions.RULE]),
        dependency_issues=waves.dependency_issues(sites, site_graphs),
        effort_items=items,
        dependency_edges=edges,
        redirects=[],
        cost=money,
        notes=[*notes, *decision_notes],
        display=figures,
        decisions=asked,
        business=business.business_case(sites, money, settings),
    )
