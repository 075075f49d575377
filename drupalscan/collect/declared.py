"""Projects a Drupal 7 repository declares without keeping their code in git.

Composer-built Drupal 7 sites (drupal-composer style) list their contributed
modules in ``composer.json``/``composer.lock`` and keep only custom code in
the docroot; older sites do the same with Drush make files (``*.make``,
``*.make.yml``, INI or YAML).  Both also list the patches applied on top.
This module reads those files as data (JSON, YAML, INI-like lines; nothing is
executed) and says which projects are declared, at which drupal.org version,
with which patches, so the inventory holds what the built site runs and not
only what happens to be committed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from drupalscan.inventory import model

__all__ = [
    "Declared",
    "DeclaredProjects",
    "drupal_version",
    "make_version",
    "read_composer",
    "read_declared",
    "read_make",
    "reconcile",
]

MAX_BYTES = 8_000_000
"""Larger declaration files are not read (a lock of a huge monorepo, or not a lock)."""

EXTENSION_TYPES = {
    "drupal-module": "module",
    "drupal-theme": "theme",
    "drupal-profile": "profile",
    "drupal-library": "library",
    "drupal-core": "core",
    "drupal-drush": "drush",
}
"""composer package types (composer/installers) -> what the project is."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Declared:
    """One project a composer or make file declares."""

    name: str
    """drupal.org project machine name (``views``); ``drupal`` for core."""
    kind: str = "module"
    """module | theme | profile | library | core | drush."""
    version: str | None = None
    """drupal.org release name (``7.x-3.24``), None when only a constraint is known."""
    constraint: str = ""
    """What composer.json asks for (``~3.0``) when no lock pins a version."""
    source: str = ""
    """The file that declares it, relative to the repository (``composer.lock``)."""
    patches: tuple[str, ...] = ()
    """Patch URLs or paths, as the file lists them."""
    from_drupal_org: bool = True
    """False for a make download from another host (a fork, an agency's git)."""


@dataclass(slots=True)
class DeclaredProjects:
    """Every project the repository declares, and what could not be read."""

    projects: dict[str, Declared] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    """The declaration files read, relative to the repository."""
    warnings: list[str] = field(default_factory=list)

    def add(self, project: Declared) -> None:
        """Keep one entry per project; a lock's pinned version beats a bare declaration."""
        known = self.projects.get(project.name)
        if known is None or (project.version and not known.version):
            patches = tuple(dict.fromkeys((*(known.patches if known else ()), *project.patches)))
            self.projects[project.name] = _with(project, patches=patches)
        elif project.patches:
            patches = tuple(dict.fromkeys((*known.patches, *project.patches)))
            self.projects[project.name] = _with(known, patches=patches)


def _with(project: Declared, **changes: Any) -> Declared:
    values = {f: getattr(project, f) for f in Declared.__dataclass_fields__}
    values.update(changes)
    return Declared(**values)


# ------------------------------------------------------------- versions


_SEMVER = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-(alpha|beta|rc)\.?(\d+))?$", re.IGNORECASE)
_DEV = re.compile(r"^(?:dev-)?(?:7\.x-)?(\d+)\.x(?:-dev)?$")


def drupal_version(composer_version: str, extra_version: str | None = None) -> str | None:
    """drupal.org's name for a Drupal 7 package version from packages.drupal.org/7.

    The lock's ``extra.drupal.version`` is drupal.org's own name and wins;
    otherwise composer's semantic version maps back: ``1.3.0`` is
    ``7.x-1.3`` (Drupal 7 releases have no patch number), ``2.0.0-beta3`` is
    ``7.x-2.0-beta3``, ``1.x-dev`` is ``7.x-1.x-dev``.  Core's ``7.59.0`` is
    ``7.59``.  Anything else (a commit, a fork's tag) gives None.
    """
    if extra_version:
        return extra_version
    version = composer_version.strip()
    if version.startswith("7.x-"):
        return version
    dev = _DEV.match(version)
    if dev:
        return f"7.x-{dev.group(1)}.x-dev"
    m = _SEMVER.match(version)
    if not m:
        return None
    major, minor, patch, stage, number = m.groups()
    if major == "7" and patch == "0" and stage is None:
        return f"7.{minor}"  # Drupal core 7.59.0
    name = f"7.x-{major}.{minor}"
    return name + (f"-{stage.lower()}{number}" if stage else "")


