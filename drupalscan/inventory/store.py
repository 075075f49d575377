"""The embedded SQLite store: where collected work lives between runs.

Design choices, and why:

* WAL journal and a busy timeout, so a second drupalscan process on the same
  file waits its turn instead of corrupting it, and a reader never blocks the
  crawler that is writing.
* Each collector step commits as soon as it has something whole (a site's
  codebase, its database, one crawled page), so a run killed at any moment
  leaves every committed step usable and the next run resumes.
* Sites are stored as one JSON document each (the model is the schema, and
  `io` already knows how to round-trip it); pages and the crawl frontier get
  their own tables because a site can have a hundred thousand of them.
* Upserts keyed by stable ids make every write idempotent.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType

from drupalscan.inventory import io, model

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sites (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    origin TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    site_id TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (site_id, url)
);
CREATE TABLE IF NOT EXISTS frontier (
    site_id TEXT NOT NULL,
    url TEXT NOT NULL,
    depth INTEGER NOT NULL,
    referrer TEXT NOT NULL DEFAULT '',
    done INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site_id, url)
);
CREATE INDEX IF NOT EXISTS frontier_todo ON frontier (site_id, done, seq);
CREATE TABLE IF NOT EXISTS kb_cache (
    project TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
"""

STORE_FORMAT = "1"


class StoreError(Exception):
    """The store file cannot be used (not SQLite, wrong format, locked)."""


