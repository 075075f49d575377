"""Inventory a local Drupal site: codebase first, then its database or drush output.

Each stage is committed to the store as soon as it is whole, so a scan killed
during the (slow) database read keeps its codebase inventory, and the next
run redoes only what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drupalscan.collect.codebase import CodebaseFacts, scan_codebase
from drupalscan.collect.database import DatabaseFacts, ExtensionState, read_database
from drupalscan.collect.drush import drush_status, is_status_file, read_drush
from drupalscan.inventory import model
from drupalscan.inventory.store import Store

OPTIONAL_TABLES = frozenset(
    {"languages", "views_view", "webform", "menu_custom", "url_alias", "comment", "file_managed"}
)
"""Tables of optional modules; their absence is normal, not worth a warning."""


def scan_local(
    path: str | Path,
    store: Store,
    *,
    db: str | None = None,
    db_prefix: str = "",
    drush: str | list[str] | None = None,
    site_dir: str = "sites/default",
    kb: Any,
    annotate: Any,
) -> model.Site:
    """Scan a docroot (and optionally its database) into one stored Site.

    ``annotate`` is the function that copies knowledge-base verdicts onto the
    modules (passed in so that collect does not import the rules stage).
    """
    code = scan_codebase(path, site_dir=site_dir, kb=kb)
    source = str(code.docroot.path)
    if site_dir != "sites/default":
        source = f"{source}#{site_dir}"
    site = _from_codebase(code, source)
    store.put_site(annotate(site, kb))
    for path in [drush] if isinstance(drush, str) else drush or []:
        if is_status_file(path):
            site = _apply_status(site, drush_status(path))
        else:
            site = _apply_states(site, read_drush(path), "drush")
        if "drush" not in site.collected:
            site = model.replace(site, collected=[*site.collected, "drush"])
        store.put_site(annotate(site, kb))
    if db:
        facts = read_database(db, prefix=db_prefix)
        site = _apply_database(site, facts)
        store.put_site(annotate(site, kb))
    return annotate(site, kb)


def _from_codebase(code: CodebaseFacts, source: str) -> model.Site:
    return model.Site(
        id=model.site_id(source),
        source=source,
        origin="docroot",
        name=Path(source.split("#")[0]).name,
        kind=code.docroot.kind,
        core_version=code.docroot.core_version,
        core_candidates=[code.docroot.core_version] if code.docroot.core_version else [],
        kind_evidence=code.docroot.evidence,
        modules=code.modules,
        themes=code.themes,
        multisite=code.multisite,
        settings={"profiles": code.profiles},
        warnings=code.warnings,
        collected=["codebase"],
    )


def _apply_states(site: model.Site, states: dict[str, ExtensionState], origin: str) -> model.Site:
    """Set enabled/schema state; note extensions the source knows but disk lacks."""
    warnings = list(site.warnings)
    modules = []
    for mod in site.modules:
        state = states.get(mod.name)
        if state is None or state.type not in ("module", "profile"):
            modules.append(model.replace(mod, enabled=False if states else mod.enabled))
            continue
        modules.append(
            model.replace(mod, enabled=state.enabled, schema_version=state.schema_version)
        )
    on_disk = {m.name for m in site.modules} | {t.name for t in site.themes}
    for name, state in sorted(states.items()):
        if state.enabled and name not in on_disk and state.type in ("module", "theme"):
            warnings.append(
                f"{state.type} {name} is enabled according to the {origin} but missing on disk"
            )
            if state.type == "module":
                modules.append(
                    model.Module(
                        name=name,
                        label=state.label or name,
                        project=state.project,
                        version=state.version,
                        enabled=True,
                        schema_version=state.schema_version,
                        path=str(Path(state.filename).parent) if state.filename else "",
                        dependencies=list(state.dependencies),
                    )
                )
    themes = []
    for theme in site.themes:
        state = states.get(theme.name)
        enabled = state.enabled if state is not None and state.type == "theme" else None
        if enabled is None and states:
            enabled = False
        themes.append(model.replace(theme, enabled=enabled))
    return model.replace(site, modules=modules, themes=themes, warnings=warnings)


def _apply_status(site: model.Site, status: dict[str, Any]) -> model.Site:
    """Take what `drush status` adds: the bootstrapped core version and site name.

    The codebase's own version string wins when the two disagree, and the
    difference is noted: a docroot copied after an update shows it.
    """
    version = str(status.get("drupal-version") or "") or None
    warnings = list(site.warnings)
    evidence = list(site.kind_evidence)
    if version:
        evidence.append(model.Evidence(kind="drush", detail=f"drupal-version {version}"))
        if site.core_version and site.core_version != version:
            warnings.append(
                f"drush status reports Drupal {version}, the codebase {site.core_version}"
            )
    name = str(status.get("site-name") or status.get("site") or "")
    return model.replace(
        site,
        core_version=site.core_version or version,
        kind_evidence=evidence,
        name=site.name if "database" in site.collected else (name or site.name),
        warnings=warnings,
    )


def _apply_database(site: model.Site, facts: DatabaseFacts) -> model.Site:
    site = _apply_states(site, facts.extensions, "database")
    default_theme = str(facts.settings.get("theme_default", ""))
    themes = [model.replace(t, default=t.name == default_theme) for t in site.themes]
    settings = dict(site.settings)
    settings.update(facts.settings)
    settings["php_filter"] = facts.php_filter
    settings["languages"] = facts.languages
    settings["menus"] = facts.menus
    settings["roles"] = facts.roles
    if facts.views is not None:
        settings["views"] = facts.views
    if facts.webforms is not None:
        settings["webforms"] = facts.webforms
    warnings = list(site.warnings) + list(facts.warnings)
    essential = [t for t in facts.missing_tables if t not in OPTIONAL_TABLES]
    if essential:
        warnings.append("database tables not present: " + ", ".join(essential))
    name = str(facts.settings.get("site_name") or site.name)
    return model.replace(
        site,
        name=name,
        themes=themes,
        content_types=facts.content_types,
        vocabularies=facts.vocabularies,
        counts=dict(facts.counts),
        settings=settings,
        text_formats=facts.text_formats,
        warnings=warnings,
        collected=[*site.collected, "database"],
    )
