"""Inventory a Drupal codebase from its files, the way Drupal discovers them.

Nothing here executes, includes or evaluates PHP: versions come from string
literals, `.info` files are parsed as text, custom code is matched with
regular expressions, and settings.php is only searched for multisite
aliases (never for credentials).
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urlsplit

from drupalscan.collect.declared import DeclaredProjects, read_declared, reconcile
from drupalscan.collect.features import exported, is_generated
from drupalscan.collect.infofile import (
    InfoError,
    as_list,
    info_bool,
    info_text,
    parse_dependency,
    read_info,
)
from drupalscan.collect.patches import PATCHED_FOLDER, listed_in_patches_txt
from drupalscan.collect.walk import WalkReport, walk_files
from drupalscan.inventory import model

DOCROOT_CANDIDATES = ("web", "docroot", "htdocs", "public_html", "html", "www")
"""Sub-folders a repository commonly keeps its docroot in."""

DEFAULT_PROFILE = "standard"
"""Drupal 7's install profile when nothing (database, drush) says otherwise."""

CORE_ONLY_DIRS = ("includes", "misc", "scripts", "modules", "themes")
"""Top-level docroot folders that only core ships: a patch there patches core."""

PHP_SUFFIXES = (".module", ".inc", ".php", ".install", ".theme", ".engine", ".test", ".profile")
MAX_CODE_BYTES = 2_000_000
"""Larger 'PHP' files are generated or vendored; they are counted, not read."""

_D7_VERSION = re.compile(rb"define\(\s*'VERSION'\s*,\s*'([0-9][^']*)'\s*\)")
_D8_VERSION = re.compile(rb"const\s+VERSION\s*=\s*'([0-9][^']*)'")
_CHANGELOG = re.compile(rb"^\s*Drupal\s+([0-9]+\.[0-9][0-9.]*[\w-]*)", re.MULTILINE)
_SITES_ALIAS = re.compile(r"""\$sites\[\s*['"]([^'"]+)['"]\s*\]\s*=\s*['"]([^'"]+)['"]""")
_T = TypeVar("_T")
_FUNCTION = re.compile(rb"^\s*function\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(", re.MULTILINE)


class ScanError(Exception):
    """The path cannot be scanned as a Drupal docroot; the message says why."""


@dataclass
class Docroot:
    """Where the docroot is and which Drupal it holds."""

    path: Path
    kind: str
    """drupal6 | drupal7 | drupal8+"""
    core_version: str | None
    evidence: list[model.Evidence]


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


def find_docroot(path: str | Path) -> Docroot:
    """Locate the docroot in what the user passed and identify its Drupal."""
    root = Path(path).expanduser()
    if not root.exists():
        raise ScanError(f"{path}: no such file or directory")
    if not root.is_dir():
        raise ScanError(f"{path}: not a directory; pass the Drupal docroot folder")
    for candidate in (root, *(root / sub for sub in DOCROOT_CANDIDATES)):
        found = _identify(candidate)
        if found:
            return found
    raise ScanError(
        f"{path}: not a Drupal docroot (no includes/bootstrap.inc or core/lib/Drupal.php, "
        f"here or in {', '.join(d + '/' for d in DOCROOT_CANDIDATES)})"
    )


def _read_head(path: Path, limit: int = 200_000) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(limit)
    except OSError:
        return b""


