"""Inventory a local Drupal site: codebase first, then its database or drush output.

Each stage is committed to the store as soon as it is whole, so a scan killed
during the (slow) database read keeps its codebase inventory, and the next
run redoes only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from drupalscan.collect.codebase import CodebaseFacts, for_profile, scan_codebase
from drupalscan.collect.database import DatabaseFacts, ExtensionState, read_database
from drupalscan.collect.docroot import DOCROOT_CANDIDATES
from drupalscan.collect.drush import drush_status, is_status_file, read_drush
from drupalscan.inventory import model
from drupalscan.inventory.store import Store

OPTIONAL_TABLES = frozenset(
    {
        "comment",
        "field_collection_item",
        "file_managed",
        "languages",
        "menu_custom",
        "url_alias",
        "views_view",
        "webform",
    }
)
"""Tables of optional modules; their absence is normal, not worth a warning."""

GENERIC_DOCROOT_NAMES = frozenset(DOCROOT_CANDIDATES)
"""Docroot folder names that say nothing about the site (``/srv/comms/docroot``)."""

_Step = Callable[[model.Site], model.Site]


def scan_local(
    path: str | Path,
    store: Store,
    *,
    db: str | None = None,
    db_prefix: str = "",
    drush: str | Sequence[str] | None = None,
    site_dir: str = "",
    kb: Any,
    annotate: Any,
) -> model.Site:
    """Scan a docroot (and optionally its database) into one stored Site.

    ``site_dir`` is a ``sites/*`` directory, host name or sites.php alias (see
    `drupalscan.collect.sitesdir.resolve_site_dir`); "" is sites/default.  ``annotate`` is the
    function that copies knowledge-base verdicts onto the modules (passed in
    so that collect does not import the rules stage).

    The install profile decides which ``profiles/*/modules`` Drupal searches,
    and only drush status or the database names it; when one names another
    profile than the codebase pass assumed, the extension list is resolved
    again and the drush stages replayed on it before the database is applied.
    """

    def finish(site: model.Site) -> model.Site:
        annotated: model.Site = annotate(site, kb)
        return annotated

    code = scan_codebase(path, site_dir=site_dir or "sites/default", kb=kb)
    source = str(code.docroot.path)
    if code.site_dir != "sites/default":
        source = f"{source}#{code.site_dir}"
    site = _from_codebase(code, source)
    store.put_site(finish(site))
    steps: list[_Step] = []
    profile: str | None = None
    for drush_file in [drush] if isinstance(drush, str) else drush or []:
        step, named = _drush_step(drush_file)
        profile = named or profile
        steps.append(step)
        site = step(site)
        store.put_site(finish(site))
    if profile and profile != code.profile:
        code = for_profile(code, profile, kb=kb)
        site = _replay(code, source, steps)
        store.put_site(finish(site))
    if db:
        facts = read_database(db, prefix=db_prefix)
        installed = facts.settings.get("install_profile")
        if isinstance(installed, str) and installed and installed != code.profile:
            code = for_profile(code, installed, kb=kb)
            site = _replay(code, source, steps)
        site = _apply_database(site, facts)
        store.put_site(finish(site))
    return finish(site)


def _drush_step(path: str) -> tuple[_Step, str | None]:
    """The change one drush file makes, and the install profile it names, if any."""
    if is_status_file(path):
        status = drush_status(path)
        named = str(status.get("install-profile") or "") or None

        def apply(site: model.Site) -> model.Site:
            return _mark(_apply_status(site, status), "drush")

        return apply, named
    states = read_drush(path)

    def apply_states(site: model.Site) -> model.Site:
        return _mark(_apply_states(site, states, "drush"), "drush")

    return apply_states, None


def _mark(site: model.Site, stage: str) -> model.Site:
    if stage in site.collected:
        return site
    marked: model.Site = model.replace(site, collected=[*site.collected, stage])
    return marked


def _replay(code: CodebaseFacts, source: str, steps: list[_Step]) -> model.Site:
    """The site rebuilt from a re-resolved codebase with the drush stages redone."""
    site = _from_codebase(code, source)
    for step in steps:
        site = step(site)
    return site


def site_name(docroot: Path, site_dir: str) -> str:
    """What to call a site before its database names it.

    A multisite site is called after its ``sites/*`` directory (usually its
    host name); otherwise the docroot's folder, unless that is a generic
    ``docroot``/``web``/... folder, where the project folder above says more.
    """
    if site_dir != "sites/default":
        return site_dir.removeprefix("sites/")
    if docroot.name in GENERIC_DOCROOT_NAMES and docroot.parent.name:
        return docroot.parent.name
    return docroot.name


def _from_codebase(code: CodebaseFacts, source: str) -> model.Site:
    return model.Site(
        id=model.site_id(source),
        source=source,
        origin="docroot",
        name=site_name(code.docroot.path, code.site_dir),
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
    updated: model.Site = model.replace(site, modules=modules, themes=themes, warnings=warnings)
    return updated


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
    updated: model.Site = model.replace(
        site,
        core_version=site.core_version or version,
        kind_evidence=evidence,
        name=site.name if "database" in site.collected else (name or site.name),
        warnings=warnings,
    )
    return updated


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
    if facts.aliases:
        settings["url_aliases"] = facts.aliases
    if facts.permissions:
        settings["role_permissions"] = facts.permissions
    warnings = list(site.warnings) + list(facts.warnings)
    essential = [t for t in facts.missing_tables if t not in OPTIONAL_TABLES]
    if essential:
        warnings.append("database tables not present: " + ", ".join(essential))
    name = str(facts.settings.get("site_name") or site.name)
    updated: model.Site = model.replace(
        site,
        name=name,
        themes=themes,
        content_types=facts.content_types,
        bundles=facts.bundles,
        vocabularies=facts.vocabularies,
        counts=dict(facts.counts),
        settings=settings,
        text_formats=facts.text_formats,
        warnings=warnings,
        collected=[*site.collected, "database"],
    )
    return updated
