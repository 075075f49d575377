"""Every command-line option and error path, run as a user runs it, checked by its effect.

Each crawl option is given to ``drupalscan crawl`` against a local server
built to show what the option changes (which pages, which requests, which
error), so an option that reached the wrong setting fails its test.
"""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from drupalscan.cli import main
from tests.collect.httpfixtures import Hold, Reply, Req, Server, html, server
from tests.conftest import COMMS_DB, COMMS_DOCROOT

__all__ = ["server"]

MakeServer = Callable[..., Server]


def crawl(store: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    """``drupalscan crawl ... --json``: (exit code, the site, stderr)."""
    result = CliRunner(env=env).invoke(main, ["--store", str(store), "crawl", *args, "--json"])
    site = json.loads(result.stdout)["sites"][0] if result.exit_code == 0 else {}
    return result.exit_code, site, result.stderr


def pages_of(store: Path, url: str = "") -> list[str]:
    """The paths of the stored pages of the store's one site (or of the site at ``url``)."""
    from drupalscan.inventory.model import site_id
    from drupalscan.inventory.store import Store

    with Store(store) as opened:
        sid = site_id(url) if url else opened.sites()[0].id
        return sorted("/" + p.url.split("/", 3)[3] for p in opened.pages(sid))


def tree(req: Req) -> Reply:
    """/ -> /docs/a, /docs/b.pdf, /blog/c, /hr/d; /docs/a -> /docs/deep -> /docs/deeper."""
    links = {
        "/": ["/docs/a", "/docs/b.pdf", "/blog/c", "/hr/d"],
        "/docs/a": ["/docs/deep"],
        "/docs/deep": ["/docs/deeper"],
    }
    path = req.path.split("?")[0]
    if path == "/docs/b.pdf":
        return Reply(b"%PDF-1.4 " + bytes(100), content_type="application/pdf")
    if path in ("/docs/deeper", "/blog/c", "/hr/d", "/hr/e") or path in links:
        body = "".join(f'<a href="{u}">{u}</a>' for u in links.get(path, []))
        if path == "/hr/d":
            body += '<a href="/hr/e">e</a>'
        return Reply(html(path, body))
    return Reply("", status=404)


@pytest.fixture
def site(server: MakeServer) -> Server:
    return server(tree)


def test_max_depth(site: Server, tmp_path: Path) -> None:
    code, _, err = crawl(tmp_path / "s.db", site.url, "--max-depth", "1", "--no-probe")
    assert code == 0, err
    assert pages_of(tmp_path / "s.db") == ["/", "/blog/c", "/docs/a", "/docs/b.pdf", "/hr/d"]


def test_include_and_exclude_are_not_swapped(site: Server, tmp_path: Path) -> None:
    args = [site.url, "--include", "/docs/", "--exclude", r"\.pdf$", "--no-probe"]
    code, _, err = crawl(tmp_path / "s.db", *args)
    assert code == 0, err
    assert pages_of(tmp_path / "s.db") == ["/", "/docs/a", "/docs/deep", "/docs/deeper"]


def test_path_prefix(site: Server, tmp_path: Path) -> None:
    code, _, err = crawl(tmp_path / "s.db", site.url + "hr/d", "--path-prefix", "/hr/")
    assert code == 0, err
    assert pages_of(tmp_path / "s.db") == ["/hr/d", "/hr/e"]


def test_max_pages(site: Server, tmp_path: Path) -> None:
    code, found, err = crawl(tmp_path / "s.db", site.url, "--max-pages", "2", "--no-probe")
    assert code == 0, err
    assert found["pages"] == 2


def test_max_bytes(server: MakeServer, tmp_path: Path) -> None:
    big = html("Big", "<p>" + "word " * 5000 + "</p>")
    srv = server({"/": html("Home", '<a href="/big">big</a>'), "/big": big})
    code, _, err = crawl(tmp_path / "s.db", srv.url, "--max-bytes", "10000", "--no-probe")
    assert code == 0, err
    from drupalscan.inventory.store import Store

    with Store(tmp_path / "s.db") as store:
        (stored,) = store.sites()
        page = next(p for p in store.pages(stored.id) if p.url.endswith("/big"))
    assert page.error == "too large" and page.size > 10_000


def test_timeout_and_retries(server: MakeServer, tmp_path: Path) -> None:
    srv = server(
        {"/": html("Home", '<a href="/slow">slow</a>'), "/slow": Reply(html("Slow"), delay=1.5)}
    )
    args = [srv.url, "--timeout", "0.3", "--retries", "0", "--no-probe"]
    code, _, err = crawl(tmp_path / "s.db", *args)
    assert code == 0, err
    from drupalscan.inventory.store import Store

    with Store(tmp_path / "s.db") as store:
        (stored,) = store.sites()
        slow = next(p for p in store.pages(stored.id) if p.url.endswith("/slow"))
    assert slow.error == "timeout"
    assert srv.hits["/slow"] == 1  # --retries 0: asked once


def test_delay_is_what_the_throttle_applies(site: Server, tmp_path: Path) -> None:
    code, _, err = crawl(tmp_path / "s.db", site.url, "--delay", "0.05", "--no-probe")
    assert code == 0, err
    assert "up to 0.05 s between requests" in err.strip().splitlines()[-1]


def test_respect_crawl_delay_and_its_cap(server: MakeServer, tmp_path: Path) -> None:
    srv = server(
        {
            "/robots.txt": Reply("User-agent: *\nCrawl-delay: 10\n", content_type="text/plain"),
            "/": html("Home"),
        }
    )
    args = [srv.url, "--respect-crawl-delay", "--max-crawl-delay", "0.05", "--no-probe"]
    code, found, err = crawl(tmp_path / "s.db", *args)
    assert code == 0, err
    assert any("obeyed up to 0.05 s" in w for w in found["warnings"])
    assert "concurrency 1, up to 0.05 s between requests" in err
    code, found, _ = crawl(tmp_path / "t.db", srv.url, "--no-probe")
    assert any("Crawl-delay 10 s; not applied" in w for w in found["warnings"])


def test_ignore_robots(server: MakeServer, tmp_path: Path) -> None:
    srv = server(
        {
            "/robots.txt": Reply("User-agent: *\nDisallow: /private\n", content_type="text/plain"),
            "/": html("Home", '<a href="/private">p</a>'),
            "/private": html("Private"),
        }
    )
    crawl(tmp_path / "s.db", srv.url, "--no-probe")
    assert srv.hits["/private"] == 0
    crawl(tmp_path / "t.db", srv.url, "--ignore-robots", "--no-probe")
    assert srv.hits["/private"] == 1


def drupal_site(log: list[str]) -> Callable[[Req], Reply]:
    def handle(req: Req) -> Reply:
        path = req.path.split("?")[0]
        if path.startswith("/sites/"):
            log.append(path)
            if path.endswith(".info"):
                return Reply("Forbidden", status=403)
            if path == "/sites/all/modules/views/":
                return Reply("Forbidden", status=403)
            return Reply("Not found", status=404)
        if path == "/":
            head = '<link rel="stylesheet" href="/sites/all/modules/ctools/css/ctools.css">'
            return Reply(
                html("Home | Intranet", "", body_class="html front", head=head),
                headers={"X-Generator": "Drupal 7 (https://www.drupal.org)"},
            )
        return Reply("Not found", status=404)

    return handle


def test_probe_budget_and_no_probe(server: MakeServer, tmp_path: Path) -> None:
    log: list[str] = []
    srv = server(drupal_site(log))
    code, found, err = crawl(tmp_path / "s.db", srv.url, "--probe-budget", "12")
    assert code == 0, err
    assert len(log) == 12  # two to calibrate, ten projects
    assert "views" in {m["name"] for m in found["modules"]}
    # Counted in the summary: every request beyond the pages (version files too).
    extra = len(srv.requests) - len({"/robots.txt", "/", "/sitemap.xml"})
    assert f", {extra} extra requests in " in err
    log.clear()
    code, found, err = crawl(tmp_path / "t.db", srv.url, "--no-probe")
    assert code == 0 and log == [] and "views" not in {m["name"] for m in found["modules"]}


def basic_or_digest(user: str, password: str, realm: str = "intranet") -> Callable[[Req], Reply]:
    """Accepts HTTP basic auth only when ``password`` is right; asks for digest otherwise."""
    token = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def handle(req: Req) -> Reply:
        if req.headers.get("Authorization") != token:
            return Reply("no", status=401, headers={"WWW-Authenticate": f'Basic realm="{realm}"'})
        return Reply(html("Private | Intranet"))

    return handle


def test_auth_with_the_password_from_the_environment(server: MakeServer, tmp_path: Path) -> None:
    srv = server(basic_or_digest("alice", "Env-Pw-1"))
    env = {"DRUPALSCAN_PASSWORD": "Env-Pw-1"}
    code, found, err = crawl(tmp_path / "s.db", srv.url, "--auth", "alice", "--no-probe", env=env)
    assert code == 0, err
    assert found["pages"] == 1
    code, _, err = crawl(tmp_path / "t.db", srv.url, "--auth", "alice", env={})
    assert code == 2 and "set DRUPALSCAN_PASSWORD (no terminal to prompt on)" in err


def test_auth_type_digest(server: MakeServer, tmp_path: Path) -> None:
    """--auth-type digest answers a digest challenge (and a basic-only server refuses it)."""
    from tests.collect.test_crawl_features import digest_site

    seen: list[str] = []
    srv = server(digest_site("alice", "Digest-Pw", seen))
    env = {"DRUPALSCAN_PASSWORD": "Digest-Pw"}
    args = [srv.url, "--auth", "alice", "--no-probe"]
    code, _, _ = crawl(tmp_path / "s.db", *args, env=env)
    assert code == 2  # basic credentials against a digest server
    code, found, err = crawl(tmp_path / "t.db", *args, "--auth-type", "digest", env=env)
    assert code == 0, err
    assert found["pages"] >= 1 and any(h.startswith("Digest ") for h in seen)


def test_password_prompt_on_a_terminal(server: MakeServer, tmp_path: Path) -> None:
    """Without DRUPALSCAN_PASSWORD and on a terminal, drupalscan asks, without echo."""
    srv = server(basic_or_digest("alice", "Typed-Pw-9"))
    store = tmp_path / "s.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRUPALSCAN_")}
    argv = [sys.executable, "-m", "drupalscan.cli", "--store", str(store)]
    argv += ["crawl", srv.url, "--auth", "alice", "--no-probe"]
    leader, follower = pty.openpty()
    child = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    shown = b""
    try:
        shown += read_until(leader, b"Password for alice:")
        os.write(leader, b"Typed-Pw-9\n")
        shown += read_until(leader, b"broken links")
        assert child.wait(timeout=60) == 0, shown
    finally:
        if child.poll() is None:
            child.kill()
        os.close(leader)
    assert b"Typed-Pw-9" not in shown  # not echoed
    assert b"Typed-Pw-9" not in b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))


