r"""Read selected tables out of a mysqldump file without a database server.

Clients often hand over a ``mysqldump`` rather than database access.  Loading
it into a server takes one that is installed and minutes of time; the scanner
only needs a dozen small tables, so this module streams the dump (plain or
gzip), skips every statement of tables it was not asked for, and keeps only
the requested columns of the rest.  The result, `DumpTables`, offers the same
small table-access interface as the live connections in
`drupalscan.collect.database`, so all routes share one reader.

The parser follows what mysqldump and mariadb-dump write:

* ``CREATE TABLE`` blocks give each table's column names;
* ``INSERT INTO `t` [(cols)] VALUES (...),(...);`` in the classic one-line
  form or MariaDB's one-row-per-line form; rows may span lines;
* MySQL string escapes (``\'``, ``\\``, ``\n``, ``\0``, ``''``...),
  ``_binary '...'``, ``0x`` hex blobs from ``--hex-blob`` and ``NULL``;
* comment lines, ``/*!...*/`` directives and MariaDB's
  ``/*M!999999\- enable the sandbox mode */`` first line are ignored.

The file is read in bounded chunks, so even a multi-megabyte ``watchdog``
line is never held in memory as a whole when it is being skipped.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["DumpTables", "SqlDumpError", "read_dump"]

CHUNK = 1 << 20
"""Longest piece of a line read at once (1 MiB)."""

MAX_STATEMENT = 256 << 20
"""Longest single row accepted; a bigger one means a broken dump."""

_CREATE = re.compile(rb"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`?([^`\s(]+)`?", re.I)
_COLUMN = re.compile(rb"\s+`((?:[^`]|``)+)`\s")
_INSERT = re.compile(
    rb"(?:INSERT(?:\s+IGNORE)?|REPLACE)\s+INTO\s+`?([^`\s(]+)`?\s*"
    rb"(?:\(([^)]*)\)\s*)?VALUES\s*",
    re.I,
)
# One parenthesised row.  Possessive quantifiers keep a row cut off at a chunk
# end from backtracking exponentially before we read more input.
_ROW = re.compile(rb"\s*,?\s*(\((?:'(?:[^'\\]++|\\.|'')*+'|[^'()]++)*+\))", re.S)
_VALUE = re.compile(
    rb"""\s*(?:
        (?P<bin>_binary\s*)?'(?P<str>(?:[^'\\]++|\\.|'')*+)'
      | [xX]'(?P<xhex>[0-9A-Fa-f]*)'
      | 0x(?P<hex>[0-9A-Fa-f]*)
      | (?P<null>NULL)\b
      | (?P<word>[^,\s]+)
    )\s*(?:,|\Z)""",
    re.S | re.X,
)
_ESCAPE = re.compile(rb"\\(.)|''", re.S)
_ESCAPES = {
    b"0": b"\0",
    b"b": b"\b",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"Z": b"\x1a",
}
_INT = re.compile(rb"[+-]?[0-9]+")


class SqlDumpError(ValueError):
    """The file is not a readable MySQL/MariaDB dump."""


class DumpTables:
    """Tables read from a dump, behind the shared table-access interface.

    Only the tables and columns asked for are kept; the names of all tables
    found (with the Drupal prefix removed) are known, so an absent table can
    be told apart from one that was merely not loaded.
    """

    def __init__(self, label: str) -> None:
        """Start empty; `read_dump` fills the private tables."""
        self.label = label
        self.warnings: list[str] = []
        self._columns: dict[str, list[str]] = {}
        self._rows: dict[str, list[tuple[Any, ...]]] = {}
        self._kept: dict[str, list[str]] = {}
        self._counts: dict[str, int] = {}

    def tables(self) -> set[str]:
        """Unprefixed names of every table the dump creates or fills."""
        return set(self._columns) | set(self._counts)

    def columns(self, table: str) -> list[str]:
        """Column names of ``table`` as its CREATE TABLE declares them."""
        return list(self._columns.get(table, self._kept.get(table, [])))

    def count(self, table: str) -> int:
        """Number of rows the dump inserts into ``table``."""
        if table not in self._counts:
            raise KeyError(f"{table} was not loaded from the dump")
        return self._counts[table]

    def select(self, table: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """Rows of ``table`` projected on ``columns`` (all kept at load time)."""
        if table not in self._counts:
            raise KeyError(f"{table} was not loaded from the dump")
        kept = self._kept.get(table)
        if not kept:
            return []  # no rows, or rows without known column names
        try:
            idx = [kept.index(c) for c in columns]
        except ValueError as exc:
            raise KeyError(f"{table}: {exc}") from None
        return [tuple(row[i] for i in idx) for row in self._rows.get(table, [])]

    def close(self) -> None:
        """Nothing to release; present for symmetry with live connections."""


def read_dump(
    path: str | Path,
    wanted: Mapping[str, Collection[str] | None],
    prefix: str = "",
) -> DumpTables:
    """Stream ``path`` and keep the ``wanted`` tables.

    ``wanted`` maps unprefixed table names to the columns to keep, or to
    ``None`` to only count rows.  Columns a table lacks are silently left out
    (Drupal versions differ); `DumpTables.columns` tells what exists.
    """
    path = Path(path)
    result = DumpTables(str(path))
    try:
        with _open(path) as stream:
            _Loader(result, wanted, prefix).run(_chunks(stream))
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SqlDumpError(f"cannot read {path}: {exc}") from None
    if not result.tables():
        raise SqlDumpError(f"{path} holds no CREATE TABLE or INSERT statements")
    return result


def _open(path: Path) -> io.BufferedIOBase:
    """Binary stream of the dump, gunzipping when the file starts gzip-like."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")
    return path.open("rb")


