"""One crawl per server fault: bounded, the fault recorded, the good pages kept.

Each test names the handling it proves and fails without it: the retry and
Retry-After for flaky 5xx, the retry bound for a 503 that never recovers,
the per-read timeout and the whole-body deadline, the decompressed-byte cap
for gzip bombs, the same-host rule for redirects, the redirect bound, the
trap cap, robots.txt, and the bounded re-login of an expiring form session.
Every crawl runs against loopback servers only and ends by itself.  Bounds
are checked by counting (requests the server saw, bytes it sent, waits the
throttle scheduled on its virtual clock), never by timing the crawl.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import pytest

from drupalscan.collect.crawl import CrawlError, CrawlOptions, crawl_site, politeness_for
from drupalscan.collect.politeness import Throttle
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from tests.collect.clocks import VirtualClock, gaps

from .faultserver import GOOD, Blackhole, FaultServer, FaultSite

Fixture = tuple[FaultSite, FaultServer, FaultServer]
OPTIONS = CrawlOptions(
    timeout=1.0, retries=2, read_time=1.5, max_bytes=2_000_000, per_pattern_cap=10, max_pages=100
)


def crawl(
    fixture: Fixture, store: Store, faults: list[str], **changes: object
) -> tuple[model.Site, dict[str, model.Page], Throttle]:
    """Crawl the fault site linking only to ``faults``; check the good pages.

    The throttle runs on a virtual clock: backoff and Retry-After waits are
    decided (and checked through its schedule) without being slept.
    """
    site, main, _other = fixture
    site.faults = faults
    options = CrawlOptions(**{**_fields(OPTIONS), **changes})  # type: ignore[arg-type]
    throttle = Throttle(politeness_for(options), VirtualClock())
    result = crawl_site(main.url, store, options, throttle=throttle)
    pages = {"/" + p.url.removeprefix(main.url): p for p in store.pages(result.id)}
    for path in GOOD:
        good = pages[path]
        assert (good.status, good.error) == (200, ""), path
        assert good.title.endswith("| Fault Site"), path
    assert result.pages == len(pages)
    return result, pages, throttle


def _fields(options: CrawlOptions) -> dict[str, object]:
    return {name: getattr(options, name) for name in options.__dataclass_fields__}


@pytest.mark.parametrize("status", [500, 503])
def test_transient_5xx_is_retried_after_retry_after(
    fault_site: Fixture, fault_store: Store, status: int
) -> None:
    """Without the retry the page is stored as an error; without Retry-After, too early."""
    _, pages, throttle = crawl(fault_site, fault_store, [f"/flaky{status}"])
    page = pages[f"/flaky{status}"]
    assert (page.status, page.error, page.title) == (200, "", f"Recovered {status} | Fault Site")
    assert fault_site[0].hits[f"/flaky{status}"] == 2
    # Retry-After: 1 was honoured: some request started a second or more after the one before.
    assert max(gaps(throttle.schedule)) >= 1.0


def test_persistent_503_gives_up_and_says_so(fault_site: Fixture, fault_store: Store) -> None:
    """Bounded retries (retries=2: three requests), then an error on the page."""
    _, pages, _ = crawl(fault_site, fault_store, ["/always503"])
    page = pages["/always503"]
    assert (page.status, page.error) == (503, "HTTP 503 after 3 attempts")
    assert fault_site[0].hits["/always503"] == 3


def test_connection_reset_mid_body(fault_site: Fixture, fault_store: Store) -> None:
    """A reset while reading is a recorded error, not a crashed worker or a lost crawl."""
    _, pages, _ = crawl(fault_site, fault_store, ["/reset"])
    assert (pages["/reset"].status, pages["/reset"].error) == (
        200,
        "connection broken while reading",
    )


def test_response_slower_than_timeout(fault_site: Fixture, fault_store: Store) -> None:
    """timeout=1 per attempt and 3 attempts: the page is given up, not waited for forever."""
    _, pages, _ = crawl(fault_site, fault_store, ["/slow"])
    assert (pages["/slow"].status, pages["/slow"].error) == (0, "timeout")
    assert fault_site[0].hits["/slow"] == 3


def test_trickling_body_hits_the_read_deadline(fault_site: Fixture, fault_store: Store) -> None:
    """A byte every 50 ms never trips the 1 s read timeout; read_time=1.5 s stops it.

    Without the deadline the body (about 500 bytes) takes over 25 s.
    """
    _, pages, _ = crawl(fault_site, fault_store, ["/trickle"])
    page = pages["/trickle"]
    assert page.status == 200 and page.error.startswith("too slow")
    assert fault_site[0].sent["/trickle"] < 200


def test_server_that_never_answers(blackhole: Blackhole, fault_store: Store) -> None:
    """Accepts, then silence: the crawl fails clearly after its bounded retries."""
    throttle = Throttle(politeness_for(OPTIONS), VirtualClock())
    with pytest.raises(CrawlError, match=r"cannot reach 127\.0\.0\.1:\d+: timeout"):
        crawl_site(blackhole.url, fault_store, OPTIONS, throttle=throttle)
    assert len(blackhole.accepted) == OPTIONS.retries + 1  # robots.txt, asked three times
    assert len(throttle.schedule) == OPTIONS.retries + 1


def test_infinite_redirects_are_cut(fault_site: Fixture, fault_store: Store) -> None:
    _, pages, _ = crawl(fault_site, fault_store, ["/loop/0"], max_redirects=5)
    page = pages["/loop/0"]
    assert page.error == "too many redirects (more than 5)" and page.status == 302
    loops = sum(n for p, n in fault_site[0].hits.items() if p.startswith("/loop/"))
    assert loops <= 7


def test_redirect_to_another_host_is_not_followed(fault_site: Fixture, fault_store: Store) -> None:
    """Recorded with its target; the other host (127.0.0.2) never gets a request."""
    _, pages, _ = crawl(fault_site, fault_store, ["/redirect-other"])
    page = pages["/redirect-other"]
    other = fault_site[2]
    assert (page.status, page.final_url) == (302, other.url + "stolen")
    assert sum(other.site.hits.values()) == 0


def test_50_mb_body_is_cut_at_max_bytes(fault_site: Fixture, fault_store: Store) -> None:
    """No Content-Length to trust: the reader stops at max_bytes and hangs up."""
    _, pages, _ = crawl(fault_site, fault_store, ["/big"])
    assert pages["/big"].error == "too large"
    assert 2_000_000 < pages["/big"].size < 3_000_000
    assert fault_site[0].sent["/big"] < 20_000_000


@pytest.mark.parametrize("route", ["/bomb", "/bomb-redirect"])
def test_gzip_bomb_stops_at_max_bytes_decompressed(
    fault_site: Fixture, fault_store: Store, route: str
) -> None:
    """1 GiB (a 50 MB one behind a redirect) must not be inflated in memory.

    The page body's cap counts decompressed bytes; a redirect's small body
    is drained with a cap too (``resp.content`` would inflate all of it).
    """
    tracemalloc.start()
    try:
        _, pages, _ = crawl(fault_site, fault_store, [route])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000, f"peak Python memory {peak / 1e6:.0f} MB"
    page = pages[route]
    if route == "/bomb":
        assert (page.status, page.error) == (200, "too large")
    else:
        assert page.status == 302 and page.final_url.endswith("/good/0")


@pytest.mark.parametrize(
    ("route", "check"),
    [
        ("/latin1", lambda p: p.title == "Café Müller | Fault Site"),
        ("/nocharset", lambda p: p.title == "Naïve | Fault Site"),
        ("/utf16", lambda p: p.error == "" and p.title == "Wide | Fault Site"),
    ],
)
def test_wrong_or_missing_charset(
    fault_site: Fixture, fault_store: Store, route: str, check: Callable[[model.Page], bool]
) -> None:
    """Latin-1 declared UTF-8 reads as cp1252, UTF-16 without a BOM as UTF-16; never an
    exception that loses the page."""
    _, pages, _ = crawl(fault_site, fault_store, [route])
    page = pages[route]
    assert page.status == 200 and not page.error.startswith("internal error")
    assert check(page), page


def test_broken_html_is_parsed_without_error(fault_site: Fixture, fault_store: Store) -> None:
    _, pages, _ = crawl(fault_site, fault_store, ["/broken"])
    page = pages["/broken"]
    assert (page.status, page.error) == (200, "")
    # The unclosed <title> ends at the next tag instead of swallowing the page.
    assert page.title == "Broken | Fault Site"
    assert any(link.endswith("/good/5") for link in page.links)


def test_binary_served_as_html(fault_site: Fixture, fault_store: Store) -> None:
    _, pages, _ = crawl(fault_site, fault_store, ["/binary"])
    assert pages["/binary"].error == "binary content served as HTML"


def test_calendar_trap_is_capped(fault_site: Fixture, fault_store: Store) -> None:
    """Without the per-pattern cap the calendar is endless (max_pages=100 would be hit)."""
    site, pages, _ = crawl(fault_site, fault_store, ["/calendar/2024/05"])
    calendar = [p for p in pages if p.startswith("/calendar/")]
    assert len(calendar) == 10
    assert site.pages == len(GOOD) + 10


@pytest.mark.parametrize(("route", "status"), [("/needs-auth", 401), ("/forbidden", 403)])
def test_401_and_403_are_recorded_as_served(
    fault_site: Fixture, fault_store: Store, route: str, status: int
) -> None:
    """Status as served, not retried (only 408, 429 and 5xx are), listed as broken."""
    site, pages, _ = crawl(fault_site, fault_store, [route])
    assert pages[route].status == status
    assert fault_site[0].hits[route] == 1
    assert [(b.url.rsplit("/", 1)[1], b.status) for b in site.broken_link_details] == [
        (route.strip("/"), status)
    ]


def test_robots_disallowing_everything(fault_site: Fixture, fault_store: Store) -> None:
    """The crawl refuses before any page request."""
    fault_site[0].robots = "User-agent: *\nDisallow: /\n"
    with pytest.raises(CrawlError, match="robots.txt disallows"):
        crawl_site(fault_site[1].url, fault_store, OPTIONS)
    assert set(fault_site[0].hits) == {"/robots.txt"}


LOGIN = {"auth": ("editor", "PASSWORD"), "auth_type": "form", "concurrency": 1}


def login_crawl(fixture: Fixture, store: Store) -> dict[str, model.Page]:
    site, main, _ = fixture
    options = CrawlOptions(**{**_fields(OPTIONS), **LOGIN})  # type: ignore[arg-type]
    result = crawl_site(main.url + "login-site/", store, options)
    return {p.url.removeprefix(main.url + "login-site/"): p for p in store.pages(result.id)}


@pytest.mark.parametrize("expiry", ["redirect", "403"])
def test_expired_session_logs_in_again(
    fault_site: Fixture, fault_store: Store, expiry: str
) -> None:
    """Sessions last 3 pages; 9 pages need 3 logins and every page is private content.

    Without the re-login, 6 pages would be the login form or a 403.
    """
    site = fault_site[0]
    site.expiry = expiry
    pages = login_crawl(fault_site, fault_store)
    private = {u: p for u, p in pages.items() if u == "" or u.startswith("p")}
    assert len(private) == 9
    for url, page in private.items():
        assert (page.status, page.error) == (200, ""), url
        assert page.title.startswith("Private"), url
    assert site.logins == 3


@pytest.mark.parametrize("expiry", ["redirect", "403"])
def test_failed_relogin_is_recorded_and_bounded(
    fault_site: Fixture, fault_store: Store, expiry: str
) -> None:
    """The second login is refused: one attempt only, every later page says why."""
    site = fault_site[0]
    site.expiry = expiry
    site.login_ok_max = 1
    pages = login_crawl(fault_site, fault_store)
    assert site.logins == 2
    good = [u for u, p in pages.items() if p.title.startswith("Private")]
    assert sorted(good) == ["", "p0", "p1"]
    expired = [f"p{i}" for i in range(2, 8)]
    for url in expired:
        page = pages[url]
        assert page.error.startswith("session expired; logging in again failed"), url
        if expiry == "redirect":
            # The login form as served the first time; later the known
            # /user/login target is recorded, not fetched again.
            assert page.status in (200, 302) and page.final_url.endswith("/user/login"), url
        else:
            assert page.status == 403, url
