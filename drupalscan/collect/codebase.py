"""Inventory a Drupal codebase from its files, the way Drupal discovers them.

Nothing here executes, includes or evaluates PHP: versions come from string
literals, `.info` files are parsed as text, custom code is matched with
regular expressions, and settings.php is only searched for multisite
aliases (never for credentials).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from drupalscan.collect.customcode import measure, owner
from drupalscan.collect.declared import DeclaredProjects, read_declared, reconcile
from drupalscan.collect.docroot import (
    Docroot,
    find_docroot,
)
from drupalscan.collect.features import exported
from drupalscan.collect.infofile import (
    InfoError,
    as_list,
    info_bool,
    info_text,
    parse_dependency,
    read_info,
)
from drupalscan.collect.patches import PATCHED_FOLDER, listed_in_patches_txt
from drupalscan.collect.sitesdir import read_sites_php, resolve_site_dir
from drupalscan.collect.walk import WalkReport, walk_files
from drupalscan.inventory import model

DEFAULT_PROFILE = "standard"
"""Drupal 7's install profile when nothing (database, drush) says otherwise."""

CORE_PROFILES = frozenset({"minimal", "standard", "testing"})
"""The install profiles Drupal 7 core ships; any other is a distribution or the agency's."""

CORE_ONLY_DIRS = ("includes", "misc", "scripts", "modules", "themes")
"""Top-level docroot folders that only core ships: a patch there patches core."""

PHP_SUFFIXES = (".module", ".inc", ".php", ".install", ".theme", ".engine", ".test", ".profile")

_T = TypeVar("_T")


@dataclass
class _InfoFile:
    """One parsed `.info` file as the walk found it, before any ranking.

    Kept for the search directories of every install profile (but only of
    this multisite site) so that the resolution can be redone for another
    profile without a second walk: the profile is often only known once the
    database is read.
    """

    directory: str
    name: str
    info: dict[str, Any]


@dataclass
class _WalkResult:
    """What the one walk of the docroot collected, reusable by re-resolutions."""

    infos: list[_InfoFile] = field(default_factory=list)
    code_files: list[str] = field(default_factory=list)
    patch_files: list[str] = field(default_factory=list)
    make_files: list[str] = field(default_factory=list)
    declared: DeclaredProjects = field(default_factory=DeclaredProjects)
    """What composer and make files beside or in the docroot declare."""
    warnings: list[str] = field(default_factory=list)
    code_cache: dict[tuple[str, str], tuple[model.CodeFacts, list[str]]] = field(
        default_factory=dict
    )
    """(extension name, path) -> measured code and its warnings, so a
    re-resolution reads each custom extension's files only once."""


@dataclass
class _Found:
    """One `.info` file on disk, before duplicates are resolved."""

    name: str
    kind: str
    """module | theme | profile"""
    directory: str
    info: dict[str, Any]
    rank: int
    """Drupal's search-directory precedence: a higher rank overrides a lower."""


@dataclass
class CodebaseFacts:
    """Everything the codebase says, before the database adds enabled state."""

    docroot: Docroot
    modules: list[model.Module] = field(default_factory=list)
    themes: list[model.Theme] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    multisite: list[str] = field(default_factory=list)
    site_dir: str = "sites/default"
    """The resolved ``sites/*`` directory of the inventoried site."""
    profile: str = DEFAULT_PROFILE
    """The install profile whose ``modules``/``themes`` directories were searched."""
    warnings: list[str] = field(default_factory=list)
    walk: _WalkResult = field(default_factory=_WalkResult, repr=False, compare=False)
    """The raw walk, kept so `for_profile` can re-resolve without walking again."""


def _search_rank(rel_dir: str, site_dir: str, profile: str | None) -> int | None:
    """Drupal 7 drupal_system_listing() precedence of a directory, or None.

    core modules/themes < profiles/<install profile> < sites/all < sites/<this site>.
    Other profiles' and other multisite sites' directories are not searched: None
    (except the profile's own .info, at depth 2, so profiles are listed).
    ``profile=None`` accepts every profile: the walk keeps them all until the
    install profile is known.
    """
    parts = rel_dir.split("/")
    if parts[0] in ("modules", "themes"):
        return 0
    if parts[0] == "profiles" and len(parts) > 1:
        return 1 if (profile is None or parts[1] == profile or len(parts) == 2) else None
    if parts[0] == "sites" and len(parts) > 1:
        if parts[1] == "all":
            return 2
        if "sites/" + parts[1] == site_dir:
            return 3
    return None


