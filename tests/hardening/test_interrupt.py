"""kill -9 in the middle of a crawl or a scan, then a rerun, equals an uninterrupted run.

Also two drupalscan processes on one store: both finish and the store is
whole.  Every child process is bounded by a timeout and killed in teardown.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drupalscan.collect.crawl import CrawlOptions, crawl_site
from drupalscan.inventory.model import site_id
from drupalscan.inventory.store import Store
from tests.collect.httpfixtures import Hold, Reply, Req, Server
from tests.conftest import stable_sites

REPO = Path(__file__).resolve().parents[2]
COMMS = REPO / "fixtures" / "sites" / "comms"
SCAN = ["scan", str(COMMS / "docroot"), "--db", f"sqlite:///{COMMS / 'comms.sqlite'}"]
PAGES = 60

CRAWL_CHILD = """
import sys
from drupalscan.collect import crawl
from drupalscan.inventory.store import Store

crawl.COMMIT_MAX_PAGES = 3
with Store(sys.argv[2]) as store:
    crawl.crawl_site(sys.argv[1], store, crawl.CrawlOptions(retries=0, concurrency=2))
"""

pytestmark = pytest.mark.slow  # child processes and real servers: seconds each


def tree(req: Req) -> Reply:
    """Page n links to 2n+1 and 2n+2 (PAGES pages), a little slowly."""
    path = req.path.split("?")[0]
    n = 0 if path == "/" else int(path[2:]) if path[2:].isdigit() else -1
    if n < 0 or n >= PAGES:
        return Reply("", status=404)
    links = "".join(f'<a href="/p{c}">{c}</a>' for c in (2 * n + 1, 2 * n + 2) if c < PAGES)
    title = f"P{n} | Tree"
    return Reply(
        f"<html><head><title>{title}</title></head><body>{links}</body></html>", delay=0.02
    )


def stored_pages(store: Store, sid: str) -> list[tuple[str, int, str]]:
    return [(p.url, p.status, p.title) for p in store.pages(sid)]


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Child processes, killed at teardown if a test left one running."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)


def uninterrupted(url: str, db: Path) -> tuple[list[dict[str, Any]], list[tuple[str, int, str]]]:
    """What a crawl that nobody interrupts stores: the sites and the pages."""
    with Store(db) as ref:
        crawl_site(url, ref, CrawlOptions(retries=0, concurrency=2))
        return stable_sites(ref), stored_pages(ref, site_id(url))


def cli(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "drupalscan.cli", "--store", str(store), *args]


def test_kill_9_during_crawl_then_rerun_equals_uninterrupted(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    hold = Hold(tree)
    with Server(hold) as srv:
        sid = site_id(srv.url)
        expected_sites, expected_pages = uninterrupted(srv.url, tmp_path / "ref.db")
        assert len(expected_pages) == PAGES
        for held_at in (8, 25, 45):
            db = tmp_path / f"killed-{held_at}.db"
            hold.arm(held_at)
            child = subprocess.Popen([sys.executable, "-c", CRAWL_CHILD, srv.url, str(db)])
            children.append(child)
            committed = kill_mid_crawl(hold, child, db, sid)
            assert child.returncode == -signal.SIGKILL
            assert 0 < committed < PAGES
            with Store(db) as store:
                assert 0 < store.page_count(sid) < PAGES
                crawl_site(srv.url, store, CrawlOptions(retries=0, concurrency=2))
                got = stored_pages(store, sid)
                assert got == expected_pages, held_at
                assert len({u for u, _, _ in got}) == len(got)
                assert stable_sites(store) == expected_sites, held_at


def kill_mid_crawl(hold: Hold, child: subprocess.Popen[bytes], db: Path, sid: str) -> int:
    """Kill -9 a crawling child while the server holds its requests; pages committed then.

    The server stops answering after a fixed number of requests, so the
    crawl cannot finish before the kill however loaded the machine is; the
    kill waits for a committed page so that it lands mid-crawl.
    """
    try:
        assert hold.reached.wait(60), "the crawl never reached the held request"
        committed = wait_for_pages(db, sid, child)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        hold.release()
    return committed


def wait_for_pages(db: Path, sid: str, child: subprocess.Popen[bytes]) -> int:
    """Pages committed in the child's store, once there is one (60 s at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if db.exists():
            with Store(db) as store:
                count = store.page_count(sid)
            if count:
                return count
        time.sleep(0.02)
    pytest.fail("the crawl committed no page before its requests were held")