class Store:
    """A drupalscan store file.  Use as a context manager or call `close()`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"{self.path} is a directory; --store takes a file name")
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self._set_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            with self.transaction():
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                row = self.db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
                if row is None:
                    self.db.execute("INSERT INTO meta VALUES ('format', ?)", (STORE_FORMAT,))
                elif row[0] != STORE_FORMAT:
                    raise StoreError(
                        f"{self.path} was written by an incompatible drupalscan "
                        f"(store format {row[0]}); use a new --store file"
                    )
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} is not a usable drupalscan store ({exc}); "
                "pass another file with --store"
            ) from None
        self._seq = self._max_seq()

    # -- plumbing -----------------------------------------------------------

    def _set_wal(self) -> None:
        """Switch to WAL, waiting while another process holds the file.

        Changing the journal mode does not go through SQLite's busy handler,
        so two drupalscan processes opening a new store at the same moment
        would see 'database is locked' at once; retry for up to 30 s instead.
        """
        deadline = time.monotonic() + 30
        while True:
            try:
                self.db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def transaction(self) -> _Transaction:
        """A write transaction; IMMEDIATE so writers queue instead of failing."""
        return _Transaction(self.db)

    def close(self) -> None:
        """Close the connection; committed work is already on disk."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- sites --------------------------------------------------------------

    def put_site(self, site: model.Site) -> None:
        """Insert or replace a site, committed at once."""
        data = io.dumps(site, indent=None)
        with self.transaction():
            self.db.execute(
                "INSERT INTO sites (id, source, origin, data, updated_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(id) DO UPDATE SET source=excluded.source, "
                "origin=excluded.origin, data=excluded.data, updated_at=excluded.updated_at",
                (site.id, site.source, site.origin, data, time.time()),
            )

    def get_site(self, site_id: str) -> model.Site | None:
        """The stored site with this id, or None."""
        row = self.db.execute("SELECT data FROM sites WHERE id=?", (site_id,)).fetchone()
        return None if row is None else self._load_site(row[0])

    def sites(self) -> list[model.Site]:
        """Every stored site, in source order (stable for reports)."""
        rows = self.db.execute("SELECT data FROM sites ORDER BY source").fetchall()
        return [self._load_site(r[0]) for r in rows]

    def inventory(self) -> model.Inventory:
        """All stored sites as one inventory."""
        return model.Inventory(sites=self.sites())

    def remove_site(self, site_id: str) -> None:
        """Forget a site and its pages and frontier."""
        with self.transaction():
            for table in ("sites", "pages", "frontier"):
                col = "id" if table == "sites" else "site_id"
                self.db.execute(f"DELETE FROM {table} WHERE {col}=?", (site_id,))

    @staticmethod
    def _load_site(text: str) -> model.Site:
        try:
            return io.from_data(model.Site, json.loads(text))
        except (ValueError, io.SchemaError) as exc:
            raise StoreError(f"a stored site cannot be read ({exc})") from None

    # -- pages --------------------------------------------------------------

    def put_page(self, site_id: str, page: model.Page) -> None:
        """Store one fetched page and mark its URL done, in one commit."""
        with self.transaction():
            self._put_page(site_id, page)

    def _put_page(self, site_id: str, page: model.Page) -> None:
        self._put_page_row(site_id, page.url, page.status, io.dumps(page, indent=None))

    def _put_page_row(self, site_id: str, url: str, status: int, data: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO pages (site_id, url, status, data) VALUES (?,?,?,?)",
            (site_id, url, status, data),
        )
        self.db.execute("UPDATE frontier SET done=1 WHERE site_id=? AND url=?", (site_id, url))

    def put_pages(self, site_id: str, pages: Iterable[model.Page]) -> None:
        """Store several pages in one commit."""
        with self.transaction():
            for page in pages:
                self._put_page(site_id, page)

    def put_page_rows(self, site_id: str, rows: Iterable[tuple[str, int, str]]) -> None:
        """Store pages already serialised, as ``(url, status, page JSON)``, in one commit.

        The crawler serialises each page where it parsed it (possibly in a
        helper process), so its coordinator, the one thread that writes the
        store, does no more than the writing.  The JSON must be
        ``io.dumps(page, indent=None)`` of a `model.Page`; `pages` reads it back.
        """
        with self.transaction():
            for url, status, data in rows:
                self._put_page_row(site_id, url, status, data)

    def pages(self, site_id: str) -> Iterator[model.Page]:
        """Stream a site's pages in URL order without loading them all."""
        cur = self.db.execute("SELECT data FROM pages WHERE site_id=? ORDER BY url", (site_id,))
        for (text,) in cur:
            yield io.from_data(model.Page, json.loads(text))

    def page_source(self) -> Callable[[str], Iterator[model.Page]]:
        """A way to stream a site's pages later, after this connection is closed.

        A report is rendered after the store that built it may be gone (a
        test fixture, a re-render): the source opens the store file again
        for each site and streams, so memory never holds every page.  An
        in-memory store cannot be opened again; its own connection is used.
        """
        if str(self.path) == ":memory:":
            return self.pages
        path = self.path

        def stream(site_id: str) -> Iterator[model.Page]:
            with Store(path) as store:
                yield from store.pages(site_id)

        return stream

    def page_count(self, site_id: str) -> int:
        """How many pages of a site are stored."""
        row = self.db.execute("SELECT count(*) FROM pages WHERE site_id=?", (site_id,))
        return int(row.fetchone()[0])

    def has_page(self, site_id: str, url: str) -> bool:
        """Whether this URL was already fetched and stored."""
        row = self.db.execute(
            "SELECT 1 FROM pages WHERE site_id=? AND url=?", (site_id, url)
        ).fetchone()
        return row is not None

    # -- crawl frontier -----------------------------------------------------

    def _max_seq(self) -> int:
        row = self.db.execute("SELECT coalesce(max(seq), 0) FROM frontier").fetchone()
        return int(row[0])

    def enqueue(self, site_id: str, items: Iterable[tuple[str, int, str]]) -> int:
        """Add (url, depth, referrer) to the frontier unless already known.

        Returns how many were new.  Known URLs keep their first depth, which
        is the shortest, because the crawl is breadth first.
        """
        added = 0
        with self.transaction():
            for url, depth, referrer in items:
                self._seq += 1
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO frontier (site_id, url, depth, referrer, seq) "
                    "VALUES (?,?,?,?,?)",
                    (site_id, url, depth, referrer, self._seq),
                )
                added += cur.rowcount
        return added

    def pending(self, site_id: str, limit: int = 1000) -> list[tuple[str, int, str]]:
        """The oldest URLs still to fetch, breadth first."""
        rows = self.db.execute(
            "SELECT url, depth, referrer FROM frontier WHERE site_id=? AND done=0 "
            "ORDER BY depth, seq LIMIT ?",
            (site_id, limit),
        ).fetchall()
        return [(r[0], int(r[1]), r[2]) for r in rows]

    def mark_done(self, site_id: str, urls: Iterable[str]) -> None:
        """Mark frontier URLs as handled without a page (skipped, out of scope)."""
        with self.transaction():
            self.db.executemany(
                "UPDATE frontier SET done=1 WHERE site_id=? AND url=?",
                [(site_id, u) for u in urls],
            )

    def frontier_size(self, site_id: str) -> tuple[int, int]:
        """(done, queued) counts of a site's frontier."""
        row = self.db.execute(
            "SELECT coalesce(sum(done), 0), coalesce(sum(1 - done), 0) "
            "FROM frontier WHERE site_id=?",
            (site_id,),
        ).fetchone()
        return int(row[0]), int(row[1])

    def in_frontier(self, site_id: str, url: str) -> bool:
        """Whether a URL was ever queued for this site (done or not)."""
        row = self.db.execute(
            "SELECT 1 FROM frontier WHERE site_id=? AND url=?", (site_id, url)
        ).fetchone()
        return row is not None

    def frontier_urls(self, site_id: str) -> Iterator[str]:
        """Stream every URL ever queued for a site, without loading them all."""
        cur = self.db.execute("SELECT url FROM frontier WHERE site_id=?", (site_id,))
        for (url,) in cur:
            yield url

    # -- knowledge-base cache -------------------------------------------------

    def put_kb(self, project: str, data: dict[str, object]) -> None:
        """Cache a refreshed project status with the time it was fetched."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO kb_cache (project, data, fetched_at) VALUES (?,?,?)",
                (project, json.dumps(data, sort_keys=True), time.time()),
            )

    def kb_entries(self) -> dict[str, tuple[dict[str, object], float]]:
        """Every cached project status with its fetch time."""
        rows = self.db.execute("SELECT project, data, fetched_at FROM kb_cache")
        return {r[0]: (json.loads(r[1]), float(r[2])) for r in rows}


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.depth = 0

    def __enter__(self) -> None:
        if self.db.in_transaction:
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _write_error(self.db, exc) from None
        self.depth = 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.depth:
            return
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
            except sqlite3.OperationalError as err:
                self.db.execute("ROLLBACK")
                raise _write_error(self.db, err) from None
            return
        self.db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError):
            raise _write_error(self.db, exc) from None


def _write_error(db: sqlite3.Connection, exc: sqlite3.OperationalError) -> StoreError:
    """One clear line for a store that cannot be written (read-only, disk full)."""
    path = next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), "")
    reason = str(exc)
    if "readonly" in reason:
        return StoreError(f"{path}: the store is read-only; pass a writable --store")
    return StoreError(f"{path}: cannot write the store ({reason})")