def _extension_kind(rel_dir: str, name: str, info: dict[str, Any]) -> str:
    parts = rel_dir.split("/")
    if parts[0] == "profiles" and len(parts) == 2 and parts[1] == name:
        return "profile"
    # The nearest 'themes' or 'modules' ancestor decides; theme keys break ties.
    for part in reversed(parts):
        if part == "themes":
            return "theme"
        if part == "modules":
            return "module"
    if "engine" in info or "regions" in info or "base theme" in info:
        return "theme"
    return "module"


def scan_codebase(
    path: str | Path,
    *,
    site_dir: str = "sites/default",
    profile: str | None = None,
    kb: Any = None,
) -> CodebaseFacts:
    """Discover every extension of a docroot and measure its custom code.

    ``site_dir`` names the multisite site: a ``sites/*`` directory, a host
    name or a `sites/sites.php` alias, resolved as Drupal's conf_path() does
    (see `resolve_site_dir`); an unknown one is a `ScanError`.
    ``profile`` is the install profile (the database's ``install_profile``
    variable says which when available): only its modules directory is
    searched, as Drupal 7 does.  Without one, a lone distribution in
    profiles/ is assumed (see `assumed_profile`), else core's ``standard``.  When the profile is
    learnt later, `for_profile` redoes the resolution without a second walk.
    ``kb`` is the knowledge base (``drupalscan.kb.load_kb()``); it names known
    contrib projects and the Drupal 7 APIs that custom code is searched for.
    """
    docroot = find_docroot(path)
    aliases = read_sites_php(docroot.path)
    resolved = resolve_site_dir(docroot.path, site_dir, aliases)
    walk = _WalkResult()
    report = WalkReport()
    settings_dirs: list[str] = []
    for rel_dir, name in walk_files(docroot.path, report):
        rel = f"{rel_dir}/{name}" if rel_dir else name
        if name.endswith(".info") and rel_dir:
            # Every directory could become a search directory once the
            # install profile is known, so every .info is read and kept.
            if _search_rank(rel_dir, resolved, None) is None:
                continue
            try:
                info = read_info(docroot.path / rel)
            except InfoError as exc:
                walk.warnings.append(f"skipped a broken .info file: {_relative(exc, docroot)}")
                continue
            walk.infos.append(_InfoFile(rel_dir, name[: -len(".info")], info))
        elif name.endswith(PHP_SUFFIXES):
            walk.code_files.append(rel)
        elif name.endswith(".patch") or name == "PATCHES.txt":
            walk.patch_files.append(rel)
        elif name.endswith((".make", ".make.yml")):
            walk.make_files.append(rel)
        if name == "settings.php" and rel_dir.startswith("sites/") and rel_dir.count("/") == 1:
            settings_dirs.append(rel_dir)
    for label, items in (
        ("symlink pointing outside the docroot, not followed", report.outside_links),
        ("symlink loop, not followed", report.loops),
        ("unreadable, skipped", report.unreadable),
    ):
        for item in items[:20]:
            walk.warnings.append(f"{item}: {label}")
    multisite = sorted(settings_dirs) + [f"alias {a} -> sites/{t}" for a, t in aliases.items()]
    for alias, target in aliases.items():
        if not (docroot.path / "sites" / target / "settings.php").is_file():
            walk.warnings.append(
                f"sites/sites.php aliases {alias} to sites/{target}, which has no settings.php"
            )
    if resolved != "sites/default" and resolved not in settings_dirs:
        walk.warnings.append(f"{resolved} has no settings.php: Drupal would not serve it")
    walk.declared = _declared(Path(path).expanduser(), docroot.path, walk)
    facts = CodebaseFacts(docroot=docroot, multisite=multisite, site_dir=resolved, walk=walk)
    if profile is None:
        profile, why = assumed_profile(walk)
        if why:
            walk.warnings.append(why)
    return for_profile(facts, profile, kb=kb)


