"""Politeness: robots.txt as RFC 9309 reads it, and the throttle's decisions.

Nothing here measures wall-clock time.  The throttle takes a clock, and the
tests check what it decided: the start times it scheduled, the waits it
asked for, how many requests it let run at once.  Where a real server is
needed (one that slows down under load) the assertions are on the
throttle's decisions and on what the server saw, never on durations.
"""

from __future__ import annotations

import email.utils
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from drupalscan.collect.crawl import CrawlOptions, crawl_site, politeness_for
from drupalscan.collect.politeness import (
    MAX_DELAY,
    OVERLOAD_DELAY,
    RETRY_AFTER_CAP,
    Permit,
    Politeness,
    Throttle,
    retry_after,
)
from drupalscan.collect.robots import Robots
from drupalscan.inventory.model import replace as model_replace
from drupalscan.inventory.store import Store

from .clocks import VirtualClock, gaps
from .httpfixtures import NORTHWIND, Reply, Req, Server, html, server

__all__ = ["server"]

MakeServer = Callable[..., Server]
DRUPAL7_ROBOTS = (NORTHWIND / "robots.txt").read_text()
"""The robots.txt every Drupal 7 release ships (the real Northwind site's copy)."""


# -- robots.txt ---------------------------------------------------------------------


def test_drupal7_stock_robots_allows_core_assets_and_hides_changelog() -> None:
    robots = Robots(DRUPAL7_ROBOTS, ignore=False, found=True)
    base = "http://intranet.example.test/"
    for allowed in (
        "misc/drupal.js",
        "misc/drupal.js?v=7.79",
        "misc/druplicon.png",
        "modules/system/system.base.css",
        "modules/system/system.base.css?tp1qhh",
        "themes/bartik/css/style.css",
        "sites/all/modules/views/views.info",
        "node/1",
    ):
        assert robots.allowed(base + allowed), allowed
    for forbidden in (
        "CHANGELOG.txt",
        "misc/",
        "modules/node/node.info",
        "includes/bootstrap.inc",
        "admin/config",
        "user/register/",
        "install.php",
    ):
        assert not robots.allowed(base + forbidden), forbidden
    assert robots.crawl_delay == 10.0


def test_longest_match_wins_and_our_group_wins() -> None:
    text = (
        "User-agent: googlebot\nCrawl-delay: 9\n\n"
        "User-agent: drupalscan\nUser-agent: other\nDisallow: /x\nAllow: /x/open$\n"
        "Crawl-delay: 1.5\n\n"
        "User-agent: *\nDisallow: /\nCrawl-delay: 3\n"
    )
    robots = Robots(text, ignore=False)
    assert robots.crawl_delay == 1.5
    assert not robots.allowed("http://h.test/x/closed")
    assert robots.allowed("http://h.test/x/open")
    assert not robots.allowed("http://h.test/x/open/more")  # $ anchors the end
    assert robots.allowed("http://h.test/elsewhere")  # our group, not *'s Disallow: /


def test_robots_odd_input() -> None:
    assert Robots("User-agent: *\nCrawl-delay: soon\n", ignore=False).crawl_delay == 0.0
    assert Robots("User-agent: *\nCrawl-delay: 0.5\n", ignore=False).crawl_delay == 0.5
    empty = Robots("", ignore=False)
    assert empty.allowed("http://h.test/anything") and empty.crawl_delay == 0.0
    ignoring = Robots("User-agent: *\nDisallow: /\n", ignore=True)
    assert ignoring.allowed("http://h.test/x") and ignoring.disallows("http://h.test/x")
    sitemaps = Robots("Sitemap: http://h.test/a.xml\nSitemap: http://h.test/b.xml\n")
    assert sitemaps.sitemaps == ["http://h.test/a.xml", "http://h.test/b.xml"]


# -- the throttle, on a virtual clock --------------------------------------------------


def run_requests(throttle: Throttle, answers: list[tuple[int, float]]) -> None:
    """One request at a time, each answered with (status, latency)."""
    for status, latency in answers:
        with throttle.request() as permit:
            permit.status, permit.latency = status, latency


