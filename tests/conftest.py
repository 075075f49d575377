"""Shared fixtures: paths to the bundled examples and ready-made stores."""

from __future__ import annotations

import json
import shutil
import subprocess
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


ENVIRONMENT = ("DRUPALSCAN_STORE", "DRUPALSCAN_PASSWORD", "DRUPALSCAN_DB_PASSWORD")
"""Settings a user may have exported; a test that wants one sets it itself."""


@pytest.fixture(autouse=True)
def isolated_run(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test starts in an empty folder of its own, with no drupalscan settings.

    A `drupalscan.toml` or store in the folder pytest was started from (a
    consultant's working folder, or the repository) must not change what a
    test sees, and nothing a test writes by a relative path (default report
    names, the default store) may land in the repository.
    """
    work = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(work)
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return work


GIT_BEFORE = pytest.StashKey[set[str] | None]()
"""Where the session keeps the repository's status from its start."""


def _git_status() -> set[str] | None:
    """``git status --porcelain`` lines of the repository, or None outside a checkout."""
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=all"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return set(out.stdout.splitlines()) if out.returncode == 0 else None


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note the repository's state, to check that the suite leaves it as it was."""
    session.stash[GIT_BEFORE] = _git_status()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when it left files in (or changed files of) the repository.

    `git status` must be clean after the suite: a test that writes beside
    the sources (a report, a store, a pid file) would otherwise end up
    committed, as server.pid once was.
    """
    before = session.stash.get(GIT_BEFORE, None)
    after = _git_status()
    if before is None or after is None:
        return
    changed = sorted(after - before)
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        text = "the test run changed the repository (git status):\n  " + "\n  ".join(changed)
        if reporter is not None:
            reporter.write_line(text, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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


from tests.examplestore import example_store  # noqa: E402,F401  (a session fixture for all)
