"""From graphs and findings to the consolidation plan.

The plan is built in this order, each step from a graph:

1. target modules: the merged dependency graph, each module's action taken
   from its knowledge-base status and the Drupal majors it has releases for;
2. unified content model: connected components of the content graph, with
   each source type's fields mapped onto the target type's fields;
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

import difflib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

import networkx as nx

from drupalscan.config import Settings
from drupalscan.graph import build
from drupalscan.inventory import model
from drupalscan.kb import KnowledgeBase, load_kb

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
"""Module status -> what happens to it on the target.

``has_release`` becomes ``contrib`` only when the release is for a Drupal
major in CURRENT_MAJORS; otherwise the module is flagged for ``review``.
"""

CURRENT_MAJORS = (10, 11)
"""Drupal majors a new target site runs on.  A Drupal 8 release of a module
does not install on them, so "it has a release" is not enough for `contrib`."""

SHARED_RULE_PREFIX = "D7-MOD-"
"""Module findings describe work the target does once for all sites (it
installs and configures a module once).  Custom code, content types and site
work stay per site: each source has its own code and its own data."""

FIELD_NAME_SIMILARITY = 0.6
"""difflib ratio from which a field of a renamed content type maps onto a
target field of the same type and a different name.

Names are compared without the ``field_`` prefix every field shares, which
would otherwise lift unrelated names over the bar (``field_summary`` and
``field_subtitle`` score 0.67 with it, 0.27 without).  At 0.6 a prefixed or
shortened copy matches (``news_image`` -> ``image`` 0.67, ``staff_phone`` ->
``phone`` 0.63) while different words do not (``tags`` / ``topics`` 0.4).
"""

TYPE_BREADTH = {
    "text": 0,
    "text_long": 1,
    "text_with_summary": 2,
    "list_integer": 0,
    "list_float": 1,
    "list_text": 2,
    "number_integer": 0,
    "number_decimal": 1,
    "number_float": 1,
    "image": 0,
    "file": 1,
}
"""How much a field type holds, within its family: a conflict tied on nodes
resolves to the broader type, into which the narrower one's values fit."""

_SEVERITY_RANK = {s: i for i, s in enumerate(model.SEVERITIES)}

UNCOUNTED_PREFIX = "counted on "
"""How an effort item's note starts when its hours were counted on another site."""