def assumed_profile(walk: _WalkResult) -> tuple[str, str]:
    """The install profile to resolve with when nothing names it, and why.

    Drupal 7 keeps the profile in the database, so a bare tree does not say.
    A codebase that carries exactly one profile beyond core's is built on it
    (a distribution, or the agency's own with its modules inside): assuming
    core's ``standard`` would hide every module under profiles/NAME/.  With
    several candidates the choice is not ours to guess, and the warning says
    how to settle it.
    """
    others = sorted(
        {
            item.name
            for item in walk.infos
            if item.directory == f"profiles/{item.name}" and item.name not in CORE_PROFILES
        }
    )
    if len(others) == 1:
        return others[0], (
            f"install profile taken to be {others[0]}, the only one in profiles/ besides "
            "core's; a database (--db) or drush status names the one this site runs"
        )
    if others:
        return DEFAULT_PROFILE, (
            f"several install profiles ({', '.join(others)}): their modules are left out "
            "until a database (--db) or drush status names the one this site runs"
        )
    return DEFAULT_PROFILE, ""


def _declared(given: Path, docroot: Path, walk: _WalkResult) -> DeclaredProjects:
    """Projects declared by composer files beside the docroot (or in the folder
    given) and by make files in the docroot or at the repository's top level."""
    found = read_declared(docroot, walk.make_files)
    for root in dict.fromkeys([given.resolve(), docroot.parent]):
        if root == docroot or not root.is_dir():
            continue
        top = sorted(
            entry.name
            for entry in root.iterdir()
            if entry.is_file() and entry.name.endswith((".make", ".make.yml"))
        )
        more = read_declared(root, top)
        for project in more.projects.values():
            found.add(project)
        found.files.extend(more.files)
        found.warnings.extend(more.warnings)
        if more.files:
            break  # the repository root is the nearer one that declares anything
    return found


def for_profile(facts: CodebaseFacts, profile: str, *, kb: Any = None) -> CodebaseFacts:
    """The codebase as Drupal sees it under install profile ``profile``.

    Reuses the walk held in ``facts`` (and the custom-code measurements
    already made), so learning the real profile from the database costs a
    re-resolution, not a second pass over the docroot.
    """
    if kb is None:
        from drupalscan.kb import load_kb

        kb = load_kb()
    walk = facts.walk
    new = CodebaseFacts(
        docroot=facts.docroot,
        multisite=list(facts.multisite),
        site_dir=facts.site_dir,
        profile=profile,
        warnings=list(walk.warnings),
        walk=walk,
    )
    found: list[_Found] = []
    for item in walk.infos:
        rank = _search_rank(item.directory, facts.site_dir, profile)
        if rank is None:
            continue
        kind = _extension_kind(item.directory, item.name, item.info)
        found.append(_Found(item.name, kind, item.directory, item.info, rank))
    _resolve_extensions(new, found, kb)
    new.warnings.extend(walk.declared.warnings)
    new.warnings.extend(reconcile(new.modules, new.themes, walk.declared))
    if profile not in new.profiles and new.profiles:
        new.warnings.append(
            f"install profile {profile} is not in profiles/ "
            f"(found: {', '.join(sorted(new.profiles))})"
        )
    _attach_code(new, walk.code_files, kb, walk.code_cache)
    _attach_templates(new, walk.code_files)
    _attach_patches(new, walk.patch_files)
    return new


def _relative(exc: Exception, docroot: Docroot) -> str:
    return str(exc).replace(str(docroot.path) + "/", "")


def _classify(item: _Found, kb: Any) -> tuple[str, str | None]:
    """(type, project) of an extension: core, contrib, custom or unverified.

    Contributed means drupal.org packaged it (its packaging footer left a
    ``datestamp``) or the knowledge base knows the project.  A ``project =``
    line alone proves nothing: agencies write one into their own modules, so
    such a module is ``unverified`` (its code is measured like custom code)
    rather than guessed either way.
    """
    project = item.info.get("project")
    project = project if isinstance(project, str) and project else None
    in_custom = "custom" in item.directory.split("/")
    if item.rank == 0 or (project == "drupal" and item.directory.startswith("profiles/")):
        return "core", "drupal"
    if in_custom:
        return "custom", None
    known = kb.project_for_module(item.name) if item.kind == "module" else None
    if project and project != "drupal":
        packaged = bool(item.info.get("datestamp"))
        listed = (
            kb.project(project) is not None
            or known == project
            or (item.kind == "theme" and kb.theme_rank(project) is not None)
        )
        return ("contrib" if packaged or listed else "unverified"), project
    if known:
        return "contrib", known
    return "custom", None


