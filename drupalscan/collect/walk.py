"""A safe directory walk for scanned docroots.

`os.walk` either ignores directory symlinks or follows them blindly.  A copied
client docroot can hold links back into itself (loops) or out to the rest of
the consultant's disk; Drupal itself would follow links inside the docroot.
So: follow a link only when its target resolves inside the docroot and was
not visited yet, and report everything skipped instead of failing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SKIP_DIRS = frozenset({".git", ".svn", ".hg", "CVS", "node_modules", ".idea"})
"""Directories Drupal's file_scan_directory() skips, plus VCS and tooling noise."""


@dataclass
class WalkReport:
    """What the walk refused to enter, for the site's warnings."""

    outside_links: list[str] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def walk_files(root: Path, report: WalkReport | None = None) -> Iterator[tuple[str, str]]:
    """Yield ``(relative_dir, file_name)`` for every regular file under ``root``.

    Relative paths use ``/`` and are relative to ``root``; directories are
    visited in sorted order so results are deterministic.
    """
    report = report if report is not None else WalkReport()
    root_real = os.path.realpath(root)
    visited: set[str] = {root_real}
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        path, rel = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            report.unreadable.append(rel or ".")
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            child_rel = f"{rel}/{entry.name}" if rel else entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=True)
                is_file = entry.is_file(follow_symlinks=True)
            except OSError:
                report.unreadable.append(child_rel)
                continue
            if is_link:
                target = os.path.realpath(entry.path)
                if target != root_real and not target.startswith(root_real + os.sep):
                    report.outside_links.append(child_rel)
                    continue
            if is_dir:
                if entry.name in SKIP_DIRS:
                    continue
                # Every directory's real path counts, not only link targets,
                # so a link back to an ancestor is caught on first sight.
                real = os.path.realpath(entry.path)
                if real in visited:
                    report.loops.append(child_rel)
                    continue
                visited.add(real)
                subdirs.append((entry.path, child_rel))
            elif is_file:
                yield rel, entry.name
        stack.extend(reversed(subdirs))
