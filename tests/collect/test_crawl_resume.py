"""A crawl killed with SIGKILL resumes where it stopped: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from drupalscan.collect.crawl import CrawlOptions, crawl_site
from drupalscan.inventory.model import site_id
from drupalscan.inventory.store import Store

from .httpfixtures import Reply, Req, Server

PAGES = 80
CONCURRENCY = 2

CHILD = """
import sys
from drupalscan.collect import crawl
from drupalscan.inventory.store import Store

crawl.COMMIT_MAX_PAGES = int(sys.argv[3])
options = crawl.CrawlOptions(retries=0, concurrency=int(sys.argv[4]))
with Store(sys.argv[2]) as store:
    crawl.crawl_site(sys.argv[1], store, options)
"""


def handler(req: Req) -> Reply:
    """Page i links to 2i+1 and 2i+2 (a tree of PAGES pages), a little slowly."""
    path = req.path.split("?")[0]
    if path == "/":
        n = 0
    elif path.startswith("/p") and path[2:].isdigit():
        n = int(path[2:])
    else:
        return Reply("", status=404)
    links = "".join(f'<a href="/p{c}">{c}</a>' for c in (2 * n + 1, 2 * n + 2) if c < PAGES)
    return Reply(f"<html><head><title>P{n}</title></head><body>{links}</body></html>", delay=0.02)


def urls(store: Store, sid: str) -> list[str]:
    return [p.url for p in store.pages(sid)]


def test_kill_9_then_resume(tmp_path: Path) -> None:
    with Server(handler) as reference:
        with Store(tmp_path / "ref.db") as ref_store:
            crawl_site(reference.url, ref_store, CrawlOptions(retries=0))
            expected = {
                u.removeprefix(reference.url) for u in urls(ref_store, site_id(reference.url))
            }
    assert len(expected) == PAGES

    with Server(handler) as srv:
        db = tmp_path / "killed.db"
        sid = site_id(srv.url)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, srv.url, str(db), "1", str(CONCURRENCY)]
        )
        try:
            deadline = time.monotonic() + 20
            count = 0
            while time.monotonic() < deadline and child.poll() is None:
                if db.exists():
                    with Store(db) as probe:
                        count = probe.page_count(sid)
                if count >= 20:
                    break
                time.sleep(0.02)
            assert child.poll() is None, "the crawl finished before it could be killed"
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        with Store(db) as store:
            before = store.page_count(sid)
            assert 20 <= before < PAGES
            site = crawl_site(srv.url, store, CrawlOptions(retries=0, concurrency=CONCURRENCY))
            got = urls(store, sid)
        assert site.pages == PAGES
        assert len(got) == len(set(got))
        assert {u.removeprefix(srv.url) for u in got} == expected
        hits = srv.page_hits()
        twice = {p: n for p, n in hits.items() if n > 1}
        assert max(hits.values()) <= 2
        # Only requests in flight at the kill are repeated.
        assert len(twice) <= CONCURRENCY, twice
        assert sum(hits.values()) <= PAGES + CONCURRENCY
