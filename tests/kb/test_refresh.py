"""`drupalscan kb refresh` against a local server serving saved release histories."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from drupalscan.cli import main
from drupalscan.inventory import model
from drupalscan.inventory.store import Store

DATA = Path(__file__).parent / "data"
SERVED = {
    # project name -> saved document (its short_name is rewritten to match)
    "ctools": "aaa_update_test.8.x-1.2.xml",
    "image_resize_filter": "aaa_update_test.no-releases.xml",
    "admin_menu": "aaa_update_test.1_0-unsupported.xml",
    "webform": "aaa_update_test.core_compatibility.8.x-1.2_8.x-2.2.xml",
}


@pytest.fixture
def release_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            hits.append(self.path)
            parts = self.path.strip("/").split("/")
            name = parts[1] if len(parts) == 3 and parts[0] == "release-history" else ""
            if name not in SERVED or parts[2] != "current":
                self.send_response(404)
                self.end_headers()
                return
            body = (DATA / SERVED[name]).read_text()
            body = body.replace(
                "<short_name>aaa_update_test</short_name>", f"<short_name>{name}</short_name>"
            )
            raw = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/release-history", hits
    finally:
        server.shutdown()
        server.server_close()


def _run(store: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--store", str(store), *args])
    return result.exit_code, result.stdout, result.stderr


def test_refresh_named_projects_caches_and_overrides(tmp_path: Path, release_server) -> None:  # type: ignore[no-untyped-def]
    base, hits = release_server
    store = tmp_path / "s.db"
    code, out, err = _run(
        store, "kb", "refresh", "ctools", "image_resize_filter", "nosuch", "--url", base
    )
    assert code == 0, err
    assert "ctools" in out and "has_release" in out
    assert "nosuch" in out and "not refreshed: HTTP 404" in out
    assert "2 of 3 project(s) refreshed" in err
    assert hits == [
        f"/release-history/{p}/current" for p in ("ctools", "image_resize_filter", "nosuch")
    ]
    with Store(store) as opened:
        cached = opened.kb_entries()
    assert set(cached) == {"ctools", "image_resize_filter"}
    data, fetched_at = cached["ctools"]
    assert data["d8_majors"] and fetched_at > 0
    assert data["sources"][0]["path"] == "/release-history/ctools/current"
    # The cache is used over the bundled data from now on.
    code, out, _ = _run(store, "kb", "show", "CTools", "--json")
    shown = json.loads(out)
    assert shown["d8_majors"] == data["d8_majors"]
    assert shown["refreshed_at"] is not None
    assert "release-history/ctools/current" in shown["source"]


def test_refresh_defaults_to_projects_in_the_store(tmp_path: Path, release_server) -> None:  # type: ignore[no-untyped-def]
    base, hits = release_server
    db = tmp_path / "s.db"
    with Store(db) as store:
        store.put_site(
            model.Site(
                id="s",
                source="/s",
                origin="docroot",
                modules=[
                    model.Module(name="webform", type="contrib", project="webform"),
                    model.Module(name="webform_ui", type="contrib", project="webform"),
                    model.Module(name="admin_menu", type="contrib", project="admin_menu"),
                    model.Module(name="node", type="core", project="drupal"),
                    model.Module(name="comms_news", type="custom"),
                ],
            )
        )
    code, out, err = _run(db, "kb", "refresh", "--url", base)
    assert code == 0, err
    assert sorted(hits) == [
        "/release-history/admin_menu/current",
        "/release-history/webform/current",
    ]
    with Store(db) as store:
        cached = store.kb_entries()
    # admin_menu was replaced (admin_toolbar): a release listing cannot undo that.
    assert cached["admin_menu"][0]["status"] == "replaced"
    assert cached["webform"][0]["status"] == "has_release"


def test_refresh_unreachable_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, _, err = _run(
        tmp_path / "s.db",
        "kb",
        "refresh",
        "ctools",
        "--url",
        f"http://127.0.0.1:{port}/rh",
        "--timeout",
        "2",
    )
    assert code == 2
    assert "reached no release history" in err and "Traceback" not in err


def test_refresh_with_nothing_to_do(tmp_path: Path) -> None:
    code, _, err = _run(tmp_path / "s.db", "kb", "refresh")
    assert code == 2 and "no project to refresh" in err