def make_version(value: str, core: str = "7.x") -> str | None:
    """drupal.org's name for a make file's short version (``3.24`` -> ``7.x-3.24``).

    Make files write the part after ``7.x-``: ``1.2``, ``3.0-rc1``, ``2.x-dev``.
    A value that is no version at all (``contrib``, a real file's typo) is None.
    """
    value = value.strip().strip("\"'")
    if value.startswith(("7.x-", "6.x-")):
        return value
    if re.fullmatch(r"\d+\.(?:\d+|x)(?:-(?:alpha|beta|rc)\d+|-dev)?", value):
        return f"{core}-{value}"
    return None


# ------------------------------------------------------------- composer


def read_composer(root: Path, found: DeclaredProjects) -> None:
    """Declared projects from ``composer.lock`` (pinned) and ``composer.json`` (asked for)."""
    manifest = _json(root / "composer.json", found)
    lock = _json(root / "composer.lock", found)
    if manifest is None and lock is None:
        return
    patches = _composer_patches(root, manifest, found)
    if lock is not None:
        packages = [*lock.get("packages", []), *lock.get("packages-dev", [])]
        for package in packages:
            project = _composer_project(package)
            if project is None:
                continue
            name, kind = project
            extra = package.get("extra", {}).get("drupal", {}) if isinstance(package, dict) else {}
            version = drupal_version(str(package.get("version", "")), extra.get("version"))
            found.add(
                Declared(
                    name=name,
                    kind=kind,
                    version=version,
                    source="composer.lock",
                    patches=tuple(patches.get(f"drupal/{name}", ())),
                )
            )
    if manifest is not None:
        requires = {**manifest.get("require", {}), **manifest.get("require-dev", {})}
        for package, constraint in requires.items():
            if not str(package).startswith("drupal/") or package in ("drupal/core",):
                continue
            name = str(package).split("/", 1)[1]
            if name in found.projects:
                continue  # the lock already says exactly what is installed
            kind = "core" if name == "drupal" else "module"
            found.add(
                Declared(
                    name=name,
                    kind=kind,
                    constraint=str(constraint),
                    source="composer.json",
                    patches=tuple(patches.get(str(package), ())),
                )
            )


def _composer_project(package: Any) -> tuple[str, str] | None:
    """(drupal.org project, kind) of a lock entry, None for anything not from drupal.org."""
    if not isinstance(package, dict):
        return None
    name = str(package.get("name", ""))
    kind = EXTENSION_TYPES.get(str(package.get("type", "")))
    if not name.startswith("drupal/") or kind is None:
        return None
    short = name.split("/", 1)[1]
    if kind == "core" or short == "drupal":
        return "drupal", "core"
    return short, kind


def _composer_patches(
    root: Path, manifest: Mapping[str, Any] | None, found: DeclaredProjects
) -> dict[str, list[str]]:
    """Package -> patches from ``extra.patches``, ``extra.patches-file`` and
    ``composer.patches.json`` (cweagans/composer-patches)."""
    out: dict[str, list[str]] = {}
    tables: list[Any] = []
    extra = manifest.get("extra", {}) if manifest else {}
    if isinstance(extra, dict):
        tables.append(extra.get("patches"))
        patches_file = extra.get("patches-file")
        if isinstance(patches_file, str) and "/" not in patches_file.strip("./"):
            data = _json(root / patches_file, found)
            tables.append(data.get("patches") if data else None)
    if not (isinstance(extra, dict) and extra.get("patches-file") == "composer.patches.json"):
        data = _json(root / "composer.patches.json", found)
        tables.append(data.get("patches") if data else None)
    for table in tables:
        if not isinstance(table, dict):
            continue
        for package, entries in table.items():
            values = entries.values() if isinstance(entries, dict) else entries
            if isinstance(values, Iterable) and not isinstance(values, (str, bytes)):
                out.setdefault(str(package), []).extend(str(v) for v in values if v)
    return out


