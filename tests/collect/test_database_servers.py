"""The live-server routes: MariaDB/MySQL and PostgreSQL on 127.0.0.1.

Each test creates a uniquely named database, reads it and drops it again, and
skips with the reason when the server or its driver is not available.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drupalscan.collect.database import read_database
from tests.conftest import COMMS_DOCROOT

from .test_database import DUMP, build, check_small_site

MYSQL_HOST, MYSQL_PORT = "127.0.0.1", 3306
PG_HOST, PG_PORT = "127.0.0.1", 5432


def _name() -> str:
    return f"drupalscan_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def mariadb_url() -> Iterator[str]:
    """The Northwind dump loaded into a throw-away MariaDB database."""
    pymysql = pytest.importorskip("pymysql", reason="PyMySQL is not installed")
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        pytest.skip("no mariadb/mysql command-line client to load the dump")
    try:
        conn = pymysql.connect(
            host=MYSQL_HOST, port=MYSQL_PORT, user="root", connect_timeout=3, autocommit=True
        )
    except pymysql.Error as exc:
        pytest.skip(f"no MariaDB/MySQL server as root on {MYSQL_HOST}:{MYSQL_PORT}: {exc}")
    name = _name()
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        proc = subprocess.Popen(
            [client, f"-h{MYSQL_HOST}", f"-P{MYSQL_PORT}", "-uroot", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert proc.stdin is not None
        with gzip.open(DUMP, "rb") as dump:
            first = dump.readline()
            if not first.startswith(b"/*M!999999"):  # the sandbox line old clients reject
                proc.stdin.write(first)
            shutil.copyfileobj(dump, proc.stdin, 1 << 20)
        proc.stdin.close()
        err = proc.stderr.read() if proc.stderr else b""
        if proc.wait(timeout=120) != 0:
            pytest.fail(f"loading the dump failed: {err.decode(errors='replace')[:500]}")
        yield f"mysql://root@{MYSQL_HOST}:{MYSQL_PORT}/{name}"
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def test_mariadb_and_dump_routes_agree(mariadb_url: str) -> None:
    live = read_database(mariadb_url)
    dumped = read_database(str(DUMP))
    assert live.extensions == dumped.extensions
    assert live.content_types == dumped.content_types
    assert live == dumped
    assert live.settings["theme_default"] == "northwind"
    assert live.php_filter["nodes_using"] == 1


def test_password_from_the_environment_is_used_and_never_stored(
    mariadb_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DRUPALSCAN_DB_PASSWORD logs a password-protected user in, and goes no further.

    The user exists only with this password, so a scan that did not use it
    could not read the site; the store and everything printed are searched for it.
    """
    import pymysql

    secret = f"Env-SECRET-{uuid.uuid4().hex[:8]}"
    user = f"ds_{uuid.uuid4().hex[:8]}"
    database = mariadb_url.rsplit("/", 1)[1]
    conn = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", autocommit=True)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{secret}'")
            cur.execute(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY '{secret}'")
            for host in ("%", "localhost"):
                cur.execute(f"GRANT SELECT ON `{database}`.* TO '{user}'@'{host}'")
        url = f"mysql://{user}@{MYSQL_HOST}:{MYSQL_PORT}/{database}"
        store = tmp_path / "s.db"
        command = [sys.executable, "-m", "drupalscan.cli", "--store", str(store), "scan"]
        env = {k: v for k, v in os.environ.items() if k != "DRUPALSCAN_DB_PASSWORD"}
        without = subprocess.run(
            [*command, str(COMMS_DOCROOT), "--db", url], capture_output=True, text=True, env=env
        )
        assert without.returncode == 2 and "Access denied" in without.stderr
        env["DRUPALSCAN_DB_PASSWORD"] = secret
        scan = subprocess.run(
            [*command, str(COMMS_DOCROOT), "--db", url, "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert scan.returncode == 0, scan.stderr
        assert json.loads(scan.stdout)["sites"][0]["content_types"]  # the database was read
        assert secret not in scan.stdout + scan.stderr + without.stderr
        stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
        assert secret.encode() not in stored
    finally:
        with conn.cursor() as cur:
            for host in ("%", "localhost"):
                cur.execute(f"DROP USER IF EXISTS '{user}'@'{host}'")
        conn.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database holding the small Drupal 7 site."""
    psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2 is not installed")
    conn = None
    reasons = []
    for user in ("postgres", "root"):
        try:
            conn = psycopg2.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname="postgres", connect_timeout=3
            )
            break
        except psycopg2.Error as exc:
            reasons.append(f"{user}: {' '.join(str(exc).split())}")
    if conn is None:
        pytest.skip(f"no PostgreSQL on {PG_HOST}:{PG_PORT} ({'; '.join(reasons)})")
    conn.autocommit = True
    user = conn.info.user
    name = _name()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        site = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=name)
        with site, site.cursor() as cur:

            def execute(sql: str, rows: Iterable[tuple[Any, ...]] | None) -> None:
                if rows is None:
                    cur.execute(sql)
                else:
                    cur.executemany(sql, [tuple(_pg(v) for v in r) for r in rows])

            build(execute, prefix="d7_", placeholder="%s", blob="BYTEA")
        site.close()
        yield f"pgsql://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()


def _pg(value: Any) -> Any:
    import psycopg2

    return psycopg2.Binary(value) if isinstance(value, bytes) else value


def test_postgresql_route(pg_url: str) -> None:
    got = read_database(pg_url, prefix="d7_")
    check_small_site(got)
    for scheme in ("postgres", "postgresql"):
        again = read_database(pg_url.replace("pgsql", scheme, 1), prefix="d7_")
        assert again == got
