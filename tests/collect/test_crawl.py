"""The crawler against real local servers (127.0.0.1, port 0)."""

from __future__ import annotations

import base64
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from drupalscan.collect.crawl import CrawlError, CrawlOptions, crawl_site
from drupalscan.collect.fetch import USER_AGENT
from drupalscan.inventory.model import replace, site_id
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress

from .httpfixtures import Reply, Req, Server, html, northwind_handler, server

__all__ = ["server"]  # the fixture, imported for pytest

MakeServer = Callable[..., Server]
FAST = CrawlOptions(retries=0, timeout=5)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "store.db") as st:
        yield st


def small_site() -> dict[str, Reply | str]:
    return {
        "/": html(
            "Home | Small Site",
            '<h1>Welcome</h1><a href="/a">A</a><a href="/b#frag">B</a>'
            '<a href="https://elsewhere.example/">out</a><img src="/logo.png">',
        ),
        "/a": html(
            "A | Small Site", '<h2>About</h2><p>one two</p><a href="/b">B</a><a href="/gone">x</a>'
        ),
        "/b": html(
            "B | Small Site",
            '<a href="/doc.pdf">pdf</a><a href="/moved">m</a><a href="/a?y=2&x=1">q</a>',
        ),
        "/a?x=1&y=2": html("A query | Small Site"),
        "/doc.pdf": Reply(b"%PDF-1.4 " + bytes(300), content_type="application/pdf"),
        "/moved": Reply("", status=301, headers={"Location": "/target"}),
        "/target": html("Target | Small Site"),
        "/gone": Reply(html("Gone"), status=404),
        "/only-in-sitemap": html("Hidden | Small Site"),
        "/sitemap.xml": Reply(
            "<urlset><url><loc>{base}only-in-sitemap</loc></url></urlset>",
            content_type="application/xml",
        ),
    }


def with_base(routes: dict[str, Reply | str], base: str) -> None:
    sitemap = routes["/sitemap.xml"]
    assert isinstance(sitemap, Reply)
    sitemap.body = str(sitemap.body).replace("{base}", base)


class Recorder(Progress):
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def start(self, label: str, total: int | None = None) -> None:
        self.calls.append(("start", label))

    def update(self, done: int, total: int | None = None, **counters: int) -> None:
        self.calls.append(("update", (done, counters)))

    def finish(self, summary: str = "") -> None:
        self.calls.append(("finish", summary))


def test_small_site_is_crawled_fully(server: MakeServer, store: Store) -> None:
    routes = small_site()
    srv = server(routes)
    with_base(routes, srv.url)
    progress = Recorder()
    site = crawl_site(srv.url, store, FAST, progress=progress)
    pages = {p.url.removeprefix(srv.url.rstrip("/")): p for p in store.pages(site.id)}
    assert set(pages) == {
        "/",
        "/a",
        "/b",
        "/a?x=1&y=2",
        "/doc.pdf",
        "/moved",
        "/gone",
        "/only-in-sitemap",
    }
    home = pages["/"]
    assert home.status == 200 and home.title == "Home | Small Site"
    assert home.links == [srv.url + "a", srv.url + "b"]
    assert home.external_links == ["https://elsewhere.example/"]
    assert home.assets == [srv.url + "logo.png"]
    assert home.headings == ["h1: Welcome"] and home.depth == 0
    assert pages["/a"].depth == 1 and pages["/a"].word_count == 5
    pdf = pages["/doc.pdf"]
    assert (pdf.status, pdf.content_type, pdf.size, pdf.links) == (200, "application/pdf", 309, [])
    moved = pages["/moved"]
    assert moved.final_url == srv.url + "target" and moved.redirects == [srv.url + "moved"]
    assert moved.status == 200 and moved.title == "Target | Small Site"
    assert site.pages == 8
    assert site.name == "Small Site"
    assert site.origin == "url" and site.collected == ["crawl"] and site.source == srv.url
    assert site.sections["/"] == 1 and site.sections["a"] == 2
    assert [(b.url, b.status, b.referrers) for b in site.broken_link_details] == [
        (srv.url + "gone", 404, [srv.url + "a"])
    ]
    assert site.broken_links == 1
    assert site.redirect_chains == [[srv.url + "moved", srv.url + "target"]]
    assert site.duplicate_titles == {}
    assert sum(site.templates.values()) == 6  # 2xx HTML pages
    assert store.get_site(site.id) == site
    assert all(n == 1 for n in srv.hits.values())
    assert all(r.headers.get("User-Agent") == USER_AGENT for r in srv.requests)
    assert progress.calls[0] == ("start", f"crawl {srv.url[7:-1]}")
    assert progress.calls[-1][0] == "finish"
    assert re.fullmatch(
        r"127\.0\.0\.1:\d+: 8 pages, 0 errors, 1 broken links in \d+\.\d s "
        r"\(politeness: concurrency [\d-]+\)",
        str(progress.calls[-1][1]),
    )


