"""Bringing other stores' sites into this one: `drupalscan merge STORE...`.

A consultant collects behind several network boundaries (one machine inside
each subsidiary's VPN) and plans once over everything.  Each source store is
opened read-only and checked whole (SQLite integrity, store format, every
site readable) before anything is written, so a corrupt, truncated or
too-new store is refused with the target untouched.  Then, per site, keyed
by its stable id:

* a site the target lacks is copied with its pages and crawl frontier;
* a site both hold keeps the more complete record (more collection steps,
  then more pages, then more modules; the newer on a tie), with its own
  pages, and the outcome says which and why;
* the knowledge-base cache keeps each project's newer refresh.

Merging the same store twice changes nothing the second time.  Secrets are
never in a store (crawl passwords and database credentials are not
written), so none can travel this way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from drupalscan.inventory import io, model
from drupalscan.inventory.store import STORE_FORMAT, Store, StoreError


@dataclass(frozen=True, slots=True)
class Merged:
    """What happened to one site of a source store."""

    source_store: str
    site: str
    name: str
    outcome: str
    """added | replaced | kept | unchanged"""
    why: str = ""

    def line(self) -> str:
        text = f"{self.source_store}: {self.name}: {self.outcome}"
        return f"{text} ({self.why})" if self.why else text


@dataclass(frozen=True, slots=True)
class _Record:
    site: model.Site
    data: str
    updated_at: float
    pages: int

    def completeness(self) -> tuple[int, int, int, int, float]:
        s = self.site
        return (
            len(s.collected),
            self.pages,
            len(s.modules),
            len(s.content_types),
            self.updated_at,
        )


class _Source:
    """One source store, opened read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise StoreError(f"merge: {path}: no such store file")
        try:
            self.db = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
            ok = self.db.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"merge: {path} is not a usable drupalscan store ({exc}); nothing was merged"
            ) from None
        if not ok or ok[0] != "ok":
            raise StoreError(
                f"merge: {path} is damaged ({ok[0] if ok else 'no answer'}); nothing was merged"
            )
        self.tables = {
            r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if "sites" not in self.tables:
            raise StoreError(
                f"merge: {path} is not a drupalscan store (no sites); nothing was merged"
            )
        fmt = None
        if "meta" in self.tables:
            row = self.db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
            fmt = row[0] if row else None
        if fmt not in (None, STORE_FORMAT):
            raise StoreError(
                f"merge: {path} was written by an incompatible drupalscan (store format {fmt}, "
                f"this one reads {STORE_FORMAT}); merge it with that version, nothing was merged"
            )

    def records(self) -> Iterator[_Record]:
        counts = dict(
            self.db.execute("SELECT site_id, count(*) FROM pages GROUP BY site_id").fetchall()
            if "pages" in self.tables
            else []
        )
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(sites)")}
        updated = "updated_at" if "updated_at" in columns else "0"
        for sid, data, at in self.db.execute(
            f"SELECT id, data, {updated} FROM sites ORDER BY source"
        ):
            try:
                site = io.from_data(model.Site, json.loads(data))
            except (ValueError, io.SchemaError) as exc:
                raise StoreError(
                    f"merge: {self.path}: site {sid} cannot be read ({exc}); nothing was merged"
                ) from None
            yield _Record(
                site, io.dumps(site, indent=None), float(at or 0), int(counts.get(sid, 0))
            )

    def pages(self, site_id: str) -> Iterator[tuple[str, int, str]]:
        if "pages" not in self.tables:
            return
        cur = self.db.execute("SELECT url, status, data FROM pages WHERE site_id=?", (site_id,))
        for url, status, data in cur:
            page = io.from_data(model.Page, json.loads(data))  # upgraded to this model
            yield url, int(status), io.dumps(page, indent=None)

    def frontier(self, site_id: str) -> list[tuple[str, int, str, int]]:
        if "frontier" not in self.tables:
            return []
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(frontier)")}
        referrer = "referrer" if "referrer" in columns else "''"
        return [
            (u, int(d), r, int(done))
            for u, d, r, done in self.db.execute(
                f"SELECT url, depth, {referrer}, done FROM frontier WHERE site_id=? ORDER BY seq",
                (site_id,),
            )
        ]

    def kb(self) -> list[tuple[str, str, float]]:
        if "kb_cache" not in self.tables:
            return []
        return [
            (p, d, float(t))
            for p, d, t in self.db.execute("SELECT project, data, fetched_at FROM kb_cache")
        ]

    def close(self) -> None:
        self.db.close()


def merge(target_path: Path, paths: Sequence[Path]) -> list[Merged]:
    """Merge the sites of the stores at ``paths`` into the store at ``target_path``.

    Every source is opened read-only and read whole before the target is
    even opened (so a refused merge does not create it), and the merge is
    one transaction: any failure leaves the target as it was.

    Returns:
        What happened to each source site, in source order.

    Raises:
        StoreError: a source is missing, not a store, damaged, of an
            incompatible format, or the target itself.
    """
    own = target_path.resolve()
    sources: list[_Source] = []
    try:
        for path in paths:
            if path.resolve() == own:
                raise StoreError(f"merge: {path} is the store being merged into; name another")
            sources.append(_Source(path))
        records = [(src, list(src.records())) for src in sources]
        out: list[Merged] = []
        with Store(target_path) as target, target.transaction():
            for src, recs in records:
                for rec in recs:
                    out.append(_merge_site(target, src, rec))
                for project, data, fetched in src.kb():
                    target.db.execute(
                        "INSERT INTO kb_cache (project, data, fetched_at) VALUES (?,?,?) "
                        "ON CONFLICT(project) DO UPDATE SET data=excluded.data, "
                        "fetched_at=excluded.fetched_at WHERE excluded.fetched_at > fetched_at",
                        (project, data, fetched),
                    )
        return out
    finally:
        for src in sources:
            src.close()


def _merge_site(target: Store, src: _Source, rec: _Record) -> Merged:
    site = rec.site
    name = site.name or site.source
    label = src.path.name
    row = target.db.execute("SELECT data, updated_at FROM sites WHERE id=?", (site.id,)).fetchone()
    if row is not None:
        mine = _Record(Store._load_site(row[0]), row[0], float(row[1]), target.page_count(site.id))
        if mine.data == rec.data and mine.pages == rec.pages:
            return Merged(label, site.id, name, "unchanged")
        theirs, ours = rec.completeness(), mine.completeness()
        if theirs <= ours:
            return Merged(label, site.id, name, "kept", _why(ours, theirs, "this store's"))
        why = _why(theirs, ours, f"{label}'s")
        for table in ("pages", "frontier"):
            target.db.execute(f"DELETE FROM {table} WHERE site_id=?", (site.id,))
        outcome = "replaced"
    else:
        why, outcome = "", "added"
    target.db.execute(
        "INSERT OR REPLACE INTO sites (id, source, origin, data, updated_at) VALUES (?,?,?,?,?)",
        (site.id, site.source, site.origin, rec.data, rec.updated_at),
    )
    target.db.executemany(
        "INSERT OR REPLACE INTO pages (site_id, url, status, data) VALUES (?,?,?,?)",
        ((site.id, url, status, data) for url, status, data in src.pages(site.id)),
    )
    for url, depth, referrer, done in src.frontier(site.id):
        target.db.execute(
            "INSERT OR IGNORE INTO frontier (site_id, url, depth, referrer, done, seq) "
            "SELECT ?,?,?,?,?, coalesce(max(seq), 0) + 1 FROM frontier",
            (site.id, url, depth, referrer, done),
        )
    return Merged(label, site.id, name, outcome, why)


_MEASURES = ("collection steps", "pages", "modules", "content types")


def _why(
    winner: tuple[int, int, int, int, float], loser: tuple[int, int, int, int, float], whose: str
) -> str:
    """Why one record of a site beat the other, in the first measure that differs."""
    for measure, a, b in zip(_MEASURES, winner, loser, strict=False):
        if a != b:
            return f"{whose} record is more complete: {a} {measure} against {b}"
    return f"{whose} record is newer"