def _custom_project(item: _Found, by_dir: dict[str, str]) -> str:
    """A custom sub-module belongs to the nearest enclosing module directory."""
    path = PurePosixPath(item.directory)
    for parent in path.parents:
        owner = by_dir.get(str(parent))
        if owner:
            return owner
    return item.name


def _resolve_extensions(facts: CodebaseFacts, found: list[_Found], kb: Any) -> None:
    by_name: dict[tuple[str, str], list[_Found]] = {}
    for item in found:
        by_name.setdefault((item.kind, item.name), []).append(item)
    module_dirs = {i.directory: i.name for i in found if i.kind == "module"}
    for (kind, name), copies in sorted(by_name.items()):
        # Later search directories win unless built for another core (D7 rule).
        copies.sort(key=lambda c: (c.rank, c.directory))
        compatible = [c for c in copies if c.info.get("core", "7.x") == "7.x"] or copies
        chosen = compatible[-1]
        others = [c.directory for c in copies if c is not chosen]
        if kind == "profile":
            facts.profiles.append(name)
            continue
        ext_type, project = _classify(chosen, kb)
        if ext_type == "custom" and kind == "module":
            # Custom sub-modules are grouped under the module they live in.
            parent = _custom_project(chosen, module_dirs)
            project = parent if parent != name else None
        label = str(chosen.info.get("name", name))
        version = info_text(chosen.info.get("version"))
        if kind == "theme":
            facts.themes.append(
                model.Theme(
                    name=name,
                    label=label,
                    project=project,
                    version=version,
                    type=ext_type,
                    base_theme=info_text(chosen.info.get("base theme")),
                    # Drupal 7 defaults a theme's engine to PHPTemplate.
                    engine=str(chosen.info.get("engine", "phptemplate")),
                    path=chosen.directory,
                    regions=sorted(_as_keys(chosen.info.get("regions"))),
                    stylesheets=_stylesheets(chosen.info.get("stylesheets")),
                    scripts=as_list(chosen.info.get("scripts")),
                )
            )
            continue
        deps: list[str] = []
        constraints: dict[str, str] = {}
        for raw in as_list(chosen.info.get("dependencies")):
            dep = parse_dependency(raw)
            if dep:
                deps.append(dep.name)
                if dep.constraint:
                    constraints[dep.name] = dep.constraint
        facts.modules.append(
            model.Module(
                name=name,
                label=label,
                project=project,
                version=version,
                type=ext_type,
                dependencies=deps,
                constraints=constraints,
                package=str(chosen.info.get("package", "")),
                path=chosen.directory,
                other_paths=others,
                hidden=info_bool(chosen.info.get("hidden")),
                required=info_bool(chosen.info.get("required")),
                core=info_text(chosen.info.get("core")),
                php=info_text(chosen.info.get("php")),
                datestamp=info_text(chosen.info.get("datestamp")),
                files=as_list(chosen.info.get("files")),
                features=exported(chosen.info),
            )
        )


def _stylesheets(value: Any) -> dict[str, list[str]]:
    """``stylesheets[MEDIA][]`` as media -> files; other shapes mean nothing to Drupal."""
    if not isinstance(value, dict):
        return {}
    return {str(media): as_list(files) for media, files in value.items() if as_list(files)}


def _as_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return list(value)
    return as_list(value)


def _attach_code(
    facts: CodebaseFacts,
    code_files: Iterable[str],
    kb: Any,
    cache: dict[tuple[str, str], tuple[model.CodeFacts, list[str]]] | None = None,
) -> None:
    """Measure custom modules and themes: files, lines, hooks, API uses.

    ``cache`` holds earlier measurements by (name, path): a re-resolution for
    another install profile measures only extensions it did not see before.
    """
    cache = {} if cache is None else cache
    everything: list[model.Module | model.Theme] = [*facts.modules, *facts.themes]
    custom = [e for e in everything if e.type in ("custom", "unverified")]
    todo = [e for e in custom if (e.name, e.path) not in cache]
    if todo:
        measure(facts.docroot.path, todo, code_files, kb, cache)
    for ext in custom:
        code, warnings = cache[(ext.name, ext.path)]
        facts.warnings.extend(warnings)
        _replace_in(facts, ext, model.replace(ext, code=code))