def test_rerun_of_finished_crawl_fetches_nothing(server: MakeServer, store: Store) -> None:
    routes = small_site()
    srv = server(routes)
    with_base(routes, srv.url)
    first = crawl_site(srv.url, store, FAST)
    hits = sum(srv.hits.values())
    store.put_site(replace(first, name="stale", templates={}, pages=0))
    again = crawl_site(srv.url, store, FAST)
    assert sum(srv.hits.values()) == hits
    assert again == first


def test_page_budget_then_continue(server: MakeServer, store: Store) -> None:
    routes = small_site()
    srv = server(routes)
    with_base(routes, srv.url)
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, max_pages=3))
    assert site.pages == 3
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, max_pages=100))
    assert site.pages == 8
    assert max(srv.page_hits().values()) == 1


def test_scope_prefix_and_exclude(server: MakeServer, store: Store) -> None:
    routes = {
        "/hr/": html("HR", '<a href="/hr/a">a</a><a href="/news">n</a><a href="/hr/b.pdf">b</a>'),
        "/hr/a": html("A"),
        "/news": html("N"),
        "/hr/b.pdf": Reply(b"x", content_type="application/pdf"),
    }
    srv = server(routes)
    options = CrawlOptions(retries=0, path_prefix="/hr/", exclude=(r"\.pdf$",))
    site = crawl_site(srv.url + "hr/", store, options)
    assert sorted(p.url for p in store.pages(site.id)) == [srv.url + "hr/", srv.url + "hr/a"]


def test_northwind_drupal7_intranet(server: MakeServer, store: Store) -> None:
    srv = server(northwind_handler())
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, ignore_robots=True), fingerprints={})
    assert site.kind == "drupal7"
    assert site.core_version == "7.79" and site.core_candidates == ["7.79"]
    assert any(e.kind == "changelog" for e in site.kind_evidence)
    assert any(e.detail.startswith("X-Generator: Drupal 7") for e in site.kind_evidence)
    modules = {m.name: m for m in site.modules}
    for name in (
        "ctools",
        "panels",
        "date",
        "field_collection",
        "ckeditor",
        "menu_block",
        "captcha",
    ):
        assert name in modules, name
        assert modules[name].evidence
    assert modules["northwind_hr"].type == "custom"
    assert modules["node"].type == "core"
    assert modules["ctools"].type == "unknown"  # sites/all/modules: non-core, not more
    themes = {t.name: t for t in site.themes}
    assert "northwind" in themes and themes["garland"].type == "core"
    assert site.templates["node:policy"] >= 10
    for template in (
        "node:article",
        "node:job_posting",
        "node:news",
        "taxonomy-term",
        "front",
        "page:careers",
    ):
        assert template in site.templates
    assert site.name == "Northwind HR Intranet"
    assert site.pages > 100
    handbook = next(p for p in store.pages(site.id) if p.url == srv.url + "hr/handbook")
    assert handbook.redirects == [srv.url + "hr/handbook"]
    assert handbook.final_url == srv.url + "policies/code-of-conduct"
    assert srv.hits["/CHANGELOG.txt"] == 1


