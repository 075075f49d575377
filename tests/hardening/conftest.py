"""Fixtures of the hardening suite: fault servers on loopback, stopped at teardown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drupalscan.inventory.store import Store

from .faultserver import Blackhole, FaultServer, FaultSite


@pytest.fixture
def fault_site() -> Iterator[tuple[FaultSite, FaultServer, FaultServer]]:
    """(site state, server on 127.0.0.1, "other host" server on 127.0.0.2).

    Both servers serve the same site; the crawler must never send a request
    to the second one (redirects off-host are recorded, not followed).
    """
    site = FaultSite()
    main = FaultServer(site)
    other = FaultServer(FaultSite(), host="127.0.0.2")
    site.other_host = other.url
    try:
        yield site, main, other
    finally:
        main.stop()
        other.stop()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    """A server that accepts connections and never answers."""
    hole = Blackhole()
    try:
        yield hole
    finally:
        hole.stop()


@pytest.fixture
def fault_store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store file for one crawl."""
    with Store(tmp_path / "faults.db") as store:
        yield store