def _json(path: Path, found: DeclaredProjects) -> dict[str, Any] | None:
    """A JSON object from a file, or None (a warning when it exists but cannot be read)."""
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_BYTES:
            found.warnings.append(f"{path.name}: larger than {MAX_BYTES} bytes; not read")
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        found.warnings.append(f"{path.name}: not readable JSON ({_short(exc)}); not used")
        return None
    if not isinstance(data, dict):
        found.warnings.append(f"{path.name}: not a JSON object; not used")
        return None
    found.files.append(path.name)
    return data


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120]


# ----------------------------------------------------------------- make


_MAKE_LINE = re.compile(r"^\s*(projects|libraries)((?:\[[^\]]*\])+)\s*=\s*(.*?)\s*$")


def read_make(path: Path, rel: str, found: DeclaredProjects) -> None:
    """Declared projects of one Drush make file, INI or YAML (sniffed, not by extension)."""
    try:
        if path.stat().st_size > MAX_BYTES:
            found.warnings.append(f"{rel}: larger than {MAX_BYTES} bytes; not read")
            return
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        found.warnings.append(f"{rel}: cannot read ({exc.strerror})")
        return
    if re.search(r"^\s*projects\s*\[", text, re.MULTILINE):
        projects = _make_ini(text)
    elif re.search(r"^projects\s*:", text, re.MULTILINE):
        projects = _make_yaml(text, rel, found)
    else:
        return
    found.files.append(rel)
    core = "7.x"
    for name, spec in projects.items():
        _add_make_project(name, spec, core, rel, found)


def _make_ini(text: str) -> dict[str, dict[str, Any]]:
    """``projects[NAME][key][sub] = value`` lines as nested dicts (last value wins)."""
    projects: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        if line.lstrip().startswith(";"):
            continue
        m = _MAKE_LINE.match(line)
        if not m or m.group(1) != "projects":
            continue
        keys = re.findall(r"\[([^\]]*)\]", m.group(2))
        value = m.group(3).strip().strip("\"'")
        if keys == [""]:  # projects[] = views
            projects.setdefault(value, {})
            continue
        spec = projects.setdefault(keys[0], {})
        if len(keys) == 1:  # projects[views] = 3.24
            spec["version"] = value
            continue
        node = spec
        for key in keys[1:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        last = keys[-1]
        if last == "":
            node.setdefault("__list__", []).append(value)
        else:
            node[last] = value
    return projects


def _make_yaml(text: str, rel: str, found: DeclaredProjects) -> dict[str, dict[str, Any]]:
    """The ``projects:`` of a YAML make file (INI ``;`` comment lines dropped first)."""
    cleaned = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith(";"))
    try:
        data = yaml.safe_load(cleaned)
    except yaml.YAMLError as exc:
        found.warnings.append(f"{rel}: not readable YAML ({_short(exc)}); not used")
        return {}
    raw = data.get("projects") if isinstance(data, dict) else None
    if isinstance(raw, list):
        return {str(name): {} for name in raw if isinstance(name, str)}
    if not isinstance(raw, dict):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, spec in raw.items():
        if isinstance(spec, dict):
            out[str(name)] = spec
        elif isinstance(spec, (str, int, float)):
            out[str(name)] = {"version": str(spec)}
        else:
            out[str(name)] = {}
    return out


