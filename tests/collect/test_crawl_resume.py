"""A crawl killed with SIGKILL resumes where it stopped: nothing lost, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from drupalscan.collect.crawl import CrawlOptions, crawl_site
from drupalscan.inventory.model import site_id
from drupalscan.inventory.store import Store

from .httpfixtures import Hold, Reply, Req, Server

PAGES = 80
CONCURRENCY = 2

CHILD = """
import sys
from drupalscan.collect import crawl
from drupalscan.inventory.store import Store

if sys.argv[3] != "default":
    crawl.COMMIT_MAX_PAGES = int(sys.argv[3])
options = crawl.CrawlOptions(retries=0, concurrency=int(sys.argv[4]))
with Store(sys.argv[2]) as store:
    crawl.crawl_site(sys.argv[1], store, options)
"""


def handler(req: Req) -> Reply:
    """The front page links to every other page, which link nowhere; a little slowly.

    One wide level keeps the crawler's in-memory queue full, so nothing
    but the commit policy decides when fetched pages reach the store.
    """
    path = req.path.split("?")[0]
    if path == "/":
        n = 0
    elif path.startswith("/p") and path[2:].isdigit() and 0 < int(path[2:]) < PAGES:
        n = int(path[2:])
    else:
        return Reply("", status=404)
    links = "".join(f'<a href="/p{c}">{c}</a>' for c in range(1, PAGES)) if n == 0 else ""
    return Reply(f"<html><head><title>P{n}</title></head><body>{links}</body></html>", delay=0.02)


def urls(store: Store, sid: str) -> list[str]:
    return [p.url for p in store.pages(sid)]


@pytest.mark.parametrize("batch", ["default", "1"])
def test_kill_9_then_resume(tmp_path: Path, batch: str) -> None:
    """At the default commit batch too: only answers not yet committed are refetched.

    The crawler's docstring promises at most the futures in flight,
    ``2 * concurrency``; every page committed before the kill is not
    fetched again.
    """
    with Server(handler) as reference:
        with Store(tmp_path / "ref.db") as ref_store:
            crawl_site(reference.url, ref_store, CrawlOptions(retries=0))
            expected = {
                u.removeprefix(reference.url) for u in urls(ref_store, site_id(reference.url))
            }
    assert len(expected) == PAGES

    hold = Hold(handler)
    with Server(hold) as srv:
        db = tmp_path / "killed.db"
        sid = site_id(srv.url)
        hold.arm(30)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, srv.url, str(db), batch, str(CONCURRENCY)]
        )
        try:
            # Kill by what the server has been asked, not by what was committed,
            # so the kill lands anywhere between two commits; from the 30th
            # request on the server holds its answers, so the crawl cannot
            # have finished first, however loaded the machine is.
            assert hold.reached.wait(60), "the crawl never made 30 requests"
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=30)
            hold.release()
        assert child.returncode == -signal.SIGKILL
        with Store(db) as store:
            before = store.page_count(sid)
            committed = {u.removeprefix(srv.url.rstrip("/")) for u in urls(store, sid)}
            hits_at_kill = srv.page_hits()
            assert before < PAGES
            site = crawl_site(srv.url, store, CrawlOptions(retries=0, concurrency=CONCURRENCY))
            got = urls(store, sid)
        assert site.pages == PAGES
        assert len(got) == len(set(got))
        assert {u.removeprefix(srv.url) for u in got} == expected
        hits = srv.page_hits()
        twice = {p: n for p, n in hits.items() if n > 1}
        assert max(hits.values()) <= 2
        # No committed page is fetched again; only answers not yet committed are.
        assert all(hits[p] == hits_at_kill[p] for p in committed), twice
        assert len(twice) <= 2 * CONCURRENCY, twice
        assert sum(hits.values()) <= PAGES + 2 * CONCURRENCY
