"""Parse drupal.org release-history XML (``/release-history/{project}/current``).

``kb refresh`` fetches these documents to update the bundled knowledge base.
They come from the network, so parsing is defensive: documents carrying a
DTD or entity declarations are refused outright (the classic XML bomb and
external-entity vectors), and anything malformed raises
``ReleaseHistoryError`` instead of leaking parser internals.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

__all__ = [
    "ReleaseHistoryError",
    "core_majors",
    "parse_release_history",
    "to_project_entry",
]

KNOWN_MAJORS = (8, 9, 10, 11, 12)
"""Drupal 8+ majors; open-ended constraints (``>=9``) expand up to the last."""

_FORBIDDEN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class ReleaseHistoryError(ValueError):
    """The document is unsafe or not release-history XML."""


def core_majors(constraint: str | None) -> set[int]:
    """Drupal 8+ majors allowed by a core_compatibility constraint.

    Handles the forms drupal.org emits: ``^8 || ^9``, ``^10.3 || ^11``,
    ``8.0.0 || 8.1.1``, ``~9.2``, ``>=8.8``. Each alternative contributes the
    major it starts with; ``>=``/``>`` also cover every later known major.
    """
    majors: set[int] = set()
    if not constraint:
        return majors
    for part in re.split(r"\|+", constraint):
        for piece in part.split():
            m = re.match(r"(>=|>|\^|~|=)?v?(\d+)", piece.strip())
            if not m:
                continue
            major = int(m.group(2))
            if m.group(1) in (">=", ">"):
                majors.update(k for k in KNOWN_MAJORS if k >= major)
            else:
                majors.add(major)
            break  # the first bound of an alternative names its major
    return {m for m in majors if m >= 8}


def _version_majors(version: str, project: str) -> set[int]:
    """Majors implied by a version string when no constraint is given.

    ``8.x-1.2`` targets Drupal 8; core's own ``9.0.0`` is Drupal 9. Semantic
    versions of contrib (``2.1.0``) say nothing about core, so give nothing.
    """
    m = re.match(r"(\d+)\.x-", version)
    if m:
        return {int(m.group(1))} if int(m.group(1)) >= 8 else set()
    if project == "drupal":
        m = re.match(r"(\d+)\.", version)
        if m and int(m.group(1)) >= 8:
            return {int(m.group(1))}
    return set()


def _text(elem: ET.Element | None, tag: str) -> str:
    """Stripped text of a child element, '' when missing."""
    child = elem.find(tag) if elem is not None else None
    return (child.text or "").strip() if child is not None else ""


def _branch_of(version: str) -> str:
    """Branch prefix as drupal.org writes it in supported_branches (``8.x-1.``)."""
    m = re.match(r"(\d+\.x-\d+\.|\d+\.\d+\.|\d+\.)", version)
    return m.group(1) if m else version


def parse_release_history(data: str | bytes) -> dict[str, Any]:
    """Parse one release-history document into plain data.

    Args:
        data: the XML document as fetched.

    Returns:
        ``{project, title, status, supported_branches, releases, d8_majors,
        no_releases}`` where each release is ``{version, core_compatibility,
        status, date, security, insecure, supported, types}``. ``d8_majors``
        counts only published releases. A drupal.org ``<error>`` document
        (unknown project or no releases) yields ``no_releases=True``.

    Raises:
        ReleaseHistoryError: on a DTD/entity declaration or malformed XML.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if _FORBIDDEN.search(raw):
        raise ReleaseHistoryError("refusing XML with a DTD or entity declaration")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ReleaseHistoryError(f"malformed release history: {exc}") from exc
    if root.tag == "error":
        return {
            "project": "",
            "title": "",
            "status": "no_releases",
            "supported_branches": [],
            "releases": [],
            "d8_majors": [],
            "no_releases": True,
            "error": (root.text or "").strip(),
        }
    if root.tag != "project":
        raise ReleaseHistoryError(f"unexpected root element <{root.tag}>")
    project = _text(root, "short_name")
    supported = [b.strip() for b in _text(root, "supported_branches").split(",") if b.strip()]
    releases: list[dict[str, Any]] = []
    majors: set[int] = set()
    for rel in root.iterfind("releases/release"):
        version = _text(rel, "version")
        if not version:
            continue
        types = sorted(
            _text(term, "value")
            for term in rel.iterfind("terms/term")
            if _text(term, "name") == "Release type"
        )
        compat = _text(rel, "core_compatibility") or None
        status = _text(rel, "status") or "published"
        date = _text(rel, "date")
        in_branch = any(version.startswith(b) for b in supported) if supported else True
        releases.append(
            {
                "version": version,
                "core_compatibility": compat,
                "status": status,
                "date": int(date) if date.isdigit() else None,
                "security": "Security update" in types,
                "insecure": "Insecure" in types,
                "supported": in_branch and "Unsupported" not in types,
                "types": types,
            }
        )
        if status == "published":
            found = core_majors(compat) if compat else _version_majors(version, project)
            majors |= found
    return {
        "project": project,
        "title": _text(root, "title"),
        "status": _text(root, "project_status") or "published",
        "supported_branches": supported,
        "releases": releases,
        "d8_majors": sorted(majors),
        "no_releases": not releases,
    }


