"""The .info parser against Drupal 7's own format rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from drupalscan.collect.infofile import (
    InfoError,
    as_list,
    info_bool,
    info_text,
    parse_dependency,
    parse_info,
    read_info,
)


def test_keys_values_quotes_and_comments() -> None:
    info = parse_info(
        'name = "Foo \\"bar\\""\n'
        "description = 'It''s'\n"
        "; commented = yes\n"
        "core = 7.x\n"
        "package = Views  \n"
        "version = VERSION\n"
    )
    assert info["name"] == 'Foo "bar"'
    assert "commented" not in info
    assert info["core"] == "7.x"
    assert info["package"] == "Views"
    # A PHP constant is kept as its name, never evaluated.
    assert info["version"] == "VERSION"


def test_arrays_and_nested_keys() -> None:
    info = parse_info(
        "dependencies[] = views (>=3.0)\n"
        "dependencies[] = ctools\n"
        "regions[header] = Header\n"
        "regions[content] = Content\n"
        "stylesheets[all][] = a.css\n"
        "stylesheets[print][] = p.css\n"
        "settings[toggle][logo] = 1\n"
    )
    assert info["dependencies"] == ["views (>=3.0)", "ctools"]
    assert info["regions"] == {"header": "Header", "content": "Content"}
    assert info["stylesheets"] == {"all": ["a.css"], "print": ["p.css"]}
    assert info["settings"] == {"toggle": {"logo": "1"}}


def test_last_duplicate_wins_like_drupal() -> None:
    # The drupal.org packaging footer repeats `version`; Drupal keeps the last.
    assert parse_info('version = VERSION\nversion = "7.79"\n')["version"] == "7.79"


def test_real_core_info_file() -> None:
    path = Path(__file__).parents[2] / "fixtures/northwind/info/modules/system/system.info"
    info = read_info(path)
    assert info["name"] == "System"
    assert info["required"] == "TRUE"
    assert "system.test" in info["files"]


@pytest.mark.parametrize(
    ("raw", "name", "constraint"),
    [
        ("views (>=3.0)", "views", ">=3.0"),
        ("ctools (7.x-1.x)", "ctools", "7.x-1.x"),
        ("system (>7.11)", "system", ">7.11"),
        ("ctools:page_manager", "page_manager", ""),
        ("drupal:system (>= 7.40)", "system", ">= 7.40"),
        ("  token  ", "token", ""),
    ],
)
def test_dependencies(raw: str, name: str, constraint: str) -> None:
    dep = parse_dependency(raw)
    assert dep is not None
    assert (dep.name, dep.constraint) == (name, constraint)


def test_broken_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.info"
    empty.write_text("this has no key value pairs\n")
    with pytest.raises(InfoError, match="no 'key = value'"):
        read_info(empty)
    binary = tmp_path / "bin.info"
    binary.write_bytes(b"\x00\x01\x02name = x")
    with pytest.raises(InfoError, match="binary"):
        read_info(binary)
    latin = tmp_path / "latin.info"
    latin.write_bytes("name = Caf\xe9\n".encode("latin-1"))
    assert read_info(latin)["name"].startswith("Caf")
    with pytest.raises(InfoError, match="cannot read"):
        read_info(tmp_path / "missing.info")


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        ("TRUE", True),
        ("true", True),
        ("1", True),
        ("yes", True),  # any non-empty string but "0" is true to PHP
        ("FALSE", False),
        ("false", False),
        ("0", False),
        ("", False),
        (None, False),
    ],
)
def test_flags_read_as_php_does(raw: str | None, flag: bool) -> None:
    info = parse_info(f"hidden = {raw}\n") if raw is not None else {}
    assert info_bool(info.get("hidden")) is flag


def test_theme_and_packaging_keys() -> None:
    info = parse_info(
        "stylesheets[all][] = a.css\nstylesheets[print][] = p.css\n"
        "scripts[] = s.js\nphp = 5.3\ndatestamp = 1617793257\nfiles[] = x.test\n"
    )
    assert as_list(info["scripts"]) == ["s.js"]
    assert as_list(info["files"]) == ["x.test"]
    assert info_text(info["php"]) == "5.3" and info_text(info.get("core")) is None
