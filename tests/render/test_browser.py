"""The HTML report opened as a consultant would: in a real headless Chromium.

Driven over the Chrome DevTools Protocol with websocket-client (no Playwright,
no browser download).  One browser for the module; every test opens a fresh
tab, so console errors and network requests are attributed to one page.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drupalscan.render.htmlout import render_html
from drupalscan.render.report import Report
from tests.render.hostile import hostile_report
from tests.render.sections import CHARTS, SECTIONS

websocket = pytest.importorskip("websocket", reason="websocket-client is in the test extra")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="no Chromium at /usr/bin/chromium (scripts/test installs it with apt-get)",
    ),
]
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""DevTools listens on loopback: never through an http_proxy from the environment."""


class Browser:
    """A headless Chromium and the DevTools endpoint it printed."""

    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="drupalscan-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 20
        match = None
        while time.monotonic() < deadline and match is None:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            match = re.search(r"DevTools listening on (ws://\S+)", line)
        if match is None:
            self.close()
            pytest.fail("Chromium did not print its DevTools endpoint")
        # Keep draining stderr so Chromium never blocks on a full pipe.
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()
        self.port = int(match.group(1).split(":")[2].split("/")[0])

    def http(self, path: str, method: str = "GET") -> str:
        """The DevTools HTTP endpoint (loopback only)."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        with DIRECT.open(req, timeout=10) as resp:
            return str(resp.read().decode("utf-8"))

    def new_tab(self) -> Tab:
        """A fresh page with the Runtime, Log, Network and Page domains enabled."""
        target = json.loads(self.http("/json/new?about:blank", method="PUT"))
        return Tab(self, target)

    def close(self) -> None:
        """Kill this browser (only this process) and remove its profile."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    """One page over CDP: commands by id, events buffered for later assertions."""

    def __init__(self, browser: Browser, target: dict[str, Any]) -> None:
        self.browser = browser
        self.target_id = target["id"]
        self.ws = websocket.create_connection(
            target["webSocketDebuggerUrl"],
            timeout=20,
            suppress_origin=True,
            # DevTools listens on loopback: never through an http_proxy from the
            # environment.  websocket-client reads http_no_proxy only when a proxy
            # host is named, so one is named that loopback then bypasses.
            http_proxy_host="proxy.invalid",
            http_proxy_port=3128,
            http_no_proxy=["127.0.0.1", "localhost"],
        )
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its result, keeping events that arrive meanwhile."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, event: str, timeout: float = 15) -> None:
        """Block until an event (e.g. Page.loadEventFired) arrives."""
        deadline = time.monotonic() + timeout
        while not any(e["method"] == event for e in self.events):
            assert time.monotonic() < deadline, f"no {event}"
            self.ws.settimeout(max(deadline - time.monotonic(), 0.1))
            self.events.append(json.loads(self.ws.recv()))

    def open(self, url: str) -> None:
        """Navigate and wait for the load event, then a moment for late errors."""
        self.call("Emulation.setDeviceMetricsOverride", width=1280, height=900,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.js("new Promise(r => setTimeout(r, 100))")

    def js(self, expression: str) -> Any:
        """Evaluate JavaScript in the page and return its JSON value."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click at the centre of the element."""
        box = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)  # fmt: skip

    def errors(self) -> list[str]:
        """Exceptions, console errors and log errors (CSP violations land there)."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append(json.dumps(p["exceptionDetails"])[:300])
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                out.append(json.dumps(p["args"])[:300])
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(p["entry"]["text"])
        return out

    def requests(self) -> list[str]:
        """Every URL the page asked for."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e["method"] == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        """Close the tab and its socket."""
        self.ws.close()
        self.browser.http(f"/json/close/{self.target_id}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole module, always killed at the end."""
    b = Browser()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def report_file(example_report: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example client's HTML report on disk."""
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(render_html(example_report), encoding="utf-8")
    return path


@pytest.fixture
def tab(browser: Browser, report_file: Path) -> Iterator[Tab]:
    """A fresh tab showing the example report."""
    t = browser.new_tab()
    try:
        t.open(report_file.as_uri())
        yield t
    finally:
        t.close()


def test_loads_offline_without_errors(tab: Tab) -> None:
    assert tab.errors() == []
    urls = tab.requests()
    assert urls, "Network events were not recorded"
    leaving = [u for u in urls if not u.startswith(("file:", "data:"))]
    assert leaving == []


def test_sections_and_charts_are_visible(tab: Tab) -> None:
    visible = tab.js(
        "(ids => Object.fromEntries(ids.map(id => { const e = document.getElementById(id);"
        " const r = e ? e.getBoundingClientRect() : null;"
        " return [id, !!r && r.width > 200 && r.height > 20"
        " && getComputedStyle(e).visibility !== 'hidden']; })))"
        f"({json.dumps([*SECTIONS, *CHARTS])})"
    )
    assert visible == dict.fromkeys([*SECTIONS, *CHARTS], True)
    marks = tab.js(
        f"({json.dumps(CHARTS)}).map(id =>"
        " document.querySelectorAll('#' + id + ' svg rect, #' + id + ' svg circle').length)"
    )
    assert all(n >= 3 for n in marks), dict(zip(CHARTS, marks, strict=True))
    headings = tab.js("[...document.querySelectorAll('h2')].map(h => h.textContent.trim())")
    assert [t for t in SECTIONS.values() if t] == headings


def test_tables_sort_and_filter(tab: Tab) -> None:
    first_col = (
        "[...document.querySelectorAll('#t-target tbody tr')]"
        ".filter(r => !r.hidden).map(r => r.cells[0].textContent.trim())"
    )
    before = tab.js(first_col)
    assert len(before) > 20
    tab.click("#t-target thead th:nth-child(1)")
    asc = tab.js(first_col)
    assert asc == sorted(before, key=str.lower)
    tab.click("#t-target thead th:nth-child(1)")
    assert tab.js(first_col) == asc[::-1]
    assert tab.js("document.querySelector('#t-target th').getAttribute('aria-sort')") == (
        "descending"
    )
    tab.click("input.filter[data-table='t-target']")
    tab.call("Input.insertText", text="date")
    shown = tab.js(first_col)
    assert 0 < len(shown) < len(before)
    assert all("date" in name for name in shown)


def test_long_tables_fold_and_unfold(tab: Tab) -> None:
    """Past 30 rows a table folds; "show all", sorting and filtering still reach every row."""
    visible = (
        "[...document.querySelectorAll('#t-target tbody tr')]"
        ".filter(r => r.getBoundingClientRect().height > 0).length"
    )
    total = tab.js("document.querySelectorAll('#t-target tbody tr').length")
    assert total > 30 and tab.js(visible) == 30
    # The table grows with the page: no scroll box of its own.
    assert tab.js(
        "(() => { const e = document.getElementById('t-target').parentElement;"
        " return e.scrollHeight <= e.clientHeight + 1; })()"
    )
    tab.click("#t-target thead th:nth-child(1)")
    first = tab.js(
        "[...document.querySelectorAll('#t-target tbody tr')]"
        ".filter(r => r.getBoundingClientRect().height > 0).map(r => r.cells[0].textContent)"
    )
    assert first == sorted(first, key=str.lower) and len(first) == 30
    tab.click("#t-target + details.show-all > summary")
    assert tab.js(visible) == total


def test_every_table_fits_an_a4_page_in_print(tab: Tab) -> None:
    """At A4 print width (182 mm between margins) no table runs past the text column."""
    tab.call("Emulation.setEmulatedMedia", media="print")
    tab.call("Emulation.setDeviceMetricsOverride", width=688, height=1000,
             deviceScaleFactor=1, mobile=False)  # fmt: skip
    tab.js("document.querySelectorAll('details').forEach(d => d.open = true)")
    overflow = tab.js(
        "(() => { const right = document.querySelector('main').getBoundingClientRect().right;"
        " return [...document.querySelectorAll('table')]"
        ".filter(t => t.getBoundingClientRect().right > right + 1"
        " || [...t.querySelectorAll('td, th')].some(c => c.scrollWidth > c.clientWidth + 1))"
        ".map(t => t.id || t.querySelector('th').textContent); })()"
    )
    assert overflow == []
    hidden = tab.js(
        "[...document.querySelectorAll('#t-target thead th')]"
        ".filter(th => getComputedStyle(th).display === 'none').length"
    )
    assert hidden >= 1, "print drops columns a reader of paper can do without"


def test_screenshot_shows_the_cover(tab: Tab, tmp_path: Path) -> None:
    shot = base64.b64decode(tab.call("Page.captureScreenshot", format="png")["data"])
    assert shot.startswith(b"\x89PNG") and len(shot) > 20_000
    width, height = int.from_bytes(shot[16:20], "big"), int.from_bytes(shot[20:24], "big")
    assert (width, height) == (1280, 900)
    (tmp_path / "report.png").write_bytes(shot)


def test_print_to_pdf_has_the_sections(tab: Tab) -> None:
    pypdf = pytest.importorskip("pypdf", reason="pypdf is in the test extra")
    pdf = base64.b64decode(
        tab.call("Page.printToPDF", printBackground=True, preferCSSPageSize=True)["data"]
    )
    assert pdf.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for title in (t for t in SECTIONS.values() if t):
        assert title in text, title
    assert len(reader.pages) > 10
    assert f"Page 2 of {len(reader.pages)}" in text, "print stylesheet page numbers"
    # Collapsed evidence lists are opened for print.
    assert "modules introduced, in dependency order" in text and "ctools" in text


def test_hostile_site_stays_inert(browser: Browser, tmp_path: Path) -> None:
    path = tmp_path / "hostile.html"
    path.write_text(render_html(hostile_report(tmp_path)), encoding="utf-8")
    t = browser.new_tab()
    try:
        t.open(path.as_uri())
        assert not any(e["method"] == "Page.javascriptDialogOpening" for e in t.events)
        assert t.js("typeof window.__pwned") == "undefined"
        assert t.js("document.querySelectorAll('img, iframe, [onerror], [onload]').length") == 0
        text = t.js("document.body.innerText")
        assert "Evil <script>window.__pwned=1;alert(1)</script>" in text
        assert t.errors() == []
        assert [u for u in t.requests() if not u.startswith(("file:", "data:"))] == []
    finally:
        t.close()


def test_csp_blocks_a_foreign_script(browser: Browser, report_file: Path, tmp_path: Path) -> None:
    """The error collector sees CSP violations, so the clean runs above mean something."""
    html = report_file.read_text(encoding="utf-8")
    path = tmp_path / "tampered.html"
    path.write_text(
        html.replace("</main>", "<script>window.__ran = 1;</script></main>"), encoding="utf-8"
    )
    t = browser.new_tab()
    try:
        t.open(path.as_uri())
        assert t.js("typeof window.__ran") == "undefined"
        assert any("Content Security Policy" in e for e in t.errors()), t.errors()
    finally:
        t.close()


# -- layout: no cell spills, no sideways scrolling, 1024-1920 px (issue 15) ----

SCREEN_WIDTHS = (1024, 1280, 1920)
SPILLS = """(() => {
  const out = [];
  const page = document.documentElement.scrollWidth;
  const win = window.innerWidth;
  if (page > win) out.push(`page ${page} px wide in a ${win} px window`);
  const right = document.querySelector('main').getBoundingClientRect().right;
  for (const t of document.querySelectorAll('table')) {
    if (t.offsetParent === null) continue;
    const name = t.id || t.querySelector('th')?.textContent.trim() || '?';
    if (t.getBoundingClientRect().right > right + 1)
      out.push(`${name}: wider than the text column`);
    for (const c of t.querySelectorAll('td, th')) {
      if (c.offsetParent === null || c.clientWidth === 0) continue;
      if (c.scrollWidth > c.clientWidth + 1)
        out.push(`${name}: "${c.textContent.trim().slice(0, 40)}" ${c.scrollWidth}`);
    }
  }
  return out.slice(0, 25);
})()"""


@pytest.fixture(scope="module")
def large_report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of one generated Drupal 7 site with 300 modules (bench/bench_scan.py's tree)."""
    from drupalscan import api
    from drupalscan.config import Settings
    from drupalscan.inventory.store import Store
    from tests.test_bench_smoke import load_bench

    base = tmp_path_factory.mktemp("large-report")
    bench = load_bench("bench_scan")
    bench.generate_docroot(base / "docroot", modules=300, files=1500, seed=11)
    with Store(base / "s.db") as store:
        api.scan(str(base / "docroot"), store)
        report = api.build_report(
            store, Settings(client="A large intranet", rate=95, currency="GBP")
        )
    path = base / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


@pytest.mark.parametrize("width", SCREEN_WIDTHS)
@pytest.mark.parametrize("which", ["demo", "large"])
def test_no_table_cell_spills_and_the_page_never_scrolls_sideways(
    browser: Browser, report_file: Path, large_report_file: Path, which: str, width: int
) -> None:
    path = report_file if which == "demo" else large_report_file
    tab = browser.new_tab()
    try:
        tab.open(path.as_uri())
        tab.call("Emulation.setDeviceMetricsOverride", width=width, height=900,
                 deviceScaleFactor=1, mobile=False)  # fmt: skip
        # Folded rows and closed details count too: a reader opens them.
        tab.js("document.querySelectorAll('details').forEach(d => d.open = true)")
        tab.js("new Promise(r => requestAnimationFrame(() => r(true)))")
        assert tab.js(SPILLS) == []
    finally:
        tab.close()
