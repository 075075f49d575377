"""No secret given to or found by drupalscan reaches the store, the output or a report.

Crawls are run through the CLI as a user would (password in the
environment, cookie and token on the command line) against loopback
servers that check the secrets really were sent; the scan reads the comms
fixture whose settings.php files hold database passwords and a hash salt.
Then the store file (with its -wal/-shm), stdout/stderr and every report
format are searched byte for byte.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.collect.httpfixtures import Reply, Req, Server

from .faultserver import FaultServer, FaultSite

REPO = Path(__file__).resolve().parents[2]
COMMS = REPO / "fixtures" / "sites" / "comms"
BASIC = "B4sic-Pa55-SECRETPW"
FORM_PASSWORD = "F0rm-Pa55-SECRETPW"
COOKIE = "SECRETCOOKIE"
TOKEN = "SECRETTOKEN"
SCAN_SECRETS = ["N0rthw1nd-Sup3r-S3cret!", "hash-salt-9f8e7d6c5b4a", "Ev3nts-Db-Pa55w0rd!"]
FORMATS = ("json", "md", "csv", "html")

pytestmark = pytest.mark.slow  # child processes and real servers: seconds each


def run(store: Path, *args: str, password: str = "") -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRUPALSCAN_")}
    if password:
        env["DRUPALSCAN_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "drupalscan.cli", "--store", str(store), *args],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )


def outputs(tmp_path: Path, store: Path) -> list[tuple[str, bytes]]:
    """Every byte drupalscan wrote: store files and a report in each format."""
    found = []
    for fmt in FORMATS:
        target = tmp_path / f"report-{fmt}" if fmt == "csv" else tmp_path / f"report.{fmt}"
        done = run(store, "report", "--format", fmt, "-o", str(target))
        assert done.returncode == 0, done.stderr.decode()
        found.append((f"report {fmt} stdout/stderr", done.stdout + done.stderr))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            found.append((str(path), path.read_bytes()))
    assert any(name.endswith(".db") for name, _ in found)
    return found


def assert_absent(secrets: list[str], blobs: list[tuple[str, bytes]]) -> None:
    for secret in secrets:
        for encoded in {secret.encode(), secret.encode("utf-16-le")}:
            leaks = [name for name, data in blobs if encoded in data]
            assert not leaks, f"{secret!r} found in {leaks}"


def test_crawl_with_basic_auth_cookie_and_token_leaks_nothing(tmp_path: Path) -> None:
    seen: list[Req] = []

    def handle(req: Req) -> Reply:
        seen.append(req)
        if req.path == "/":
            body = '<a href="/a">a</a><a href="/b?x=1">b</a><a href="/gone">g</a>'
            return Reply(f"<html><head><title>Home | S</title></head><body>{body}</body></html>")
        if req.path == "/gone":
            return Reply("", status=404)
        return Reply(f"<html><head><title>{req.path} | S</title></head><body>x</body></html>")

    store = tmp_path / "store.db"
    cookie_args = ["--cookie", f"SESSabc={COOKIE}"]
    token_args = ["--header", f"Authorization: Bearer {TOKEN}"]
    with Server(handle) as srv:
        both = run(store, "crawl", srv.url, "--auth", "auditor", *cookie_args, password=BASIC)
        with_auth = list(seen)
        seen.clear()
        # --auth and an Authorization header are refused together, so the
        # token is sent alone, to a second site in the same store.
        srv2 = Server(handle).start()
        try:
            alone = run(store, "crawl", srv2.url, *cookie_args, *token_args)
        finally:
            srv2.stop()
    for done in (both, alone):
        assert done.returncode == 0, done.stderr.decode()
    # The secrets were really sent (else finding none would prove nothing).
    page = next(r for r in with_auth if r.path == "/a")
    assert page.cookies.get("SESSabc") == COOKIE
    assert base64.b64decode(page.headers["Authorization"][6:]).decode() == f"auditor:{BASIC}"
    page = next(r for r in seen if r.path == "/a")
    assert page.headers.get("Authorization") == f"Bearer {TOKEN}"
    blobs = [
        ("crawl stdout/stderr", both.stdout + both.stderr + alone.stdout + alone.stderr),
        *outputs(tmp_path, store),
    ]
    assert_absent([BASIC, COOKIE, TOKEN], blobs)


def test_crawl_with_form_login_leaks_nothing(tmp_path: Path) -> None:
    site = FaultSite()
    site.password = FORM_PASSWORD
    site.session_pages = 4  # the crawl logs in again, sending the password twice or more
    srv = FaultServer(site)
    store = tmp_path / "store.db"
    try:
        done = run(
            store,
            "crawl",
            srv.url + "login-site/",
            "--auth",
            "editor",
            "--login-url",
            srv.url + "user/login",
            "--concurrency",
            "1",
            password=FORM_PASSWORD,
        )
    finally:
        srv.stop()
    assert done.returncode == 0, done.stderr.decode()
    assert site.logins >= 2
    blobs = [("crawl stdout/stderr", done.stdout + done.stderr), *outputs(tmp_path, store)]
    assert_absent([FORM_PASSWORD, *(f"tok{i}" for i in range(1, site.logins + 1))], blobs)


@pytest.mark.parametrize("as_json", [False, True])
def test_scan_of_settings_with_secrets_leaks_nothing(tmp_path: Path, as_json: bool) -> None:
    text = (COMMS / "docroot" / "sites" / "default" / "settings.php").read_text()
    assert SCAN_SECRETS[0] in text and SCAN_SECRETS[1] in text  # the fixture still holds them
    store = tmp_path / "store.db"
    args = ["scan", str(COMMS / "docroot"), "--db", f"sqlite:///{COMMS / 'comms.sqlite'}"]
    done = run(store, *args, *(["--json"] if as_json else []))
    assert done.returncode == 0, done.stderr.decode()
    blobs = [("scan stdout/stderr", done.stdout + done.stderr), *outputs(tmp_path, store)]
    assert_absent(SCAN_SECRETS, blobs)
