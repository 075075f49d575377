"""Core version from outside: CHANGELOG, the best-splitting static files, ``?v=`` hints.

A synthetic table pins the arithmetic; the bundled table (every 6.x/7.x
release) shows what a real Drupal 7 site's robots-allowed files can and
cannot separate.  The answer is exact or a candidate set, never a guess.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from drupalscan.collect import coreversion as cv
from drupalscan.collect.crawl import CrawlOptions, crawl_site
from drupalscan.collect.remote import Question, Remote, assess
from drupalscan.collect.robots import Robots
from drupalscan.collect.summary import PageSummary
from drupalscan.inventory.store import Store

from .httpfixtures import NORTHWIND, Reply, Req, Server, html

U = "http://intranet.example.test/"
DRUPAL7_ROBOTS = (NORTHWIND / "robots.txt").read_text()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()  # noqa: S324 - file identity


FILES = {
    "misc/drupal.js": {b"js-a": ["7.1", "7.2", "7.3"], b"js-b": ["7.4", "7.5"], b"js-c": ["7.6"]},
    "misc/ajax.js": {b"ajax-a": ["7.1", "7.2"], b"ajax-b": ["7.3", "7.4", "7.5", "7.6"]},
    "modules/system/system.base.css": {b"css-a": ["7.1", "7.2", "7.3", "7.4", "7.5", "7.6"]},
}
TABLE = {
    "files": {p: {md5(k): v for k, v in h.items()} for p, h in FILES.items()},
    "releases": ["7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "6.38"],
}


def bundled_table() -> dict[str, object]:
    data = resources.files("drupalscan.kb").joinpath("data/core_fingerprints.json").read_text()
    table: dict[str, object] = json.loads(data)
    return table


def test_core_from_changelog() -> None:
    assert cv.core_from_changelog("\nDrupal 7.79, 2021-04-07\n-----\n") == "7.79"
    assert cv.core_from_changelog("Drupal 8.9.20, 2021-11-17\n") == "8.9.20"
    assert cv.core_from_changelog("Not a changelog") is None


def test_next_path_is_the_best_split() -> None:
    everything = ["7.1", "7.2", "7.3", "7.4", "7.5", "7.6"]
    assert cv.next_hash_path(TABLE, everything, lambda p: True, set()) == "misc/drupal.js"
    assert cv.next_hash_path(TABLE, ["7.1", "7.2", "7.3"], lambda p: True, set()) == "misc/ajax.js"
    assert cv.next_hash_path(TABLE, ["7.1", "7.2"], lambda p: True, set()) is None  # no split
    forbidden = cv.next_hash_path(TABLE, everything, lambda p: p != "misc/drupal.js", set())
    assert forbidden == "misc/ajax.js"
    assert (
        cv.next_hash_path(TABLE, everything, lambda p: True, {"misc/drupal.js"}) == "misc/ajax.js"
    )


def test_narrow_ignores_unknown_and_contradicting_files() -> None:
    kept, ev = cv.narrow(TABLE, ["7.1", "7.2", "7.3"], "misc/ajax.js", md5(b"ajax-a"))
    assert kept == ["7.1", "7.2"] and "7.1–7.2 (2 releases)" in ev.detail
    kept, ev = cv.narrow(TABLE, ["7.1", "7.2"], "misc/drupal.js", md5(b"patched"))
    assert kept == ["7.1", "7.2"] and "matches no known release" in ev.detail
    kept, ev = cv.narrow(TABLE, ["7.1", "7.2"], "misc/drupal.js", md5(b"js-c"))
    assert kept == ["7.1", "7.2"] and "contradicts" in ev.detail


def test_hints_from_core_libraries_only() -> None:
    assets = [
        U + "misc/textarea.js?v=7.79",
        U + "misc/jquery.js?v=1.4.4",  # jQuery's own version, not core's
        U + "misc/drupal.js?tp1qhh",
        U + "sites/all/modules/x/form.js?v=7.12",  # not core's misc/
    ]
    hints = cv.hints_from_assets(assets, {U + "misc/textarea.js?v=7.79": U + "contact"})
    assert [h.detail.split(" ")[0] for h in hints] == ["misc/textarea.js?v=7.79"]
    assert hints[0].location == U + "contact"


def serve(
    files: dict[str, tuple[int, bytes]], log: list[str]
) -> Callable[[str], tuple[int, bytes]]:
    def fetch(url: str) -> tuple[int, bytes]:
        path = url.removeprefix(U)
        log.append(path)
        return files.get(path, (404, b""))

    return fetch


def ask(
    files: dict[str, tuple[int, bytes]],
    log: list[str],
    table: dict[str, object] | None = None,
    robots: str = "",
    assets: dict[str, str] | None = None,
) -> Remote:
    summary = PageSummary(assets=assets or {})
    question = Question(
        base=U, kind="drupal7", summary=summary, fingerprints=table or TABLE, budget=0
    )
    return assess(question, serve(files, log), Robots(robots, ignore=not robots))


def test_changelog_first_when_allowed() -> None:
    log: list[str] = []
    remote = ask({"CHANGELOG.txt": (200, b"Drupal 7.79, 2021-04-07\n")}, log)
    assert (remote.core_version, remote.core_candidates, log) == (
        "7.79",
        ["7.79"],
        ["CHANGELOG.txt"],
    )


def test_static_files_give_candidates_not_a_guess() -> None:
    log: list[str] = []
    remote = ask({"misc/drupal.js": (200, b"js-b")}, log)
    assert remote.core_version is None and remote.core_candidates == ["7.4", "7.5"]
    assert log == ["CHANGELOG.txt", "misc/drupal.js"]  # nothing else splits 7.4 from 7.5
    assert any("narrowed to 2 releases (7.4–7.5)" in w for w in remote.warnings)
    exact = ask({"misc/drupal.js": (200, b"js-a"), "misc/ajax.js": (200, b"ajax-b")}, [])
    assert exact.core_version == "7.3"
    assert [e.detail.split(" md5")[0] for e in exact.evidence if e.kind == "file-hash"] == [
        "misc/drupal.js",
        "misc/ajax.js",
    ]


def test_a_hint_settles_what_files_cannot() -> None:
    asset = U + "misc/form.js?v=7.5"
    remote = ask({"misc/drupal.js": (200, b"js-b")}, [], assets={asset: U + "node/1"})
    assert remote.core_version == "7.5"
    contradicting = ask({"misc/drupal.js": (200, b"js-a")}, [], assets={asset: U})
    assert contradicting.core_version is None  # 7.5 is not among 7.1-7.3: not trusted
    assert contradicting.core_candidates == ["7.1", "7.2", "7.3"]
    assert any("not among the candidates" in e.detail for e in contradicting.evidence)


def test_drupal7_robots_forbids_changelog_but_allows_core_assets() -> None:
    log: list[str] = []
    remote = ask({"misc/drupal.js": (200, b"js-c")}, log, robots=DRUPAL7_ROBOTS)
    assert "CHANGELOG.txt" not in log
    assert remote.core_version == "7.6"
    assert any("robots.txt disallows CHANGELOG.txt" in e.detail for e in remote.evidence)


def test_bundled_table_splits_drupal7_as_far_as_allowed_files_can() -> None:
    """With the real table and Drupal 7's robots.txt, the chosen files separate every
    release that any allowed static file separates, within the request bound."""
    table = bundled_table()
    robots = Robots(DRUPAL7_ROBOTS, ignore=False)
    files: dict[str, dict[str, list[str]]] = table["files"]  # type: ignore[assignment]
    for release in ("7.23", "7.79", "7.103", "7.65"):
        shipped = {
            path: next(m for m, rels in by_md5.items() if release in rels)
            for path, by_md5 in files.items()
            if any(release in rels for rels in by_md5.values())
        }
        candidates = cv.releases(table, "7")
        asked: set[str] = set()
        for _ in range(cv.MAX_HASH_REQUESTS):
            path = cv.next_hash_path(table, candidates, lambda p: robots.allowed(U + p), asked)
            if path is None:
                break
            asked.add(path)
            if path in shipped:
                candidates = [c for c in candidates if c in files[path][shipped[path]]]
        assert release in candidates
        # Nothing allowed could split what is left.
        assert cv.next_hash_path(table, candidates, lambda p: robots.allowed(U + p), asked) is None
        assert len(candidates) <= 10, (release, candidates)


def test_a_site_without_changelog_over_http(tmp_path: Path) -> None:
    """CHANGELOG.txt deleted (a hardened site): the static files answer, over HTTP."""
    files = {"/misc/drupal.js": b"js-a", "/misc/ajax.js": b"ajax-b"}
    home = html(
        "Home | Hardened",
        "",
        body_class="html front not-logged-in",
        head='<script src="/misc/drupal.js?q1w2e3"></script>',
    )

    def handle(req: Req) -> Reply:
        path = req.path.split("?")[0]
        if path == "/":
            return Reply(home, headers={"X-Generator": "Drupal 7 (http://drupal.org)"})
        if path in files:
            return Reply(files[path], content_type="application/javascript")
        return Reply("<h1>Page not found</h1>", status=404)

    with Server(handle) as srv, Store(tmp_path / "s.db") as store:
        site = crawl_site(srv.url, store, CrawlOptions(retries=0), fingerprints=TABLE)
        asked = set(srv.hits)
    assert site.kind == "drupal7" and site.core_version == "7.3"
    assert "/CHANGELOG.txt" in asked  # allowed here, asked once, absent
    decided = [e.detail for e in site.kind_evidence if e.kind == "file-hash"]
    assert [d.split(" md5")[0] for d in decided] == ["misc/drupal.js", "misc/ajax.js"]