def test_fixed_delay_spaces_starts() -> None:
    clock = VirtualClock()
    throttle = Throttle(Politeness(max_concurrency=4, delay=0.2, adaptive=False), clock)
    run_requests(throttle, [(200, 0.01)] * 6)
    assert len(throttle.schedule) == 6
    assert all(0.2 <= gap <= 0.2 * 1.25 + 1e-9 for gap in gaps(throttle.schedule))
    assert len(clock.sleeps) == 5 and all(s >= 0.2 for s in clock.sleeps)
    assert throttle.limit == 4  # not adaptive: the user's bound, whatever happens


def test_concurrency_limit_holds_requests_back() -> None:
    throttle = Throttle(Politeness(max_concurrency=2, adaptive=False), VirtualClock())
    first, second = throttle.acquire(), throttle.acquire()
    third_started = threading.Event()

    def third() -> None:
        permit = throttle.acquire()
        third_started.set()
        throttle.release(permit)

    worker = threading.Thread(target=third)
    worker.start()
    assert not third_started.wait(0.2)  # blocked: two are in flight
    throttle.release(first)
    assert third_started.wait(10)
    worker.join(10)
    throttle.release(second)
    assert throttle.active == 0


def test_adaptive_grows_while_the_server_keeps_up() -> None:
    throttle = Throttle(Politeness(max_concurrency=4), VirtualClock())
    assert throttle.limit == 1  # the first window measures the server unloaded
    run_requests(throttle, [(200, 0.05)] * 40)
    assert throttle.limit == 4 and throttle.delay == 0
    assert throttle.stats.slowdowns == 0
    assert (throttle.stats.lowest_concurrency, throttle.stats.highest_concurrency) == (1, 4)


def test_adaptive_backs_off_when_latency_climbs_then_recovers() -> None:
    throttle = Throttle(Politeness(max_concurrency=4), VirtualClock())
    run_requests(throttle, [(200, 0.05)] * 40)
    assert throttle.limit == 4
    sent = 0
    while not throttle.stats.slowdowns and sent < 16:  # 16x slower: the server is queueing
        run_requests(throttle, [(200, 0.8)])
        sent += 1
    assert throttle.limit == 3 and sent <= 16  # one step down, within two windows
    run_requests(throttle, [(200, 0.8)] * 40)
    assert throttle.limit == 1
    assert throttle.delay >= 0.8  # down to one at a time: spaced by the server's latency
    spaced = throttle.delay
    run_requests(throttle, [(200, 0.8)] * 4)
    assert throttle.delay == min(spaced * 2, MAX_DELAY)  # still slow: doubled
    run_requests(throttle, [(200, 0.05)] * 200)
    assert throttle.delay == 0 and throttle.limit == 4  # healthy again: step by step back


def test_small_jitter_on_a_fast_server_is_not_a_slowdown() -> None:
    throttle = Throttle(Politeness(max_concurrency=4), VirtualClock())
    run_requests(throttle, [(200, 0.001)] * 8)
    run_requests(throttle, [(200, 0.02)] * 40)  # 20x, but 19 ms: noise, not queueing
    assert throttle.stats.slowdowns == 0 and throttle.limit == 4


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_overload_answers_halve_concurrency_and_space_requests(status: int) -> None:
    throttle = Throttle(Politeness(max_concurrency=4), VirtualClock())
    run_requests(throttle, [(200, 0.05)] * 40)
    assert throttle.limit == 4
    run_requests(throttle, [(status, 0.05)])
    assert throttle.limit == 2 and throttle.delay >= OVERLOAD_DELAY
    assert throttle.stats.overloads == 1
    run_requests(throttle, [(status, 0.05)])
    assert throttle.limit == 1


def test_server_errors_and_failures_do_not_steer() -> None:
    throttle = Throttle(Politeness(max_concurrency=4), VirtualClock())
    run_requests(throttle, [(500, 9.0)] * 10 + [(0, None)] * 10)  # type: ignore[list-item]
    assert throttle.limit == 1 and throttle.stats.slowdowns == 0 and throttle.baseline is None