def test_northwind_with_robots_obeyed(server: MakeServer, store: Store) -> None:
    srv = server(northwind_handler())
    options = CrawlOptions(retries=0, max_pages=20, max_crawl_delay=0.01)
    site = crawl_site(srv.url, store, options, fingerprints={})
    assert site.kind == "drupal7" and site.pages == 20
    assert srv.hits["/CHANGELOG.txt"] == 0  # robots.txt disallows it
    # The real site names its release itself: core libraries carry ?v=VERSION.
    assert site.core_version == "7.79"
    details = [e.detail for e in site.kind_evidence]
    assert any(d.startswith("misc/textarea.js?v=7.79") for d in details), details
    assert any("robots.txt disallows CHANGELOG.txt" in d for d in details)
    assert any("Crawl-delay 10 s; not applied" in w for w in site.warnings)


def basic_auth_site(user: str, password: str) -> Callable[[Req], Reply]:
    token = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    pages = {"/": html("Home", '<a href="/p">p</a>'), "/p": html("P")}

    def handle(req: Req) -> Reply:
        if req.headers.get("Authorization") != token:
            return Reply("no", status=401, headers={"WWW-Authenticate": 'Basic realm="x"'})
        body = pages.get(req.path)
        return Reply(body) if body else Reply("", status=404)

    return handle


def test_basic_auth(server: MakeServer, store: Store) -> None:
    srv = server(basic_auth_site("alice", "pw-123"))
    with pytest.raises(CrawlError, match="needs credentials"):
        crawl_site(srv.url, store, FAST)
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, auth=("alice", "pw-123")))
    assert site.pages == 2


def test_credentials_in_the_url_are_used_and_dropped(server: MakeServer, store: Store) -> None:
    srv = server(basic_auth_site("alice", "pw-123"))
    site = crawl_site(srv.url.replace("http://", "http://alice:pw-123@"), store, FAST)
    assert site.pages == 2 and "alice" not in site.source and "pw-123" not in site.id


SESSION = "SESS" + "0" * 32
LOGIN_FORM = html(
    "Log in",
    '<form action="/user/login" method="post" id="user-login">'
    '<input type="text" name="name"><input type="password" name="pass">'
    '<input type="hidden" name="form_build_id" value="form-abc">'
    '<input type="hidden" name="form_id" value="user_login">'
    '<input type="submit" name="op" value="Log in"></form>',
)


def drupal_login_site(password: str, seen: list[dict[str, str]]) -> Callable[[Req], Reply]:
    pages = {
        "/": html("Home", '<a href="/private">p</a><a href="/user/logout">Log out</a>'),
        "/private": html("Private"),
    }

    def handle(req: Req) -> Reply:
        path = req.path.split("?")[0]
        if path == "/user/login" and req.method == "GET":
            return Reply(LOGIN_FORM)
        if path == "/user/login":
            form = dict(p.split("=", 1) for p in req.body.decode().split("&"))
            seen.append(form)
            if form.get("pass") == password and form.get("form_build_id") == "form-abc":
                cookie = f"{SESSION}=sess-value-XYZ; path=/; HttpOnly"
                return Reply("", status=302, headers={"Location": "/user/1", "Set-Cookie": cookie})
            return Reply(LOGIN_FORM + "Sorry, unrecognized username or password.")
        if path == "/user/logout":
            raise AssertionError("the crawler followed the logout link")
        if req.cookies.get(SESSION) != "sess-value-XYZ":
            return Reply(html("Access denied"), status=403)
        body = pages.get(path)
        return Reply(body) if body else Reply("", status=404)

    return handle


