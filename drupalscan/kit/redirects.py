"""The redirect map as the CSV path_redirect_import reads, and the pages CSVs.

path_redirect_import (2.x, for Drupal 9.1+) imports rows of source path,
destination, language and status code into the redirect module's entities
with a migration of its own; its header row names the columns.  Sources are
old paths without the leading slash (as the redirect module stores them),
destinations paths on the new site.  Several old sites' paths can land on
one host only because the plan's path decisions settled every collision.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

REDIRECT_COLUMNS = ("source", "destination", "language", "status_code")


def pattern_target(target: str) -> bool:
    """A target the new site's URL patterns decide (``/news/[node:title]``), not a path yet."""
    return "[" in target


def redirect_rows(redirects: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    """One row per old URL with a new path, old paths unique (first kept), sorted.

    Rows whose target is a URL pattern are left out: their path exists only
    once the node is migrated (the README counts them).
    """
    rows: dict[str, dict[str, str]] = {}
    for r in redirects:
        target = r.get("target", "")
        if pattern_target(target):
            continue
        parts = urlsplit(r.get("old_url", ""))
        source = parts.path.lstrip("/") + (f"?{parts.query}" if parts.query else "")
        if not target or not source or source in rows:
            continue
        if source == target.lstrip("/"):
            continue  # the page keeps its path: nothing to redirect
        rows[source] = {
            "source": source,
            "destination": target,
            "language": "und",
            "status_code": "301",
        }
    return [rows[k] for k in sorted(rows)]


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> str:
    """CSV with a header row, one line per row, quoted where needed."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return out.getvalue()