def test_user_delay_is_a_floor_the_throttle_never_goes_below() -> None:
    clock = VirtualClock()
    throttle = Throttle(Politeness(max_concurrency=4, delay=0.3), clock)
    run_requests(throttle, [(200, 0.01)] * 40 + [(503, 0.01)] + [(200, 0.01)] * 200)
    assert throttle.delay == 0.3
    assert min(gaps(throttle.schedule)) >= 0.3


def test_defer_holds_every_start_until_it_has_passed() -> None:
    clock = VirtualClock()
    throttle = Throttle(Politeness(max_concurrency=4, adaptive=False), clock)
    run_requests(throttle, [(200, 0.01)])
    throttle.defer(7.0)
    asked_at = clock.now()
    run_requests(throttle, [(200, 0.01)])
    assert throttle.schedule[-1] >= asked_at + 7.0


def test_retry_after_values() -> None:
    assert retry_after("1") == 1.0
    assert retry_after(" 120 ") == RETRY_AFTER_CAP
    assert retry_after(None) is None and retry_after("soon") is None
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 5, usegmt=True)
    assert retry_after(date, now=now) == pytest.approx(5.0)
    past = email.utils.formatdate(now - 60, usegmt=True)
    assert retry_after(past, now=now) == 0.0


def test_permit_outcome_reaches_the_throttle() -> None:
    throttle = Throttle(Politeness(max_concurrency=2), VirtualClock())
    permit = throttle.acquire()
    assert isinstance(permit, Permit) and throttle.active == 1
    permit.status, permit.latency = 503, 0.1
    throttle.release(permit)
    assert throttle.active == 0 and throttle.stats.overloads == 1


# -- the crawl's politeness, against real servers ------------------------------------------


def site_with(robots: str, pages: int = 6) -> Callable[[Req], Reply]:
    def handle(req: Req) -> Reply:
        if req.path == "/robots.txt":
            return Reply(robots, content_type="text/plain")
        if req.path == "/":
            return Reply(html("H", "".join(f'<a href="/{i}">x</a>' for i in range(1, pages))))
        return Reply(html(req.path))

    return handle


def test_crawl_requests_follow_the_throttles_schedule(server: MakeServer, store: Store) -> None:
    """--delay spaces every request of a real crawl: the schedule says so, request by request."""
    srv = server(site_with("User-agent: *\nDisallow:\n"))
    clock = VirtualClock()
    options = CrawlOptions(retries=0, delay=0.1, concurrency=4)
    throttle = Throttle(politeness_for(options), clock)
    site = crawl_site(srv.url, store, options, throttle=throttle)
    assert site.pages == 6
    assert len(throttle.schedule) == len(srv.requests)  # every request went through it
    assert min(gaps(throttle.schedule)) >= 0.1


def test_drupal_crawl_delay_is_reported_not_obeyed_by_default(
    server: MakeServer, store: Store
) -> None:
    srv = server(site_with(DRUPAL7_ROBOTS))
    clock = VirtualClock()
    options = CrawlOptions(retries=0)
    throttle = Throttle(politeness_for(options), clock)
    site = crawl_site(srv.url, store, options, throttle=throttle)
    assert site.pages == 6
    assert throttle.policy.delay == 0 and not clock.sleeps  # nobody waited 10 s per page
    assert any("Crawl-delay 10 s; not applied" in w for w in site.warnings)


def test_respect_crawl_delay_obeys_it_one_request_at_a_time(
    server: MakeServer, store: Store
) -> None:
    srv = server(site_with(DRUPAL7_ROBOTS))
    clock = VirtualClock()
    options = CrawlOptions(retries=0, respect_crawl_delay=True)
    throttle = Throttle(politeness_for(options), clock)
    site = crawl_site(srv.url, store, options, throttle=throttle)
    assert site.pages == 6
    assert throttle.policy == Politeness(max_concurrency=1, delay=10.0)
    assert min(gaps(throttle.schedule[1:])) >= 10.0  # after robots.txt itself
    assert srv.max_inflight == 1
    assert any("Crawl-delay 10 s obeyed" in w for w in site.warnings)


