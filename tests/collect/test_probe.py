"""Module probing from outside: Drupal's .htaccess, servers without it, catch-all servers.

Every server here answers as a real one does: Drupal 7's ``.htaccess``
(403 for a ``.info`` file that exists, 404 otherwise), an nginx without
Drupal's rules (serves ``.info`` text), one that denies every ``.info``
(LICENSE.txt then decides), and a catch-all server that answers 200 with
its home page for any path (nothing may count as found there).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from drupalscan.collect.crawl import CrawlOptions, crawl_site
from drupalscan.collect.probe import LAYOUTS, Candidate, Prober, layouts_for, looks_like_info
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress

from .httpfixtures import Reply, Req, Server, html, server

__all__ = ["server"]

MakeServer = Callable[..., Server]
D7 = {"X-Generator": "Drupal 7 (https://www.drupal.org)"}
PACKAGED_INFO = """name = {label}
description = {label} for Drupal 7.
core = 7.x
package = Other

; Information added by Drupal.org packaging script on 2019-04-03
version = "{version}"
core = "7.x"
project = "{project}"
datestamp = "1554307093"
"""
GPL = (
    "                    GNU GENERAL PUBLIC LICENSE\n                       Version 2, June 1991\n"
)
HOME = html(
    "Home | Intranet",
    '<a href="/about">About</a>',
    body_class="html front not-logged-in one-sidebar",
    head='<link rel="stylesheet" href="/sites/all/modules/contrib/ctools/css/ctools.css?p1">',
)
CANDIDATES = [
    Candidate("views", "views"),
    Candidate("token", "token"),
    Candidate("google_analytics", "googleanalytics"),
    Candidate("pathauto", "pathauto"),
    Candidate("webform", "webform"),
]


def drupal_site(
    present: dict[str, str], log: list[str], server_kind: str = "apache", home: str = HOME
) -> Callable[[Req], Reply]:
    """A Drupal 7 site whose modules' .info files are at the paths in ``present`` (-> version).

    ``server_kind`` is how the web server answers for module files:

    * ``apache``: Drupal 7's .htaccess.  Its ``<FilesMatch>`` refuses every
      ``.info`` name, whether the file exists or not (403); a module folder
      that exists is refused too (``Options -Indexes``), one that does not is 404.
    * ``nginx``: no Drupal rules: ``.info`` files are served as text, folders 403/404.
    * ``locked``: every ``.info`` and every folder below sites/ refused (403);
      static files such as LICENSE.txt still served.
    * ``catch-all``: 200 with the home page for every path it does not know.
    """
    folders = {path.rsplit("/", 1)[0] for path in present}

    def handle(req: Req) -> Reply:
        path = req.path.split("?")[0]
        if path == "/":
            return Reply(home, headers=D7)
        if path == "/about":
            return Reply(html("About | Intranet", body_class="html not-front"), headers=D7)
        if path.startswith(("/sites/", "/profiles/")):
            log.append(path)
        if path.endswith(".info"):
            if server_kind in ("apache", "locked"):
                return Reply("<h1>Forbidden</h1>", status=403)
            if path in present:
                project = path.split("/")[-2]
                body = PACKAGED_INFO.format(
                    label=project.title(), version=present[path], project=project
                )
                return Reply(body, content_type="application/octet-stream")
        if path.endswith("/") and path != "/":
            if server_kind == "locked" or path.rstrip("/") in folders:
                return Reply("<h1>Forbidden</h1>", status=403)
        if path.endswith("/LICENSE.txt") and path.rsplit("/", 1)[0] in folders:
            return Reply(GPL, content_type="text/plain")
        if server_kind == "catch-all":
            return Reply(home, headers=D7)  # any path: the home page, 200
        return Reply("<h1>Not found</h1>", status=404, headers=D7)

    return handle


def crawl(srv: Server, store: Store, candidates: list[Candidate], budget: int = 100) -> object:
    options = CrawlOptions(retries=0, ignore_robots=True, probe_budget=budget)
    return crawl_site(srv.url, store, options, fingerprints={}, probe_candidates=candidates)


def test_apache_with_drupal_htaccess_is_probed_by_folder(server: MakeServer, store: Store) -> None:
    log: list[str] = []
    present = {
        "/sites/all/modules/contrib/views/views.info": "7.x-3.22",
        "/sites/all/modules/contrib/token/token.info": "7.x-1.7",
        "/sites/all/modules/contrib/google_analytics/googleanalytics.info": "7.x-2.6",
    }
    srv = server(drupal_site(present, log))
    site = crawl(srv, store, CANDIDATES)
    modules = {m.name: m for m in site.modules}  # type: ignore[attr-defined]
    assert {"views", "token", "googleanalytics"} <= set(modules)
    assert {"pathauto", "webform"}.isdisjoint(modules)
    views = modules["views"]
    assert views.type == "contrib" and views.project == "views"
    assert modules["googleanalytics"].project == "google_analytics"  # directory != module
    assert views.evidence[0].detail == (
        "GET /sites/all/modules/contrib/views/ -> 403 (an invented module's folder gave 404)"
    )
    # The layout the page's own assets use (contrib/) is the only one asked:
    # two calibration requests (an invented .info, refused; its folder, 404),
    # then one request per candidate.
    assert len(log) == 2 + len(CANDIDATES)
    assert all(p.startswith("/sites/all/modules/contrib/") for p in log)
    assert log[0].startswith("/sites/all/modules/contrib/drupalscan_absent_")
    assert log[0].endswith(".info") and log[1].endswith("/")


def test_served_info_files_count_only_when_they_are_info_files(
    server: MakeServer, store: Store
) -> None:
    log: list[str] = []
    present = {"/sites/all/modules/contrib/views/views.info": "7.x-3.22"}
    srv = server(drupal_site(present, log, server_kind="nginx"))
    site = crawl(srv, store, CANDIDATES)
    modules = {m.name: m for m in site.modules}  # type: ignore[attr-defined]
    assert modules["views"].version == "7.x-3.22"  # read from the packaged file itself
    assert "the file itself, version 7.x-3.22" in modules["views"].evidence[0].detail
    assert {"token", "pathauto", "webform", "googleanalytics"}.isdisjoint(modules)


def test_a_catch_all_server_gives_no_false_positive(server: MakeServer, store: Store) -> None:
    log: list[str] = []
    srv = server(drupal_site({}, log, server_kind="catch-all"))
    site = crawl(srv, store, CANDIDATES)
    probed = [m for m in site.modules if any(e.kind == "probe" for e in m.evidence)]  # type: ignore[attr-defined]
    assert probed == []
    assert log  # it was asked: every answer was a 200 HTML page, none was a module file


def test_when_info_files_and_folders_are_refused_license_files_decide(
    server: MakeServer, store: Store
) -> None:
    log: list[str] = []
    present = {
        "/sites/all/modules/contrib/views/views.info": "7.x-3.22",
        "/sites/all/modules/contrib/webform/webform.info": "7.x-4.24",
    }
    srv = server(drupal_site(present, log, server_kind="locked"))
    site = crawl(srv, store, CANDIDATES)
    found = {m.name for m in site.modules if any(e.kind == "probe" for e in m.evidence)}  # type: ignore[attr-defined]
    assert found == {"views", "webform"}
    assert log[0].endswith(".info") and log[1].endswith("/")  # calibration
    assert all(p.endswith("LICENSE.txt") for p in log[2:])


def test_probes_are_bounded_and_counted_in_the_summary(server: MakeServer, store: Store) -> None:
    log: list[str] = []
    srv = server(drupal_site({}, log))
    many = [Candidate(f"project{i}", f"project{i}") for i in range(400)]

    class Finish(Progress):
        line = ""

        def finish(self, summary: str = "") -> None:
            Finish.line = summary

    options = CrawlOptions(retries=0, ignore_robots=True, probe_budget=40)
    site = crawl_site(
        srv.url, store, options, progress=Finish(), fingerprints={}, probe_candidates=many
    )
    assert len(log) == 40
    assert any("budget of 40 requests" in w for w in site.warnings)
    assert ", 41 extra requests in " in Finish.line  # 40 module probes and CHANGELOG.txt


def test_no_probe_means_no_probe_request(server: MakeServer, store: Store) -> None:
    log: list[str] = []
    srv = server(drupal_site({"/sites/all/modules/contrib/views/views.info": "x"}, log))
    options = CrawlOptions(retries=0, ignore_robots=True, probe=False)
    crawl_site(srv.url, store, options, fingerprints={}, probe_candidates=CANDIDATES)
    assert log == []


def test_profile_layout_from_assets(server: MakeServer, store: Store) -> None:
    log: list[str] = []
    home = html(
        "Home | Distro",
        "",
        body_class="html front",
        head='<link rel="stylesheet" href="/profiles/openatrium/modules/contrib/ctools/css/x.css">',
    )
    present = {"/profiles/openatrium/modules/contrib/views/"}

    def handle(req: Req) -> Reply:
        path = req.path.split("?")[0]
        if path.startswith("/profiles/"):
            log.append(path)
            if path.endswith(".info") or path in present:
                return Reply("denied", status=403)
            return Reply("", status=404)
        return drupal_site({}, [], home=home)(req)

    srv = server(handle)
    site = crawl(srv, store, CANDIDATES)
    found = {m.name: m for m in site.modules}  # type: ignore[attr-defined]
    assert found["views"].type == "contrib" and "views" in found
    assert all(p.startswith("/profiles/openatrium/modules/contrib/") for p in log)


def test_robots_forbidding_module_folders_skips_probing(server: MakeServer, store: Store) -> None:
    log: list[str] = []
    handler = drupal_site({}, log)

    def handle(req: Req) -> Reply:
        if req.path == "/robots.txt":
            return Reply("User-agent: *\nDisallow: /sites/\n", content_type="text/plain")
        return handler(req)

    srv = server(handle)
    options = CrawlOptions(retries=0)
    site = crawl_site(srv.url, store, options, fingerprints={}, probe_candidates=CANDIDATES)
    assert log == []
    assert any("module probing skipped: robots.txt forbids it" in w for w in site.warnings)


def test_layouts_follow_the_assets() -> None:
    ordered = layouts_for(
        [
            "/sites/default/modules/custom_x/x.css",
            "/sites/default/modules/custom_y/y.css",
            "/sites/all/modules/contrib/views/css/views.css",
        ]
    )
    assert ordered[0] == (("sites/default/modules", "unknown"), 2)
    assert ordered[1] == (("sites/all/modules/contrib", "contrib"), 1)
    assert [layout for layout, uses in ordered if not uses] == [
        layout
        for layout in LAYOUTS
        if layout[0] not in ("sites/default/modules", "sites/all/modules/contrib")
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (PACKAGED_INFO.format(label="Views", version="7.x-3.22", project="views").encode(), True),
        (b"<!DOCTYPE html><html><body>name = x core = 7.x</body></html>", False),
        (b"name = Custom\ncore = 7.x\n", True),
        (b"Not found", False),
    ],
)
def test_what_counts_as_an_info_file(body: bytes, expected: bool) -> None:
    assert looks_like_info(body, "views") is expected


def test_prober_unit_budget_is_exact() -> None:
    asked: list[str] = []

    def get(path: str) -> tuple[int, bytes]:
        asked.append(path)
        return 404, b""

    prober = Prober(get, budget=7, concurrency=3)
    result = prober.run(
        [Candidate(f"p{i}", f"p{i}") for i in range(50)], [(("sites/all/modules", "unknown"), 1)]
    )
    assert result.requests == 7 == len(asked)


def test_a_site_behind_a_login_is_probed_with_the_same_session(
    server: MakeServer, store: Store
) -> None:
    """An intranet that answers only to its session cookie: pages and probes alike."""
    cookie = "SESS" + "c" * 32
    log: list[str] = []
    inner = drupal_site({"/sites/all/modules/contrib/views/views.info": "7.x-3.22"}, log)
    anonymous: list[str] = []

    def handle(req: Req) -> Reply:
        if req.cookies.get(cookie) != "intranet-session":
            anonymous.append(req.path)
            return Reply("<h1>Access denied</h1>", status=403)
        return inner(req)

    srv = server(handle)
    options = CrawlOptions(retries=0, ignore_robots=True, cookies=((cookie, "intranet-session"),))
    site = crawl_site(srv.url, store, options, fingerprints={}, probe_candidates=CANDIDATES)
    assert anonymous == []
    found = {m.name for m in site.modules if any(e.kind == "probe" for e in m.evidence)}
    assert found == {"views"}
