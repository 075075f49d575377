"""Read saved Drush output: ``pm-list`` and ``status`` in JSON.

Some clients cannot hand over a database but can run Drush.  Its extension
list says what is enabled, disabled (installed, then switched off) and not
installed, which is what the database route reads from ``system``; its status
output names the core version.  Both Drush 8 (``"name": "Label (machine)"``,
``"type": "Module"``) and Drush 9+ (``display_name``, ``path``, lower-case
type) shapes are accepted, as is leading noise such as PHP warnings that Drush
printed before the JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from drupalscan.collect.database import ExtensionState, is_secret
from drupalscan.collect.dbsource import DatabaseError

__all__ = ["drush_status", "read_drush"]

_LABEL = re.compile(r"^(?P<label>.*?)\s*\((?P<machine>[A-Za-z0-9_]+)\)\s*$")


def read_drush(path: str | Path) -> dict[str, ExtensionState]:
    """Extensions from ``drush pm-list --format=json`` output saved in ``path``.

    "Not installed" maps to ``schema_version=-1`` (Drupal's own marker for a
    never-installed module) so `ExtensionState.state` tells it apart from
    "Disabled"; otherwise the schema version is unknown (None).  Drush does not
    print file names, so ``filename`` is Drush 9's ``path`` or empty.
    """
    data = _load(path)
    if _looks_like_status(data):
        raise DatabaseError(f"{path} is `drush status` output, not `drush pm-list`")
    result: dict[str, ExtensionState] = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or "status" not in entry:
            raise DatabaseError(f"{path} is not `drush pm-list --format=json` output")
        status = str(entry.get("status", "")).strip().lower()
        raw_name = str(entry.get("name", ""))
        label = str(entry.get("display_name", "")) or raw_name
        m = _LABEL.match(label)
        if m:
            label = m.group("label")
        version = entry.get("version")
        result[str(key)] = ExtensionState(
            name=str(key),
            type=str(entry.get("type", "module")).strip().lower() or "module",
            enabled=status == "enabled",
            schema_version=-1 if status == "not installed" else None,
            filename=str(entry.get("path") or ""),
            label=label,
            version=str(version) if version else None,
            package=str(entry.get("package") or ""),
        )
    return dict(sorted(result.items()))


def drush_status(path: str | Path) -> dict[str, Any]:
    """Fields of ``drush status --format=json`` (``drupal-version``, ``db-driver``...).

    Keys are kept as Drush spells them; anything that could be a credential
    (``db-password`` and the like) is dropped.
    """
    data = _load(path)
    if not _looks_like_status(data):
        raise DatabaseError(f"{path} is not `drush status --format=json` output")
    return {k: v for k, v in data.items() if not is_secret(str(k))}


def is_status_file(path: str | Path) -> bool:
    """Whether a file holds `drush status` output (else treat it as pm-list)."""
    return _looks_like_status(_load(path))


def _looks_like_status(data: dict[str, Any]) -> bool:
    """Status output is flat with keys like drupal-version; pm-list nests dicts."""
    if any(k in data for k in ("drupal-version", "drush-version", "bootstrap", "root")):
        return not all(isinstance(v, dict) and "status" in v for v in data.values())
    return False


def _load(path: str | Path) -> dict[str, Any]:
    """The JSON object in the file, skipping any text Drush printed before it."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror or exc}") from None
    start = text.find("{")
    if start < 0:
        raise DatabaseError(f"{path} holds no JSON object")
    try:
        data, _ = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise DatabaseError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DatabaseError(f"{path} holds no JSON object")
    return data
