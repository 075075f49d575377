"""The example client's report, pinned so that golden files and browser tests can use it.

The store comes from `tests/examplestore.py` (the kit's tests use it too);
the report is built from it with the clock and version injected, so every
format comes out byte-stable.

`pytest tests/render --update-golden` rewrites tests/golden/ from the current
output (the option lives here, so name tests/render on the command line).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from drupalscan import api
from drupalscan.config import Settings
from drupalscan.inventory.store import Store
from drupalscan.render.report import Report
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "golden"
NOW = "2026-01-01 00:00 UTC"
VERSION = "0.0.0+golden"
DEMO_SETTINGS = Settings(
    client="Northwind Traders", agency="drupalscan demo", rate=110, currency="EUR"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """--update-golden: rewrite the golden files instead of comparing with them."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current report output",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites the golden files."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def example_report(example_store: Path) -> Report:
    """The example client's report with the clock and version injected."""
    with Store(example_store) as store:
        report = api.build_report(store, DEMO_SETTINGS, now=NOW)
    return dataclasses.replace(report, version=VERSION)


_PORT = re.compile(r"(127\.0\.0\.1|localhost):\d+")


def scrub(text: str) -> str:
    """Belt and braces over the pinned store: no checkout path, no loopback port."""
    return _PORT.sub(r"\1:PORT", text.replace(str(REPO), "<repo>"))
