"""The SQLite store: idempotent writes, survival of a killed run, clear errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from drupalscan.inventory import model
from drupalscan.inventory.store import Store, StoreError


def test_put_site_is_idempotent(store: Store) -> None:
    site = model.Site(id="a", source="/a", origin="docroot", name="A")
    store.put_site(site)
    store.put_site(site)
    store.put_site(model.replace(site, name="A2"))
    assert [s.name for s in store.sites()] == ["A2"]


def test_pages_and_frontier_do_not_duplicate(store: Store) -> None:
    assert store.enqueue("a", [("http://x.test/", 0, ""), ("http://x.test/", 1, "r")]) == 1
    assert store.enqueue("a", [("http://x.test/", 0, "")]) == 0
    store.put_page("a", model.Page(url="http://x.test/", status=200))
    store.put_page("a", model.Page(url="http://x.test/", status=200, title="again"))
    assert store.page_count("a") == 1
    assert store.frontier_size("a") == (1, 0)
    assert [p.title for p in store.pages("a")] == ["again"]


def test_killed_writer_leaves_committed_work(tmp_path: Path) -> None:
    """kill -9 in the middle of a run: every committed step is still readable."""
    db = tmp_path / "s.db"
    code = textwrap.dedent(
        f"""
        import os, signal
        from drupalscan.inventory.store import Store
        from drupalscan.inventory import model
        s = Store({str(db)!r})
        for i in range(50):
            s.put_site(model.Site(id=f"s{{i}}", source=f"/s{{i}}", origin="docroot"))
        s.db.execute("BEGIN IMMEDIATE")
        s.db.execute("INSERT INTO sites VALUES ('half', '/half', 'docroot', '{{}}', 0)")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert proc.returncode == -9
    with Store(db) as store:
        ids = {s.id for s in store.sites()}
    assert ids == {f"s{i}" for i in range(50)}


def test_two_processes_share_a_store(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    code = textwrap.dedent(
        f"""
        import sys
        from drupalscan.inventory.store import Store
        from drupalscan.inventory import model
        s = Store({str(db)!r})
        tag = sys.argv[1]
        for i in range(200):
            s.put_page("site", model.Page(url=f"http://x.test/{{tag}}/{{i}}", status=200))
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, t]) for t in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with Store(db) as store:
        assert store.page_count("site") == 400


def test_not_a_store_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a usable drupalscan store"):
        Store(bad)
    with pytest.raises(StoreError, match="directory"):
        Store(tmp_path)


def test_kb_cache(store: Store) -> None:
    store.put_kb("views", {"status": "in_core"})
    data, fetched = store.kb_entries()["views"]
    assert data == {"status": "in_core"} and fetched > 0


def test_read_only_store_is_a_clear_error(store: Store) -> None:
    store.put_site(model.Site(id="a", source="/a", origin="docroot"))
    # As root, file modes do not stop SQLite; query_only gives the same error.
    store.db.execute("PRAGMA query_only = ON")
    with pytest.raises(StoreError, match="read-only"):
        store.put_site(model.Site(id="b", source="/b", origin="docroot"))
    assert [s.id for s in store.sites()] == ["a"]
