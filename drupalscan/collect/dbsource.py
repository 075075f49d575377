"""Open a Drupal database for reading, whatever route leads to it.

Every route ends in the same small table-access interface, `TableSource`
(``tables``, ``columns``, ``count``, ``select``), which is all the reader in
`drupalscan.collect.database` needs:

* ``sqlite:///relative.sqlite`` or ``sqlite:////abs/path.sqlite`` - the
  standard library, opened read-only (see `sqlite_path`);
* ``mysql://user[:pass]@host[:port]/db`` - PyMySQL (``drupalscan[mysql]``),
  in a read-only session;
* ``pgsql://`` / ``postgres://`` / ``postgresql://`` - psycopg2
  (``drupalscan[pgsql]``), in a read-only session;
* a path (or ``file://`` URL) to a ``mysqldump`` file, plain or gzipped, read
  by `drupalscan.collect.sqldump` without any server.

Only ``SELECT``s on whole columns are issued, so the SQL stays trivially
portable.  The password comes from the URL or an environment variable and
never reaches a message: URLs are shown scrubbed (``mysql://user:***@host/db``).
Kept apart from the reader because connecting, quoting and credentials are a
different concern from what the tables mean.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit
from urllib.request import pathname2url

from drupalscan.collect import sqldump

__all__ = ["DatabaseError", "TableSource", "open_source", "scrub_url", "sqlite_path"]

_IDENT = re.compile(r"[A-Za-z0-9_]+")

TableSpec = Mapping[str, "tuple[str, ...] | None"]
"""Table -> columns a reader will select (None: only counted)."""


class DatabaseError(Exception):
    """A database that cannot be read; the message is one line for the user."""


class TableSource(Protocol):
    """The table access every route offers; table names are unprefixed."""

    label: str

    def tables(self) -> set[str]:
        """Names of the site's tables."""

    def columns(self, table: str) -> list[str]:
        """Column names of ``table``."""

    def count(self, table: str) -> int:
        """Row count of ``table``."""

    def select(self, table: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        """All rows of ``table``, projected on existing ``columns``."""

    def close(self) -> None:
        """Release the connection."""


def scrub_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, safe to show and log."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    if password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{user}:***@{host}" + (f":{port}" if port else "")
    return f"{parts.scheme}://{netloc}{parts.path}"


def open_source(
    url: str, tables: TableSpec, prefix: str = "", password_env: str = "DRUPALSCAN_DB_PASSWORD"
) -> TableSource:
    """Open the table source a URL names (see the module docstring).

    ``tables`` is what the reader will select; a dump keeps only those, so a
    multi-gigabyte dump is read in one pass without holding the rest.
    """
    if prefix and not _IDENT.fullmatch(prefix):
        raise DatabaseError(f"invalid table prefix {prefix!r}: letters, digits and _ only")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("mysql", "mysqli", "mariadb"):
        return _connect_mysql(url, prefix, password_env)
    if scheme in ("pgsql", "postgres", "postgresql"):
        return _connect_pgsql(url, prefix, password_env)
    if scheme == "sqlite":
        return _open_sqlite(sqlite_path(url), prefix)
    if scheme == "file":
        return _open_file(Path(unquote(urlsplit(url).path)), prefix, tables)
    if scheme:
        raise DatabaseError(
            f"unsupported database URL scheme {scheme!r} in {scrub_url(url)}: "
            "use sqlite://, mysql://, pgsql:// or a path to a .sql/.sql.gz dump"
        )
    return _open_file(Path(url), prefix, tables)


def sqlite_path(url: str) -> Path:
    """The file a ``sqlite://`` URL names, following SQLAlchemy's convention.

    ``sqlite:///relative.sqlite`` is relative to the current directory and
    ``sqlite:////abs/path.sqlite`` absolute.  Earlier drupalscan versions read
    three slashes as absolute, so ``sqlite:///abs/path.sqlite`` still works:
    the relative reading wins when that file exists, else the absolute one;
    when neither exists the error names both.
    """
    rest = unquote(url.split("://", 1)[1])
    if rest.startswith("//"):
        return Path("/" + rest.lstrip("/"))
    if not rest.startswith("/"):
        return Path(rest)  # sqlite://name.sqlite: no host part, read as relative
    relative, absolute = Path(rest[1:]), Path(rest)
    if relative.is_file() or not absolute.is_file():
        if not relative.is_file():
            raise DatabaseError(
                f"cannot open SQLite database {scrub_url(url)}: no such file, neither "
                f"{relative} (relative to {Path.cwd()}) nor {absolute}"
            )
        return relative
    return absolute


def _open_file(path: Path, prefix: str, tables: TableSpec) -> TableSource:
    """A plain path: a SQLite file (sniffed by its header) or a mysqldump."""
    if not path.is_file():
        raise DatabaseError(f"cannot read {path}: no such file")
    try:
        with path.open("rb") as probe:
            head = probe.read(16)
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror or exc}") from None
    if head.startswith(b"SQLite format 3\0"):
        return _open_sqlite(path, prefix)
    try:
        dump = sqldump.read_dump(path, tables, prefix)
    except sqldump.SqlDumpError as exc:
        raise DatabaseError(f"{path} is not a readable SQL dump: {exc}") from None
    return dump


