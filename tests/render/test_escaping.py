"""Text from scanned sites stays text in every format."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from drupalscan import api
from drupalscan.render.htmlout import render_html
from drupalscan.render.mdout import render_markdown
from drupalscan.render.report import Report
from tests.render.hostile import HOSTILE, SCRIPT, hostile_report


def test_html_renders_injections_as_inert_text(tmp_path: Path) -> None:
    html = render_html(hostile_report(tmp_path))
    soup = BeautifulSoup(html, "html.parser")
    scripts = soup.find_all("script")
    assert len(scripts) == 1 and "__pwned" not in scripts[0].get_text()
    assert not soup.find_all(["iframe", "img", "object", "embed"])
    for tag in soup.find_all(True):
        bad = [a for a in tag.attrs if a.lower().startswith("on")]
        assert not bad, (tag.name, bad)
        for attr in ("href", "src"):
            assert not str(tag.get(attr, "")).lower().startswith("javascript:"), tag
    text = soup.get_text()
    for payload in HOSTILE:
        assert payload in text, payload
    # The site name is in the cover, the tables and the SVG chart, always as text.
    assert text.count("Evil <script>") >= 3


def test_csp_allows_exactly_the_report_script(example_report: Report) -> None:
    html = render_html(example_report)
    soup = BeautifulSoup(html, "html.parser")
    csp = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    (script,) = soup.find_all("script")
    digest = base64.b64encode(hashlib.sha256(script.string.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "unsafe-eval" not in csp
    assert re.search(r"script-src [^;]*unsafe-inline", csp) is None
    # No request to any other host: nothing references http(s) as a resource.
    for tag in soup.find_all(["link", "img", "script", "iframe", "source"]):
        assert not any(str(tag.get(a, "")).startswith("http") for a in ("src", "href"))


def test_markdown_escapes_markup(tmp_path: Path) -> None:
    md = render_markdown(hostile_report(tmp_path))
    # Every "<" of a tag is backslash-escaped, so no renderer sees an element.
    assert re.search(r"(?<!\\)<(script|img|iframe|svg)", md) is None
    assert r"\<script\>" in md


def test_csv_defuses_formulas_and_json_keeps_text(tmp_path: Path) -> None:
    report = hostile_report(tmp_path)
    (pages,) = [p for p in api.render(report, "csv", tmp_path / "out") if p.name == "pages.csv"]
    rows = list(csv.DictReader(pages.open(encoding="utf-8")))
    assert any(r["title"].startswith("'=cmd") for r in rows)
    (out,) = api.render(report, "json", tmp_path / "r.json")
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["sites"][0]["name"] == f"Evil {SCRIPT}"
