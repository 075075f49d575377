"""What a patch reference says: which drupal.org issue it comes from.

Every patch on a contributed module has to be checked against that module's
Drupal 8+ release: fixed upstream by now, to re-roll, or to turn into custom
code.  The drupal.org issue is where that answer is, and patch names carry it
by convention (``views-1234567-12.patch``: issue 1234567, comment 12; drush
make keys patches by issue, ``projects[ctools][patch][1294478] = ...``).
Drush make also leaves a ``PATCHES.txt`` in each patched project listing what
it applied; reading it recovers the list when only the built tree is there.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["PATCHED_FOLDER", "issue_number", "listed_in_patches_txt"]

PATCHED_FOLDER = "patched copy (kept in a patched/ folder); the patches are not listed"
"""The patch entry of a module kept in a ``patched/`` folder with no patch file."""

_ISSUE_URL = re.compile(r"drupal\.org/(?:node|i|project/[\w-]+/issues)/(\d{4,8})\b")
_ISSUE_IN_NAME = re.compile(r"(?<![\d.])(\d{6,8})(?:[-_](?:\d{1,3}|d\d|do-not-test|reroll))*[-_.]")
_MAX_PATCHES_TXT = 64_000


def issue_number(reference: str) -> str | None:
    """The drupal.org issue a patch URL or file name points to, when it says.

    ``https://www.drupal.org/files/issues/2023-09-05/2957256-49.patch`` and
    ``views-exposed-1234567-12.patch`` give the six-to-eight digit issue id;
    ``https://www.drupal.org/node/1234567`` and ``/i/1234567`` too.  A date
    folder (``2023-09-05``) is not an issue.
    """
    m = _ISSUE_URL.search(reference)
    if m:
        return m.group(1)
    name = reference.rstrip("/").rsplit("/", 1)[-1]
    m = _ISSUE_IN_NAME.search(name)
    return m.group(1) if m else None


def listed_in_patches_txt(path: Path) -> list[str]:
    """The patches a drush make ``PATCHES.txt`` says it applied, in order."""
    try:
        with path.open("rb") as fh:
            text = fh.read(_MAX_PATCHES_TXT).decode("utf-8", errors="replace")
    except OSError:
        return []
    return [
        line.strip()[2:].strip()
        for line in text.splitlines()
        if line.strip().startswith("- ") and len(line.strip()) > 2
    ]