def _open_sqlite(path: Path, prefix: str) -> TableSource:
    if not path.is_file():
        raise DatabaseError(f"cannot open SQLite database {path}: no such file")
    uri = f"file:{pathname2url(str(path.resolve()))}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        conn.execute("SELECT name FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        raise DatabaseError(f"{path} is not a readable SQLite database: {exc}") from None
    return _SqlSource(
        conn,
        label=str(path),
        prefix=prefix,
        quote='"',
        errors=(sqlite3.Error,),
        list_tables="SELECT name FROM sqlite_master WHERE type = 'table'",
    )


def _credentials(url: str, password_env: str, default_port: int) -> dict[str, Any]:
    """Split a server URL; the password comes from the URL, else the env var."""
    try:
        parts = urlsplit(url)
        port = parts.port or default_port
    except ValueError:
        raise DatabaseError(f"malformed database URL {scrub_url(url)}") from None
    database = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not database:
        raise DatabaseError(f"database URL {scrub_url(url)} needs a host and a database name")
    password = unquote(parts.password) if parts.password is not None else None
    if password is None:
        password = os.environ.get(password_env) or None
    return {
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username) if parts.username else None,
        "password": password,
        "database": database,
    }


def _connect_failed(url: str, exc: BaseException, password: str | None) -> DatabaseError:
    """A connection error message with the password scrubbed, just in case."""
    detail = " ".join(str(exc).split())
    if password:
        detail = detail.replace(password, "***")
    return DatabaseError(f"cannot connect to {scrub_url(url)}: {detail}")


def _connect_mysql(url: str, prefix: str, password_env: str) -> TableSource:
    try:
        import pymysql  # type: ignore[import-untyped]
    except ImportError:
        raise DatabaseError(
            "reading MySQL/MariaDB databases needs PyMySQL: pip install drupalscan[mysql]"
        ) from None
    cred = _credentials(url, password_env, 3306)
    try:
        conn = pymysql.connect(
            host=cred["host"],
            port=cred["port"],
            user=cred["user"] or "root",
            password=cred["password"] or "",
            database=cred["database"],
            charset="utf8mb4",
            connect_timeout=10,
        )
    except pymysql.Error as exc:
        raise _connect_failed(url, exc, cred["password"]) from None
    try:
        with conn.cursor() as cur:
            # Belt and braces: the reader only SELECTs, the server enforces it.
            cur.execute("SET SESSION TRANSACTION READ ONLY")
    except pymysql.Error:
        pass  # servers too old for read-only transactions
    return _SqlSource(
        conn,
        label=scrub_url(url),
        prefix=prefix,
        quote="`",
        errors=(pymysql.Error,),
        list_tables="SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = DATABASE()",
    )