def test_drupal_form_login(server: MakeServer, store: Store) -> None:
    seen: list[dict[str, str]] = []
    srv = server(drupal_login_site("s3cret", seen))
    options = CrawlOptions(retries=0, auth=("admin", "s3cret"), login_url="/user/login")
    site = crawl_site(srv.url, store, options)
    assert seen[0]["name"] == "admin" and seen[0]["form_id"] == "user_login"
    assert {p.url: p.status for p in store.pages(site.id)} == {
        srv.url: 200,
        srv.url + "private": 200,
    }


def test_drupal_form_login_failure(server: MakeServer, store: Store) -> None:
    srv = server(drupal_login_site("s3cret", []))
    options = CrawlOptions(retries=0, auth=("admin", "wrong"), login_url="/user/login")
    with pytest.raises(CrawlError, match="login failed"):
        crawl_site(srv.url, store, options)


def test_secrets_never_reach_the_store(server: MakeServer, tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []
    srv = server(drupal_login_site("Pa55-form-SECRET", seen))
    path = tmp_path / "s.db"
    with Store(path) as st:
        options = CrawlOptions(
            retries=0,
            auth=("admin", "Pa55-form-SECRET"),
            login_url=srv.url + "user/login",
            cookies=(("tracking", "cookie-SECRET-1"),),
            headers=(("X-Api-Token", "header-SECRET-2"),),
        )
        crawl_site(srv.url, st, options)
    assert any(r.headers.get("X-Api-Token") == "header-SECRET-2" for r in srv.requests)
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for secret in (b"Pa55-form-SECRET", b"cookie-SECRET-1", b"header-SECRET-2", b"sess-value-XYZ"):
        assert secret not in data


def test_robots_txt_is_obeyed(server: MakeServer, store: Store) -> None:
    routes = {
        "/robots.txt": Reply("User-agent: *\nDisallow: /private\n", content_type="text/plain"),
        "/": html("Home", '<a href="/private/x">p</a><a href="/public">q</a>'),
        "/public": html("Public"),
        "/private/x": html("Private"),
    }
    srv = server(routes)
    site = crawl_site(srv.url, store, FAST)
    assert site.pages == 2 and srv.hits["/private/x"] == 0
    with Store(store.path.parent / "consented.db") as consented:
        site = crawl_site(srv.url, consented, CrawlOptions(retries=0, ignore_robots=True))
    assert site.pages == 3 and srv.hits["/private/x"] == 1  # the owner's consent
    assert srv.hits["/robots.txt"] == 1  # not even asked for when ignored
    blocked = server(
        {"/robots.txt": Reply("User-agent: *\nDisallow: /\n", content_type="text/plain")}
    )
    with pytest.raises(CrawlError, match="robots.txt disallows"):
        crawl_site(blocked.url, store, FAST)


def test_two_redirects_to_one_page_in_flight_fetch_it_once(
    server: MakeServer, store: Store
) -> None:
    """/node/7 and its old alias both redirect to the page; fetched together,
    only one worker follows, so the page is requested once (the Northwind
    crawl met this on a busy machine)."""
    import threading

    from drupalscan.collect.politeness import Politeness, Throttle

    both_in_flight = threading.Barrier(2, timeout=20)

    def handle(req: Req) -> Reply:
        if req.path == "/":
            return Reply(html("Home", '<a href="/node/7">n</a><a href="/hr/handbook">h</a>'))
        if req.path in ("/node/7", "/hr/handbook"):
            both_in_flight.wait()
            return Reply("", status=301, headers={"Location": "/policies/code-of-conduct"})
        if req.path == "/policies/code-of-conduct":
            return Reply(html("Code of conduct"))
        return Reply("", status=404)

    srv = server(handle)
    two_at_once = Throttle(Politeness(max_concurrency=2, adaptive=False))
    options = CrawlOptions(retries=0, concurrency=2)
    site = crawl_site(srv.url, store, options, throttle=two_at_once)
    assert srv.hits["/policies/code-of-conduct"] == 1
    pages = {p.url.removeprefix(srv.url): p for p in store.pages(site.id)}
    followed = [pages[p] for p in ("node/7", "hr/handbook")]
    assert sorted(p.final_url for p in followed) == [srv.url + "policies/code-of-conduct"] * 2
    assert sum(1 for p in followed if p.status == 200) == 1  # one carries the content


def test_a_redirect_and_a_link_to_one_page_in_flight_fetch_it_once(
    server: MakeServer, store: Store
) -> None:
    """A worker follows /node/7's redirect while another page linking the target
    comes back: the coordinator must not queue the page the worker is fetching.
    (The Northwind crawl met this on a loaded CI machine.)"""
    import threading
    import time

    from drupalscan.collect.politeness import Politeness, Throttle

    target_requested = threading.Event()
    lock = threading.Lock()
    served: list[str] = []

    def handle(req: Req) -> Reply:
        if req.path == "/":
            return Reply(html("Home", '<a href="/node/7">n</a><a href="/listing">l</a>'))
        if req.path == "/node/7":
            return Reply("", status=301, headers={"Location": "/policies/code-of-conduct"})
        if req.path == "/listing":
            target_requested.wait(timeout=20)  # the redirect is being followed now
            return Reply(html("Listing", '<a href="/policies/code-of-conduct">c</a>'))
        if req.path == "/policies/code-of-conduct":
            with lock:
                served.append(req.path)
                first = len(served) == 1
            if first:
                target_requested.set()
                time.sleep(0.5)  # in flight while the listing is parsed (not asserted)
            return Reply(html("Code of conduct"))
        return Reply("", status=404)

    srv = server(handle)
    two_at_once = Throttle(Politeness(max_concurrency=2, adaptive=False))
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, concurrency=2), throttle=two_at_once)
    assert srv.hits["/policies/code-of-conduct"] == 1
    pages = {p.url.removeprefix(srv.url): p for p in store.pages(site.id)}
    assert pages["node/7"].final_url == srv.url + "policies/code-of-conduct"


