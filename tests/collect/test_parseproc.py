"""Parse helper processes: same records as in-thread parsing, and no page lost.

Everything here runs real helper processes (``python -c`` children) and,
for the crawls, real loopback servers.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty, SimpleQueue

import pytest

from drupalscan.collect import crawl, parseproc
from drupalscan.collect.crawl import CrawlOptions, crawl_site, parse_helpers
from drupalscan.collect.pagerecord import Fetched, PageRecord, record_page
from drupalscan.collect.parseproc import ParseProcesses
from drupalscan.inventory import io
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress
from tests.conftest import stable_site

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
    records = parse_all(helpers, light)  # first, so the short timeout only meets the heavy page
    for fetch in light:
        assert records[fetch.url] == record_page(fetch, 1, HOST)
    (record,) = parse_all(helpers, [heavy]).values()
    assert record.error == "parsing timed out (twice)"
    assert record.status == 200 and record.links == []
    assert helpers.replaced >= 2
    assert parse_all(helpers, light[:1])[light[0].url] == record_page(light[0], 1, HOST)
    helpers.close()


def big_fetch(name: str, links: int, paragraphs: int) -> Fetched:
    """A page of about ``paragraphs`` * 20 bytes whose record lists ``links`` links."""
    anchors = "".join(f'<a href="/{name}/{i}">{i}</a>' for i in range(links))
    body = html(name, anchors + "<p>word word word</p>" * paragraphs).encode()
    url = f"http://{HOST}/{name}"
    return Fetched(
        url=url, final_url=url, status=200, headers={"Content-Type": "text/html"}, body=body
    )


def test_a_stopped_helper_behind_full_pipes_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hung helper stops reading: writers block on its full stdin, yet the
    timeout still fires (no lock is held across a pipe wait) and every page,
    big answers included, comes back once."""
    monkeypatch.setattr(parseproc, "PARSE_TIMEOUT", 1.0)
    pool = ParseProcesses(1)
    pool.start()
    try:
        wait_for(lambda: bool(pool.pids()), "a helper to start")
        (pid,) = pool.pids()
        os.kill(pid, signal.SIGSTOP)  # stands for a helper stuck on a page
        fetches = [big_fetch(f"big{i}", 600 if i % 2 else 5, 6000) for i in range(12)]
        got: SimpleQueue[PageRecord] = SimpleQueue()
        senders = [
            threading.Thread(target=lambda f=f: pool.submit(f, 1, HOST, got.put), daemon=True)
            for f in fetches
        ]
        for sender in senders:
            sender.start()
        records = {}
        for _ in fetches:
            record = got.get(timeout=60)
            assert record.url not in records, "delivered twice"
            records[record.url] = record
        for sender in senders:
            sender.join(timeout=30)
        assert not any(sender.is_alive() for sender in senders)
        assert all(not r.error for r in records.values())
        assert records[fetches[1].url] == record_page(fetches[1], 1, HOST)
        assert pool.replaced >= 1 and pool.parsed >= 1
    finally:
        pool.close()


def test_pages_of_a_killed_helper_are_sent_again_even_when_bigger_than_the_pipes(
    helpers: ParseProcesses,
) -> None:
    """The successor's answers (here ~120 KB) are read while the dead helper's
    pages (here 1.6 MB) are written to it, or both would wait forever."""
    (pid,) = helpers.pids()
    os.kill(pid, signal.SIGSTOP)
    fetches = [big_fetch("answers", 2000, 0), big_fetch("body", 10, 80_000)]
    got: SimpleQueue[PageRecord] = SimpleQueue()
    sender = threading.Thread(
        target=lambda: [helpers.submit(f, 1, HOST, got.put) for f in fetches], daemon=True
    )
    sender.start()
    wait_for(lambda: sum(len(h.jobs) for h in helpers.helpers) == 2, "both pages to be queued")
    os.kill(pid, signal.SIGKILL)  # as the OOM killer would
    records = {}
    for _ in fetches:
        record = got.get(timeout=60)
        records[record.url] = record
    assert {r.url for r in records.values()} == {f.url for f in fetches}
    for fetch in fetches:
        assert records[fetch.url] == record_page(fetch, 1, HOST)
    assert helpers.replaced == 1


def test_text_of_any_script_survives_the_trip_back(helpers: ParseProcesses) -> None:
    title = "Café – 東京 😀 \u202eevil\u202c"
    body = html(title, '<a href="/caf\u00e9">é</a>').encode()
    fetch = Fetched(
        url=f"http://{HOST}/x",
        final_url=f"http://{HOST}/x",
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=body,
    )
    record = parse_all(helpers, [fetch])[fetch.url]
    assert record == record_page(fetch, 1, HOST)
    assert title in json.loads(record.data)["title"]
    assert helpers.parsed == 1