def to_project_entry(
    history: dict[str, Any], base: dict[str, Any] | None = None, refreshed: str | None = None
) -> dict[str, Any]:
    """Turn a parsed history into a contrib_projects-shaped override entry.

    A refreshed history only proves releases exist; it cannot show that a
    project was replaced or moved into core, so those bundled verdicts are
    kept and only ``d8_majors`` is updated for them.  A history listing
    releases, none of them for Drupal 8+, is drupal.org saying there is no
    port: ``no_release``, unless the bundle knows a successor.  ``refreshed``
    is the date (ISO) the history was fetched, shown as the answer's origin.
    """
    base = dict(base or {})
    name = history["project"] or base.get("name", "")
    where = f"/release-history/{name}/current"
    entry: dict[str, Any] = {
        "modules": base.get("modules") or [name],
        "status": base.get("status", "unknown"),
        "replacement": base.get("replacement"),
        "replacements": base.get("replacements", []),
        "d8_majors": history["d8_majors"],
        "newest_release": _newest_release(history, where),
        "migration_path": base.get("migration_path"),
        "rank": base.get("rank"),
        "refreshed": refreshed,
        "sources": [{"repo": "https://www.drupal.org", "path": where, "branch": "current"}],
    }
    keep = entry["status"] in ("in_core", "replaced", "obsolete")
    if history["d8_majors"] and not keep:
        majors = ", ".join(str(m) for m in history["d8_majors"])
        entry["status"] = "has_release"
        entry["note"] = f"drupal.org lists published releases for Drupal {majors}."
    elif history["no_releases"] and not keep and entry["status"] == "unknown":
        entry["note"] = "drupal.org lists no releases for this project."
    elif history["releases"] and not history["d8_majors"] and not keep:
        newest = max(history["releases"], key=lambda r: r["date"] or 0)
        entry["status"] = "no_release"
        entry["note"] = (
            "drupal.org lists releases only for Drupal 7 or older "
            f"(newest {newest['version']}), none for Drupal 8+."
        )
    else:
        entry["note"] = base.get("note", "") or "No Drupal 8+ release listed on drupal.org."
    if history["status"] not in ("published", "no_releases"):
        entry["note"] += f" Project status: {history['status']}."
    return entry


def _newest_release(history: dict[str, Any], where: str) -> dict[str, Any] | None:
    """The newest published Drupal 8+ release, in the knowledge base's shape."""
    d8: list[tuple[int, str, list[int]]] = []
    for release in history["releases"]:
        if release["status"] != "published":
            continue
        compat = release["core_compatibility"]
        found = core_majors(compat) if compat else _version_majors(release["version"], "")
        if found:
            d8.append((release["date"] or 0, release["version"], sorted(found)))
    if not d8:
        return None
    date, version, majors = max(d8)
    seen = dt.datetime.fromtimestamp(date, dt.UTC).strftime("%Y-%m-%d") if date else None
    return {
        "version": version,
        "majors": majors,
        "seen": seen,
        "source": {"repo": "https://www.drupal.org", "path": where, "branch": "current"},
    }