HELPER_CRAWL_CHILD = CRAWL_CHILD.replace("concurrency=2)", "concurrency=2, parse_processes=1)")


def parse_helpers_of(pid: int) -> list[int]:
    """Running parse helper processes started by process ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"parseproc" in cmdline:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan may wait to be reaped by a lazy init)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_kill_9_during_crawl_with_a_parse_helper(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    """The helper goes when its crawler is killed, and the rerun loses nothing."""
    hold = Hold(tree)
    with Server(hold) as srv:
        sid = site_id(srv.url)
        expected_sites, expected_pages = uninterrupted(srv.url, tmp_path / "ref.db")
        db = tmp_path / "killed.db"
        hold.arm(20)
        child = subprocess.Popen([sys.executable, "-c", HELPER_CRAWL_CHILD, srv.url, str(db)])
        children.append(child)
        try:
            assert hold.reached.wait(60), "the crawl never reached the held request"
            helpers = parse_helpers_of(child.pid)
            assert helpers, "the crawl never started its parse helper"
            wait_for_pages(db, sid, child)
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            hold.release()
        deadline = time.monotonic() + 30
        while any(running(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(running(pid) for pid in helpers), "a parse helper outlived its crawler"
        with Store(db) as store:
            assert 0 < store.page_count(sid) < PAGES
            crawl_site(srv.url, store, CrawlOptions(retries=0, concurrency=2, parse_processes=1))
            assert stored_pages(store, sid) == expected_pages
            assert stable_sites(store) == expected_sites


def test_kill_9_during_scan_then_rerun_equals_uninterrupted(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    ref_db = tmp_path / "ref.db"
    subprocess.run(cli(ref_db, *SCAN), check=True, capture_output=True, timeout=60)
    with Store(ref_db) as ref:
        expected = stable_sites(ref)
    assert expected
    killed = 0
    for kill_after in (0.0, 0.02, 0.05, 0.1, 0.15, 0.25):
        db = tmp_path / f"scan-{kill_after}.db"
        child = subprocess.Popen(
            cli(db, *SCAN), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        children.append(child)
        # Count from the moment the store exists, not from the start: on a
        # loaded machine Python's start-up alone can outlast a fixed delay.
        deadline = time.monotonic() + 20
        while not db.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(kill_after)
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        # A kill counts when it landed after the store was opened.
        killed += child.returncode == -signal.SIGKILL and db.exists()
        subprocess.run(cli(db, *SCAN), check=True, capture_output=True, timeout=60)
        with Store(db) as store:
            assert stable_sites(store) == expected, kill_after
    assert killed >= 2, "the scan ended (or had not opened the store) at most kill points"


def test_two_processes_on_one_store(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    """A scan and a crawl, and two scans, at once on one store: all finish, nothing lost."""
    db = tmp_path / "shared.db"
    with Server(tree) as srv:
        procs = [
            subprocess.Popen(cli(db, *SCAN), stdout=subprocess.PIPE, stderr=subprocess.PIPE),
            subprocess.Popen(cli(db, *SCAN), stdout=subprocess.PIPE, stderr=subprocess.PIPE),
            subprocess.Popen(
                cli(db, "crawl", srv.url, "--concurrency", "2"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            ),
        ]
        children.extend(procs)
        for proc in procs:
            _out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, err.decode()
        with Store(db) as store:
            kinds = sorted(s.origin for s in store.sites())
            assert len(kinds) == 2 and "url" in kinds, kinds
            assert store.page_count(site_id(srv.url)) == PAGES
            integrity = store.db.execute("PRAGMA integrity_check").fetchone()[0]
            assert integrity == "ok"