def test_redirect_loop_and_long_chains(server: MakeServer, store: Store) -> None:
    def handle(req: Req) -> Reply:
        if req.path == "/":
            return Reply(
                html("Home", '<a href="/loop1">l</a><a href="/chain/0">c</a><a href="/off">o</a>')
            )
        if req.path == "/loop1":
            return Reply("", status=302, headers={"Location": "/loop2"})
        if req.path == "/loop2":
            return Reply("", status=302, headers={"Location": "/loop1"})
        if req.path.startswith("/chain/"):
            n = int(req.path.rsplit("/", 1)[1])
            return Reply("", status=301, headers={"Location": f"/chain/{n + 1}"})
        if req.path == "/off":
            return Reply("", status=301, headers={"Location": "https://elsewhere.example/x"})
        return Reply("", status=404)

    srv = server(handle)
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, max_redirects=3))
    pages = {p.url.removeprefix(srv.url): p for p in store.pages(site.id)}
    assert pages["loop1"].error == "redirect loop"
    assert pages["loop1"].redirects == [srv.url + "loop1", srv.url + "loop2"]
    assert [srv.url + "loop1", srv.url + "loop2", srv.url + "loop1"] in site.redirect_chains
    assert pages["chain/0"].error.startswith("too many redirects")
    assert len(pages["chain/0"].redirects) == 4
    off = pages["off"]
    assert (off.status, off.final_url, off.error) == (301, "https://elsewhere.example/x", "")
    assert srv.hits["/chain/5"] == 0


