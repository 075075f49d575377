"""A portfolio collected at once: concurrency, global and per-host limits, failures, resume.

The portfolio is 13 sources, all on loopback: seven small sites on their own
ports, two sites sharing one host:port under /a/ and /b/, a URL on the
first site's host that answers 404 (the broken source), and three copies of
the comms docroot.  Every server reports into one `Meter`, which counts the
requests being handled across all servers (the global cap) and keeps each
request's time window (overlap across hosts, none between /a/ and /b/).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from drupalscan import api
from drupalscan.cli import main
from drupalscan.collect import portfolio
from drupalscan.collect.crawl import CrawlOptions
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from tests.collect.httpfixtures import Reply, Req, Server
from tests.conftest import stable_sites

REPO = Path(__file__).resolve().parents[1]
COMMS = REPO / "fixtures" / "sites" / "comms" / "docroot"
PAGES = 12
SITES_AT_ONCE = 4
MAX_REQUESTS = 5


@dataclass
class Meter:
    """Requests being handled across every server, and each one's time window."""

    delay: float = 0.02
    lock: threading.Lock = field(default_factory=threading.Lock)
    now: int = 0
    peak: int = 0
    windows: list[tuple[str, str, float, float]] = field(default_factory=list)
    hits: list[tuple[str, str]] = field(default_factory=list)

    def handler(self, host: str) -> Any:
        """A tree site under / and under /a/, /b/ (page n links to 2n+1, 2n+2)."""

        def handle(req: Req) -> Reply:
            path = req.path.split("?")[0]
            prefix = "/" + path.split("/")[1] + "/" if path.count("/") > 1 else "/"
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
                self.hits.append((host, path))
            started = time.monotonic()
            # The window closes before the reply is written: a client cannot
            # have read the answer (and freed its slot) before it closes.
            time.sleep(self.delay)
            with self.lock:
                self.now -= 1
                self.windows.append((host, prefix, started, time.monotonic()))
            return tree(path, prefix)

        return handle


def tree(path: str, prefix: str) -> Reply:
    rest = path[len(prefix) :]
    n = 0 if rest == "" else int(rest[1:]) if rest[:1] == "p" and rest[1:].isdigit() else -1
    if n < 0 or n >= PAGES or prefix == "/missing/":
        return Reply("", status=404)
    links = "".join(f'<a href="{prefix}p{c}">{c}</a>' for c in (2 * n + 1, 2 * n + 2) if c < PAGES)
    title = f"P{n} | Tree {prefix}"
    return Reply(f"<html><head><title>{title}</title></head><body>{links}</body></html>")


@dataclass
class Portfolio:
    """The servers, the sources, and the meter they report into."""

    meter: Meter
    servers: list[Server]
    urls: list[str]
    shared: tuple[str, str]
    broken: str
    docroots: list[str]

    @property
    def sources(self) -> list[str]:
        return [*self.urls, self.broken, *self.docroots]

    @property
    def good(self) -> list[str]:
        return [*self.urls, *self.docroots]


@pytest.fixture(scope="module")
def folio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portfolio]:
    base = tmp_path_factory.mktemp("portfolio")
    docroots = []
    for i in range(3):
        target = base / f"client{i}" / "docroot"
        shutil.copytree(COMMS, target)
        # One site per client copy: the comms docroot also serves an events
        # site, which would make each copy two sources (tests/collect/test_multisite.py).
        (target / "sites" / "events.northwind.example" / "settings.php").unlink()
        docroots.append(str(target))
    meter = Meter()
    servers = []
    for i in range(8):
        srv = Server(meter.handler(f"s{i}"))
        servers.append(srv.start())
    try:
        urls = [srv.url for srv in servers[:7]]
        shared = (servers[7].url + "a/", servers[7].url + "b/")
        yield Portfolio(
            meter, servers, [*urls, *shared], shared, servers[0].url + "missing/", docroots
        )
    finally:
        for srv in servers:
            srv.stop()


OPTIONS = CrawlOptions(concurrency=3, retries=0, ignore_robots=True)


def page_sets(store: Store) -> dict[str, set[str]]:
    return {s.source: {p.url for p in store.pages(s.id)} for s in store.sites()}


