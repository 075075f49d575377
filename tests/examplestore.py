"""The example client as `drupalscan demo` collects it, pinned to stable sources.

The example sites are served on loopback ports that change on every run, and
the local example lives wherever the repository was checked out.  Both end up
in site sources, site ids (hashes of the source), URLs and evidence.  Instead
of scrubbing every output format afterwards, the collected inventory is
rewritten once (fixed ports, a fixed docroot path, the ids that follow from
them) into a second store, which the report and kit tests read as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from drupalscan import api
from drupalscan.inventory import model
from drupalscan.inventory.io import from_data, to_data
from drupalscan.inventory.store import Store
from tests.conftest import REPO

PINNED_DOCROOT = "/srv/northwind/comms/docroot"
PINNED_PORTS = {"facilities": 8001, "northwind_hr": 8002}


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
