"""The target site's modules: what happens to each module any source site runs.

The merged dependency graph gives the order; each module's action comes
from its knowledge-base status and the Drupal majors its releases support.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import networkx as nx

from drupalscan.graph import build
from drupalscan.inventory import model
from drupalscan.kb import KnowledgeBase

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


def union(items: Iterable[str]) -> list[str]:
    """Sorted distinct names: the target has one of each, whatever site had it."""
    return sorted(set(items))


def shown(graph: nx.DiGraph[str], u: str, v: str) -> bool:
    """Edges worth drawing: those touching a non-core module."""
    return bool(graph.nodes[u].get("type") != "core" or graph.nodes[v].get("type") != "core")


def target_modules(
    sites: Sequence[model.Site], graph: nx.DiGraph[str], kb: KnowledgeBase
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
        action, majors, reason = module_role(mod, kb)
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


def majors_text(majors: Sequence[int]) -> str:
    return "/".join(str(m) for m in majors)


def module_role(mod: model.Module, kb: KnowledgeBase) -> tuple[str, list[int], str]:
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
            role = f"{mod.replacement} has releases for Drupal {majors_text(majors)}"
    elif mod.status == "has_release":
        current = [m for m in majors if m in CURRENT_MAJORS]
        core = kb.core_module(mod.name) if mod.type != "contrib" else None
        if current and core is not None and core.removed_in:
            # Core modules moved out (book, forum): core up to a major, then contrib.
            role = (
                f"in Drupal core for {majors_text(majors)}, a contrib project "
                f"from {core.removed_in}"
            )
        elif current:
            role = f"release for Drupal {majors_text(current)}"
        elif core is not None and majors:
            action = "review"
            role = (
                f"in Drupal core for {majors_text(majors)} only, then moved to contrib; "
                "check a 10/11 release of the contrib project"
            )
        elif majors:
            action = "review"
            role = f"release for Drupal {majors_text(majors)} only; check a 10/11 port"
        else:
            action = "review"
            role = "no Drupal 8+ release on record; check a 10/11 port"
    reason = "; ".join(r for r in (role, mod.source) if r)
    return action, majors, reason


# ------------------------------------------------------------ content model