@pytest.fixture(scope="module")
def reference(folio: Portfolio, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The good sources collected one after another: what every other run must equal."""
    db = tmp_path_factory.mktemp("ref") / "ref.db"
    with Store(db) as store:
        sites = api.collect(folio.good, store, crawl_options=OPTIONS, sites_at_once=1)
    assert len(sites) == len(folio.good)
    return db


def test_lanes_group_by_host_longest_first() -> None:
    got = portfolio.lanes(
        ["http://b.example/", "/tmp/x", "http://a.example:8080/y/", "http://a.example:8080/x/"]
    )
    assert got[0] == ["http://a.example:8080/x/", "http://a.example:8080/y/"]
    assert sorted(map(tuple, got[1:])) == [("/tmp/x",), ("http://b.example/",)]


def test_concurrent_portfolio_respects_limits_and_reports_failures(
    folio: Portfolio, reference: Path, tmp_path: Path
) -> None:
    meter = folio.meter
    with meter.lock:
        meter.peak, meter.windows = 0, []
    failures: list[portfolio.Failure] = []
    with Store(tmp_path / "p.db") as store:
        sites = api.collect(
            folio.sources,
            store,
            crawl_options=OPTIONS,
            sites_at_once=SITES_AT_ONCE,
            max_requests=MAX_REQUESTS,
            failures=failures,
        )
        got_sites, got_pages = stable_sites(store), page_sets(store)

    # Every good source collected, in source order; the broken one reported alone.
    assert [s.source for s in sites] == sorted(model.normalise_source(s) for s in folio.good)
    assert [f.source for f in failures] == [folio.broken]
    assert "404" in failures[0].line() and folio.broken in failures[0].line()
    assert all(s.pages == PAGES for s in sites if s.origin == "url")

    # The same store as one after another, whatever order the sites finished in.
    with Store(reference) as ref:
        assert got_sites == stable_sites(ref)
        assert got_pages == page_sets(ref)

    # The global cap held, and it was reached: crawls really ran at once.
    windows = list(meter.windows)
    assert 2 <= meter.peak <= MAX_REQUESTS, meter.peak
    overlapping_hosts = {
        (h1, h2)
        for h1, _, s1, e1 in windows
        for h2, _, s2, e2 in windows
        if h1 < h2 and s1 < e2 and s2 < e1
    }
    assert len(overlapping_hosts) >= 3, overlapping_hosts

    # Two sites on one host:port were crawled one after the other.
    shared = [w for w in windows if w[0] == "s7"]
    a = [w for w in shared if w[1] == "/a/"]
    b = [w for w in shared if w[1] == "/b/"]
    assert a and b
    first, second = sorted([a, b], key=lambda ws: min(w[2] for w in ws))
    assert max(w[3] for w in first) <= min(w[2] for w in second)


def test_without_a_failure_list_the_error_names_every_failed_source(
    folio: Portfolio, tmp_path: Path
) -> None:
    with Store(tmp_path / "e.db") as store:
        with pytest.raises(api.UsageError, match="missing"):
            api.collect(
                [folio.urls[0], folio.broken, "/no/such/docroot"], store, crawl_options=OPTIONS
            )
        # The good source was collected and stored all the same.
        assert [s.source for s in store.sites()] == [model.normalise_source(folio.urls[0])]


def test_plan_cli_writes_the_report_and_warns_per_failure(folio: Portfolio, tmp_path: Path) -> None:
    listing = tmp_path / "sources.txt"
    listing.write_text(
        "# portfolio\n" + "\n".join([*folio.urls[:3], folio.broken, folio.docroots[0]]) + "\n"
    )
    out = tmp_path / "report.json"
    args = [
        "--store",
        str(tmp_path / "c.db"),
        "-q",
        "plan",
        "--sources",
        str(listing),
        "--sites-at-once",
        "3",
        "--max-requests",
        "4",
        "--ignore-robots",
        "--format",
        "json",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("drupalscan: warning: ")
    assert folio.broken in warnings[0]
    assert len(json.loads(out.read_text())["sites"]) == 4

    # Every source failing: one error line each, exit 2, no report.
    listing.write_text(f"{folio.broken}\n/no/such/docroot\n")
    out.unlink()
    args[1] = str(tmp_path / "c2.db")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and all(ln.startswith("drupalscan: error: ") for ln in lines)
    assert not out.exists()


def test_crawls_of_a_portfolio_share_one_parse_helper(
    folio: Portfolio, reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every crawl hands its pages to the one pool, which starts one helper."""
    from drupalscan.collect.parseproc import ParseProcesses

    pools: list[ParseProcesses] = []
    launched: list[int] = []
    real_init, real_launch = ParseProcesses.__init__, ParseProcesses._launch

    def init(self: ParseProcesses, count: int) -> None:
        real_init(self, count)
        pools.append(self)

    def launch(self: ParseProcesses) -> Any:
        launched.append(1)
        return real_launch(self)

    monkeypatch.setattr(ParseProcesses, "__init__", init)
    monkeypatch.setattr(ParseProcesses, "_launch", launch)
    options = CrawlOptions(concurrency=3, retries=0, ignore_robots=True, parse_processes=1)
    with Store(tmp_path / "shared.db") as store:
        sites = api.collect(folio.good, store, crawl_options=options, sites_at_once=SITES_AT_ONCE)
        assert len(sites) == len(folio.good)
        got_pages, got_sites = page_sets(store), stable_sites(store)
    with Store(reference) as ref:
        assert got_pages == page_sets(ref)
        assert got_sites == stable_sites(ref)
    assert len(pools) == 1 and launched == [1]
    assert pools[0].closed and not pools[0].pids()


def test_plan_help_says_what_failures_do() -> None:
    result = CliRunner().invoke(main, ["plan", "--help"])
    assert "--sites-at-once" in result.output and "--max-requests" in result.output
    assert "exit status 2" in " ".join(result.output.split())


def test_progress_shows_sites_pages_and_current_sites(folio: Portfolio, tmp_path: Path) -> None:
    from drupalscan.progress import SummaryProgress, TerminalProgress

    class TTY:
        def __init__(self) -> None:
            self.text = ""

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    tty = TTY()
    shown = TerminalProgress(tty, min_interval=0.0)  # type: ignore[arg-type]
    with Store(tmp_path / "t.db") as store:
        api.collect(folio.urls[:2], store, crawl_options=OPTIONS, progress=shown)
    assert "sites (now: 127.0.0.1:" in tty.text
    assert "/2 done, pages" in tty.text and "errors 0" in tty.text
    assert "2 of 2 sources collected (0 already in the store), 0 failed; 24 pages" in tty.text

    log = TTY()
    with Store(tmp_path / "s.db") as store:
        api.collect(folio.urls[:2], store, crawl_options=OPTIONS, progress=SummaryProgress(log))  # type: ignore[arg-type]
    lines = log.text.splitlines()
    assert len(lines) == 1 and lines[0].startswith("2 of 2 sources collected")


KILL_CHILD_TIMEOUT = 60


@pytest.mark.slow
def test_kill_9_mid_portfolio_then_rerun_equals_uninterrupted(
    folio: Portfolio, reference: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "sources.txt"
    listing.write_text("\n".join(folio.good) + "\n")
    db = tmp_path / "killed.db"
    argv = [
        "--store",
        str(db),
        "-q",
        "plan",
        "--sources",
        str(listing),
        "--sites-at-once",
        "2",
        "--max-requests",
        "3",
        "--concurrency",
        "3",
        "--ignore-robots",
        "--format",
        "json",
        "-o",
        str(tmp_path / "report.json"),
    ]
    meter = folio.meter
    meter.delay = 0.05  # slow enough for the kill to land mid-run
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRUPALSCAN_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "drupalscan.cli", *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        finished: set[str] = set()
        deadline = time.monotonic() + KILL_CHILD_TIMEOUT
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
            if not db.exists():
                continue
            try:
                with sqlite3.connect(db, timeout=5) as con:
                    crawled = {
                        r[0] for r in con.execute("SELECT source FROM sites WHERE origin='url'")
                    }
                    pages = con.execute("SELECT count(*) FROM pages").fetchone()[0]
            except sqlite3.OperationalError:
                continue  # the schema is not there yet
            if crawled and pages < PAGES * len(folio.urls) - PAGES:
                finished = crawled
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        meter.delay = 0.02
    assert child.returncode == -signal.SIGKILL, "the run ended before the kill"
    assert finished and len(finished) < len(folio.urls)

    with meter.lock:
        meter.hits = []
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.stderr
    # Finished sites were not collected again.
    hosts_paths = list(meter.hits)
    for source in finished:
        netloc = source.split("/")[2]
        host = next(
            f"s{i}" for i, srv in enumerate(folio.servers) if srv.url.split("/")[2] == netloc
        )
        prefix = "/" + source.split("/", 3)[3]
        again = [p for h, p in hosts_paths if h == host and p.startswith(prefix) and p != "/"]
        if prefix == "/":
            again = [p for h, p in hosts_paths if h == host]
        assert not again, (source, again)
    with Store(db) as store, Store(reference) as ref:
        assert stable_sites(store) == stable_sites(ref)
        assert page_sets(store) == page_sets(ref)


def _load_bench(name: str) -> Any:
    """Import ``bench/<name>.py`` by path (bench/ is not a package)."""
    import importlib.util

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_bench_portfolio_tiny() -> None:
    bench = _load_bench("bench_portfolio")
    base, fast = bench.measure(3, 4, 0.0, 3, 8)
    assert base.sites_at_once == 1 and fast.sites_at_once == 3
    assert base.seconds > 0 and fast.seconds > 0 and fast.per_hour > 0


def test_bench_faults_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    bench = _load_bench("bench_faults")
    junit = tmp_path / "junit.xml"
    junit.write_text(
        "<testsuites><testsuite>"
        '<testcase classname="tests.hardening.test_faults" name="a"/>'
        '<testcase classname="tests.hardening.test_faults" name="b"><failure/></testcase>'
        '<testcase classname="tests.hardening.test_secrets" name="c"/>'
        "</testsuite></testsuites>"
    )
    assert bench.fault_counts(junit) == (1, 2)
    assert bench.fault_counts(junit, "test_secrets") == (1, 1)

    # The plugin counts a secret as found whatever the test then does.
    fake = types.ModuleType("tests.hardening.test_secrets")
    fake.assert_absent = lambda secrets, blobs: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests.hardening.test_secrets", fake)
    side = tmp_path / "side.json"
    monkeypatch.setenv(bench.SIDE_FILE_ENV, str(side))
    monkeypatch.setattr(bench, "_SEARCHES", [])
    bench.pytest_collection_finish(None)
    fake.assert_absent(["s3cret", "other"], [("store", b"x s3cret y"), ("log", b"clean")])  # type: ignore[attr-defined]
    bench.pytest_sessionfinish(None, 0)
    assert bench.secret_counts(side) == (1, 2, 4)
    assert b"s3cret" not in side.read_bytes()
