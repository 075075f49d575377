"""scan_local: the codebase, drush output and database put together.

The knowledge-base verdicts are a rules-stage concern, so these tests pass an
identity ``annotate``; what is checked is what collect itself decides.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from drupalscan.collect.docroot import ScanError
from drupalscan.collect.local import scan_local, site_name
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from drupalscan.kb import load_kb
from tests.conftest import COMMS_DB, COMMS_DOCROOT, NORTHWIND

from .test_codebase import _mini_docroot
from .test_database import D7_SCHEMA, DUMP, build_sqlite, info


def _same(site: model.Site, kb: Any) -> model.Site:
    return site


@pytest.fixture(scope="module")
def kb() -> Any:
    return load_kb()


def _profile_db(path: Path, profile: bytes = b's:6:"myprof";') -> str:
    """A SQLite site database naming ``myprof`` as the install profile."""
    schema = {t: D7_SCHEMA[t] for t in ("system", "variable")}
    rows = {
        "system": [
            ("modules/system/system.module", "system", "module", "", 1, 1, 7081, 0, info()),
            ("profiles/myprof/modules/foo/foo.module", "foo", "module", "", 1, 0, 0, 0, info()),
            ("profiles/myprof/myprof.profile", "myprof", "module", "", 1, 0, 0, 1000, info()),
        ],
        "variable": [("install_profile", profile)],
    }
    return build_sqlite(path, schema=schema, rows=rows)


def _two_profiles(root: Path) -> Path:
    """The mini docroot with a second non-core profile: the tree alone cannot say which runs."""
    (root / "profiles/other").mkdir()
    (root / "profiles/other/other.info").write_text("name = Other\ncore = 7.x\n")
    return root


def test_database_install_profile_brings_its_modules(tmp_path: Path, store: Store, kb: Any) -> None:
    root = _two_profiles(_mini_docroot(tmp_path / "site"))
    db = _profile_db(tmp_path / "site.sqlite")
    site = scan_local(root, store, db=db, kb=kb, annotate=_same)
    foo = next(m for m in site.modules if m.name == "foo")
    assert foo.path == "profiles/myprof/modules/foo"
    assert foo.enabled is True
    assert site.settings["install_profile"] == "myprof"
    assert not any("missing on disk" in w for w in site.warnings)
    assert site.collected == ["codebase", "database"]
    assert store.get_site(site.id) == site
    # Without the database, with two profiles to choose from, core's is assumed.
    bare = scan_local(root, store, kb=kb, annotate=_same)
    assert "foo" not in {m.name for m in bare.modules}
    assert any("several install profiles (myprof, other)" in w for w in bare.warnings)


def test_drush_status_install_profile(tmp_path: Path, store: Store, kb: Any) -> None:
    root = _two_profiles(_mini_docroot(tmp_path / "site"))
    status = tmp_path / "status.json"
    status.write_text(json.dumps({"drupal-version": "7.100", "install-profile": "myprof"}))
    pm_list = tmp_path / "pm-list.json"
    pm_list.write_text(
        json.dumps({"foo": {"name": "Foo (foo)", "type": "Module", "status": "Enabled"}})
    )
    site = scan_local(root, store, drush=[str(pm_list), str(status)], kb=kb, annotate=_same)
    foo = next(m for m in site.modules if m.name == "foo")
    # The pm-list stage ran before the profile was known and was replayed.
    assert foo.enabled is True
    assert site.collected == ["codebase", "drush"]


def test_multisite_site(store: Store, kb: Any) -> None:
    site = scan_local(
        COMMS_DOCROOT, store, site_dir="events.northwind.example", kb=kb, annotate=_same
    )
    assert site.source.endswith("docroot#sites/events.northwind.example")
    assert site.name == "events.northwind.example"
    assert "events_signup" in {m.name for m in site.modules}
    default = scan_local(COMMS_DOCROOT, store, kb=kb, annotate=_same)
    assert default.id != site.id
    alias = scan_local(
        COMMS_DOCROOT, store, site_dir="newsroom.northwind.example", kb=kb, annotate=_same
    )
    assert alias.id == default.id  # an alias of the default site is the default site
    with pytest.raises(ScanError, match="known site directories: sites/default"):
        scan_local(COMMS_DOCROOT, store, site_dir="sites/intranet", kb=kb, annotate=_same)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/srv/comms/docroot", "comms"),
        ("/srv/comms/web", "comms"),
        ("/srv/hr/public_html", "hr"),
        ("/srv/intranet", "intranet"),
        ("/docroot", "docroot"),
    ],
)
def test_site_name_skips_generic_folders(path: str, name: str) -> None:
    assert site_name(Path(path), "sites/default") == name


def test_site_named_after_the_project_folder(tmp_path: Path, store: Store, kb: Any) -> None:
    root = tmp_path / "comms" / "docroot"
    shutil.copytree(COMMS_DOCROOT, root)
    assert scan_local(root, store, kb=kb, annotate=_same).name == "comms"
    # A repository holding the docroot in web/ reads the same way.
    repo = tmp_path / "hr"
    shutil.copytree(COMMS_DOCROOT, repo / "web")
    assert scan_local(repo, store, kb=kb, annotate=_same).name == "hr"


def test_bundles_reach_the_site(store: Store, kb: Any, northwind_docroot: Path) -> None:
    site = scan_local(northwind_docroot, store, db=str(DUMP), kb=kb, annotate=_same)
    facts = json.loads((NORTHWIND / "FACTS.json").read_text())
    fc = [b for b in site.bundles if b.entity_type == "field_collection_item"]
    assert [b.name for b in fc] == list(facts["field_collection_bundles"])
    assert {b.entity_type for b in site.bundles} == {"comment", "field_collection_item"}
    assert all(t.entity_type == "node" for t in site.content_types)


def test_optional_tables_do_not_warn(store: Store, kb: Any) -> None:
    site = scan_local(COMMS_DOCROOT, store, db=str(COMMS_DB), kb=kb, annotate=_same)
    assert not any("field_collection_item" in w for w in site.warnings)