def read_until(fd: int, marker: bytes, limit: float = 60) -> bytes:
    """Read a pty until ``marker`` shows (or ``limit`` seconds pass, or it closes)."""
    got = b""
    deadline = time.monotonic() + limit
    while marker not in got and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            got += chunk
    assert marker in got, got
    return got


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cookie", "no-equals-sign"], "--cookie 'no-equals-sign': expected NAME=VALUE"),
        (["--header", "NoColonHere"], "--header: expected 'Name: value'"),
        (["--login-url", "/user/login"], "--login-url needs --auth USER"),
        (["--include", "("], "bad include/exclude pattern"),
    ],
)
def test_bad_crawl_options_are_one_line(
    site: Server, tmp_path: Path, args: list[str], message: str
) -> None:
    code, _, err = crawl(tmp_path / "s.db", site.url, *args)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not site.requests  # refused before anything was asked


def test_cookie_and_header_are_sent(server: MakeServer, tmp_path: Path) -> None:
    srv = server({"/": html("Home")})
    args = [srv.url, "--cookie", "SESSabc=xyz", "--header", "X-Token: t-1", "--no-probe"]
    code, _, err = crawl(tmp_path / "s.db", *args)
    assert code == 0, err
    home = [r for r in srv.requests if r.path == "/"][0]
    assert home.cookies.get("SESSabc") == "xyz" and home.headers.get("X-Token") == "t-1"