def _chunks(stream: io.BufferedIOBase) -> Iterator[bytes]:
    """Line pieces of at most `CHUNK` bytes; only a line's last piece ends in a newline."""
    while True:
        piece = stream.readline(CHUNK)
        if not piece:
            return
        yield piece


class _Loader:
    """The statement state machine: outside, in CREATE, in INSERT, skipping."""

    def __init__(
        self, out: DumpTables, wanted: Mapping[str, Collection[str] | None], prefix: str
    ) -> None:
        """Prepare to fill ``out`` with the ``wanted`` tables of one prefix."""
        self.out = out
        self.wanted = wanted
        self.prefix = prefix.encode("utf-8")
        self.create: str | None = None
        self.insert: str | None = None
        self.insert_index: list[int] | None = None
        self.skipping = False
        self.buffer = b""
        self.at_line_start = True
        self.row_width = 0

    def table_name(self, raw: bytes) -> str | None:
        """Unprefixed name, or None for tables outside this site's prefix."""
        if self.prefix:
            if not raw.startswith(self.prefix):
                return None
            raw = raw[len(self.prefix) :]
        return raw.decode("utf-8", "replace")

    def run(self, chunks: Iterator[bytes]) -> None:
        for chunk in chunks:
            line_start = self.at_line_start
            self.at_line_start = chunk.endswith(b"\n")
            if self.insert is not None:
                self.feed_insert(chunk)
            elif self.skipping:
                if self.at_line_start and chunk.rstrip().endswith(b";"):
                    self.skipping = False
            elif self.create is not None:
                self.feed_create(chunk)
            elif line_start:
                self.statement(chunk)
        if self.insert is not None and self.buffer.strip():
            self.out.warnings.append(f"dump ends inside the INSERT for {self.insert}")

    def statement(self, chunk: bytes) -> None:
        head = chunk.lstrip()
        if head[:6].upper() == b"CREATE":
            m = _CREATE.match(head)
            if m:
                name = self.table_name(m.group(1))
                if name is not None:
                    self.out._columns[name] = []
                    if name in self.wanted:
                        self.out._counts.setdefault(name, 0)
                self.create = name if name is not None else ""
                if chunk.rstrip().endswith(b";"):
                    self.create = None
            return
        upper = head[:7].upper()
        if upper not in (b"INSERT ", b"REPLACE"):
            return
        m = _INSERT.match(head)
        if not m:
            return
        name = self.table_name(m.group(1))
        if name is None or name not in self.wanted:
            if not (self.at_line_start and chunk.rstrip().endswith(b";")):
                self.skipping = True
            return
        self.out._counts.setdefault(name, 0)
        self.start_insert(name, m.group(2))
        self.feed_insert(head[m.end() :])

    def feed_create(self, chunk: bytes) -> None:
        if chunk.startswith(b")"):
            self.create = None
            return
        m = _COLUMN.match(chunk)
        if m and self.create:
            self.out._columns[self.create].append(
                m.group(1).replace(b"``", b"`").decode("utf-8", "replace")
            )

    def start_insert(self, name: str, column_list: bytes | None) -> None:
        """Work out which row positions to keep for this statement."""
        self.insert = name
        self.buffer = b""
        want = self.wanted[name]
        if column_list is not None:
            cols = [
                c.strip().strip(b"`").decode("utf-8", "replace") for c in column_list.split(b",")
            ]
            self.out._columns.setdefault(name, cols)
        else:
            cols = self.out._columns.get(name, [])
        if want is None:
            self.insert_index = None
            return
        if not cols:
            self.out.warnings.append(f"no column names for {name}: its rows were skipped")
            self.insert_index = []
            self.out._kept.setdefault(name, [])
            return
        kept = self.out._kept.setdefault(name, [c for c in cols if c in want])
        self.insert_index = [cols.index(c) if c in cols else -1 for c in kept]
        self.row_width = len(cols)

    def feed_insert(self, chunk: bytes) -> None:
        buf = self.buffer + chunk if self.buffer else chunk
        pos = 0
        name = self.insert
        assert name is not None
        while True:
            m = _ROW.match(buf, pos)
            if not m:
                break
            pos = m.end()
            self.out._counts[name] = self.out._counts.get(name, 0) + 1
            if self.insert_index:
                self.keep_row(name, m.group(1)[1:-1])
        rest = buf[pos:].lstrip()
        if rest.startswith(b";"):
            self.insert = None
            self.buffer = b""
            return
        if rest and rest[:1] not in (b"(", b","):
            raise SqlDumpError(f"unexpected text in the INSERT for {name}: {rest[:40]!r}")
        if len(rest) > MAX_STATEMENT:
            raise SqlDumpError(f"a row of {name} is longer than {MAX_STATEMENT} bytes")
        self.buffer = rest

    def keep_row(self, name: str, content: bytes) -> None:
        values = _values(content)
        if len(values) != self.row_width:
            self.out.warnings.append(
                f"a row of {name} has {len(values)} values, {self.row_width} expected: skipped"
            )
            return
        assert self.insert_index is not None
        self.out._rows.setdefault(name, []).append(
            tuple(values[i] if i >= 0 else None for i in self.insert_index)
        )


