"""Shared fixtures: paths to the bundled examples and ready-made stores."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drupalscan.inventory import io, model
from drupalscan.inventory.store import Store

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
NORTHWIND = FIXTURES / "northwind"
COMMS_DOCROOT = FIXTURES / "sites" / "comms" / "docroot"
COMMS_DB = FIXTURES / "sites" / "comms" / "comms.sqlite"


RUN_FIELDS = ("collected_at", "scanned_at", "updated_at")
"""Site fields that differ between two runs that collected the same thing."""


def stable_site(site: model.Site) -> dict[str, Any]:
    """A site as JSON data without the fields that change between runs."""
    data: dict[str, Any] = json.loads(io.dumps(site))
    for key in RUN_FIELDS:
        data.pop(key, None)
    return data


def stable_sites(store: Store) -> list[dict[str, Any]]:
    """Every stored site as `stable_site` data, in the store's order."""
    return [stable_site(site) for site in store.sites()]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh store in a temporary directory."""
    with Store(tmp_path / "drupalscan.db") as opened:
        yield opened


@pytest.fixture
def northwind_docroot(tmp_path: Path) -> Path:
    """The real Northwind .info tree made into a docroot (bootstrap.inc added).

    The shared capture holds every .info file of the real site but no PHP; the
    scanner only needs bootstrap.inc to recognise a Drupal 7 docroot.
    """
    root = tmp_path / "northwind"
    shutil.copytree(NORTHWIND / "info", root)
    (root / "includes").mkdir()
    (root / "includes" / "bootstrap.inc").write_text("<?php\ndefine('VERSION', '7.79');\n")
    return root
