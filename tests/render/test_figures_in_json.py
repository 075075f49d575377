"""Every number the HTML report shows is in the JSON report too.

A spreadsheet user or an integration reading ``--format json`` must find
the figures the client reads in the PDF: hours, costs, counts.  The HTML's
visible text (SVG labels included) is searched for numbers, and each must
appear in the JSON: as a number, as the length of one of its lists, as a
percentage of a ratio there, or inside one of its texts (a finding
message, a version).
"""

from __future__ import annotations

import json
import re
from typing import Any

from bs4 import BeautifulSoup

from drupalscan.render.htmlout import render_html
from drupalscan.render.report import Report, report_data

NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?%?")


def json_numbers(value: Any, found: set[str], texts: list[str]) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        number = float(value)
        found.add(f"{number:g}")
        found.add(f"{round(number * 100):d}%")  # a ratio shown as a percentage
        return
    if isinstance(value, str):
        texts.append(value)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            texts.append(str(key))
            json_numbers(item, found, texts)
    elif isinstance(value, list):
        found.add(f"{len(value):g}")  # "56 modules introduced": the length of a list there
        for item in value:
            json_numbers(item, found, texts)


def test_every_figure_of_the_html_is_in_the_json(example_report: Report) -> None:
    soup = BeautifulSoup(render_html(example_report), "html.parser")
    for tag in soup(["script", "style"]):
        tag.extract()
    # A chart's axis ticks are a scale, and "Show all N rows (30 shown)" a control.
    for tag in soup.select(".tick, details.show-all summary"):
        tag.extract()
    shown = NUMBER.findall(soup.get_text(" "))
    numbers: set[str] = set()
    texts: list[str] = []
    json_numbers(json.loads(json.dumps(report_data(example_report), default=str)), numbers, texts)
    in_texts = set(NUMBER.findall(" ".join(texts)))
    missing = set()
    for figure in shown:
        plain = figure.replace(",", "")
        if figure in in_texts or plain in in_texts:
            continue
        if plain.endswith("%"):
            if plain in numbers:
                continue
        elif f"{float(plain):g}" in numbers:
            continue
        missing.add(figure)
    assert not missing, sorted(missing)