def plan(
    sites: Sequence[model.Site],
    findings: Sequence[model.Finding],
    settings: Settings | None = None,
    kb: KnowledgeBase | None = None,
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
    """
    settings = settings or Settings()
    kb = kb if kb is not None else load_kb()
    sites = sorted(sites, key=lambda s: s.source)
    by_id = {s.id: s for s in sites}
    names = {s.id: s.name or s.source for s in sites}
    findings = [f for f in findings if f.site in by_id]
    site_graphs = {s.id: build.dependency_graph(s) for s in sites}
    dep_graph = build.merged_dependency_graph(sites, site_graphs)
    target = model.Target(
        modules=_target_modules(sites, dep_graph, kb),
        vocabularies=_union(v.name for s in sites for v in s.vocabularies),
        roles=_union(r for s in sites for r in s.settings.get("roles", []) if isinstance(r, str)),
        menus=_union(m for s in sites for m in s.settings.get("menus", []) if isinstance(m, str)),
        themes=_union(
            t.name for s in sites for t in s.themes if t.type == "custom" and t.enabled is not False
        ),
    )
    content_model = _content_model(sites)
    groups = _groups(sites)
    ordered = _wave_order(groups, findings)
    items, notes = _count_once(findings, ordered, names)
    per_site: dict[str, _Hours] = {s.id: _Hours() for s in sites}
    for item in items:
        per_site[item.site].add(item.counted_hours)
    waves = _waves(by_id, names, ordered, dep_graph, content_model, items, per_site)
    total = _Hours()
    for hours in per_site.values():
        total.merge(hours)
    effort = total.effort()
    return model.Plan(
        target=target,
        content_model=content_model,
        waves=waves,
        groups=groups,
        effort_hours=effort,
        site_effort={sid: hours.effort() for sid, hours in per_site.items()},
        risks=_risks(sites, findings),
        dependency_issues=_dependency_issues(sites, site_graphs),
        effort_items=items,
        dependency_edges=sorted([u, v] for u, v in dep_graph.edges if _shown(dep_graph, u, v)),
        redirects=[],
        cost=_cost(effort, settings),
        notes=notes,
    )


# ---------------------------------------------------------------- arithmetic


def _decimal(hours: float) -> Decimal:
    """A figure as the decimal it was written as (``0.1`` -> ``Decimal('0.1')``)."""
    return Decimal(repr(float(hours)))


class _Hours:
    """An exact low/high accumulator; see `effort_sum` for why decimals."""

    __slots__ = ("high", "low")

    def __init__(self) -> None:
        self.low = Decimal(0)
        self.high = Decimal(0)

    def add(self, effort: model.Effort) -> None:
        if effort.low:
            self.low += _decimal(effort.low)
        if effort.high:
            self.high += _decimal(effort.high)

    def merge(self, other: _Hours) -> None:
        self.low += other.low
        self.high += other.high

    def effort(self) -> model.Effort:
        return model.Effort(low=float(self.low), high=float(self.high))


def effort_sum(efforts: Iterable[model.Effort]) -> model.Effort:
    """The exact sum of hour ranges, computed the way the plan's totals are.

    Float addition depends on order (``0.1 + 0.2 + 0.3`` and ``0.3 + 0.2 +
    0.1`` differ in the last bit), so a wave total summed site by site could
    disagree with the same findings summed one by one.  Each figure is taken
    as the decimal it prints as and the sum is rounded once, so any grouping
    of the same items (per site, per wave, all at once) gives the identical
    float, as long as the figures have at most 15 significant digits (hours
    rounded to a few decimals, as the rule engine makes them, always do).
    """
    acc = _Hours()
    for effort in efforts:
        acc.add(effort)
    return acc.effort()


def whole_hours(hours: float) -> int:
    """Hours rounded half up to a whole number, as the report shows them.

    ``round()`` and ``format(x, ".0f")`` round half to even (172.5 -> 172),
    which a reader checking "hours x rate" by hand would not expect.
    """
    return int(_decimal(hours).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _cost(effort: model.Effort, settings: Settings) -> dict[str, Any]:
    """The cost of the effort range at the blended rate, if one is configured.

    The cost is the *displayed* whole hours times the rate, so the report's
    "612 h" and "EUR 67,320" agree when multiplied by hand; the hours stay
    exact in `Plan.effort_hours` and are repeated here as ``hours``.
    """
    if not settings.rate:
        return {}
    low, high = whole_hours(effort.low), whole_hours(effort.high)
    return {
        "rate": settings.rate,
        "currency": settings.currency,
        "hours": {"low": low, "high": high},
        "low": round(low * settings.rate, 2),
        "high": round(high * settings.rate, 2),
    }


# ------------------------------------------------------------------- target


def _union(items: Iterable[str]) -> list[str]:
    """Sorted distinct names: the target has one of each, whatever site had it."""
    return sorted(set(items))


def _shown(graph: nx.DiGraph, u: str, v: str) -> bool:
    """Edges worth drawing: those touching a non-core module."""
    return bool(graph.nodes[u].get("type") != "core" or graph.nodes[v].get("type") != "core")


def _target_modules(
    sites: Sequence[model.Site], graph: nx.DiGraph, kb: KnowledgeBase
) -> list[model.TargetModule]:
    """Every running module of every site with its action on the target."""
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
        action, majors, reason = _module_role(mod, kb)
        out.append(
            model.TargetModule(
                name=name,
                action=action,
                source_sites=sorted(where[name]),
                status=mod.status,
                replacement=mod.replacement,
                d8_majors=majors,
                reason=reason,
            )
        )
    order = list(dict.fromkeys(ACTIONS.values()))
    return sorted(out, key=lambda t: (order.index(t.action) if t.action in order else 99, t.name))


def _majors_text(majors: Sequence[int]) -> str:
    return "/".join(str(m) for m in majors)


def _module_role(mod: model.Module, kb: KnowledgeBase) -> tuple[str, list[int], str]:
    """(action, Drupal majors with a release, reason) of one module.

    The action follows the module's status, except that "has a release" only
    means `contrib` when the release runs on a current major: a module whose
    only port is for Drupal 8 (end of life since 2021) needs a look first.
    For a replaced module the majors are its replacement's, which is what
    the target installs.
    """
    verdict = kb.verdict(mod.name, mod.project, mod.type)
    majors = sorted(verdict.d8_majors)
    action = ACTIONS.get(mod.status, "review")
    role = ""
    if mod.status == "replaced" and mod.replacement:
        successor = kb.verdict(mod.replacement, None, "contrib")
        if successor.d8_majors:
            majors = sorted(successor.d8_majors)
            role = f"{mod.replacement} has releases for Drupal {_majors_text(majors)}"
    elif mod.status == "has_release":
        current = [m for m in majors if m in CURRENT_MAJORS]
        core = kb.core_module(mod.name) if mod.type != "contrib" else None
        if current and core is not None and core.removed_in:
            # Core modules moved out (book, forum): core up to a major, then contrib.
            role = (
                f"in Drupal core for {_majors_text(majors)}, a contrib project "
                f"from {core.removed_in}"
            )
        elif current:
            role = f"release for Drupal {_majors_text(current)}"
        elif core is not None and majors:
            action = "review"
            role = (
                f"in Drupal core for {_majors_text(majors)} only, then moved to contrib; "
                "check a 10/11 release of the contrib project"
            )
        elif majors:
            action = "review"
            role = f"release for Drupal {_majors_text(majors)} only; check a 10/11 port"
        else:
            action = "review"
            role = "no Drupal 8+ release on record; check a 10/11 port"
    reason = "; ".join(r for r in (role, mod.source) if r)
    return action, majors, reason


# ------------------------------------------------------------ content model


def _content_model(sites: Sequence[model.Site]) -> list[model.UnifiedType]:
    """One unified type per connected component of the content graph."""
    graph = build.content_graph(sites)
    unified = []
    for component in nx.connected_components(graph):
        members = sorted(n for n in component if n[0] != "name")
        if members:
            unified.append(_unify([(sid, graph.nodes[(sid, name)]["ct"]) for sid, name in members]))
    return sorted(unified, key=lambda u: u.name)


def _unify(cts: Sequence[tuple[str, model.ContentType]]) -> model.UnifiedType:
    """The target type for content types judged the same thing.

    The target takes the most common machine name; its fields are the union
    by name of the types with that name.  Types joined by field signature
    under another name map their fields by name, then by similar name and
    same type, else bring a field of their own.  Fields meeting under one
    target name with different types or cardinalities are conflicts, each
    resolved (see `_resolve`) and said how.
    """
    name_counts = Counter(ct.name for _, ct in cts)
    target_name = sorted(name_counts, key=lambda n: (-name_counts[n], n))[0]
    fields: dict[str, model.Field] = {}
    for _, ct in cts:
        if ct.name == target_name:
            for fld in ct.fields:
                fields.setdefault(fld.name, fld)
    maps: dict[tuple[str, str], dict[str, str]] = {}
    # Same-named sources first: their fields define the target, then the
    # renamed ones map onto it (in site order, so the result is stable).
    for site_id, ct in sorted(cts, key=lambda sc: (sc[1].name != target_name, sc[0], sc[1].name)):
        if ct.name == target_name:
            maps[(site_id, ct.name)] = {f.name: f.name for f in ct.fields}
        else:
            maps[(site_id, ct.name)] = _map_fields(ct.fields, fields)
    uses: dict[str, list[tuple[model.Field, int | None]]] = defaultdict(list)
    for site_id, ct in cts:
        for fld in ct.fields:
            uses[maps[(site_id, ct.name)][fld.name]].append((fld, ct.count))
    conflicts: list[str] = []
    target_fields = []
    for fname in sorted(fields):
        resolved, text = _resolve(fname, uses[fname])
        target_fields.append(resolved)
        conflicts.extend(text)
    target_sig = {f"{f.name}:{f.type}" for f in target_fields}
    sources = [
        model.TypeSource(
            site=site_id,
            type=ct.name,
            field_map=maps[(site_id, ct.name)],
            nodes=ct.count,
            similarity=round(
                build.jaccard(
                    {f"{maps[(site_id, ct.name)][f.name]}:{f.type}" for f in ct.fields},
                    target_sig,
                ),
                2,
            ),
        )
        for site_id, ct in cts
    ]
    label = next((ct.label for _, ct in cts if ct.name == target_name and ct.label), target_name)
    return model.UnifiedType(
        name=target_name, label=label, fields=target_fields, sources=sources, conflicts=conflicts
    )


def _stem(name: str) -> str:
    """A field name without the ``field_`` prefix all fields share."""
    return name.removeprefix("field_")


def _map_fields(source: Sequence[model.Field], target: dict[str, model.Field]) -> dict[str, str]:
    """Source field -> target field for a type merged under another name.

    Adds the fields that match nothing to `target`.  A target field receives
    at most one field of a given source, so two source fields never merge.
    """
    mapping = {f.name: f.name for f in source if f.name in target}
    used = set(mapping)
    for fld in source:
        if fld.name in mapping:
            continue
        scored = sorted(
            (-difflib.SequenceMatcher(None, _stem(fld.name), _stem(t.name)).ratio(), t.name)
            for t in target.values()
            if t.type == fld.type and t.name not in used
        )
        if scored and -scored[0][0] >= FIELD_NAME_SIMILARITY:
            mapping[fld.name] = scored[0][1]
        else:
            target[fld.name] = fld
            mapping[fld.name] = fld.name
        used.add(mapping[fld.name])
    return mapping


def _cardinality(value: int) -> str:
    return "unlimited" if value == -1 else str(value)


def _resolve(
    name: str, uses: Sequence[tuple[model.Field, int | None]]
) -> tuple[model.Field, list[str]]:
    """The target field for every source field mapped to `name`, and the conflicts.

    Type: the one holding most nodes, since converting the most content is
    the most work and risk; on a tie, the broader type (text_long over
    text), into which the other's values fit; then the one more source types
    use.  Cardinality: the largest (unlimited first), because a narrower
    target would drop values, whatever most nodes use.
    """
    nodes: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    for fld, count in uses:
        nodes[fld.type] += count or 0
        sources[fld.type] += 1
    types = sorted(sources)
    chosen = sorted(types, key=lambda t: (-nodes[t], -TYPE_BREADTH.get(t, 0), -sources[t], t))[0]
    conflicts = []
    if len(types) > 1:
        runner_up = sorted(
            (t for t in types if t != chosen),
            key=lambda t: (-nodes[t], -TYPE_BREADTH.get(t, 0), -sources[t], t),
        )[0]
        if nodes[chosen] != nodes[runner_up]:
            why = f"used by most nodes ({nodes[chosen]:,} of {sum(nodes.values()):,} known)"
        elif TYPE_BREADTH.get(chosen, 0) != TYPE_BREADTH.get(runner_up, 0):
            why = "node counts tie, so the broader type"
        elif sources[chosen] != sources[runner_up]:
            why = "node counts tie, so the type more source types use"
        else:
            why = "nothing tells them apart, so the first by name; check it"
        detail = "; ".join(
            f"{t} on {sources[t]} source type(s), {nodes[t]:,} node(s)" for t in types
        )
        conflicts.append(f"{name}: field types differ ({detail}); target uses {chosen}: {why}")
    cards = sorted({fld.cardinality for fld, _ in uses}, key=lambda c: (c != -1, -c))
    if len(cards) > 1:
        shown = ", ".join(_cardinality(c) for c in sorted(cards, key=lambda c: (c == -1, c)))
        conflicts.append(
            f"{name}: cardinality differs ({shown}); target uses {_cardinality(cards[0])} "
            "so no values are dropped"
        )
    base = next(fld for fld, _ in uses if fld.type == chosen)
    return model.replace(base, name=name, cardinality=cards[0]), conflicts


# -------------------------------------------------------------- groups, waves


def _groups(sites: Sequence[model.Site]) -> list[model.Group]:
    """Consolidation groups with the features their sites share and do not."""
    groups = []
    by_id = {s.id: s for s in sites}
    for index, members in enumerate(build.consolidation_groups(sites), start=1):
        feats = {sid: build.site_features(by_id[sid]) for sid in members}
        shared = set.intersection(*feats.values()) if len(members) > 1 else set()
        unique = {sid: sorted(f - shared) for sid, f in feats.items()} if len(members) > 1 else {}
        groups.append(model.Group(index=index, sites=members, shared=sorted(shared), unique=unique))
    return groups


def _wave_order(
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


def _count_once(
    findings: Sequence[model.Finding], ordered: Sequence[model.Group], names: dict[str, str]
) -> tuple[list[model.EffortItem], list[str]]:
    """One effort item per finding, in wave order, with what it adds to the plan.

    The target installs and configures a module once, whatever number of
    sites used it, so a module finding repeated on several sites counts on
    the first site in wave order (then site order within the wave) and
    counts zero on the others, with a note naming where it was counted.
    """
    position = {sid: (w, k) for w, g in enumerate(ordered, 1) for k, sid in enumerate(g.sites)}
    ordered_findings = sorted(
        findings,
        key=lambda f: (position[f.site], f.rule, f.subject.kind, f.subject.name, f.message),
    )
    first: dict[tuple[str, str], model.Finding] = {}
    repeats: Counter[tuple[str, str]] = Counter()
    for finding in ordered_findings:
        if _shared(finding):
            key = (finding.rule, finding.subject.name)
            if key in first:
                repeats[key] += 1
            else:
                first[key] = finding
    items = []
    for finding in ordered_findings:
        wave = position[finding.site][0]
        counted = finding.effort_hours
        note = ""
        if _shared(finding):
            key = (finding.rule, finding.subject.name)
            origin = first[key]
            if origin is not finding:
                counted = model.Effort()
                note = (
                    f"{UNCOUNTED_PREFIX}{names.get(origin.site, origin.site)} "
                    f"(wave {position[origin.site][0]})"
                )
            elif repeats[key]:
                note = f"counted here once for {repeats[key] + 1} sites"
        items.append(
            model.EffortItem(
                rule=finding.rule,
                site=finding.site,
                subject=finding.subject.name,
                wave=wave,
                effort_hours=finding.effort_hours,
                counted_hours=counted,
                note=note,
            )
        )
    notes = []
    shared = sum(repeats.values())
    if shared:
        notes.append(
            f"{shared} module finding(s) repeat work on more than one site; the target "
            "installs each module once, so each is counted once, on the first site in "
            "wave order that needs it. A wave's finding count covers the findings whose "
            "hours count in it."
        )
    return items, notes


def _shared(finding: model.Finding) -> bool:
    """Whether the finding is module work the target does once for all sites."""
    return finding.rule.startswith(SHARED_RULE_PREFIX) and finding.subject.kind == "module"


@dataclass(slots=True)
class _Introduced:
    """Where each module and content type first came to the target."""

    modules: dict[str, int]
    types: dict[str, int]


def _waves(
    by_id: dict[str, model.Site],
    names: dict[str, str],
    ordered: Sequence[model.Group],
    dep_graph: nx.DiGraph,
    content_model: Sequence[model.UnifiedType],
    items: Sequence[model.EffortItem],
    per_site: dict[str, _Hours],
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
    introduced = _Introduced(modules={}, types={})
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
        rationale = _rationale(index, needed, types, introduced, dep_graph)
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
        hours = _Hours()
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


def _listed(names: Sequence[str], limit: int = 5) -> str:
    """``a, b, c`` with a ``+N more`` tail, for sentences."""
    shown = ", ".join(names[:limit])
    return shown + (f", +{len(names) - limit} more" if len(names) > limit else "")


def _rationale(
    index: int,
    needed: set[str],
    types: set[str],
    introduced: _Introduced,
    dep_graph: nx.DiGraph,
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
        parts.append(f"{len(reused_mods)} module(s) ({_listed(reused_mods)})")
    if reused_types:
        parts.append(f"{len(reused_types)} content type(s) ({_listed(reused_types)})")
    sources = sorted(
        {introduced.modules[m] for m in reused_mods} | {introduced.types[t] for t in reused_types}
    )
    origin = _listed([str(i) for i in sources], limit=8)
    return f"{head} Reuses {' and '.join(parts)} already introduced by wave(s) {origin}."


# ------------------------------------------------------------ issues, risks


def _dependency_issues(
    sites: Sequence[model.Site], graphs: dict[str, nx.DiGraph]
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


def _risks(sites: Sequence[model.Site], findings: Sequence[model.Finding]) -> list[model.Risk]:
    """Risks and assumptions to state, worst first (blocker, high, medium, low, info)."""
    names = {s.id: s.name or s.source for s in sites}
    risks = []
    for f in findings:
        if f.severity == "blocker":
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
    custom = _custom_code_risk(sites, names)
    if custom:
        risks.append(custom)
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
    # sorted() is stable: within one severity the order above stays.
    return sorted(risks, key=lambda r: _SEVERITY_RANK.get(r.severity, len(_SEVERITY_RANK)))


def _custom_code_risk(sites: Sequence[model.Site], names: dict[str, str]) -> model.Risk | None:
    """The custom-code volume risk, attributed only to sites whose code was measured.

    A crawled site may show a custom module's name in its asset paths, but
    not its code: it gets a mention, never a share of the line count.
    """
    lines: dict[str, int] = {}
    unmeasured: list[str] = []
    for site in sites:
        custom = [m for m in site.modules if m.type == "custom" and m.enabled is not False]
        measured = [m for m in custom if m.code is not None]
        if measured:
            lines[site.id] = sum(m.code.php_lines for m in measured if m.code)
        if len(measured) < len(custom):
            unmeasured.append(site.id)
    lines = {sid: n for sid, n in lines.items() if n}
    total = sum(lines.values())
    if not total:
        return None
    detail = "; ".join(f"{names[sid]}: {n:,} lines" for sid, n in sorted(lines.items()))
    detail += (
        ". Rewrite estimates scale with code size; hidden business rules in custom code "
        "are the usual source of overruns."
    )
    if unmeasured:
        detail += (
            " Custom code not measured (seen from outside): "
            + ", ".join(names[sid] for sid in unmeasured)
            + "."
        )
    return model.Risk(
        severity="high" if total > 5000 else "medium",
        title=f"{total:,} lines of custom PHP to rewrite",
        detail=detail,
        sites=sorted(lines),
    )


def _where(site: str, subject: str) -> str:
    """'site: subject', or just the site when the finding is about the site itself."""
    return site if subject == site else f"{site}: {subject}"


# ------------------------------------------------------------------ redirects


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
            path = urlsplit(page.url).path
            target = path if site.kind.startswith("drupal") else "/legacy" + path
        out.append({"site": site.id, "old_url": page.url, "template": template, "target": target})
    return out
