"""Saved Drush output: pm-list (Drush 8 and 9+ shapes) and status."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from drupalscan.collect.dbsource import DatabaseError
from drupalscan.collect.drush import drush_status, read_drush

PM_LIST = Path(__file__).parents[2] / "fixtures" / "northwind" / "pm-list.json"


def test_real_pm_list() -> None:
    ext = read_drush(PM_LIST)
    assert len(ext) == 119
    assert Counter(e.state for e in ext.values()) == {
        "enabled": 57,
        "disabled": 5,
        "not installed": 57,
    }
    php = ext["php"]
    assert php.enabled and php.type == "module" and php.label == "PHP filter"
    assert php.version == "7.79" and php.package == "Core"
    # Drush's "Disabled" is installed-then-switched-off (schema kept)...
    assert ext["masquerade"].state == "disabled" and ext["masquerade"].schema_version is None
    assert ext["honeypot"].state == "disabled"
    # ...while "Not installed" never ran its install hook.
    assert ext["bulk_export"].state == "not installed"
    assert ext["bulk_export"].schema_version == -1
    assert ext["northwind"].type == "theme" and ext["northwind"].enabled
    assert ext["bartik"].state == "disabled"  # themes are never "not installed" in Drush 8


def test_drush9_shape_and_leading_noise(tmp_path: Path) -> None:
    path = tmp_path / "pml.json"
    data = {
        "views": {
            "package": "Views",
            "display_name": "Views (views)",
            "name": "views",
            "type": "module",
            "path": "sites/all/modules/views",
            "status": "Enabled",
            "version": "7.x-3.24",
        },
        "olivero": {
            "package": "Core",
            "display_name": "Olivero (olivero)",
            "name": "olivero",
            "type": "theme",
            "path": "core/themes/olivero",
            "status": "Disabled",
            "version": None,
        },
    }
    path.write_text("PHP Deprecated:  something in x.php on line 3\n" + json.dumps(data))
    ext = read_drush(path)
    assert ext["views"].enabled and ext["views"].label == "Views"
    assert ext["views"].filename == "sites/all/modules/views"
    assert ext["olivero"].type == "theme" and ext["olivero"].version is None


def test_drush_status(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    path.write_text(
        json.dumps(
            {
                "drupal-version": "7.79",
                "db-driver": "mysql",
                "db-hostname": "127.0.0.1",
                "db-username": "nw_hr",
                "db-password": "hunter2",
                "db-name": "intranet_hr",
                "install-profile": "standard",
                "drush-version": "8.4.12",
                "theme": "northwind",
            }
        )
    )
    status = drush_status(path)
    assert status["drupal-version"] == "7.79"
    assert status["theme"] == "northwind"
    assert "db-password" not in status and "hunter2" not in repr(status)
    with pytest.raises(DatabaseError, match="drush status"):
        read_drush(path)
    with pytest.raises(DatabaseError, match="not `drush status"):
        drush_status(PM_LIST)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no JSON object"),
        ("[1, 2]", "no JSON object"),
        ("{broken", "not valid JSON"),
        ('{"x": 1}', "not `drush pm-list"),
    ],
)
def test_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "out.json"
    path.write_text(content)
    with pytest.raises(DatabaseError, match=message):
        read_drush(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot read"):
        read_drush(tmp_path / "absent.json")