def _identify(root: Path) -> Docroot | None:
    evidence: list[model.Evidence] = []
    version: str | None = None
    kind: str | None = None
    drupal_php = root / "core" / "lib" / "Drupal.php"
    bootstrap = root / "includes" / "bootstrap.inc"
    if drupal_php.is_file():
        kind = "drupal8+"
        match = _D8_VERSION.search(_read_head(drupal_php))
        if match:
            version = match.group(1).decode()
            evidence.append(
                model.Evidence(
                    kind="file", detail=f"VERSION = {version}", location="core/lib/Drupal.php"
                )
            )
    elif bootstrap.is_file():
        match = _D7_VERSION.search(_read_head(bootstrap))
        if match:
            version = match.group(1).decode()
            evidence.append(
                model.Evidence(
                    kind="file", detail=f"VERSION = {version}", location="includes/bootstrap.inc"
                )
            )
        else:
            # Drupal 6 defines VERSION in system.module, not bootstrap.inc.
            system = root / "modules" / "system" / "system.module"
            match = _D7_VERSION.search(_read_head(system))
            if match:
                version = match.group(1).decode()
                evidence.append(
                    model.Evidence(
                        kind="file",
                        detail=f"VERSION = {version}",
                        location="modules/system/system.module",
                    )
                )
        kind = "drupal6" if version and version.startswith("6.") else "drupal7"
    else:
        return None
    changelog = _CHANGELOG.search(_read_head(root / "CHANGELOG.txt", 4096))
    if changelog:
        logged = changelog.group(1).decode()
        evidence.append(
            model.Evidence(kind="file", detail=f"Drupal {logged}", location="CHANGELOG.txt")
        )
        version = version or logged
    if version is None and kind == "drupal7":
        # Neither file names a release; the .info footer of system is the last hint.
        try:
            info = read_info(root / "modules" / "system" / "system.info")
            packaged = info.get("version", "")
            if isinstance(packaged, str) and re.match(r"^[67]\.\d+", packaged):
                version = packaged
                evidence.append(
                    model.Evidence(
                        kind="info-file",
                        detail=f"version = {packaged}",
                        location="modules/system/system.info",
                    )
                )
        except InfoError:
            pass
    if version and version.startswith("6."):
        kind = "drupal6"
    return Docroot(path=root.resolve(), kind=kind, core_version=version, evidence=evidence)


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
    profile: str = DEFAULT_PROFILE,
    kb: Any = None,
) -> CodebaseFacts:
    """Discover every extension of a docroot and measure its custom code.

    ``site_dir`` names the multisite site: a ``sites/*`` directory, a host
    name or a `sites/sites.php` alias, resolved as Drupal's conf_path() does
    (see `resolve_site_dir`); an unknown one is a `ScanError`.
    ``profile`` is the install profile (Drupal's default is ``standard``; the
    database's ``install_profile`` variable says which when available): only
    its modules directory is searched, as Drupal 7 does.  When the profile is
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
    return for_profile(facts, profile, kb=kb)


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


def read_sites_php(root: Path) -> dict[str, str]:
    """`sites/sites.php` aliases (host or path -> site directory), read as text.

    The file is never executed: ``$sites['alias'] = 'dir';`` lines are
    matched outside comments, which is how every real sites.php is written.
    """
    sites_php = root / "sites" / "sites.php"
    if not sites_php.is_file():
        return {}
    text = _read_head(sites_php).decode("utf-8", errors="replace")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    text = re.sub(r"(?m)^\s*(#|//).*$", "", text)
    return dict(_SITES_ALIAS.findall(text))


def _site_dirs(root: Path) -> list[str]:
    """``sites/*`` directories holding a settings.php, plus sites/default."""
    found = {"sites/default"}
    try:
        with os.scandir(root / "sites") as it:
            for entry in it:
                if entry.is_dir() and os.path.isfile(os.path.join(entry.path, "settings.php")):
                    found.add(f"sites/{entry.name}")
    except OSError:
        pass
    return sorted(found)


def resolve_site_dir(root: Path, site_dir: str, aliases: dict[str, str] | None = None) -> str:
    """The ``sites/*`` directory a user's ``--site`` value means.

    Accepted: a directory (``sites/events.example.org`` or just its name), a
    host name or URL (``events.example.org``, ``https://example.org:8080/sub``)
    or a `sites/sites.php` alias.  Hosts go through Drupal 7's conf_path()
    search (most specific host and path first, aliases applied, a directory
    counts only with a settings.php).  Drupal would fall back to sites/default
    for an unknown host, but a consultant naming a site they cannot see most
    likely mistyped it, so that is an error listing what exists.
    """
    aliases = read_sites_php(root) if aliases is None else aliases
    raw = site_dir.strip()
    if raw.removeprefix("sites/").strip("/") == "default":
        return "sites/default"  # Drupal's fallback, even with no such folder
    if "://" in raw:
        parts = urlsplit(raw)
        host, path = parts.netloc.rpartition("@")[2], parts.path
    else:
        raw = raw.removeprefix("./").rstrip("/")
        if raw.startswith("sites/"):
            name = raw.removeprefix("sites/")
            if name and "/" not in name and name != "all" and (root / "sites" / name).is_dir():
                return f"sites/{name}"
            raise ScanError(_unknown_site(site_dir, root, aliases))
        host, _, path = raw.partition("/")
        path = "/" + path if path else ""
    if host and "/" not in host and host != "all" and (root / "sites" / host).is_dir():
        return f"sites/{host}"
    if host:
        # conf_path(): $uri from the script path, $server from the host with
        # the port moved to the front, both tried from most to least specific.
        uri = ["", *[p for p in path.split("/") if p], "index.php"]
        server = ".".join(reversed(host.lower().rstrip(".").split(":"))).split(".")
        for i in range(len(uri) - 1, 0, -1):
            for j in range(len(server), 0, -1):
                candidate = ".".join(server[-j:]) + ".".join(uri[:i])
                target = aliases.get(candidate)
                if target is not None and (root / "sites" / target).exists():
                    candidate = target
                if candidate != "all" and (root / "sites" / candidate / "settings.php").is_file():
                    return f"sites/{candidate}"
        target = aliases.get(host)
        if target is not None and (root / "sites" / target).is_dir():
            return f"sites/{target}"
    raise ScanError(_unknown_site(site_dir, root, aliases))


def _unknown_site(site_dir: str, root: Path, aliases: dict[str, str]) -> str:
    known = ", ".join(_site_dirs(root))
    alias_text = ", ".join(f"{a} -> sites/{t}" for a, t in sorted(aliases.items()))
    return f"{site_dir}: no such site in {root / 'sites'}; known site directories: {known}" + (
        f"; sites.php aliases: {alias_text}" if alias_text else ""
    )


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


def _owner(path: str, owners: dict[str, _T]) -> _T | None:
    """Index of the deepest extension directory containing ``path``.

    Plain string slicing: this runs once per PHP file of the whole docroot,
    where building path objects was the scan's largest cost.
    """
    directory = path.rpartition("/")[0]
    while directory:
        idx = owners.get(directory)
        if idx is not None:
            return idx
        directory = directory.rpartition("/")[0]
    return None


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
        _measure(facts.docroot.path, todo, code_files, kb, cache)
    for ext in custom:
        code, warnings = cache[(ext.name, ext.path)]
        facts.warnings.extend(warnings)
        _replace_in(facts, ext, model.replace(ext, code=code))


def _measure(
    root: Path,
    exts: list[model.Module | model.Theme],
    code_files: Iterable[str],
    kb: Any,
    cache: dict[tuple[str, str], tuple[model.CodeFacts, list[str]]],
) -> None:
    """Read the PHP of ``exts`` once and store each one's `CodeFacts` in ``cache``."""
    owners = {e.path: i for i, e in enumerate(exts)}
    scanner = ApiScanner(kb)
    acc: dict[int, _CodeAcc] = {}
    for rel in code_files:
        idx = _owner(rel, owners)
        if idx is None:
            continue
        ext = exts[idx]
        bucket = acc.setdefault(idx, _CodeAcc())
        if rel.endswith(".tpl.php"):
            bucket.templates.append(rel)
        try:
            size = (root / rel).stat().st_size
            if size > MAX_CODE_BYTES:
                bucket.warnings.append(f"{rel}: {size} bytes, too large to read; counted only")
                bucket.files += 1
                continue
            data = (root / rel).read_bytes()
        except OSError as exc:
            bucket.warnings.append(f"{rel}: cannot read ({exc.strerror})")
            continue
        lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        if isinstance(ext, model.Module) and ext.features and is_generated(ext.name, rel, data):
            # Configuration Features wrote: Drupal 8+ config, not code to port.
            bucket.generated_files += 1
            bucket.generated_lines += lines
            continue
        bucket.files += 1
        if b"\x00" in data[:8192]:
            bucket.warnings.append(f"{rel}: binary content in a PHP file; not scanned")
            continue
        bucket.lines += lines
        if rel.endswith(".tpl.php"):
            # Templates are rewritten wholesale in Twig (counted by the theme
            # rule); listing render() calls inside them would double count.
            continue
        bucket.functions += len(_FUNCTION.findall(data))
        bucket.hooks.update(scanner.hooks(ext.name, data))
        bucket.api_uses.extend(scanner.api_uses(ext.name, rel, data))
    for idx, ext in enumerate(exts):
        bucket = acc.get(idx, _CodeAcc())
        code = model.CodeFacts(
            php_files=bucket.files,
            php_lines=bucket.lines,
            templates=sorted(bucket.templates),
            hooks=sorted(bucket.hooks),
            api_uses=sorted(bucket.api_uses, key=lambda u: (u.file, u.line, u.symbol)),
            functions=bucket.functions,
            generated_files=bucket.generated_files,
            generated_lines=bucket.generated_lines,
        )
        cache[(ext.name, ext.path)] = (code, bucket.warnings)


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
            idx = _owner(rel, owners)
            if idx is not None and idx in templates:
                templates[idx].append(rel)
    for idx, files in templates.items():
        theme = facts.themes[idx]
        facts.themes[idx] = model.replace(theme, code=model.CodeFacts(templates=sorted(files)))


def _replace_in(facts: CodebaseFacts, old: Any, new: Any) -> None:
    seq = facts.modules if isinstance(old, model.Module) else facts.themes
    seq[seq.index(old)] = new


@dataclass
class _CodeAcc:
    files: int = 0
    lines: int = 0
    functions: int = 0
    generated_files: int = 0
    generated_lines: int = 0
    templates: list[str] = field(default_factory=list)
    hooks: set[str] = field(default_factory=set)
    api_uses: list[model.ApiUse] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ApiScanner:
    """Find Drupal 7 API calls and hook implementations in PHP source.

    One combined regular expression per kind keeps the per-file cost to a
    single pass over the bytes, which is what keeps the scan near grep speed.
    """

    def __init__(self, kb: Any) -> None:
        functions: list[str] = []
        self.hook_names: set[str] = set()
        self.known_hooks = kb.d7_hooks()
        self.patterns: list[tuple[str, re.Pattern[bytes]]] = []
        for entry in kb.api_entries():
            if entry.kind == "function":
                functions.append(entry.symbol)
            elif entry.kind == "hook":
                self.hook_names.add(entry.symbol.removeprefix("hook_"))
            elif entry.pattern:
                self.patterns.append((entry.symbol, re.compile(entry.pattern.encode())))
        alternation = b"|".join(re.escape(f.encode()) for f in sorted(functions, key=len)[::-1])
        # A call, not a definition, method or static call: no 'function ', '->', '::', '$'.
        self.calls = re.compile(
            rb"(?<![\w$>:])(?<!function )(" + alternation + rb")\s*\(" if functions else rb"(?!)"
        )

    def hooks(self, module: str, data: bytes) -> set[str]:
        """Hooks this module implements (``function MODULE_HOOK(``)."""
        prefix = module.encode() + b"_"
        hooks = set()
        for match in _FUNCTION.finditer(data):
            name = match.group(1)
            if name.startswith(prefix):
                hook = "hook_" + name[len(prefix) :].decode()
                if hook in self.known_hooks or _is_pattern_hook(hook, self.known_hooks):
                    hooks.add(hook)
        return hooks

    def api_uses(self, module: str, rel: str, data: bytes) -> list[model.ApiUse]:
        """Every changed-API use in one file, with its line number."""
        uses: list[model.ApiUse] = []
        line_starts: list[int] | None = None

        def line_of(offset: int) -> int:
            nonlocal line_starts
            if line_starts is None:
                line_starts = [m.end() for m in re.finditer(rb"\n", data)]
            return bisect.bisect_right(line_starts, offset) + 1

        for match in self.calls.finditer(data):
            uses.append(
                model.ApiUse(symbol=match.group(1).decode(), file=rel, line=line_of(match.start()))
            )
        for symbol, pattern in self.patterns:
            for match in pattern.finditer(data):
                uses.append(model.ApiUse(symbol=symbol, file=rel, line=line_of(match.start())))
        prefix = module.encode() + b"_"
        for match in _FUNCTION.finditer(data):
            name = match.group(1)
            if name.startswith(prefix):
                hook = name[len(prefix) :].decode()
                if hook in self.hook_names:
                    uses.append(
                        model.ApiUse(symbol="hook_" + hook, file=rel, line=line_of(match.start(1)))
                    )
        return uses


def _is_pattern_hook(hook: str, known: frozenset[str]) -> bool:
    """Hooks with a variable part: hook_form_FORM_ID_alter, hook_preprocess_HOOK, ..."""
    return (hook.startswith("hook_form_") and hook.endswith("_alter")) or hook.startswith(
        ("hook_preprocess_", "hook_process_")
    )


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
        found = _owner(rel, owners) if directory else None
        if found is None and (
            not directory
            or directory.split("/")[0] in CORE_ONLY_DIRS
            or _owner(rel, core_dirs) is not None
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
