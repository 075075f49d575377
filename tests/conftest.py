"""Shared fixtures: paths to the bundled examples and ready-made stores."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from drupalscan.inventory.store import Store

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
NORTHWIND = FIXTURES / "northwind"
COMMS_DOCROOT = FIXTURES / "sites" / "comms" / "docroot"
COMMS_DB = FIXTURES / "sites" / "comms" / "comms.sqlite"


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
