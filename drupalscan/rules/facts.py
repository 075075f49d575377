"""Flatten inventory entities into the plain facts rules match against.

Rules never see dataclasses: each subject becomes a dict of named facts
(`status`, `kloc`, `count`, ...), which keeps the ``[match]`` language tiny
and lets a rule's message template name any fact.  The subject object and its
site travel alongside for predicates and evidence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from drupalscan.collect.features import GROUP_LABELS, component_group
from drupalscan.collect.patches import issue_number
from drupalscan.config import TARGET_CORE
from drupalscan.inventory import model
from drupalscan.rules.matchers import version_key

KIND_LABELS = {
    "drupal6": "Drupal 6",
    "drupal7": "Drupal 7",
    "drupal8+": "Drupal 8 or later",
    "drupal": "Drupal, major version unknown",
    "wordpress": "WordPress",
    "joomla": "Joomla",
    "sharepoint": "SharePoint",
    "static": "static HTML pages",
    "other": "another CMS or framework",
    "unknown": "not determined",
}
"""Human wording of ``Site.kind`` for messages ("runs static" read oddly)."""

WHY_OUTSIDE = "seen only in the site's pages"
WHY_NAME_ONLY = "only its name is known, from the database or drush"


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """One thing a rule can fire on."""

    kind: str
    name: str
    facts: dict[str, Any]
    evidence: list[str]
    obj: Any


def site_facts(site: model.Site, kb: Any) -> dict[str, Any]:
    """Facts about a whole site."""
    major = None
    behind = 0
    latest = None
    if site.core_version and site.core_version[:1] in ("6", "7"):
        major = int(site.core_version[:1])
        latest = kb.latest_core(major)
        releases = kb.core_releases(major)
        if latest and version_key(site.core_version) < version_key(latest):
            behind = sum(
                1
                for r in releases
                if version_key(site.core_version) < version_key(r) <= version_key(latest)
            )
    php = site.settings.get("php_filter", {}) if isinstance(site.settings, dict) else {}
    nodes = site.counts.get("nodes")
    if nodes is None and site.content_types:
        nodes = sum(ct.count or 0 for ct in site.content_types)
    core_patches = core_patch_files(site, kb)
    return {
        "name": site.name or site.source,
        "source": site.source,
        "kind": site.kind,
        "kind_label": KIND_LABELS.get(site.kind, site.kind),
        "origin": site.origin,
        # None when the kind could not be told: neither Drupal nor "not Drupal".
        "is_drupal": None if site.kind == "unknown" else site.kind.startswith("drupal"),
        "core_version": site.core_version,
        "version_label": site.core_version or "version not seen",
        "core_major": major,
        "core_latest": latest,
        "core_behind": behind,
        "multisite_count": len([m for m in site.multisite if m.startswith("sites/")]),
        "multisite": ", ".join(site.multisite),
        "nodes": nodes,
        "pages": site.pages,
        "php_filter_enabled": bool(php.get("module_enabled")),
        "php_state": "enabled" if php.get("module_enabled") else "disabled",
        "php_formats": ", ".join(php.get("formats", [])),
        "php_nodes": int(php.get("nodes_using", 0) or 0),
        "content_types": len(site.content_types),
        "vocabularies": len(site.vocabularies),
        "plugins": len([m for m in site.modules if m.type == "plugin"]),
        # In the tree (or declared) with no database or drush output to say
        # whether they run: the estimate has to count them all.
        "enablement_unknown": len(
            [
                m
                for m in site.modules
                if m.enabled is None
                and m.type not in ("core", "plugin")
                and (m.path or m.declared_in)
            ]
        ),
        "templates": len(site.templates),
        "core_patches": len(core_patches),
        "core_patch_files": ", ".join(core_patches),
    }


def core_patch_files(site: model.Site, kb: Any) -> list[str]:
    """Patch files attached to Drupal core's own modules (the scanner puts
    root-level PATCHES.txt and *.patch on ``system``), in path order.

    A module counts as core when collected as such or, before annotation,
    when the knowledge base knows it as a Drupal 7 core module.
    """
    files: set[str] = set()
    for mod in site.modules:
        is_core = mod.type == "core" or (
            mod.type == "unknown" and kb is not None and kb.is_core(mod.name)
        )
        if is_core:
            files.update(mod.patches)
    return sorted(files)


def subjects(
    applies_to: str, site: model.Site, kb: Any, target: int = TARGET_CORE
) -> Iterator[SubjectFacts]:
    """Every subject of one kind in a site, with its facts.

    ``target`` is the Drupal major the new site runs: whether a module's
    release is an answer depends on it.
    """
    if applies_to == "site":
        facts = site_facts(site, kb)
        yield SubjectFacts("site", facts["name"], facts, [], site)
    elif applies_to == "module":
        for mod in site.modules:
            yield SubjectFacts("module", mod.name, module_facts(mod, target), [], mod)
    elif applies_to == "theme":
        for theme in site.themes:
            yield SubjectFacts("theme", theme.name, theme_facts(theme, site, target), [], theme)
    elif applies_to == "content_type":
        for ct in site.content_types:
            yield SubjectFacts("content_type", ct.name, content_type_facts(ct), [], ct)
    elif applies_to == "api_use":
        yield from api_use_subjects(site, kb)
    elif applies_to == "export":
        yield from export_subjects(site)


def module_facts(mod: model.Module, target: int = TARGET_CORE) -> dict[str, Any]:
    """Facts about one module, ``target`` being the Drupal major of the new site."""
    code = mod.code or model.CodeFacts()
    outside = bool(mod.evidence) and not mod.path
    # php_lines too, so a record with lines but no file count is not "unseen";
    # a Features export whose every file Features wrote was seen all the same.
    code_known = code.php_files > 0 or code.php_lines > 0 or code.generated_files > 0
    if outside:
        why = WHY_OUTSIDE
    elif mod.path:
        why = f"no PHP files found in {mod.path}"
    else:
        why = WHY_NAME_ONLY
    return {
        "name": mod.name,
        "label": mod.label or mod.name,
        "project": mod.project or mod.name,
        "type": mod.type,
        "status": mod.status,
        "enabled": mod.enabled,
        "version": mod.version,
        "replacement": mod.replacement or "",
        "status_source": mod.source,
        "target_core": target,
        # A release is an answer only if it runs on the target's major; a
        # Drupal 8-only port does not install on 10 or 11.
        "release_for_target": target in mod.d8_majors,
        "release": mod.release or "none known",
        "release_majors": ", ".join(str(m) for m in sorted(mod.d8_majors)) or "none known",
        "path": mod.path or _elsewhere(mod),
        "declared_in": ", ".join(mod.declared_in),
        "patches": len(mod.patches),
        "patch_files": ", ".join(mod.patches),
        "patch_issues": ", ".join(
            f"#{n}" for n in dict.fromkeys(i for i in map(issue_number, mod.patches) if i)
        )
        or "none named",
        "copies": 1 + len(mod.other_paths),
        "other_paths": ", ".join(mod.other_paths),
        "php_files": code.php_files,
        "php_lines": code.php_lines,
        "kloc": round(code.php_lines / 1000, 2),
        "hooks": len(code.hooks),
        "api_uses": len(code.api_uses),
        "functions": code.functions,
        # A Features export is configuration; only its hand-written PHP
        # (functions beyond what Features generated) is code to port.
        "is_feature": bool(mod.features),
        "exported_items": sum(len(items) for items in mod.features.values()),
        "generated_lines": code.generated_lines,
        "seen_from_outside": outside,
        # False when the code was not there to measure: seen from outside, or
        # a docroot copy holding only .info files. Size-based estimates need it.
        "code_known": code_known,
        "why": "" if code_known else why,
    }


def _elsewhere(ext: model.Module | model.Theme) -> str:
    """Where a module without a path was seen: declared by a build file, or from outside."""
    if ext.declared_in:
        return f"(declared in {', '.join(ext.declared_in)}, not in the tree scanned)"
    return "(seen from outside)"


def theme_facts(theme: model.Theme, site: model.Site, target: int = TARGET_CORE) -> dict[str, Any]:
    """Facts about one theme, ``target`` being the Drupal major of the new site."""
    code = theme.code or model.CodeFacts()
    outside = bool(theme.evidence) and not theme.path
    code_known = len(code.templates) > 0 or code.php_lines > 0
    if outside:
        why = WHY_OUTSIDE
    elif theme.path:
        why = f"no templates or PHP found in {theme.path}"
    else:
        why = WHY_NAME_ONLY
    return {
        "name": theme.name,
        "label": theme.label or theme.name,
        "type": theme.type,
        "enabled": theme.enabled,
        "default": theme.default or site.settings.get("theme_default") == theme.name,
        "engine": theme.engine,
        "base_theme": theme.base_theme or "",
        "status": theme.status,
        "status_source": theme.source,
        "target_core": target,
        "release_for_target": target in theme.d8_majors,
        "release": theme.release or "none known",
        "release_majors": ", ".join(str(m) for m in sorted(theme.d8_majors)) or "none known",
        "path": theme.path or _elsewhere(theme),
        "templates": len(code.templates),
        "seen_from_outside": outside,
        "php_lines": code.php_lines,
        "kloc": round(code.php_lines / 1000, 2),
        "code_known": code_known,
        "why": "" if code_known else why,
    }


def content_type_facts(ct: model.ContentType) -> dict[str, Any]:
    """Facts about one content type."""
    return {
        "name": ct.name,
        "label": ct.label or ct.name,
        "count": ct.count,
        "fields": len(ct.fields),
        "field_types": sorted({f.type for f in ct.fields}),
        "field_modules": sorted({f.module for f in ct.fields if f.module}),
    }


def api_use_subjects(site: model.Site, kb: Any) -> Iterator[SubjectFacts]:
    """One subject per (custom extension, changed API symbol), with file:line evidence."""
    entries = {e.symbol: e for e in kb.api_entries()}
    extensions: list[model.Module | model.Theme] = [*site.modules, *site.themes]
    for ext in extensions:
        # A disabled extension is not migrated, so its code is not rewritten.
        if ext.code is None or ext.enabled is False:
            continue
        by_symbol: dict[str, list[model.ApiUse]] = {}
        for use in ext.code.api_uses:
            by_symbol.setdefault(use.symbol, []).append(use)
        for symbol, uses in sorted(by_symbol.items()):
            facts = api_use_facts(symbol, ext.name, len(uses), entries.get(symbol))
            evidence = [f"{u.file}:{u.line}" for u in uses]
            yield SubjectFacts("code", f"{ext.name}: {symbol}", facts, evidence, ext)


def api_use_facts(symbol: str, extension: str, uses: int, entry: Any) -> dict[str, Any]:
    """Facts about one changed API symbol used in one extension."""
    return {
        "name": symbol,
        "symbol": symbol,
        "extension": extension,
        "uses": uses,
        "api_severity": entry.severity if entry else "medium",
        "replacement": entry.replacement if entry else "",
        "change_record": entry.change_record if entry else "",
    }


def export_subjects(site: model.Site) -> Iterator[SubjectFacts]:
    """One subject per (Features module, kind of work on what it exports).

    A feature exporting eight views and a content type is two pieces of
    work: rebuild eight views, check one migrated content type.  Disabled
    features are not migrated, so their exports are no work.
    """
    for mod in site.modules:
        if not mod.features or mod.enabled is False:
            continue
        groups: dict[str, dict[str, list[str]]] = {}
        for component, items in sorted(mod.features.items()):
            groups.setdefault(component_group(component), {})[component] = items
        for group, components in sorted(groups.items()):
            facts = export_facts(mod, group, components)
            where = f"{mod.path}/{mod.name}.info" if mod.path else f"{mod.name}.info"
            evidence = [
                f"{where}: features[{component}][] x {len(items)}"
                for component, items in components.items()
            ]
            yield SubjectFacts("export", facts["name"], facts, evidence, mod)


def export_facts(mod: model.Module, group: str, components: dict[str, list[str]]) -> dict[str, Any]:
    """Facts about one kind of export of one Features module."""
    items = [item for names in components.values() for item in names]
    shown = ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")
    return {
        "name": f"{mod.name}: {GROUP_LABELS[group]}",
        "feature": mod.name,
        "label": mod.label or mod.name,
        "group": group,
        "what": GROUP_LABELS[group],
        "components": ", ".join(components),
        "items": len(items),
        "item_names": shown,
        "enabled": mod.enabled,
        "path": mod.path,
    }


def fact_names(applies_to: str) -> set[str]:
    """The fact names a rule of this kind may use in messages and matches.

    Derived from the real fact builders on empty entities, so the list cannot
    drift from what the engine actually provides.
    """
    blank = model.Site(id="", source="", origin="")
    if applies_to == "site":
        return set(site_facts(blank, None))
    if applies_to == "module":
        return set(module_facts(model.Module(name="")))
    if applies_to == "theme":
        return set(theme_facts(model.Theme(name=""), blank))
    if applies_to == "content_type":
        return set(content_type_facts(model.ContentType(name="")))
    if applies_to == "api_use":
        return set(api_use_facts("", "", 0, None))
    if applies_to == "export":
        return set(export_facts(model.Module(name=""), "views", {}))
    return set()