# -- errors, verbosity, interruption ------------------------------------------------------


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    argv = ["--store", str(tmp_path / "none.db"), "check"]
    quiet = CliRunner().invoke(main, argv)
    assert quiet.exit_code == 2 and quiet.stderr.startswith("drupalscan: error: no store at")
    loud = CliRunner().invoke(main, ["-v", *argv])
    assert loud.exit_code != 0 and loud.exception is not None  # raised, not swallowed
    child = subprocess.run(
        [sys.executable, "-m", "drupalscan.cli", "-v", *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 1 and "Traceback (most recent call last)" in child.stderr


def test_ctrl_c_exits_130_and_keeps_the_work(server: MakeServer, tmp_path: Path) -> None:
    hold = Hold(tree)
    srv = server(hold)
    hold.arm(4)
    store = tmp_path / "s.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRUPALSCAN_")}
    child = subprocess.Popen(
        [sys.executable, "-m", "drupalscan.cli", "--store", str(store), "crawl", srv.url],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # As on a terminal: a test run in the background inherits SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert hold.reached.wait(60), "the crawl never reached the held request"
        child.send_signal(signal.SIGINT)
        hold.release()
        _, err = child.communicate(timeout=60)
    finally:
        hold.release()
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130
    assert "interrupted; collected work is kept in the store" in err
    assert "Traceback" not in err
    assert pages_of(store, srv.url)  # the pages fetched before are in the store


# -- outputs, store, config ---------------------------------------------------------------


@pytest.fixture
def scanned(tmp_path: Path) -> Path:
    store = tmp_path / "s.db"
    argv = [
        "--store",
        str(store),
        "-q",
        "scan",
        str(COMMS_DOCROOT),
        "--db",
        f"sqlite:///{COMMS_DB}",
    ]
    assert CliRunner().invoke(main, argv).exit_code == 0
    return store


@pytest.mark.parametrize(
    ("fmt", "written"),
    [
        ("html", ["drupalscan-report.html"]),
        ("json", ["drupalscan-report.json"]),
        ("md", ["drupalscan-report.md"]),
        ("csv", ["drupalscan-report/findings.csv", "drupalscan-report/modules.csv"]),
    ],
)
def test_default_output_names(scanned: Path, fmt: str, written: list[str]) -> None:
    """Without -o the report lands in the current folder (each test has its own)."""
    result = CliRunner().invoke(main, ["--store", str(scanned), "report", "--format", fmt])
    assert result.exit_code == 0, result.stderr
    for name in written:
        assert Path(name).is_file(), name


def test_csv_beside_a_named_file(scanned: Path, tmp_path: Path) -> None:
    out = tmp_path / "client.csv"
    argv = ["--store", str(scanned), "report", "--format", "csv", "-o", str(out)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in tmp_path.glob("client*.csv")} >= {
        "client.csv",
        "client-modules.csv",
        "client-pages.csv",
        "client-redirects.csv",
    }
    assert out.read_text().startswith("rule,severity,")


def test_store_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "from-env.db"
    monkeypatch.setenv("DRUPALSCAN_STORE", str(store))
    argv = ["-q", "scan", str(COMMS_DOCROOT)]
    assert CliRunner().invoke(main, argv).exit_code == 0
    assert store.is_file() and not Path("drupalscan.db").exists()


def test_config_file_option(scanned: Path, tmp_path: Path) -> None:
    config = tmp_path / "elsewhere" / "client.toml"
    config.parent.mkdir()
    config.write_text('[report]\nclient = "Contoso Ltd"\n[cost]\nrate = 95\ncurrency = "GBP"\n')
    out = tmp_path / "r.json"
    argv = ["--store", str(scanned), "--config", str(config), "report", "--format", "json"]
    result = CliRunner().invoke(main, [*argv, "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    plan = json.loads(out.read_text())["plan"]
    assert plan["cost"]["rate"] == 95 and plan["cost"]["currency"] == "GBP"


def test_check_ignore_and_select_change_the_findings(scanned: Path) -> None:
    def rules(*args: str) -> set[str]:
        result = CliRunner().invoke(main, ["--store", str(scanned), "check", "--json", *args])
        assert result.exit_code == 0, result.stderr
        return {f["rule"] for f in json.loads(result.stdout)["findings"]}

    everything = rules()
    assert "D7-SITE-006" in everything
    assert rules("--ignore", "D7-SITE-006") == everything - {"D7-SITE-006"}
    assert rules("--select", "D7-SITE-006") == {"D7-SITE-006"}


def module_rules(store: Path, *args: str) -> dict[str, str]:
    """``check --json``: module name -> the D7-MOD-006/011 rule that fired on it."""
    result = CliRunner().invoke(main, ["--store", str(store), "check", "--json", *args])
    assert result.exit_code == 0, result.stderr
    return {
        f["subject"]["name"]: f["rule"]
        for f in json.loads(result.stdout)["findings"]
        if f["rule"] in ("D7-MOD-006", "D7-MOD-011")
    }


def test_core_option_and_config_choose_the_target(scanned: Path, tmp_path: Path) -> None:
    """image_resize_filter's releases run on Drupal 8-10: an answer for 10, not for 11."""
    assert module_rules(scanned)["image_resize_filter"] == "D7-MOD-011"
    assert module_rules(scanned)["token"] == "D7-MOD-006"
    assert module_rules(scanned, "--core", "10")["image_resize_filter"] == "D7-MOD-006"

    config = tmp_path / "drupalscan.toml"
    config.write_text("[target]\ncore = 10\n")
    with_config = ["--config", str(config)]
    result = CliRunner().invoke(main, ["--store", str(scanned), *with_config, "check", "--json"])
    assert "D7-MOD-011" not in {f["rule"] for f in json.loads(result.stdout)["findings"]}
    # --core wins over the file.
    argv = ["--store", str(scanned), *with_config, "check", "--json", "--core", "11"]
    findings = json.loads(CliRunner().invoke(main, argv).stdout)["findings"]
    assert "D7-MOD-011" in {f["rule"] for f in findings}

    out = tmp_path / "r.json"
    argv = ["--store", str(scanned), "report", "--format", "json", "--core", "10", "-o", str(out)]
    assert CliRunner().invoke(main, argv).exit_code == 0
    target = json.loads(out.read_text())["plan"]["target"]
    assert target["core"] == 10
    (irf,) = [m for m in target["modules"] if m["name"] == "image_resize_filter"]
    assert irf["action"] == "contrib"


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--core", "9"], "", "'9' is not one of '10', '11'"),
        ([], "[target]\ncore = 12\n", "[target] core must be 10 or 11, not 12"),
        ([], '[target]\ncore = "11"\n', "[target] core must be 10 or 11, not '11'"),
    ],
)
def test_a_wrong_target_is_a_usage_error(
    scanned: Path, tmp_path: Path, args: list[str], config: str, message: str
) -> None:
    extra = []
    if config:
        (tmp_path / "bad.toml").write_text(config)
        extra = ["--config", str(tmp_path / "bad.toml")]
    result = CliRunner().invoke(main, ["--store", str(scanned), *extra, "check", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_kb_refresh_results_change_the_next_check_without_collecting_again(
    scanned: Path,
) -> None:
    """Verdicts are stored at collection; a refresh must still reach the report."""
    from drupalscan.inventory.store import Store

    assert module_rules(scanned)["image_resize_filter"] == "D7-MOD-011"
    with Store(scanned) as store:
        store.put_kb(
            "image_resize_filter",
            {
                "status": "has_release",
                "d8_majors": [8, 9, 10, 11],
                "modules": ["image_resize_filter"],
                "refreshed": "2026-12-01",
                "sources": [{"repo": "https://www.drupal.org", "path": "/release-history/x"}],
            },
        )
    assert module_rules(scanned)["image_resize_filter"] == "D7-MOD-006"
    result = CliRunner().invoke(main, ["--store", str(scanned), "check", "--json"])
    (finding,) = [
        f
        for f in json.loads(result.stdout)["findings"]
        if f["subject"]["name"] == "image_resize_filter" and f["rule"] == "D7-MOD-006"
    ]
    assert finding["subject"]["source"].startswith("kb refresh of 2026-12-01")
    # The report's module table says where the answer came from.
    out = scanned.parent / "after-refresh.md"
    argv = ["--store", str(scanned), "report", "--format", "md", "-o", str(out)]
    assert CliRunner().invoke(main, argv).exit_code == 0
    rows = [ln for ln in out.read_text().splitlines() if ln.startswith("| image\\_resize")]
    assert any("(kb refresh of 2026-12-01)" in r and "Contrib for Drupal 11" in r for r in rows)


def test_fail_on(scanned: Path) -> None:
    def code(severity: str) -> int:
        argv = ["--store", str(scanned), "check", "--fail-on", severity]
        return CliRunner().invoke(main, argv).exit_code

    assert code("info") == 1  # the example site has findings of every severity
    only_info = ["--store", str(scanned), "check", "--select", "D7-SITE-006", "--fail-on", "high"]
    assert CliRunner().invoke(main, only_info).exit_code == 0  # not reached: success


def test_kb_show_text(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "s.db"), "kb", "show", "Views"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("views  (project views, Drupal 7 usage rank ")
    assert any(line.strip().startswith("status:") and "in_core" in line for line in lines)
    assert any(line.strip().startswith("source:") for line in lines)
    ctools = CliRunner().invoke(main, ["--store", str(tmp_path / "s.db"), "kb", "show", "ctools"])
    text = ctools.stdout
    assert "newest:      4.1.1 (Drupal 9, 10, 11, seen " in text
    assert "Drupal 11:   yes" in text
    assert "source:      bundled knowledge base (data as of " in text
    unknown = CliRunner().invoke(main, ["--store", str(tmp_path / "s.db"), "kb", "show", "zz_x"])
    assert "no evidence either way" in unknown.stdout


def test_every_generated_option_reaches_its_own_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give each crawl and scan option a value of its own; each lands on its field."""
    import dataclasses

    from drupalscan.cli import build_crawl_options, build_scan_options
    from drupalscan.config import CrawlOptions, ScanOptions

    argv: list[str] = []
    expected: dict[str, object] = {}
    for cls in (CrawlOptions, ScanOptions):
        for number, fld in enumerate(dataclasses.fields(cls)):
            spec = fld.metadata.get("cli")
            if spec is None:
                continue
            flag = spec.get("flag", "--" + fld.name.replace("_", "-")).split("/")[0]
            kind = str(fld.type).replace(" ", "")
            if kind == "bool":
                flag = spec.get("flag", flag).split("/")[-1] if fld.default else flag
                argv.append(flag)
                expected[fld.name] = not fld.default
                continue
            if kind in ("int", "int|None"):
                value: object = int(spec.get("min", 0)) + 1 + number % 3
            elif kind == "float":
                value = float(spec.get("min", 0)) + 0.5 + number
            elif kind.startswith("tuple"):
                value = (f"value-{fld.name}",)
            else:
                value = f"value-{fld.name}"
            argv += [flag, str(value[0] if isinstance(value, tuple) else value)]
            expected[fld.name] = value
    ctx = main.commands["plan"].make_context("plan", [*argv, "--auth", "u"], obj=None)
    params = dict(ctx.params)
    monkeypatch.setenv("DRUPALSCAN_PASSWORD", "pw")
    crawl_options = build_crawl_options(params)
    scan_options = build_scan_options(params)
    for name, value in expected.items():
        got = getattr(crawl_options if hasattr(crawl_options, name) else scan_options, name)
        assert got == value, name


HOUSE_RULE = """\
id = "ACME-MOD-001"
title = "Chaos tools at Acme's house rate"
applies_to = "module"
severity = "medium"
category = "modules"
message = "{label} ({name}): Acme's ctools migration package"
effort = { low = 3, high = 5, per = "module" }
rationale = "Acme has moved ctools-based sites many times; its package covers the exportables."
remedy = "Use Acme's ctools migration package."
[match]
name = "ctools"
"""


def test_agency_rules_load_beside_the_shipped_ones(scanned: Path, tmp_path: Path) -> None:
    house = tmp_path / "house-rules"
    house.mkdir()
    (house / "ACME-MOD-001.toml").write_text(HOUSE_RULE)
    argv = ["--store", str(scanned), "check", "--json"]
    result = CliRunner().invoke(main, [*argv, "--rules", str(house)])
    assert result.exit_code == 0, result.stderr
    acme = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "ACME-MOD-001"]
    assert [(f["subject"]["name"], f["effort_hours"]) for f in acme] == [
        ("ctools", {"low": 3.0, "high": 5.0})
    ]
    listed = CliRunner().invoke(main, ["rules", "--rules", str(house)]).stdout
    assert f"ACME-MOD-001 medium   Chaos tools at Acme's house rate  [{house}/" in listed
    assert "D7-MOD-001   " in listed and "[shipped]" in listed
    # The same folder named in drupalscan.toml beside the store, relative to it.
    (scanned.parent / "drupalscan.toml").write_text('[rules]\npaths = ["house-rules"]\n')
    result = CliRunner().invoke(main, argv)
    assert "ACME-MOD-001" in {f["rule"] for f in json.loads(result.stdout)["findings"]}


def test_a_broken_agency_rule_is_a_usage_error(scanned: Path, tmp_path: Path) -> None:
    house = tmp_path / "house"
    house.mkdir()
    (house / "ACME-MOD-002.toml").write_text(HOUSE_RULE.replace('name = "ctools"', 'nmae = "x"'))
    for command in (["check"], ["report", "-o", str(tmp_path / "r.html")], ["rules"]):
        result = CliRunner().invoke(
            main, ["--store", str(scanned), *command, "--rules", str(house)]
        )
        assert result.exit_code == 2, command
        assert "ACME-MOD-002.toml: [match] nmae: not a fact of a module" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
