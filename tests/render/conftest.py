"""The example client's report, pinned so that golden files and browser tests can use it.

The example sites are served on loopback ports that change on every run, and
the local example lives wherever the repository was checked out.  Both end up
in site sources, site ids (hashes of the source), URLs and evidence.  Instead
of scrubbing every output format afterwards, the collected inventory is
rewritten once (fixed ports, a fixed docroot path, the ids that follow from
them) into a second store, and the report is built from that store as usual:
every format then comes out byte-stable.

`pytest tests/render --update-golden` rewrites tests/golden/ from the current
output (the option lives here, so name tests/render on the command line).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from drupalscan import api
from drupalscan.config import Settings
from drupalscan.inventory import model
from drupalscan.inventory.io import from_data, to_data
from drupalscan.inventory.store import Store
from drupalscan.render.report import Report
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "golden"
NOW = "2026-01-01 00:00 UTC"
VERSION = "0.0.0+golden"
PINNED_DOCROOT = "/srv/northwind/comms/docroot"
PINNED_PORTS = {"facilities": 8001, "northwind_hr": 8002}
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


def _rewrite(obj: object, cls: type, replacements: list[tuple[str, str]]) -> object:
    text = json.dumps(to_data(obj))
    for old, new in replacements:
        text = text.replace(old, new)
    return from_data(cls, json.loads(text))


def pin_store(raw: Store, pinned: Store, urls: dict[str, str], docroot: str) -> None:
    """Copy every site and page of `raw` into `pinned` with stable sources and ids."""
    sources = {model.normalise_source(docroot): PINNED_DOCROOT}
    for name, url in urls.items():
        sources[url] = f"http://127.0.0.1:{PINNED_PORTS[name]}"
    replacements: list[tuple[str, str]] = []
    for site in raw.sites():
        new_source = next(
            (site.source.replace(old, new) for old, new in sources.items() if old in site.source),
            site.source,
        )
        replacements.append((site.id, model.site_id(new_source)))
    # Longest first, so a path is replaced before any prefix of it.
    replacements += sorted(sources.items(), key=lambda kv: -len(kv[0]))
    replacements.append((str(REPO), "/srv/drupalscan"))
    for site in raw.sites():
        new_site = _rewrite(site, model.Site, replacements)
        assert isinstance(new_site, model.Site)
        pinned.put_site(new_site)
        pinned.put_pages(
            new_site.id, [_rewrite(p, model.Page, replacements) for p in raw.pages(site.id)]
        )


@pytest.fixture(scope="session")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store holding the example client (three sites) as `drupalscan demo` collects it."""
    from drupalscan.collect.crawl import CrawlOptions
    from drupalscan.examples.server import example_database, example_docroot, serve_examples

    base = tmp_path_factory.mktemp("example-client")
    docroot = str(example_docroot())
    with Store(base / "raw.db") as raw, serve_examples() as urls:
        api.collect(
            [docroot, *urls.values()],
            raw,
            scan_options=api.ScanOptions(db=f"sqlite:///{example_database()}"),
            # One request at a time: with several, the page a module is first
            # seen on (its evidence location) depends on thread timing.
            crawl_options=CrawlOptions(concurrency=1, delay=0.0, max_pages=400, ignore_robots=True),
        )
        with Store(base / "pinned.db") as pinned:
            pin_store(raw, pinned, urls, docroot)
    yield base / "pinned.db"


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
