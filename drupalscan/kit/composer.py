"""composer.json for the target site: core, drush, the planned contrib, migrate tools.

The shape follows drupal/recommended-project (the project template drupal.org
documents for new sites): web/ as the docroot, packages.drupal.org as the
repository, the scaffold and installer plugins allowed.  Each contributed
project gets a caret constraint from the newest Drupal 10/11 release the
knowledge base has seen, so `composer install` starts from a line known to
run on the target; projects the plan cannot vouch for (no release for the
target's major, status unknown) stay out and the kit's README lists them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from drupalscan.inventory import model
from drupalscan.kb import KnowledgeBase

MIGRATION_PROJECTS = ("migrate_plus", "migrate_tools", "migrate_upgrade")
"""What every kit's migrations need (migrate_upgrade for `drush migrate:upgrade` checks)."""

DRUSH = {10: "^12 || ^13", 11: "^13"}
"""Drush lines supporting each Drupal major (Drush 13 needs Drupal 10.2+; 12 stops at 10)."""

_VERSION = re.compile(
    r"^(?:\d+\.x-)?(?P<major>\d+)(?:\.(?P<minor>\d+|x))?(?:\.\d+)?(?:-(?P<extra>[A-Za-z]+)\d*)?$"
)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One drupal/* package the kit requires, and why."""

    project: str
    constraint: str
    why: str


@dataclass(slots=True)
class ComposerPlan:
    """The packages the kit requires and the planned projects it leaves out."""

    requires: list[Requirement] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)
    """(project or module, reason) for each planned project not required."""


def constraint(version: str) -> str | None:
    """A caret constraint from a drupal.org release version, or None when unreadable.

    ``8.x-1.14`` is the semantic 1.14.0 on packages.drupal.org, so both give
    ``^1.14``; a pre-release newest line keeps its stability (``^4.1@alpha``)
    because composer's default minimum stability would refuse it otherwise.
    """
    match = _VERSION.match(version.strip())
    if match is None:
        return None
    major, minor, extra = match["major"], match["minor"], match["extra"]
    base = f"^{major}.{minor}" if minor and minor != "x" else f"^{major}.0"
    if extra:
        stability = extra.lower()
        stability = {"rc": "RC"}.get(stability, stability)
        if stability not in ("alpha", "beta", "RC", "dev"):
            return None
        return f"{base}@{stability}"
    return base


def composer_plan(
    target: model.Target, kb: KnowledgeBase, extra: Sequence[str] = ()
) -> ComposerPlan:
    """The drupal/* projects the target installs, one constraint each.

    `contrib` modules install their own project; `replace` modules install
    their replacement.  Several modules of one project (ctools and its
    submodules) make one requirement.  ``extra`` are projects the kit itself
    needs (path_redirect_import for the redirect file, migrate_source_csv
    for crawled pages).
    """
    out = ComposerPlan()
    seen: dict[str, Requirement] = {}

    def add(project: str, why: str, module: str) -> None:
        if project in seen:
            return
        entry = kb.project(project)
        release = entry.newest_release if entry else None
        wanted = constraint(release.version) if release else None
        if release is None or wanted is None:
            out.left_out.append((module, f"no Drupal {target.core} release of {project} is known"))
            return
        if release.majors and target.core not in release.majors:
            out.left_out.append(
                (
                    module,
                    f"the newest release known of {project} ({release.version}) "
                    f"is for Drupal {'/'.join(map(str, release.majors))}",
                )
            )
            return
        seen[project] = Requirement(project, wanted, why)

    for mod in target.modules:
        if mod.action == "contrib":
            add(kb.project_for_module(mod.name) or mod.name, f"keeps {mod.name}", mod.name)
        elif mod.action == "replace":
            names = re.findall(r"[a-z][a-z0-9_]*", mod.replacement or "")
            projects = [p for p in names if kb.project(p) is not None]
            for project in projects:
                add(project, f"replaces {mod.name}", mod.name)
            if not projects:
                out.left_out.append(
                    (mod.name, f"its replacement ({mod.replacement or 'none named'}) is no project")
                )
    for project in MIGRATION_PROJECTS:
        add(project, "runs the migrations", project)
    for project in extra:
        add(project, "reads the kit's files", project)
    out.requires = sorted(seen.values(), key=lambda r: r.project)
    return out


def composer_json(
    plan: ComposerPlan, core: int, *, name: str, provenance: dict[str, str]
) -> dict[str, Any]:
    """The composer.json document (a dict; the writer serialises it)."""
    require = {
        "composer/installers": "^2.0",
        "drupal/core-composer-scaffold": f"^{core}",
        "drupal/core-recommended": f"^{core}",
        "drush/drush": DRUSH.get(core, DRUSH[11]),
    }
    require.update({f"drupal/{r.project}": r.constraint for r in plan.requires})
    return {
        "name": name,
        "description": "The consolidated Drupal site, started from a drupalscan plan.",
        "type": "project",
        "license": "GPL-2.0-or-later",
        "repositories": [{"type": "composer", "url": "https://packages.drupal.org/8"}],
        "require": dict(sorted(require.items())),
        "minimum-stability": "stable",
        "prefer-stable": True,
        "config": {
            "allow-plugins": {
                "composer/installers": True,
                "drupal/core-composer-scaffold": True,
                "php-http/discovery": True,
                "phpstan/extension-installer": True,
            },
            "sort-packages": True,
        },
        "extra": {
            "drupal-scaffold": {"locations": {"web-root": "web/"}},
            "installer-paths": {
                "web/core": ["type:drupal-core"],
                "web/libraries/{$name}": ["type:drupal-library"],
                "web/modules/contrib/{$name}": ["type:drupal-module"],
                "web/profiles/contrib/{$name}": ["type:drupal-profile"],
                "web/themes/contrib/{$name}": ["type:drupal-theme"],
                "drush/Commands/contrib/{$name}": ["type:drupal-drush"],
                "web/modules/custom/{$name}": ["type:drupal-custom-module"],
                "web/themes/custom/{$name}": ["type:drupal-custom-theme"],
            },
            "drupalscan": provenance,
        },
    }