def test_respect_crawl_delay_up_to_the_cap(server: MakeServer, store: Store) -> None:
    srv = server(site_with("User-agent: *\nCrawl-delay: 600\n"))
    options = CrawlOptions(retries=0, respect_crawl_delay=True, max_crawl_delay=2)
    throttle = Throttle(politeness_for(options), VirtualClock())
    site = crawl_site(srv.url, store, options, throttle=throttle)
    assert throttle.policy.delay == 2.0 and min(gaps(throttle.schedule[1:])) >= 2.0
    note = (
        "robots.txt asks for Crawl-delay 600 s; obeyed up to 2 s (--max-crawl-delay), "
        "one request at a time"
    )
    assert note in site.warnings


def test_retry_after_is_honoured_in_the_schedule(server: MakeServer, store: Store) -> None:
    calls: list[int] = []

    def handle(req: Req) -> Reply:
        if req.path == "/":
            return Reply(html("Home", '<a href="/busy">b</a>'))
        if req.path == "/busy":
            calls.append(len(calls))
            if len(calls) == 1:
                return Reply("busy", status=503, headers={"Retry-After": "3"})
            return Reply(html("Finally"))
        return Reply("", status=404)

    srv = server(handle)
    clock = VirtualClock()
    options = CrawlOptions(retries=2, ignore_robots=True)
    throttle = Throttle(politeness_for(options), clock)
    site = crawl_site(srv.url, store, options, throttle=throttle)
    busy = next(p for p in store.pages(site.id) if p.url.endswith("/busy"))
    assert (busy.status, busy.title, busy.error) == (200, "Finally", "")
    assert len(calls) == 2
    # The retry started no earlier than 3 s after the 503's request.
    starts = throttle.schedule
    assert any(later - earlier >= 3.0 for earlier, later in zip(starts, starts[1:], strict=False))
    assert throttle.stats.overloads == 1


def test_the_throttle_backs_off_a_server_that_slows_under_load(
    server: MakeServer, tmp_path: Path
) -> None:
    """A server that answers in 20 ms alone and queues beyond that (150 ms per request
    in flight): the adaptive crawl keeps at most two requests in flight, where a crawl
    allowed four at once without adapting does send four."""
    srv: Server

    def handle(req: Req) -> Reply:
        queued = srv.inflight  # this request included
        delay = 0.02 if queued <= 1 else 0.15 * queued
        if req.path == "/":
            return Reply(
                html("H", "".join(f'<a href="/{i}">x</a>' for i in range(1, 30))), delay=delay
            )
        return Reply(html(req.path), delay=delay)

    srv = server(handle)
    options = CrawlOptions(retries=0, ignore_robots=True, concurrency=4, probe=False)
    with Store(tmp_path / "adaptive.db") as store:
        throttle = Throttle(politeness_for(options))
        site = crawl_site(srv.url, store, options, throttle=throttle)
    assert site.pages == 30
    assert throttle.stats.slowdowns >= 1
    assert throttle.stats.highest_concurrency <= 2
    assert srv.max_inflight <= 2
    srv.max_inflight = 0
    with Store(tmp_path / "fixed.db") as store:
        fixed = Throttle(Politeness(max_concurrency=4, adaptive=False))
        crawl_site(srv.url, store, model_replace(options, max_pages=9), throttle=fixed)
    assert srv.max_inflight == 4  # the server did queue: adapting is what kept it at two


def test_retries_of_one_request_count_as_one_overload_signal() -> None:
    throttle = Throttle(Politeness(max_concurrency=4), VirtualClock())
    run_requests(throttle, [(200, 0.05)] * 40)
    for attempt in range(3):  # one page answering 503 three times
        with throttle.request() as permit:
            permit.status, permit.latency, permit.retry = 503, 0.05, attempt > 0
    assert throttle.stats.overloads == 1 and throttle.limit == 2