def _attach_templates(facts: CodebaseFacts, code_files: Iterable[str]) -> None:
    """List the ``*.tpl.php`` of core and contrib themes too.

    A sub-theme of a contrib base theme inherits its templates, and the Twig
    rewrite is counted per template, so every theme's templates matter.  Only
    the names are taken: core and contrib PHP is not read or measured.
    """
    # All themes own their directories, so a custom sub-theme nested in a
    # contrib theme keeps its templates; only the non-custom ones are filled.
    owners = {t.path: i for i, t in enumerate(facts.themes) if t.path}
    templates: dict[int, list[str]] = {
        i: [] for i, t in enumerate(facts.themes) if t.type != "custom" and t.path
    }
    if not templates:
        return
    for rel in code_files:
        if rel.endswith(".tpl.php"):
            idx = owner(rel, owners)
            if idx is not None and idx in templates:
                templates[idx].append(rel)
    for idx, files in templates.items():
        theme = facts.themes[idx]
        facts.themes[idx] = model.replace(theme, code=model.CodeFacts(templates=sorted(files)))


def _replace_in(facts: CodebaseFacts, old: Any, new: Any) -> None:
    seq = facts.modules if isinstance(old, model.Module) else facts.themes
    seq[seq.index(old)] = new


def _patch_entries(root: Path, files: list[str]) -> list[str]:
    """Patch files as entries; a drush make PATCHES.txt stands for the patches it lists."""
    out: list[str] = []
    for rel in files:
        listed = listed_in_patches_txt(root / rel) if rel.endswith("PATCHES.txt") else []
        folder = rel.rpartition("/")[0]
        for entry in listed or [rel]:
            # A listed file name next to PATCHES.txt is the patch file itself.
            beside = f"{folder}/{entry}" if folder else entry
            if "://" not in entry and entry != rel and (root / beside).is_file():
                entry = beside
            out.append(entry)
    return list(dict.fromkeys(out))


def _attach_patches(facts: CodebaseFacts, patch_files: list[str]) -> None:
    """Attach `*.patch` and PATCHES.txt files to what they patch.

    Inside a theme's directory: that theme.  Inside a contrib or custom
    module's directory: that module (the project's main module when several
    share it).  At the docroot root (where drush make leaves core's
    PATCHES.txt), in a core module or in a core-only folder: Drupal core,
    recorded on the ``system`` module, whose project is ``drupal``.  Anything
    else is named in a warning rather than guessed at.
    """
    owners: dict[str, tuple[str, int]] = {}
    core_dirs: dict[str, int] = {}
    for i, mod in enumerate(facts.modules):
        if mod.type == "core":
            core_dirs[mod.path] = i
        # Several modules can share a project directory (views, views_ui):
        # the one named like the directory is the project's main module.
        elif mod.path not in owners or PurePosixPath(mod.path).name == mod.name:
            owners[mod.path] = ("module", i)
    for i, theme in enumerate(facts.themes):
        if theme.path:
            owners[theme.path] = ("theme", i)
    system = next(
        (i for i, m in enumerate(facts.modules) if m.name == "system" and m.type == "core"), None
    )
    by_owner: dict[tuple[str, int], list[str]] = {}
    unplaced: list[str] = []
    for rel in patch_files:
        directory = rel.rpartition("/")[0]
        found = owner(rel, owners) if directory else None
        if found is None and (
            not directory
            or directory.split("/")[0] in CORE_ONLY_DIRS
            or owner(rel, core_dirs) is not None
        ):
            found = ("module", system) if system is not None else None
        if found is None:
            unplaced.append(rel)
        else:
            by_owner.setdefault(found, []).append(rel)
    root = facts.docroot.path
    for (kind, idx), files in by_owner.items():
        found_here = _patch_entries(root, sorted(files))
        if kind == "theme":
            theme = facts.themes[idx]
            merged = list(dict.fromkeys([*theme.patches, *found_here]))
            facts.themes[idx] = model.replace(theme, patches=merged)
        else:
            mod = facts.modules[idx]
            merged = list(dict.fromkeys([*mod.patches, *found_here]))
            facts.modules[idx] = model.replace(mod, patches=merged)
    for i, mod in enumerate(facts.modules):
        if mod.type != "core" and "patched" in mod.path.split("/") and not mod.patches:
            facts.modules[i] = model.replace(mod, patches=[PATCHED_FOLDER])
    if unplaced:
        facts.warnings.append(
            "patch files not inside any extension, not attached: " + ", ".join(sorted(unplaced))
        )
