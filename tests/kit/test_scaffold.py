"""The starter kit for the example client: valid files that say what the plan says.

The kit is generated from the pinned example store (the same three sites the
demo collects) and read back as a developer's tools would: composer validates
composer.json, every YAML file parses into the migration it names, the
process maps cover the plan's field maps, dependencies never point at a later
wave, and no credential of the scanned sites reaches the kit.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from drupalscan import api
from drupalscan.config import Settings
from drupalscan.errors import UsageError
from drupalscan.graph.plan import plan as make_plan
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from drupalscan.kb import load_kb
from drupalscan.kit.files import MANIFEST, KitConflict, KitSource, write_kit
from tests.conftest import COMMS_DOCROOT

SETTINGS = Settings(client="Northwind Traders", rate=110, currency="EUR")


@pytest.fixture(scope="module")
def kit(example_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kit") / "starter-kit"
    with Store(example_store) as store:
        api.scaffold(store, out, SETTINGS, report_link="../report.html")
    return out


@pytest.fixture(scope="module")
def report(example_store: Path) -> Any:
    with Store(example_store) as store:
        return api.build_report(store, SETTINGS)


def migrations(kit: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted((kit / "migrations").glob("migrate_plus.migration.*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert path.name == f"migrate_plus.migration.{data['id']}.yml"
        found[data["id"]] = data
    return found


def test_composer_json_passes_composer_validate(kit: Path, tmp_path: Path) -> None:
    composer = shutil.which("composer")
    if composer is None:
        pytest.skip("composer is not installed (apt-get install composer)")
    env = {**os.environ, "COMPOSER_HOME": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [composer, "validate", "--no-interaction", "--strict", str(kit / "composer.json")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_kept_or_added_project_is_required_with_a_constraint(kit: Path, report: Any) -> None:
    require = json.loads((kit / "composer.json").read_text())["require"]
    readme = (kit / "README.md").read_text()
    kb = load_kb()
    assert require["drupal/core-recommended"] == "^11"
    for project in ("migrate_plus", "migrate_tools", "migrate_upgrade", "path_redirect_import"):
        assert re.fullmatch(r"\^\d+\.\d+", require[f"drupal/{project}"]), project
    expected = set()
    for mod in report.plan.target.modules:
        if mod.action == "contrib":
            expected.add(kb.project_for_module(mod.name) or mod.name)
        elif mod.action == "replace":
            expected.add(mod.replacement)
        elif mod.action == "review":
            assert f"`{mod.name}`" in readme  # listed as a decision, not installed
            assert f"drupal/{mod.name}" not in require
    assert {"ctools", "pathauto", "paragraphs", "admin_toolbar"} <= expected
    for project in expected:
        assert re.fullmatch(r"\^\d+\.\d+(@\w+)?", require[f"drupal/{project}"]), project


def test_every_yaml_file_parses_and_each_group_reads_its_own_database(kit: Path) -> None:
    groups = {}
    for path in (kit / "migrations").glob("migrate_plus.migration_group.*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        groups[data["id"]] = data
    found = migrations(kit)
    assert len(groups) == 3 and len(found) > 15
    settings_php = (kit / "settings.migrate.php").read_text()
    for group in groups.values():
        key = group["shared_configuration"]["source"].get("key")
        if key:  # a Drupal site: its database is defined, with placeholders
            assert f"$databases['{key}']['default']" in settings_php
    for data in found.values():
        assert data["migration_group"] in groups
        assert data["source"]["plugin"] and data["destination"]["plugin"]
        assert data["label"] and isinstance(data["process"], dict)


def test_each_content_type_migration_maps_every_field_the_plan_maps(kit: Path, report: Any) -> None:
    found = migrations(kit)
    by_source = {
        (m["migration_group"], m["source"].get("node_type")): m
        for m in found.values()
        if m["source"]["plugin"] == "d7_node"
    }
    groups = {
        yaml.safe_load(p.read_text())["description"]: yaml.safe_load(p.read_text())["id"]
        for p in (kit / "migrations").glob("migrate_plus.migration_group.*.yml")
    }
    sites = {s.id: s for s in report.sites}
    checked = 0
    for unified in report.plan.content_model:
        for src in unified.sources:
            site = sites[src.site]
            gid = next(g for d, g in groups.items() if f"({site.source})" in d)
            mig = by_source[(gid, src.type)]
            assert mig["destination"]["default_bundle"] == unified.name
            for target in src.field_map.values():
                assert target in mig["process"], (mig["id"], target)
                checked += 1
    assert checked >= 12  # the scanned site's article, event, news, page, press release
    press = by_source[(groups_id(groups, "Northwind Communications"), "press_release")]
    sections = press["process"]["field_press_sections"]["process"]["target_id"][0]
    assert sections["migration"] in found  # a field collection comes in as paragraphs
    assert found[sections["migration"]]["source"]["field_name"] == "field_press_sections"


def groups_id(groups: dict[str, str], label: str) -> str:
    return next(g for d, g in groups.items() if d.startswith(f"Content of {label} "))


def test_dependencies_exist_and_respect_the_wave_order(kit: Path, report: Any) -> None:
    found = migrations(kit)
    wave_of_site = {sid: w.index for w in report.plan.waves for sid in w.sites}
    group_wave = {}
    for path in (kit / "migrations").glob("migrate_plus.migration_group.*.yml"):
        data = yaml.safe_load(path.read_text())
        site = next(s for s in report.sites if f"({s.source})" in data["description"])
        group_wave[data["id"]] = wave_of_site[site.id]
    wave = {mid: group_wave[m["migration_group"]] for mid, m in found.items()}
    assert len(set(wave.values())) == 2
    order: list[str] = []
    pending = dict(found)
    while pending:  # a topological order over the required dependencies exists
        ready = [
            mid
            for mid, m in pending.items()
            if all(d in order for d in m["migration_dependencies"]["required"])
        ]
        assert ready, f"cycle or missing dependency among {sorted(pending)}"
        order.extend(sorted(ready))
        for mid in ready:
            del pending[mid]
    for mid, m in found.items():
        deps = m["migration_dependencies"]
        for dep in [*deps["required"], *deps.get("optional", [])]:
            assert dep in found, (mid, dep)
            assert wave[dep] <= wave[mid], (mid, dep)
    later = [
        m for mid, m in found.items() if wave[mid] == 2 and m["source"]["plugin"] == "d7_user_role"
    ]
    assert later and all(m["migration_dependencies"].get("optional") for m in later)


def test_redirects_csv_and_readme(kit: Path, report: Any) -> None:
    with (kit / "redirects.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(rows[0]) == {"source", "destination", "language", "status_code"}
    assert all(not r["source"].startswith("/") and r["destination"].startswith("/") for r in rows)
    assert all("[" not in r["destination"] for r in rows)  # patterns wait for the migration
    readme = (kit / "README.md").read_text()
    assert "## Wave 1" in readme and "## Wave 2" in readme
    assert "drush migrate:import --group=northwind_communications" in readme
    assert "`comms_news`" in readme and "D7-CUS-" in readme  # custom code to rewrite
    assert "(../report.html#site-" in readme
    for path in kit.rglob("*"):
        if path.is_file() and path.suffix in (".yml", ".php", ".md"):
            assert "drupalscan" in path.read_text() and "pinned.db" in path.read_text(), path


def test_no_credential_of_the_scanned_sites_reaches_the_kit(kit: Path) -> None:
    settings = (COMMS_DOCROOT / "sites" / "default" / "settings.php").read_text()
    secrets = re.findall(r"'(?:password|username)' => '([^']+)'", settings)
    assert "N0rthw1nd-Sup3r-S3cret!" in secrets
    for path in kit.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            for secret in secrets:
                assert secret not in text, path


def test_a_re_run_keeps_edited_files_unless_forced(example_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "kit"
    with Store(example_store) as store:
        first = api.scaffold(store, out, SETTINGS)
        api.scaffold(store, out, SETTINGS)  # unchanged files: no conflict
        composer = out / "composer.json"
        composer.write_text(composer.read_text() + "\n", encoding="utf-8")
        readme_before = (out / "README.md").read_text()
        (out / "README.md").unlink()
        with pytest.raises(KitConflict, match="composer.json"):
            api.scaffold(store, out, SETTINGS)
        assert not (out / "README.md").exists()  # refused before writing anything
        assert composer.read_text().endswith("}\n\n")
        api.scaffold(store, out, SETTINGS, force=True)
        assert composer.read_text().endswith("}\n")
        assert (out / "README.md").read_text() == readme_before
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(str(p.relative_to(out)) for p in first)


def test_hostile_names_stay_inert(tmp_path: Path) -> None:
    evil = "Evil ?> <?php system('id'); */ \n# x"
    site = model.Site(
        id="evil-1",
        source="/srv/evil/docroot",
        origin="docroot",
        name=evil,
        kind="drupal7",
        collected=["codebase", "database"],
        content_types=[
            model.ContentType(
                name="../../../escape",
                label=evil,
                fields=[model.Field(name="field_x\n- evil", type="text", label=evil)],
            )
        ],
        vocabularies=[model.Vocabulary(name="../tags", label=evil)],
    )
    plan = make_plan([site], [], SETTINGS)
    src = KitSource(
        sites=[site], findings=[], plan=plan, pages={}, store="s.db", generated_at="now"
    )
    out = tmp_path / "kit"
    written = write_kit(src, load_kb(), out)
    for path in written:
        assert out in path.resolve().parents
        text = path.read_text()
        assert "?>" not in text.replace("'?>'", "") or path.suffix != ".php"
        if path.suffix == ".yml":
            yaml.safe_load(text)
            assert all(ln.startswith("#") for ln in text.split("langcode:")[0].splitlines())
    php = (out / "settings.migrate.php").read_text()
    assert "?>" not in php and "*/" not in php.split("*/", 1)[1]
    readme = (out / "README.md").read_text()
    assert "\\<?php" in readme and not re.search(r"(?<!\\)<", readme)  # inert in Markdown


def test_scaffold_over_an_empty_store_is_a_usage_error(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.db") as store, pytest.raises(UsageError, match="no site"):
        api.scaffold(store, tmp_path / "kit", SETTINGS)
    assert not (tmp_path / "kit").exists()