def _add_make_project(
    name: str, spec: Mapping[str, Any], core: str, rel: str, found: DeclaredProjects
) -> None:
    version_value = spec.get("version")
    kind = str(spec.get("type") or ("core" if name == "drupal" else "module"))
    if name == "drupal":
        version = str(version_value).strip("\"'") if version_value else None
        version = version if version and re.fullmatch(r"7\.\d+", version) else None
    else:
        version = make_version(str(version_value), core) if version_value else None
    download = spec.get("download") if isinstance(spec.get("download"), dict) else {}
    url = str(download.get("url", "")) if download else ""
    from_drupal_org = not url or bool(re.search(r"drupal\.org|drupalcode\.org", url))
    patch = spec.get("patch")
    if isinstance(patch, dict):
        patches = [str(v) for k, v in patch.items() if k != "__list__"] + [
            str(v) for v in patch.get("__list__", [])
        ]
    elif isinstance(patch, list):
        patches = [str(v) for v in patch]
    else:
        patches = []
    found.add(
        Declared(
            name=name,
            kind=kind if kind in ("module", "theme", "profile", "core", "library") else "module",
            version=version,
            source=rel,
            patches=tuple(p for p in patches if p),
            from_drupal_org=from_drupal_org,
        )
    )


# --------------------------------------------------------------- the lot


def read_declared(root: Path, make_files: Iterable[str] = ()) -> DeclaredProjects:
    """Everything ``root`` (a repository or docroot folder) declares.

    ``make_files`` are the make files a walk found, relative to ``root``;
    the composer files are looked for at ``root`` itself.
    """
    found = DeclaredProjects()
    read_composer(root, found)
    for rel in sorted(make_files):
        read_make(root / rel, rel, found)
    return found


# ------------------------------------------------------- against the tree


def reconcile(
    modules: list[model.Module], themes: list[model.Theme], declared: DeclaredProjects
) -> list[str]:
    """Bring declared projects into the inventory, in place; return warnings.

    A project whose code is in the tree: its modules (or theme) are marked
    as declared, and the declared patches go on its main module.  A project
    whose code is not: one module (or theme) named like the project, with the
    declared version and no path, so the inventory and the plan cover what
    the built site runs.  Core's patches go on the ``system`` module, as the
    tree's core patches do.
    """
    warnings: list[str] = []
    for project in declared.projects.values():
        if project.kind == "core":
            system = next((i for i, m in enumerate(modules) if m.name == "system"), None)
            if system is not None and project.patches:
                modules[system] = _declared_on(modules[system], project)
            continue
        if project.kind == "theme":
            at = [i for i, t in enumerate(themes) if (t.project or t.name) == project.name]
            if at:
                themes[at[0]] = _declared_on(themes[at[0]], project)
            else:
                themes.append(model.Theme(**_absent(project)))
            continue
        if project.kind != "module":
            continue  # libraries, profiles, drush extensions: not modules to plan
        at = [i for i, m in enumerate(modules) if (m.project or m.name) == project.name]
        if not at:
            modules.append(model.Module(**_absent(project)))
            continue
        main = next((i for i in at if modules[i].name == project.name), at[0])
        for i in at:
            mod = modules[i]
            modules[i] = _declared_on(mod, project, patches=i == main)
        tree = modules[main].version
        if project.version and tree and tree != project.version:
            warnings.append(
                f"{project.name}: {project.source} declares {project.version}, "
                f"the tree holds {tree} (the tree is what was scanned)"
            )
    return warnings


def _absent(project: Declared) -> dict[str, Any]:
    """The fields of an extension declared by a build file but not in the tree."""
    return {
        "name": project.name,
        "label": project.name,
        "project": project.name,
        "version": project.version,
        "type": "contrib" if project.from_drupal_org else "unverified",
        "declared_in": [project.source],
        "patches": list(project.patches),
    }


def _declared_on(ext: Any, project: Declared, *, patches: bool = True) -> Any:
    """An extension marked as declared by ``project.source``, with its patches."""
    listed = list(dict.fromkeys([*ext.patches, *project.patches])) if patches else ext.patches
    sources = sorted({*ext.declared_in, project.source})
    return model.replace(ext, declared_in=sources, patches=listed)
