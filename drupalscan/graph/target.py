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

``has_release`` becomes ``contrib`` only when a release supports the target's
Drupal major (`Settings.target_core`); otherwise the module is flagged for
``review``: a Drupal 8 port does not install on Drupal 11.
"""


def union(items: Iterable[str]) -> list[str]:
    """Sorted distinct names: the target has one of each, whatever site had it."""
    return sorted(set(items))


def shown(graph: nx.DiGraph[str], u: str, v: str) -> bool:
    """Edges worth drawing: those touching a non-core module."""
    return bool(graph.nodes[u].get("type") != "core" or graph.nodes[v].get("type") != "core")


def target_modules(
    sites: Sequence[model.Site], graph: nx.DiGraph[str], kb: KnowledgeBase, core: int
) -> list[model.TargetModule]:
    """Every running module of every site with its action on a Drupal ``core`` target."""
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
        action, majors, reason = module_role(mod, kb, core)
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


def module_role(mod: model.Module, kb: KnowledgeBase, core: int) -> tuple[str, list[int], str]:
    """(action, Drupal majors with a release, reason) of one module on a Drupal ``core`` target.

    The action follows the module's status, except that "has a release" only
    means `contrib` when a release runs on the target's major: a module whose
    only port is for Drupal 8 (end of life since 2021) needs a look first.
    For a replaced module the majors are its replacement's, which is what
    the target installs.
    """
    verdict = kb.verdict(mod.name, mod.project, mod.type)
    # For a module core absorbed, a same-named contrib project's releases
    # (ckeditor's CKEditor 4 package) are not what the target runs.
    majors = [] if mod.status == "in_core" else sorted(verdict.d8_majors)
    action = ACTIONS.get(mod.status, "review")
    role = ""
    if mod.status == "replaced" and mod.replacement:
        successor = kb.verdict(mod.replacement, None, "contrib")
        if successor.d8_majors:
            majors = sorted(successor.d8_majors)
            role = f"{mod.replacement} has releases for Drupal {majors_text(majors)}"
            if core not in majors:
                role += f", none for Drupal {core} on record"
    elif mod.status == "has_release":
        core_module = kb.core_module(mod.name) if mod.type != "contrib" else None
        if core in majors and core_module is not None and core_module.removed_in:
            # Core modules moved out (book, forum): core up to a major, then contrib.
            role = (
                f"in Drupal core for {majors_text(majors)}, a contrib project "
                f"from {core_module.removed_in}"
            )
        elif core in majors:
            role = f"release for Drupal {core}" + (
                f" (newest known {verdict.release})" if verdict.release else ""
            )
        elif core_module is not None and majors:
            action = "review"
            role = (
                f"in Drupal core for {majors_text(majors)} only, then moved to contrib; "
                f"check a Drupal {core} release of the contrib project"
            )
        elif majors:
            action = "review"
            role = (
                f"release for Drupal {majors_text(majors)} only; "
                f"port it, replace it or check for a Drupal {core} release"
            )
        else:
            action = "review"
            role = f"no release with a stated Drupal major on record; check a Drupal {core} release"
    reason = "; ".join(r for r in (role, mod.source) if r)
    return action, majors, reason


# ------------------------------------------------------------ content model