def test_helpers_import_nothing_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile ``lxml/`` where the crawl is started must not run in a helper."""
    (tmp_path / "lxml").mkdir()
    (tmp_path / "lxml" / "__init__.py").write_text("raise SystemExit('planted module ran')\n")
    monkeypatch.chdir(tmp_path)
    pool = ParseProcesses(1)
    pool.start()
    try:
        wait_for(lambda: bool(pool.pids()) or bool(pool.broken), "a helper to start")
        assert not pool.broken
        (fetch,) = captured_fetches()[:1]
        assert parse_all(pool, [fetch])[fetch.url] == record_page(fetch, 1, HOST)
        assert pool.parsed == 1
    finally:
        pool.close()


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


def drupalish(req: Req) -> Reply:
    """A 120-page Drupal 7-like site without redirects: page n links to 2n+1, 2n+2."""
    path = req.path.split("?")[0]
    if path != "/" and not (path.startswith("/node/") and path[6:].isdigit()):
        return Reply("", status=404)
    n = int(path[6:] or 0)
    if n >= 120:
        return Reply(html("Page not found"), status=404)
    kind = ("article", "page", "policy")[n % 3]
    links = "".join(f'<a href="/node/{c}">Node {c}</a>' for c in (2 * n + 1, 2 * n + 2))
    head = (
        '<meta name="generator" content="Drupal 7 (https://www.drupal.org)">'
        '<script>jQuery.extend(Drupal.settings, {"basePath":"/","ajaxPageState":'
        '{"theme":"bartik"},"views":{"ajax_path":"/views/ajax"}});</script>'
    )
    body = f'<div class="block block-search">{links}</div><h1>Node {n}</h1>'
    classes = f"html not-front page-node page-node-{n} node-type-{kind}"
    return Reply(html(f"Node {n} | Intranet", body, classes, head))


def stored_crawl(
    url: str, db: Path, helpers_count: int
) -> tuple[dict[str, str], dict[str, object], int]:
    """(page JSON by URL, site JSON, pages parsed by helpers) of one crawl."""
    options = CrawlOptions(retries=0, ignore_robots=True, parse_processes=helpers_count)
    pool = ParseProcesses(helpers_count) if helpers_count else None
    if pool is not None:  # started and ready first, so the helpers parse the pages
        pool.start()
        wait_for(lambda: len(pool.pids()) == helpers_count, "the helpers to start")
    try:
        with Store(db) as store:
            site = crawl_site(url, store, options, fingerprints={}, parser=pool)
            pages = {p.url: io.dumps(p) for p in store.pages(site.id)}
    finally:
        if pool is not None:
            pool.close()
    return pages, stable_site(site), pool.parsed if pool is not None else 0


def test_crawl_with_helpers_stores_what_a_crawl_without_them_stores(
    server: MakeServer, tmp_path: Path
) -> None:
    srv = server(drupalish)
    pages, summary, _ = stored_crawl(srv.url, tmp_path / "h0.db", 0)
    assert len(pages) == 241 and summary["kind"] == "drupal7"  # 120 nodes, 121 links to 404s
    for helpers_count in (1, 2):
        got = stored_crawl(srv.url, tmp_path / f"h{helpers_count}.db", helpers_count)
        assert got[0] == pages
        assert got[1] == summary
        assert got[2] >= 118  # the helpers parsed them (the start page is parsed in-thread)


def test_crawl_of_the_northwind_capture_with_helpers_concludes_the_same(
    server: MakeServer, tmp_path: Path
) -> None:
    """On a real site with redirects the same conclusions are drawn.

    Which URL holds a redirect target's content, and so a page's depth, its
    section and the page cited first as evidence, depends on the order
    answers come back, with or without helpers (see `Fetcher.fetch`).
    """
    srv = server(northwind_handler())
    _, summary, _ = stored_crawl(srv.url, tmp_path / "h0.db", 0)
    _, other, parsed = stored_crawl(srv.url, tmp_path / "h1.db", 1)
    for key in ("kind", "core_version", "core_candidates", "name"):
        assert other[key] == summary[key], key
    for key in ("modules", "themes"):
        names = {m["name"] for m in summary[key]}  # type: ignore[attr-defined]
        assert {m["name"] for m in other[key]} == names  # type: ignore[attr-defined]
    assert parsed > 50


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
    monkeypatch.setattr(crawl, "PARSE_HELPERS_AFTER", 30)
    pools: list[ParseProcesses] = []
    real_start = ParseProcesses.start

    def spy(self: ParseProcesses) -> None:
        pools.append(self)
        real_start(self)

    monkeypatch.setattr(ParseProcesses, "start", spy)

    def site(req: Req) -> Reply:
        reply = drupalish(req)
        path = req.path.split("?")[0]
        if path.startswith("/node/") and int(path[6:]) >= 80:
            # Later pages wait for the helper, so it is sure to parse some.
            wait_for(lambda: bool(pools and pools[0].pids()), "the auto-started helper")
        return reply

    srv = server(site)
    options = CrawlOptions(retries=0, ignore_robots=True, timeout=60)
    small = crawl_site(srv.url, store, dataclasses.replace(options, max_pages=25))
    assert small.pages == 25 and pools == []
    with Store(store.path.parent / "big.db") as big_store:
        big = crawl_site(srv.url, big_store, dataclasses.replace(options, max_pages=200))
        assert big.pages == 200 and len(pools) == 1
        assert not any(p.error for p in big_store.pages(big.id) if p.status == 200)
    assert pools[0].parsed > 0 and pools[0].closed


def test_a_helper_that_cannot_start_leaves_a_note_and_the_pages_parsed(
    server: MakeServer, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    notes: list[str] = []

    class Notes(Progress):
        def note(self, text: str) -> None:
            notes.append(text)

    srv = server(drupalish)
    options = CrawlOptions(retries=0, ignore_robots=True, parse_processes=1, max_pages=40)
    site = crawl_site(srv.url, store, options, progress=Notes())
    assert site.pages == 40 and site.kind == "drupal7"
    assert all(p.title for p in store.pages(site.id) if p.status == 200)
    assert notes == [
        "cannot start a parse helper (No such file or directory); "
        "pages were parsed in the crawl process"
    ]
