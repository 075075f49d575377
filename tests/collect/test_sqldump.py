"""The streaming mysqldump reader on hand-written dumps."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from drupalscan.collect import sqldump
from drupalscan.collect.sqldump import SqlDumpError, read_dump

HEAD = "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n"

CREATE = """DROP TABLE IF EXISTS `{t}`;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `{t}` (
  `name` varchar(128) NOT NULL DEFAULT '' COMMENT 'a, (b)',
  `value` longblob NOT NULL,
  `n` int(11) DEFAULT NULL,
  PRIMARY KEY (`name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3;
"""


def write(tmp_path: Path, text: str, name: str = "dump.sql") -> Path:
    path = tmp_path / name
    data = text.encode("utf-8")
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def test_escapes_blobs_and_nulls(tmp_path: Path) -> None:
    text = (
        HEAD
        + CREATE.format(t="variable")
        + "LOCK TABLES `variable` WRITE;\n"
        + "INSERT INTO `variable` VALUES ('it\\'s','a\\\\b\\n\\0\\t\\Z',1),"
        + "('o''k',_binary 'x\\0y',-2),('hex',0x733A313A2261223B,NULL),"
        + "('empty','',3.5),('odd',0xABC,+7),('par(en)s', 'a,b);c', 0);\n"
        + "UNLOCK TABLES;\n"
    )
    dump = read_dump(write(tmp_path, text), {"variable": ("name", "value", "n")})
    rows = dump.select("variable", ["name", "value", "n"])
    assert rows == [
        ("it's", "a\\b\n\0\t\x1a", 1),
        ("o'k", b"x\0y", -2),
        ("hex", b's:1:"a";', None),
        ("empty", "", 3.5),
        ("odd", b"\x0a\xbc", 7),
        ("par(en)s", "a,b);c", 0),
    ]
    assert dump.columns("variable") == ["name", "value", "n"]
    assert dump.count("variable") == 6


def test_one_row_per_line_rows_across_lines_and_gzip(tmp_path: Path) -> None:
    text = (
        HEAD
        + CREATE.format(t="variable")
        + "INSERT INTO `variable` VALUES\n('a','x',1),\n('b','multi\nline',2),\n('c',"
        + "\n'z',3);\n"
        + "INSERT INTO `variable` VALUES ('d','w',4);\n"
    )
    dump = read_dump(write(tmp_path, text, "dump.sql.gz"), {"variable": ("name", "n")})
    assert dump.select("variable", ["n", "name"]) == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
        (4, "d"),
    ]
    with pytest.raises(KeyError):
        dump.select("variable", ["value"])  # not kept at load time


def test_skips_unwanted_tables_and_honours_prefix(tmp_path: Path) -> None:
    text = (
        HEAD
        + CREATE.format(t="d7_watchdog")
        + "INSERT INTO `d7_watchdog` VALUES ('x','y;\n"  # a raw newline in a skipped row
        + "still skipped',1);\n"
        + CREATE.format(t="d7_variable")
        + CREATE.format(t="variable")
        + "INSERT INTO `d7_variable` VALUES ('site_name','s:1:\"A\";',1);\n"
        + "INSERT INTO `variable` VALUES ('other_site','x',1);\n"
        + "INSERT INTO `d7_node` (`type`,`nid`) VALUES ('page',1),('page',2);\n"
    )
    wanted = {"variable": ("name",), "node": None}
    dump = read_dump(write(tmp_path, text), wanted, prefix="d7_")
    assert dump.tables() == {"watchdog", "variable", "node"}
    assert dump.select("variable", ["name"]) == [("site_name",)]
    assert dump.count("node") == 2
    assert dump.columns("node") == ["type", "nid"]
    with pytest.raises(KeyError):
        dump.select("watchdog", ["name"])


def test_long_lines_are_read_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqldump, "CHUNK", 64)
    rows = ",".join(f"('k{i}','{'v' * 50}',{i})" for i in range(200))
    text = (
        HEAD
        + CREATE.format(t="search_index")
        + f"INSERT INTO `search_index` VALUES {rows};\n"
        + CREATE.format(t="variable")
        + f"INSERT INTO `variable` VALUES {rows};\n"
    )
    dump = read_dump(write(tmp_path, text), {"variable": ("name", "n")})
    got = dump.select("variable", ["n"])
    assert [n for (n,) in got] == list(range(200))


def test_insert_without_create_uses_its_column_list(tmp_path: Path) -> None:
    text = "INSERT INTO `role` (`rid`, `name`) VALUES (1,'anonymous user'),(2,'x');\n"
    dump = read_dump(write(tmp_path, text), {"role": ("rid", "name")})
    assert dump.select("role", ["name"]) == [("anonymous user",), ("x",)]


def test_insert_without_columns_anywhere_warns(tmp_path: Path) -> None:
    dump = read_dump(write(tmp_path, "INSERT INTO `role` VALUES (1,'a');\n"), {"role": ("rid",)})
    assert dump.count("role") == 1
    assert dump.select("role", ["rid"]) == []
    assert any("no column names" in w for w in dump.warnings)


def test_not_a_dump(tmp_path: Path) -> None:
    with pytest.raises(SqlDumpError, match="no CREATE TABLE"):
        read_dump(write(tmp_path, "hello world\n"), {})
    bad = tmp_path / "bad.sql.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(SqlDumpError, match="cannot read"):
        read_dump(bad, {})


def test_garbage_inside_insert_is_an_error(tmp_path: Path) -> None:
    text = CREATE.format(t="variable") + "INSERT INTO `variable` VALUES ('a','b',1) oops;\n"
    with pytest.raises(SqlDumpError, match="unexpected text"):
        read_dump(write(tmp_path, text), {"variable": ("name",)})