def _values(content: bytes) -> list[Any]:
    """Decode the values of one row (without its parentheses)."""
    values: list[Any] = []
    pos = 0
    end = len(content)
    if not content.strip():
        return values
    while pos < end:
        m = _VALUE.match(content, pos)
        if not m or m.end() == pos:
            raise SqlDumpError(f"cannot parse row values near {content[pos : pos + 40]!r}")
        pos = m.end()
        kind = m.lastgroup
        if m.group("str") is not None:
            raw = _unescape(m.group("str"))
            values.append(raw if m.group("bin") else raw.decode("utf-8", "surrogateescape"))
        elif kind in ("xhex", "hex"):
            digits = m.group(kind).decode("ascii")
            # MySQL left-pads an odd number of hex digits with a zero.
            values.append(bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits))
        elif kind == "null":
            values.append(None)
        else:
            word = m.group("word")
            if _INT.fullmatch(word):
                values.append(int(word))
            else:
                try:
                    values.append(float(word))
                except ValueError:
                    values.append(word.decode("utf-8", "replace"))
    return values


def _unescape(raw: bytes) -> bytes:
    """Undo MySQL string-literal escaping."""
    if b"\\" not in raw and b"''" not in raw:
        return raw
    return _ESCAPE.sub(_unescape_one, raw)


def _unescape_one(m: re.Match[bytes]) -> bytes:
    char = m.group(1)
    if char is None:
        return b"'"
    return _ESCAPES.get(char, char)
