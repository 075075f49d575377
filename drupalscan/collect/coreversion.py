"""Drupal core's version from outside: CHANGELOG.txt, static file hashes, ``?v=`` hints.

The answer is exact only when the evidence pins one release; otherwise it
is the narrowest candidate set, never a guess.  Three sources, in the
order a polite crawl can use them:

* ``CHANGELOG.txt``'s first entry, when robots.txt allows it and the site
  still has it (hardened sites delete it; Drupal's robots.txt disallows it).
* Static files a visitor may fetch: each release's core JS and CSS have
  known md5s (the knowledge base's table covers every 6.x/7.x release), so
  every file served narrows the set.  The next file asked for is the one
  that splits the remaining candidates best, so a few requests usually
  reach a class of releases that no static file can split further (e.g.
  7.61-7.70 changed only PHP).
* Drupal 7 adds ``?v=VERSION`` to the core libraries it registers with
  the core version (``misc/form.js?v=7.21`` and friends) when JavaScript
  aggregation is off: a page then names the exact release itself.

Pure functions; the requests are made by `drupalscan.collect.remote`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from drupalscan.inventory.model import Evidence

_CHANGELOG = re.compile(r"^Drupal (\d+\.\d+(?:\.\d+)?(?:-[A-Za-z0-9.]+)?),")

VERSIONED_LIBRARIES = frozenset(
    "ajax autocomplete batch collapse form machine-name progress states tabledrag "
    "tableheader tableselect textarea timezone vertical-tabs".split()
)
"""``misc/NAME.js`` files Drupal 7's system_library() registers with ``'version' => VERSION``;
jQuery and its plugins carry their own versions (``misc/jquery.js?v=1.4.4``)."""

MAX_HASH_REQUESTS = 12
"""Static files asked for at most; a handful usually reaches the finest split."""


def version_key(version: str) -> tuple[int, ...]:
    """Sort key for release names like ``7.79`` or ``8.9.20``."""
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.-]", version))


def core_from_changelog(text: str) -> str | None:
    """The release named by CHANGELOG.txt's first entry (``Drupal 7.79, 2021-04-07``)."""
    for line in text.splitlines()[:20]:
        line = line.strip()
        if not line:
            continue
        match = _CHANGELOG.match(line)
        if match:
            return match.group(1)
    return None


def hints_from_assets(assets: Iterable[str], page_of: Mapping[str, str]) -> list[Evidence]:
    """``?v=7.NN`` on core library files the pages load: the release, named by the site.

    ``page_of`` maps an asset URL to the page it was seen on (the evidence's location).
    """
    out: dict[str, Evidence] = {}
    for asset in assets:
        parts = urlsplit(asset)
        match = re.search(r"/misc/([a-z-]+)\.js$", parts.path)
        if not match or match.group(1) not in VERSIONED_LIBRARIES:
            continue
        for value in parse_qs(parts.query).get("v", []):
            if re.fullmatch(r"[67]\.\d+", value) and value not in out:
                out[value] = Evidence(
                    kind="asset-version",
                    detail=f"misc/{match.group(1)}.js?v={value} (a core library versioned "
                    "with the core release)",
                    location=page_of.get(asset, asset),
                )
    return [out[v] for v in sorted(out, key=version_key)]


def releases(table: Mapping[str, Any], major: str = "") -> list[str]:
    """The table's releases, of one major when given (and the table has any)."""
    known = [str(r) for r in table.get("releases") or []]
    if major:
        return [r for r in known if r.split(".")[0] == major] or known
    return known


def next_hash_path(
    table: Mapping[str, Any],
    candidates: Iterable[str],
    allowed: Callable[[str], bool],
    asked: set[str],
) -> str | None:
    """The static file whose md5 would split the candidate releases best, or None.

    Chooses the file with the smallest expected number of candidates left
    after its answer (the candidates grouped by the md5 each release ships,
    releases without the file in a group of their own).  Files already
    asked, files robots.txt forbids and CHANGELOG.txt (read on its own)
    are skipped; None when no file splits the set any more.
    """
    pool = set(candidates)
    if len(pool) <= 1:
        return None
    best: tuple[float, str] | None = None
    for path, by_md5 in (table.get("files") or {}).items():
        if path in asked or path.upper().endswith("CHANGELOG.TXT") or not allowed(path):
            continue
        groups: Counter[str] = Counter()
        for md5, shipped in (by_md5 or {}).items():
            inside = len(pool.intersection(shipped))
            if inside:
                groups[md5] = inside
        absent = len(pool) - sum(groups.values())
        sizes = [*groups.values(), *([absent] if absent else [])]
        if len(sizes) < 2:
            continue
        expected = sum(n * n for n in sizes) / len(pool)
        if best is None or (expected, path) < best:
            best = (expected, path)
    return best[1] if best else None


def narrow(
    table: Mapping[str, Any], candidates: list[str], path: str, md5: str
) -> tuple[list[str], Evidence]:
    """The candidates a served file's md5 leaves, and the evidence saying so.

    An unknown md5 (a patched or newer file) or one that would empty the set
    is reported and ignored rather than trusted: the answer stays a set of
    candidates, never a wrong single version.
    """
    shipped = set(((table.get("files") or {}).get(path) or {}).get(md5) or [])
    if not shipped:
        return candidates, Evidence(
            kind="file-hash",
            detail=f"{path} md5 {md5[:12]} matches no known release (modified?); ignored",
            location=path,
        )
    kept = [c for c in candidates if c in shipped]
    if not kept:
        return candidates, Evidence(
            kind="file-hash",
            detail=f"{path} md5 {md5[:12]} contradicts other files; ignored",
            location=path,
        )
    span = sorted(shipped, key=version_key)
    shown = span[0] if len(span) == 1 else f"{span[0]}–{span[-1]} ({len(span)} releases)"
    return kept, Evidence(
        kind="file-hash", detail=f"{path} md5 {md5[:12]} = {shown}", location=path
    )


def apply_hints(candidates: list[str], hints: list[Evidence]) -> tuple[list[str], list[Evidence]]:
    """Narrow candidates with ``?v=`` hints that agree with them; say when one does not."""
    notes: list[Evidence] = []
    named = [h.detail.split("?v=", 1)[1].split(" ", 1)[0] for h in hints]
    agreeing = [v for v in dict.fromkeys(named) if not candidates or v in candidates]
    if len(agreeing) == 1:
        kept = [agreeing[0]]
        notes.extend(h for h, v in zip(hints, named, strict=True) if v == agreeing[0])
        return kept, notes
    for hint, value in zip(hints, named, strict=True):
        why = "other pages name another" if value in agreeing else "not among the candidates"
        notes.append(
            Evidence(
                kind="asset-version",
                detail=f"{hint.detail.split(' ', 1)[0]} does not settle the release ({why})",
                location=hint.location,
            )
        )
    return candidates, notes
