"""Named Python predicates, for conditions the ``[match]`` language cannot say.

A predicate is pure: it takes the subject's facts, the subject object, its
site, the rule's settings and the knowledge base, and returns evidence lines.
An empty list means the rule does not fire.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drupalscan.inventory import model
from drupalscan.rules.facts import core_patch_files

Predicate = Callable[[dict[str, Any], Any, model.Site, dict[str, Any], Any], list[str]]
PREDICATES: dict[str, Predicate] = {}


def predicate(name: str) -> Callable[[Predicate], Predicate]:
    """Register a predicate under the name rule files use."""

    def register(func: Predicate) -> Predicate:
        PREDICATES[name] = func
        return func

    return register


@predicate("fields_without_migration_path")
def fields_without_migration_path(
    facts: dict[str, Any],
    ct: model.ContentType,
    site: model.Site,
    settings: dict[str, Any],
    kb: Any,
) -> list[str]:
    """Fields whose type or providing module has no automatic Drupal 8+ migration.

    Field types listed in the rule's ``no_path_types`` setting are flagged
    outright; otherwise the providing module's knowledge-base verdict decides
    (no release, unknown, or obsolete without a replacement).
    """
    no_path_types = set(settings.get("no_path_types", []))
    bad_status = set(settings.get("bad_status", ["no_release", "unknown"]))
    # Obsolete is fine when something replaces it; obsolete with nothing is a dead end.
    evidence = []
    for fld in ct.fields:
        if fld.type in no_path_types:
            evidence.append(f"{fld.name} ({fld.type}, module {fld.module or '?'})")
            continue
        if not fld.module or kb.is_core(fld.module):
            continue
        verdict = kb.verdict(fld.module)
        dead_end = verdict.status == "obsolete" and not verdict.replacement
        if verdict.status in bad_status or dead_end:
            evidence.append(
                f"{fld.name} ({fld.type}, module {fld.module}: {verdict.status.replace('_', ' ')})"
            )
    return evidence


@predicate("core_patches")
def core_patches(
    facts: dict[str, Any],
    obj: model.Site,
    site: model.Site,
    settings: dict[str, Any],
    kb: Any,
) -> list[str]:
    """The patch files applied to Drupal core, one evidence line each; [] if none.

    A predicate rather than a match so the evidence is the files themselves
    (the local scanner attaches root-level PATCHES.txt and *.patch to the
    ``system`` module), not the site's address.
    """
    return core_patch_files(site, kb)
