"""Parse helper processes: same records as in-thread parsing, and no page lost.

Everything here runs real helper processes (``python -c`` children) and,
for the crawls, real loopback servers.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty, SimpleQueue

import pytest

from drupalscan.collect import parseproc
from drupalscan.collect.crawl import CrawlOptions, crawl_site, parse_helpers
from drupalscan.collect.pagerecord import Fetched, PageRecord, record_page
from drupalscan.collect.parseproc import ParseProcesses
from drupalscan.inventory import io
from drupalscan.inventory.store import Store

from .httpfixtures import NORTHWIND, Reply, Req, Server, html, northwind_handler, server

__all__ = ["server"]

MakeServer = Callable[..., Server]
HOST = "intranet.example.test"


def captured_fetches() -> list[Fetched]:
    """Every captured Northwind page as the crawler would have fetched it."""
    out = []
    for file in sorted(NORTHWIND.rglob("*.html")):
        url = f"http://{HOST}/{file.relative_to(NORTHWIND).with_suffix('').as_posix()}"
        body = file.read_bytes()
        headers = {"Content-Type": "text/html; charset=utf-8", "X-Generator": "Drupal 7"}
        out.append(Fetched(url=url, final_url=url, status=200, headers=headers, body=body))
    assert len(out) >= 10
    return out


@pytest.fixture
def helpers() -> Iterator[ParseProcesses]:
    pool = ParseProcesses(1)
    pool.start()
    wait_for(lambda: bool(pool.pids()), "a helper to start")
    yield pool
    pool.close()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds:g} s for {what}")
        time.sleep(0.01)


def parse_all(pool: ParseProcesses, fetches: list[Fetched]) -> dict[str, PageRecord]:
    """Submit every fetch and collect every delivery (each exactly once)."""
    got: SimpleQueue[PageRecord] = SimpleQueue()
    for fetch in fetches:
        pool.submit(fetch, 1, HOST, got.put)
    out: dict[str, PageRecord] = {}
    for _ in fetches:
        try:
            record = got.get(timeout=60)
        except Empty:
            raise AssertionError(f"only {len(out)} of {len(fetches)} pages came back") from None
        assert record.url not in out, "delivered twice"
        out[record.url] = record
    with pytest.raises(Empty):
        got.get(timeout=0.2)
    return out


def test_helpers_give_the_records_in_thread_parsing_gives(helpers: ParseProcesses) -> None:
    fetches = captured_fetches()
    records = parse_all(helpers, fetches)
    for fetch in fetches:
        assert records[fetch.url] == record_page(fetch, 1, HOST), fetch.url
    assert any(r.links for r in records.values())
    assert helpers.replaced == 0 and not helpers.broken


def test_pages_are_parsed_in_thread_until_a_helper_is_ready() -> None:
    pool = ParseProcesses(1)  # never started
    (fetch,) = captured_fetches()[:1]
    assert parse_all(pool, [fetch])[fetch.url] == record_page(fetch, 1, HOST)


def test_a_killed_helper_is_replaced_and_its_pages_are_parsed(helpers: ParseProcesses) -> None:
    fetches = captured_fetches()
    (pid,) = helpers.pids()
    os.kill(pid, signal.SIGKILL)
    records = parse_all(helpers, fetches)
    assert set(records) == {f.url for f in fetches}
    assert all(not r.error for r in records.values())
    assert helpers.replaced == 1
    assert helpers.pids() and helpers.pids()[0] != pid


def test_a_page_that_kills_its_helper_twice_is_recorded_with_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page no helper gets through (here: slower than the timeout) fails alone."""
    monkeypatch.setattr(parseproc, "PARSE_TIMEOUT", 0.25)  # before the reader threads start
    helpers = ParseProcesses(1)
    helpers.start()
    wait_for(lambda: bool(helpers.pids()), "a helper to start")
    paragraph = "<div><p>" + "word " * 30 + "</p></div>\n"
    heavy_body = html("Heavy", paragraph * 120_000).encode()  # 20 MB: about a second to parse
    heavy = Fetched(
        url=f"http://{HOST}/heavy",
        final_url=f"http://{HOST}/heavy",
        status=200,
        headers={"Content-Type": "text/html"},
        body=heavy_body,
        size=len(heavy_body),
    )
    light = captured_fetches()[:3]
    records = parse_all(helpers, [heavy, *light])
    assert records[heavy.url].error == "parsing timed out (twice)"
    assert records[heavy.url].status == 200 and records[heavy.url].links == []
    for fetch in light:
        assert records[fetch.url] == record_page(fetch, 1, HOST)
    assert helpers.replaced == 2
    helpers.close()


