"""`drupalscan merge`: stores collected behind different networks make one plan.

Real stores made by real collection (a docroot and database scanned into
one, a site served on loopback crawled into another), merged into a third
and compared with the same sources collected into one store; then the
edges: overlapping sites, a store of an older layout, damaged stores, and
no secret travelling with the sites.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from drupalscan import api
from drupalscan.cli import main
from drupalscan.config import CrawlOptions, ScanOptions
from drupalscan.inventory import model
from drupalscan.inventory.merge import merge
from drupalscan.inventory.store import Store, StoreError
from tests.conftest import COMMS_DB, COMMS_DOCROOT, stable_sites

SECRET = "N0rthw1nd-Sup3r-S3cret!"
"""The database password in the example docroot's settings.php."""


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Store "comms" (scan), "facilities" (crawl) and "one" (both, one store)."""
    from drupalscan.examples.server import serve_examples

    base = tmp_path_factory.mktemp("networks")
    scan = ScanOptions(db=f"sqlite:///{COMMS_DB}")
    crawl = CrawlOptions(concurrency=1, delay=0.0, max_pages=100, ignore_robots=True)
    paths = {name: base / f"{name}.db" for name in ("comms", "facilities", "one")}
    with serve_examples(["facilities"]) as urls:
        with Store(paths["comms"]) as store:
            api.collect([str(COMMS_DOCROOT)], store, scan_options=scan)
        with Store(paths["facilities"]) as store:
            api.collect([urls["facilities"]], store, crawl_options=crawl)
        with Store(paths["one"]) as store:
            api.collect(
                [str(COMMS_DOCROOT), urls["facilities"]],
                store,
                scan_options=scan,
                crawl_options=crawl,
            )
    return paths


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_merged_stores_plan_like_one_store(stores: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "merged.db"
    done = merge(target, [stores["comms"], stores["facilities"]])
    assert [r.outcome for r in done] == ["added", "added"]
    with Store(target) as merged, Store(stores["one"]) as one:
        assert stable_sites(merged) == stable_sites(one)
        for site in one.sites():
            assert [p.url for p in merged.pages(site.id)] == [p.url for p in one.pages(site.id)]
        a, b = api.build_report(merged), api.build_report(one)
    assert a.plan.effort_hours == b.plan.effort_hours
    assert a.plan.display.hours == b.plan.display.hours
    key = [(f.rule, f.site, f.subject.name, f.effort_hours) for f in a.findings]
    assert sorted(key, key=str) == sorted(
        [(f.rule, f.site, f.subject.name, f.effort_hours) for f in b.findings], key=str
    )
    # Merging the same stores again changes nothing.
    before = stable_sites(Store(target))
    again = merge(target, [stores["comms"], stores["facilities"]])
    assert {r.outcome for r in again} == {"unchanged"}
    with Store(target) as merged:
        assert stable_sites(merged) == before


def _site(source: str, pages: int, modules: int = 0) -> tuple[model.Site, list[model.Page]]:
    site = model.Site(
        id=model.site_id(source),
        source=source,
        origin="url",
        name=f"Site at {source}",
        kind="drupal7",
        collected=["crawl"],
        pages=pages,
        modules=[model.Module(name=f"m{i}", type="contrib") for i in range(modules)],
    )
    return site, [model.Page(url=f"{source}p{i}", status=200) for i in range(pages)]


def _store(path: Path, *sites: tuple[model.Site, list[model.Page]]) -> Path:
    with Store(path) as store:
        for site, pages in sites:
            store.put_site(site)
            store.put_pages(site.id, pages)
    return path


def test_a_site_in_both_stores_keeps_the_more_complete_record(tmp_path: Path) -> None:
    x_small, x_big = _site("http://x.invalid/", 3), _site("http://x.invalid/", 5)
    y = _site("http://y.invalid/", 2)
    target = _store(tmp_path / "t.db", x_small)
    bigger = _store(tmp_path / "b.db", x_big, y)
    smaller = _store(tmp_path / "s.db", x_small)
    done = {r.site: r for r in merge(target, [bigger])}
    assert done[x_big[0].id].outcome == "replaced"
    assert "5 pages against 3" in done[x_big[0].id].why
    assert done[y[0].id].outcome == "added"
    again = merge(target, [smaller])
    assert again[0].outcome == "kept" and "5 pages against 3" in again[0].why
    with Store(target) as store:
        assert store.page_count(x_big[0].id) == 5
        assert {s.source for s in store.sites()} == {"http://x.invalid/", "http://y.invalid/"}


def test_a_store_of_an_older_layout_is_upgraded_on_the_way_in(tmp_path: Path) -> None:
    """No meta or kb_cache table, no updated_at, no frontier referrer, a leaner site."""
    old = tmp_path / "old.db"
    db = sqlite3.connect(old)
    db.executescript(
        """
        CREATE TABLE sites (id TEXT PRIMARY KEY, source TEXT, origin TEXT, data TEXT);
        CREATE TABLE pages (site_id TEXT, url TEXT, status INTEGER, data TEXT,
                            PRIMARY KEY (site_id, url));
        CREATE TABLE frontier (site_id TEXT, url TEXT, depth INTEGER, done INTEGER,
                               seq INTEGER, PRIMARY KEY (site_id, url));
        """
    )
    source = "http://old.invalid/"
    sid = model.site_id(source)
    lean = {
        "id": sid,
        "source": source,
        "origin": "url",
        "name": "Old intranet",
        "kind": "drupal7",
        "modules": [{"name": "views", "type": "contrib"}],
    }
    db.execute("INSERT INTO sites VALUES (?,?,?,?)", (sid, source, "url", json.dumps(lean)))
    page = {"url": source, "status": 200, "title": "Home"}
    db.execute("INSERT INTO pages VALUES (?,?,?,?)", (sid, source, 200, json.dumps(page)))
    db.execute("INSERT INTO frontier VALUES (?,?,?,?,?)", (sid, source + "next", 1, 0, 1))
    db.commit()
    db.close()
    target = tmp_path / "t.db"
    assert [r.outcome for r in merge(target, [old])] == ["added"]
    with Store(target) as store:
        (site,) = store.sites()
        assert site.name == "Old intranet" and site.modules[0].name == "views"
        assert site.collected == []  # a field the old layout lacked, at its default
        assert [p.title for p in store.pages(sid)] == ["Home"]
        assert store.pending(sid) == [(source + "next", 1, "")]


def test_a_newer_store_format_is_refused(tmp_path: Path) -> None:
    newer = _store(tmp_path / "n.db", _site("http://n.invalid/", 1))
    db = sqlite3.connect(newer)
    db.execute("UPDATE meta SET value='2' WHERE key='format'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="incompatible drupalscan .store format 2"):
        merge(tmp_path / "t.db", [newer])
    assert not (tmp_path / "t.db").exists()


@pytest.mark.parametrize("damage", ["truncated", "garbage", "not-a-store"])
def test_a_damaged_store_is_refused_and_the_target_untouched(
    stores: dict[str, Path], tmp_path: Path, damage: str
) -> None:
    target = tmp_path / "t.db"
    shutil.copy(stores["facilities"], target)
    before = digest(target)
    bad = tmp_path / "bad.db"
    if damage == "truncated":
        data = stores["comms"].read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        bad.write_bytes(b"drupalscan? no: " * 4096)
    else:
        db = sqlite3.connect(bad)
        db.execute("CREATE TABLE things (a)")
        db.commit()
        db.close()
    with pytest.raises(StoreError, match="nothing was merged"):
        merge(target, [stores["comms"], bad])  # the good one first: still nothing written
    assert digest(target) == before


def test_no_secret_travels_with_the_merged_sites(stores: dict[str, Path], tmp_path: Path) -> None:
    assert SECRET in (COMMS_DOCROOT / "sites" / "default" / "settings.php").read_text()
    target = tmp_path / "t.db"
    merge(target, [stores["comms"], stores["facilities"]])
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("t.db*"))
    assert b"nw_comms" not in raw and SECRET.encode() not in raw


def test_the_merge_command(stores: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "t.db"
    args = ["--store", str(target), "merge", str(stores["comms"]), str(stores["facilities"])]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.stderr
    assert "comms.db: Northwind Communications: added" in result.stdout
    assert "2 of 2 sites taken into" in result.stdout
    (tmp_path / "bad.db").write_bytes(b"\0" * 10_000)
    result = runner.invoke(main, ["--store", str(target), "merge", str(tmp_path / "bad.db")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "bad.db" in result.stderr
    result = runner.invoke(main, ["--store", str(target), "merge", str(target)])
    assert result.exit_code == 2 and "merged into" in result.stderr