def _connect_pgsql(url: str, prefix: str, password_env: str) -> TableSource:
    try:
        import psycopg2  # type: ignore[import-untyped]
    except ImportError:
        raise DatabaseError(
            "reading PostgreSQL databases needs psycopg2: pip install drupalscan[pgsql]"
        ) from None
    cred = _credentials(url, password_env, 5432)
    kwargs = {
        "host": cred["host"],
        "port": cred["port"],
        "dbname": cred["database"],
        "connect_timeout": 10,
    }
    if cred["user"]:
        kwargs["user"] = cred["user"]
    if cred["password"]:
        kwargs["password"] = cred["password"]
    try:
        conn = psycopg2.connect(**kwargs)
        conn.set_session(readonly=True, autocommit=True)
    except psycopg2.Error as exc:
        raise _connect_failed(url, exc, cred["password"]) from None
    return _SqlSource(
        conn,
        label=scrub_url(url),
        prefix=prefix,
        quote='"',
        errors=(psycopg2.Error,),
        list_tables="SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = ANY (current_schemas(false))",
    )


class _SqlSource:
    """`TableSource` over a DB-API connection (sqlite3, PyMySQL, psycopg2)."""

    def __init__(
        self,
        conn: Any,
        *,
        label: str,
        prefix: str,
        quote: str,
        errors: tuple[type[BaseException], ...],
        list_tables: str,
    ) -> None:
        self.conn = conn
        self.label = label
        self.prefix = prefix
        self.quote = quote
        self.errors = errors
        self.list_tables = list_tables
        self._tables: set[str] | None = None
        self._columns: dict[str, list[str]] = {}

    def _run(self, sql: str) -> tuple[list[tuple[Any, ...]], list[str]]:
        """Run one statement; driver errors become a `DatabaseError`."""
        try:
            cur = self.conn.cursor()
            try:
                cur.execute(sql)
                names = [d[0] for d in cur.description or ()]
                rows = [tuple(_plain(v) for v in row) for row in cur.fetchall()]
            finally:
                cur.close()
        except self.errors as exc:
            detail = " ".join(str(exc).split())
            raise DatabaseError(f"reading {self.label} failed: {detail}") from None
        return rows, names

    def _name(self, table: str) -> str:
        full = self.prefix + table
        if not _IDENT.fullmatch(full):
            raise DatabaseError(f"invalid table name {full!r}")
        return f"{self.quote}{full}{self.quote}"

    def tables(self) -> set[str]:
        if self._tables is None:
            rows, _ = self._run(self.list_tables)
            names = {str(r[0]) for r in rows}
            self._tables = {n[len(self.prefix) :] for n in names if n.startswith(self.prefix)}
        return self._tables

    def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            _, names = self._run(f"SELECT * FROM {self._name(table)} LIMIT 0")
            self._columns[table] = [str(n) for n in names]
        return list(self._columns[table])

    def count(self, table: str) -> int:
        rows, _ = self._run(f"SELECT COUNT(*) FROM {self._name(table)}")
        return int(rows[0][0])

    def select(self, table: str, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        for c in columns:
            if not _IDENT.fullmatch(c):
                raise DatabaseError(f"invalid column name {c!r}")
        cols = ", ".join(f"{self.quote}{c}{self.quote}" for c in columns)
        rows, _ = self._run(f"SELECT {cols} FROM {self._name(table)}")
        return rows

    def close(self) -> None:
        try:
            self.conn.close()
        except self.errors:
            pass


def _plain(value: Any) -> Any:
    """psycopg2 returns bytea as memoryview; everything else is already plain."""
    if isinstance(value, memoryview):
        return value.tobytes()
    return value