def test_closing_stops_every_helper(helpers: ParseProcesses) -> None:
    pids = list(helpers.pids())
    helpers.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    (fetch,) = captured_fetches()[:1]
    assert parse_all(helpers, [fetch])[fetch.url] == record_page(fetch, 1, HOST)


def test_helpers_inherit_no_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUPALSCAN_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    pool = ParseProcesses(1)
    pool.start()
    try:
        wait_for(lambda: bool(pool.pids()), "a helper to start")
        (pid,) = pool.pids()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        pool.close()
    assert b"hunter2-secret" not in environ and b"aws-secret" not in environ
    assert b"DRUPALSCAN_PASSWORD" not in environ


def test_crawl_with_helpers_stores_what_a_crawl_without_them_stores(
    server: MakeServer, tmp_path: Path
) -> None:
    """Same pages, same summary; only what depends on arrival order may differ.

    A page's depth, and whether a redirect to an already known URL is
    followed, depend on the order answers come back, with or without
    helpers (see the crawl module); everything else must be identical.
    """
    srv = server(northwind_handler())
    stored = {}
    for helpers_count in (0, 1, 2):
        options = CrawlOptions(retries=0, ignore_robots=True, parse_processes=helpers_count)
        with Store(tmp_path / f"h{helpers_count}.db") as store:
            site = crawl_site(srv.url, store, options, fingerprints={})
            pages = {p.url: json.loads(io.dumps(p)) for p in store.pages(site.id)}
            summary = json.loads(io.dumps(site))
            for key in ("collected_at", "scanned_at", "updated_at"):
                summary.pop(key, None)
        stored[helpers_count] = (pages, summary)
    pages, summary = stored[0]
    assert len(pages) > 10
    for helpers_count in (1, 2):
        other_pages, other_summary = stored[helpers_count]
        assert other_summary == summary
        assert set(other_pages) == set(pages)
        compared = 0
        for url, page in pages.items():
            other = other_pages[url]
            if page["redirects"] or other["redirects"]:
                continue
            assert {**other, "depth": 0} == {**page, "depth": 0}, url
            compared += 1
        assert compared > 10


def test_auto_mode_starts_a_helper_only_for_a_big_crawl(
    server: MakeServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Auto: parse in-thread at first, hand pages to a helper after the threshold."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert parse_helpers(CrawlOptions()) == 1
    assert parse_helpers(CrawlOptions(parse_processes=0)) == 0
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert parse_helpers(CrawlOptions()) == 0
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    started: list[int] = []
    real_start = ParseProcesses.start

    def spy(self: ParseProcesses) -> None:
        started.append(1)
        real_start(self)

    monkeypatch.setattr(ParseProcesses, "start", spy)

    def tree(req: Req) -> Reply:
        path = req.path.split("?")[0]
        if path != "/" and not (path.startswith("/p") and path[2:].isdigit()):
            return Reply("", status=404)
        n = int(path[2:] or 0)
        links = "".join(f'<a href="/p{c}">{c}</a>' for c in (2 * n + 1, 2 * n + 2) if c < 300)
        return Reply(html(f"P{n}", links))

    srv = server(tree)
    small = crawl_site(srv.url, store, CrawlOptions(retries=0, max_pages=50, ignore_robots=True))
    assert small.pages == 50 and started == []
    with Store(store.path.parent / "big.db") as big_store:
        big = crawl_site(srv.url, big_store, CrawlOptions(retries=0, max_pages=300))
        assert big.pages == 300 and started == [1]
        titles = {p.title for p in big_store.pages(big.id)}
    assert titles == {f"P{n}" for n in range(300)}
