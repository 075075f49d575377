"""Where the Drupal docroot is in what the user passed, and which Drupal it holds.

The version comes from string literals (``define('VERSION', ...)``,
``const VERSION``), CHANGELOG.txt and the system module's packaging footer,
read as text: no PHP is included or run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from drupalscan.collect.infofile import InfoError, read_info
from drupalscan.inventory import model

__all__ = ["DOCROOT_CANDIDATES", "Docroot", "ScanError", "find_docroot", "read_head"]

DOCROOT_CANDIDATES = ("web", "docroot", "htdocs", "public_html", "html", "www")
"""Sub-folders a repository commonly keeps its docroot in."""

_D7_VERSION = re.compile(rb"define\(\s*'VERSION'\s*,\s*'([0-9][^']*)'\s*\)")
_D8_VERSION = re.compile(rb"const\s+VERSION\s*=\s*'([0-9][^']*)'")
_CHANGELOG = re.compile(rb"^\s*Drupal\s+([0-9]+\.[0-9][0-9.]*[\w-]*)", re.MULTILINE)


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


def read_head(path: Path, limit: int = 200_000) -> bytes:
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
        match = _D8_VERSION.search(read_head(drupal_php))
        if match:
            version = match.group(1).decode()
            evidence.append(
                model.Evidence(
                    kind="file", detail=f"VERSION = {version}", location="core/lib/Drupal.php"
                )
            )
    elif bootstrap.is_file():
        match = _D7_VERSION.search(read_head(bootstrap))
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
            match = _D7_VERSION.search(read_head(system))
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
    changelog = _CHANGELOG.search(read_head(root / "CHANGELOG.txt", 4096))
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
