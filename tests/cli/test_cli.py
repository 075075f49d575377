"""Every command on the example client, and the clear-error paths."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from drupalscan.cli import main
from tests.conftest import COMMS_DB, COMMS_DOCROOT, NORTHWIND

SECRETS = ("N0rthw1nd-Sup3r-S3cret!", "hash-salt-9f8e7d6c5b4a", "Ev3nts-Db-Pa55w0rd!")


def run(*args: str, store: Path, input: str | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["--store", str(store), "-q", *args], input=input)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def scanned(tmp_path: Path) -> Path:
    store = tmp_path / "s.db"
    code, out, err = run("scan", str(COMMS_DOCROOT), "--db", f"sqlite:///{COMMS_DB}", store=store)
    assert code == 0, err
    return store


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for command in ("scan", "crawl", "check", "plan", "report", "rules", "demo", "kb"):
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout, command


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "drupalscan" in result.stdout


def test_scan_json_contract(tmp_path: Path) -> None:
    code, out, err = run(
        "scan",
        str(COMMS_DOCROOT),
        "--db",
        f"sqlite:///{COMMS_DB}",
        "--json",
        store=tmp_path / "s.db",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["schema_version"] == 1
    (site,) = data["sites"]
    assert site["kind"] == "drupal7" and site["core_version"] == "7.98"
    assert site["source"] == str(COMMS_DOCROOT.resolve())
    mod = next(m for m in site["modules"] if m["name"] == "views")
    assert {
        "name",
        "project",
        "version",
        "type",
        "enabled",
        "dependencies",
        "path",
        "status",
    } <= set(mod)
    assert mod["type"] == "contrib" and mod["enabled"] is True and mod["status"] == "in_core"
    theme = next(t for t in site["themes"] if t["name"] == "comms")
    assert theme["type"] == "custom" and theme["base_theme"] == "bartik"
    news = next(c for c in site["content_types"] if c["name"] == "news")
    assert news["count"] > 0 and {"name", "type", "module"} <= set(news["fields"][0])
    assert not any(s in out for s in SECRETS)


def test_scan_is_idempotent(scanned: Path) -> None:
    code, _, _ = run("scan", str(COMMS_DOCROOT), "--db", f"sqlite:///{COMMS_DB}", store=scanned)
    assert code == 0
    import sqlite3

    with sqlite3.connect(scanned) as db:
        assert db.execute("select count(*) from sites").fetchone()[0] == 1


def test_scan_with_drush_and_dump(tmp_path: Path, northwind_docroot: Path) -> None:
    code, out, err = run(
        "scan",
        str(northwind_docroot),
        "--drush",
        str(NORTHWIND / "pm-list.json"),
        "--json",
        store=tmp_path / "a.db",
    )
    assert code == 0, err
    mods = {m["name"]: m for m in json.loads(out)["sites"][0]["modules"]}
    assert mods["views_content"]["enabled"] is False and mods["ctools"]["enabled"] is True
    assert mods["masquerade"]["enabled"] is False
    code, out, err = run(
        "scan",
        str(northwind_docroot),
        "--db",
        str(NORTHWIND / "northwind.sql.gz"),
        "--json",
        store=tmp_path / "b.db",
    )
    assert code == 0, err
    site = json.loads(out)["sites"][0]
    assert site["name"] == "Northwind HR Intranet"
    assert {c["name"] for c in site["content_types"]} == {
        "article",
        "page",
        "policy",
        "job_posting",
        "news",
    }


def test_check_json_and_table(scanned: Path) -> None:
    code, out, err = run("check", "--json", store=scanned)
    assert code == 0, err
    data = json.loads(out)
    assert data["schema_version"] == 1 and data["findings"]
    f = data["findings"][0]
    assert {"rule", "severity", "site", "subject", "message", "evidence", "effort_hours"} <= set(f)
    assert {"kind", "name"} <= set(f["subject"]) and {"low", "high"} <= set(f["effort_hours"])
    rules = {f["rule"] for f in data["findings"]}
    assert {
        "D7-SITE-001",
        "D7-CUS-003",  # comms_news is under 500 lines
        "D7-THM-001",
        "D7-MOD-008",
        "D7-MOD-007",
        "D7-API-001",
    } <= rules
    code, out, _ = run("check", "--select", "D7-SITE-001", store=scanned)
    assert code == 0 and "D7-SITE-001" in out and "D7-CUS-001" not in out
    code, _, _ = run("check", "--fail-on", "blocker", store=scanned)
    assert code == 1


def test_report_formats(scanned: Path, tmp_path: Path) -> None:
    for fmt, name in (("html", "r.html"), ("json", "r.json"), ("md", "r.md"), ("csv", "csvdir")):
        code, out, err = run("report", "--format", fmt, "-o", str(tmp_path / name), store=scanned)
        assert code == 0, err
    data = json.loads((tmp_path / "r.json").read_text())
    assert {"schema_version", "sites", "findings", "plan"} <= set(data)
    assert {"target", "content_model", "waves", "effort_hours", "risks"} <= set(data["plan"])
    assert sorted(p.name for p in (tmp_path / "csvdir").iterdir()) == [
        "findings.csv",
        "modules.csv",
        "pages.csv",
        "redirects.csv",
    ]
    for path in [
        tmp_path / "r.html",
        tmp_path / "r.json",
        tmp_path / "r.md",
        *(tmp_path / "csvdir").iterdir(),
        scanned,
    ]:
        blob = path.read_bytes()
        for secret in SECRETS:
            assert secret.encode() not in blob, (path, secret)


def test_rules_list_and_explain(tmp_path: Path) -> None:
    code, out, _ = run("rules", store=tmp_path / "s.db")
    assert code == 0 and "D7-MOD-001" in out and "D7-SITE-001" in out
    code, out, _ = run("rules", "d7-site-001", store=tmp_path / "s.db")
    assert code == 0 and "PHP filter" in out and "https://" in out
    code, _, err = run("rules", "D7-XXX-999", store=tmp_path / "s.db")
    assert code == 2 and "no rule" in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "/no/such/docroot"], "no such file or directory"),
        (["scan", "{tmp}"], "not a Drupal docroot"),
        (["scan", "{comms}", "--db", "sqlite:///{tmp}/garbage.sqlite"], "garbage.sqlite"),
        (["scan", "{comms}", "--db", "sqlite:///{tmp}/nothere.sqlite"], "nothere.sqlite"),
        (["crawl", "http://127.0.0.1:{port}/"], "127.0.0.1"),
        (["crawl", "not-a-url"], "not a URL"),
        (["plan", "/no/such/thing"], "no such file or directory"),
        (["report"], "no store at"),
        (["check"], "no store at"),
        (["--config", "{tmp}/missing.toml", "plan", "{comms}"], "no such config file"),
    ],
)
def test_clear_errors(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "garbage.sqlite").write_bytes(b"garbage" * 500)
    subst = {"tmp": str(tmp_path), "comms": str(COMMS_DOCROOT), "port": str(free_port())}
    argv = [a.format(**subst) for a in args]
    code, out, err = run(*argv, store=tmp_path / "s.db")
    assert code == 2, (argv, out, err)
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_store_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite" * 100)
    code, _, err = run("rules", store=bad)
    assert code == 0  # rules do not need the store
    code, _, err = run("report", store=bad)
    assert code == 2 and "not a usable drupalscan store" in err


def test_demo_writes_report(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    code, stdout, err = run("demo", "-o", str(out), store=tmp_path / "d.db")
    assert code == 0, err
    assert str(out) in stdout
    html = out.read_text()
    for name in ("Northwind Communications", "Northwind HR Intranet", "Facilities"):
        assert name in html
    assert "Drupal 7" in html and "7.79" in html and "7.98" in html
    kit = tmp_path / "starter-kit"
    assert str(kit) in stdout and (kit / "composer.json").is_file()
    assert "(../demo.html#site-" in (kit / "README.md").read_text()
    # The kit on its own, again over the demo's store: an edited file stops it.
    code, stdout, err = run("scaffold", "-o", str(kit), store=tmp_path / "d.db")
    assert code == 0 and "files written" in stdout, err
    (kit / "composer.json").write_text("{}\n")
    code, _, err = run("scaffold", "-o", str(kit), store=tmp_path / "d.db")
    assert code == 2 and err.count("\n") == 1 and "composer.json" in err and "--force" in err
    assert (kit / "composer.json").read_text() == "{}\n"


def test_crawl_and_plan_over_http_and_docroot(tmp_path: Path) -> None:
    from drupalscan.examples.server import serve_examples

    store = tmp_path / "p.db"
    with serve_examples(["northwind_hr", "facilities"]) as urls:
        code, out, err = run(
            "crawl",
            urls["facilities"],
            "--json",
            "--max-pages",
            "50",
            "--parse-processes",
            "1",
            store=store,
        )
        assert code == 0, err
        (site,) = json.loads(out)["sites"]
        assert site["kind"] == "static" and site["pages"] > 10
        assert {
            "source",
            "kind",
            "core_version",
            "core_candidates",
            "modules",
            "themes",
            "pages",
            "templates",
            "broken_links",
        } <= set(site)
        code, out, err = run(
            "plan",
            urls["northwind_hr"],
            str(COMMS_DOCROOT),
            "--db",
            f"sqlite:///{COMMS_DB}",
            "--ignore-robots",
            "--format",
            "json",
            "-o",
            str(tmp_path / "plan.json"),
            store=store,
        )
        assert code == 0, err
    data = json.loads((tmp_path / "plan.json").read_text())
    kinds = sorted(s["kind"] for s in data["sites"])
    assert kinds == ["drupal7", "drupal7", "static"]
    hr = next(s for s in data["sites"] if s["name"] == "Northwind HR Intranet")
    assert hr["core_version"] == "7.79"
    plan = data["plan"]
    assert plan["waves"]
    for wave in plan["waves"]:
        assert {"index", "sites", "modules", "content_types", "effort_hours"} <= set(wave)
    actions = {m["action"] for m in plan["target"]["modules"]}
    assert {"keep_core", "rewrite"} <= actions
    for mod in plan["target"]["modules"]:
        assert {"name", "action", "source_sites"} <= set(mod)
    # The crawled HR site's `news` pages and the Comms site's `news` type meet.
    news = next(u for u in plan["content_model"] if u["name"] == "news")
    assert {src["site"] for src in news["sources"]} == {
        s["id"] for s in data["sites"] if s["kind"] == "drupal7"
    }
    for unified in plan["content_model"]:
        assert {"name", "sources", "conflicts"} <= set(unified)
        assert all({"site", "type", "field_map"} <= set(src) for src in unified["sources"])
    assert plan["redirects"], "crawled pages get a redirect map"
    # Re-planning from the store alone (no sources) gives the same plan.
    code, out, err = run(
        "plan", "--format", "json", "-o", str(tmp_path / "again.json"), store=store
    )
    assert code == 0, err
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["plan"]["effort_hours"] == plan["effort_hours"]


def test_scan_with_drush_status(tmp_path: Path, northwind_docroot: Path) -> None:
    status = tmp_path / "status.json"
    status.write_text(
        json.dumps(
            {
                "drupal-version": "7.79",
                "site-name": "Northwind HR Intranet",
                "db-driver": "mysql",
                "db-password": "hunter2-never-shown",
                "drush-version": "8.4.12",
                "root": "/var/www/html",
            }
        )
    )
    code, out, err = run(
        "scan",
        str(northwind_docroot),
        "--drush",
        str(status),
        "--drush",
        str(NORTHWIND / "pm-list.json"),
        "--json",
        store=tmp_path / "s.db",
    )
    assert code == 0, err
    site = json.loads(out)["sites"][0]
    assert site["name"] == "Northwind HR Intranet"
    assert any(e["kind"] == "drush" for e in site["kind_evidence"])
    assert "hunter2-never-shown" not in out
    assert b"hunter2-never-shown" not in (tmp_path / "s.db").read_bytes()


def test_not_a_drupal_database_is_a_clear_error(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("create table customers (id integer primary key, name text)")
    code, _, err = run(
        "scan", str(COMMS_DOCROOT), "--db", f"sqlite:///{other}", store=tmp_path / "s.db"
    )
    assert code == 2 and "not a Drupal 7 database" in err
    # The codebase stage was committed before the database failed.
    from drupalscan.inventory.store import Store

    with Store(tmp_path / "s.db") as store:
        (site,) = store.sites()
    assert site.collected == ["codebase"] and site.modules


def test_auth_and_authorization_header_conflict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUPALSCAN_PASSWORD", "pw")
    code, _, err = run(
        "crawl",
        "http://127.0.0.1:9/",
        "--auth",
        "u",
        "--header",
        "Authorization: Bearer x",
        store=tmp_path / "s.db",
    )
    assert code == 2 and "conflict" in err


def test_config_beside_the_store_is_found(tmp_path: Path, scanned: Path) -> None:
    (scanned.parent / "drupalscan.toml").write_text(
        '[report]\nclient = "Acme Client"\nagency = "Acme Digital"\n'
        '[cost]\nrate = 100\ncurrency = "GBP"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = elsewhere / "r.json"
    import os

    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        code, _, err = run("report", "--format", "json", "-o", str(out), store=scanned)
    finally:
        os.chdir(cwd)
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["client"] == "Acme Client" and data["plan"]["cost"]["currency"] == "GBP"


def test_read_commands_do_not_create_a_store(tmp_path: Path) -> None:
    for args in (["report"], ["check"], ["plan"]):
        code, _, err = run(*args, store=tmp_path / "typo.db")
        assert code == 2 and "no store at" in err
    assert not (tmp_path / "typo.db").exists()


def test_unknown_rule_ids_are_refused(scanned: Path) -> None:
    code, _, err = run("check", "--ignore", "D7-NOPE-1", store=scanned)
    assert code == 2 and "unknown rule id" in err
    code, out, _ = run("check", "--select", "d7-site-001", store=scanned)
    assert code == 0 and "D7-SITE-001" in out


def test_console_entry_point_prints_one_line_usage_errors(tmp_path: Path) -> None:
    import subprocess
    import sys

    from drupalscan.inventory.store import Store

    Store(tmp_path / "s.db").close()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from drupalscan.cli import run; run()",
            "--store",
            str(tmp_path / "s.db"),
            "report",
            "--format",
            "hmtl",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "hmtl" in proc.stderr
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from drupalscan.cli import run; run()",
            "--store",
            str(tmp_path / "s.db"),
            "report",
            "--format",
            "JSON",
            "-o",
            str(tmp_path / "missing" / "r.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "does not exist" in proc.stderr


def test_demo_settings_survive_a_re_render(tmp_path: Path) -> None:
    store = tmp_path / "d.db"
    code, _, err = run("demo", "-o", str(tmp_path / "demo.html"), store=store)
    assert code == 0, err
    assert (tmp_path / "drupalscan.toml").is_file()
    code, _, err = run(
        "report", "--format", "json", "-o", str(tmp_path / "again.json"), store=store
    )
    assert code == 0, err
    data = json.loads((tmp_path / "again.json").read_text())
    assert data["client"] == "Northwind Traders"
    assert data["plan"]["cost"]["currency"] == "EUR" and data["plan"]["cost"]["rate"] == 110
    # A consultant's own drupalscan.toml beside the store is never overwritten.
    (tmp_path / "drupalscan.toml").write_text('[report]\nclient = "Mine"\n')
    code, _, err = run("demo", "-o", str(tmp_path / "demo2.html"), store=store)
    assert code == 0, err
    assert (tmp_path / "drupalscan.toml").read_text() == '[report]\nclient = "Mine"\n'
    assert "Mine" in (tmp_path / "demo2.html").read_text()


def test_logo_is_inlined(tmp_path: Path, scanned: Path) -> None:
    logo = scanned.parent / "acme.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10"/></svg>'
    )
    (scanned.parent / "drupalscan.toml").write_text(f'[report]\nagency = "Acme"\nlogo = "{logo}"\n')
    code, _, err = run("report", "-o", str(tmp_path / "r.html"), store=scanned)
    assert code == 0, err
    html = (tmp_path / "r.html").read_text()
    assert 'src="data:image/svg+xml;base64,' in html and str(logo) not in html
    (scanned.parent / "drupalscan.toml").write_text(
        '[report]\nlogo = "%s"\n' % (tmp_path / "none.png")
    )
    code, _, err = run("report", "-o", str(tmp_path / "r2.html"), store=scanned)
    assert code == 2 and "no such file" in err


def test_failed_database_stage_is_redone_by_plan(tmp_path: Path) -> None:
    """scan --db BAD keeps the codebase; a later plan --db GOOD must add the database."""
    store = tmp_path / "s.db"
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"not sqlite" * 100)
    code, _, _ = run("scan", str(COMMS_DOCROOT), "--db", f"sqlite:///{bad}", store=store)
    assert code == 2
    code, _, err = run(
        "plan",
        str(COMMS_DOCROOT),
        "--db",
        f"sqlite:///{COMMS_DB}",
        "--format",
        "json",
        "-o",
        str(tmp_path / "p.json"),
        store=store,
    )
    assert code == 0, err
    (site,) = json.loads((tmp_path / "p.json").read_text())["sites"]
    assert "database" in site["collected"]
    assert {c["name"] for c in site["content_types"]} >= {"news", "press_release"}