def test_oversized_and_binary_pages(server: MakeServer, store: Store) -> None:
    routes = {
        "/": html("Home", '<a href="/big">b</a><a href="/bin">x</a>'),
        "/big": html("Big", "<p>word </p>" * 20000),
        "/bin": Reply(b"\x00\x01\x02\x03" * 4000),
    }
    srv = server(routes)
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, max_bytes=50_000))
    pages = {p.url.removeprefix(srv.url): p for p in store.pages(site.id)}
    assert pages["big"].error == "too large" and pages["big"].size > 50_000
    assert pages["bin"].error == "binary content served as HTML"
    assert site.pages == 3


def test_calendar_trap_is_capped(server: MakeServer, store: Store) -> None:
    def handle(req: Req) -> Reply:
        match = re.fullmatch(r"/events/(\d+)/(\d+)", req.path)
        if req.path == "/":
            return Reply(html("Home", '<a href="/events/2024/05">cal</a>'))
        if match:
            y, m = int(match.group(1)), int(match.group(2))
            nxt = (y + (m == 12), m % 12 + 1)
            prev = (y - (m == 1), (m - 2) % 12 + 1)
            links = "".join(f'<a href="/events/{a}/{b:02d}">m</a>' for a, b in (nxt, prev))
            return Reply(html(f"{y}-{m}", links))
        return Reply("", status=404)

    srv = server(handle)
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, per_pattern_cap=10, max_pages=1000))
    assert site.pages == 11


def test_start_url_errors(server: MakeServer, store: Store) -> None:
    # A port held but not listening: connections are refused, and no other
    # process can take the port while the test uses it.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(CrawlError, match="cannot reach 127.0.0.1"):
            crawl_site(f"http://127.0.0.1:{port}/", store, FAST)
    pdf = server({"/": Reply(b"%PDF", content_type="application/pdf")})
    with pytest.raises(CrawlError, match="not an HTML page"):
        crawl_site(pdf.url, store, FAST)
    away = server({"/": Reply("", status=301, headers={"Location": "http://other.example/"})})
    with pytest.raises(CrawlError, match="redirects to another host"):
        crawl_site(away.url, store, FAST)
    with pytest.raises(CrawlError, match="not an http"):
        crawl_site("ftp://x/", store, FAST)


def test_connection_errors_are_recorded_and_crawl_goes_on(server: MakeServer, store: Store) -> None:
    def handle(req: Req) -> Reply:
        if req.path == "/":
            return Reply(html("H", '<a href="/slow">s</a><a href="/ok">o</a>'))
        if req.path == "/slow":
            return Reply(html("slow"), delay=2)
        return Reply(html("ok"))

    srv = server(handle)
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, timeout=0.3))
    pages = {p.url.removeprefix(srv.url): p for p in store.pages(site.id)}
    assert (pages["slow"].status, pages["slow"].error) == (0, "timeout")
    assert pages["ok"].status == 200
    assert [b.url for b in site.broken_link_details] == [srv.url + "slow"]


class StopAfter(Progress):
    """Simulates Ctrl-C after a few pages."""

    def __init__(self, n: int) -> None:
        self.n = n

    def update(self, done: int, total: int | None = None, **counters: int) -> None:
        if done >= self.n:
            raise KeyboardInterrupt


def test_ctrl_c_then_resume(server: MakeServer, store: Store) -> None:
    routes = {"/": html("H", "".join(f'<a href="/p{i}">x</a>' for i in range(30)))}
    routes.update({f"/p{i}": html(f"P{i}") for i in range(30)})
    srv = server(routes)
    with pytest.raises(KeyboardInterrupt):
        crawl_site(srv.url, store, CrawlOptions(retries=0, concurrency=2), progress=StopAfter(8))
    assert 8 <= store.page_count(site_id(srv.url)) < 31
    site = crawl_site(srv.url, store, CrawlOptions(retries=0, concurrency=2))
    assert site.pages == 31
    assert max(srv.page_hits().values()) <= 2
    assert sum(n - 1 for n in srv.page_hits().values()) <= 4  # at most what was in flight
