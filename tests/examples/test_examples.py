"""Tests of the bundled example sites and the server that serves them.

The examples are what the demo and many other tests stand on, so these tests pin what
they contain (tables, counts, secrets that leak tests look for) and how the servers
behave (status codes, headers, redirects), and check that the committed builder output
is what the builder makes.
"""

from __future__ import annotations

import importlib.util
import socket
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
import requests

from drupalscan.examples import server
from drupalscan.examples.server import (
    EXAMPLES_DIR,
    example_database,
    example_docroot,
    example_sources,
    serve_examples,
)

REPO = Path(__file__).resolve().parents[2]
BUILDER = REPO / "fixtures" / "build_comms.py"
SOURCES = REPO / "tools" / "kb-sources"
TIMEOUT = 5


def _load_builder() -> ModuleType:
    """Import fixtures/build_comms.py, which is a script and not part of the package."""
    spec = importlib.util.spec_from_file_location("build_comms", BUILDER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_comms"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    """The builder module (its constants name the secrets and the site)."""
    return _load_builder()


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    """A read-only connection to the committed comms.sqlite."""
    con = sqlite3.connect(f"file:{example_database()}?mode=ro", uri=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    """Both HTTP examples, served for the whole module."""
    with serve_examples() as served:
        yield served


LOCAL = requests.Session()
LOCAL.trust_env = False  # loopback only: never through an http_proxy from the environment


def get(url: str, method: str = "GET") -> requests.Response:
    """One request without following redirects."""
    return LOCAL.request(method, url, allow_redirects=False, timeout=TIMEOUT)


# -- layout and package ---------------------------------------------------------------


def test_examples_package_is_the_fixture_folder() -> None:
    assert EXAMPLES_DIR == (REPO / "fixtures" / "sites").resolve()
    assert (EXAMPLES_DIR / "northwind_hr" / "index.html").is_file()
    assert (EXAMPLES_DIR / "facilities" / "index.html").is_file()
    assert example_docroot().is_dir()
    assert example_database().is_file()


def test_no_file_names_that_break_wheels_or_windows() -> None:
    bad = [
        p
        for p in EXAMPLES_DIR.rglob("*")
        if any(ch in p.name for ch in '?*:<>|"') or p.name.startswith(".")
    ]
    assert bad == []


def test_example_sources_adds_the_docroot() -> None:
    sources = example_sources({"northwind_hr": "http://127.0.0.1:1"})
    assert sources == {"northwind_hr": "http://127.0.0.1:1", "comms": str(example_docroot())}


def test_hr_test_data_is_outside_the_shipped_examples() -> None:
    data = REPO / "fixtures" / "northwind"
    for name in ("FACTS.json", "pm-list.json", "northwind.sql.gz", "info/modules/node/node.info"):
        assert (data / name).is_file(), name
    assert not (EXAMPLES_DIR / "northwind" / "FACTS.json").exists()


# -- the comms docroot ------------------------------------------------------------------


def test_docroot_is_drupal_7_98() -> None:
    root = example_docroot()
    assert "define('VERSION', '7.98');" in (root / "includes/bootstrap.inc").read_text()
    assert (root / "CHANGELOG.txt").read_text().startswith("Drupal 7.98, 2023-06-07")
    node_info = (root / "modules/node/node.info").read_text()
    assert 'version = "7.98"' in node_info and "7.79" not in node_info
    for rel in ("index.php", "misc/drupal.js", "robots.txt", "themes/bartik/bartik.info"):
        assert (root / rel).is_file(), rel


def test_docroot_layout_traps(builder: ModuleType) -> None:
    root = example_docroot()
    views = root / "sites/all/modules/contrib/views"
    assert (views / "PATCHES.txt").is_file() and list(views.glob("*.patch"))
    assert (root / "sites/all/modules/contrib/token/token.info").is_file()
    assert (root / "sites/default/modules/token/token.info").is_file()
    assert (root / "sites/all/modules/contrib/date/date_popup/date_popup.info").is_file()
    custom = root / "sites/all/modules/custom/comms_news"
    code = "".join(
        (custom / f).read_text()
        for f in ("comms_news.module", "comms_news.install", "comms_news.admin.inc")
    )
    for api in (
        "hook_menu",
        "variable_get(",
        "db_query(",
        "db_select(",
        "drupal_goto(",
        "$_GET['q']",
        "drupal_add_js(",
        "theme('",
        "node_load(",
    ):
        needle = api.replace("hook_", "comms_news_") if api.startswith("hook_") else api
        assert needle in code, api
    theme = root / "sites/all/themes/comms"
    info = (theme / "comms.info").read_text()
    assert "engine = phptemplate" in info and "base theme = bartik" in info
    assert (theme / "templates/node--news.tpl.php").is_file()
    assert (root / "sites/events.northwind.example/settings.php").is_file()
    assert "$sites['" in (root / "sites/sites.php").read_text()


def test_settings_hold_the_secrets_leak_tests_look_for(builder: ModuleType) -> None:
    settings = (example_docroot() / "sites/default/settings.php").read_text()
    assert builder.DB_PASSWORD == "N0rthw1nd-Sup3r-S3cret!"
    assert builder.DB_PASSWORD in settings
    assert f"$drupal_hash_salt = '{builder.HASH_SALT}';" in settings
    assert builder.HASH_SALT == "hash-salt-9f8e7d6c5b4a"


# -- the comms database -----------------------------------------------------------------


def test_database_tables(db: sqlite3.Connection) -> None:
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    expected = {
        "system",
        "node_type",
        "field_config",
        "field_config_instance",
        "node",
        "node_revision",
        "taxonomy_vocabulary",
        "taxonomy_term_data",
        "users",
        "role",
        "users_roles",
        "variable",
        "filter_format",
        "filter",
        "menu_custom",
        "languages",
        "block",
        "url_alias",
        "field_data_body",
        "field_data_field_news_source",
    }
    assert expected <= tables


def test_database_counts(db: sqlite3.Connection) -> None:
    by_type = dict(db.execute("SELECT type, COUNT(*) FROM node GROUP BY type"))
    assert by_type == {"article": 60, "page": 25, "news": 180, "event": 70, "press_release": 40}
    assert db.execute("SELECT COUNT(*) FROM users WHERE uid = 0").fetchone() == (1,)
    assert db.execute("SELECT COUNT(*) FROM users").fetchone() == (13,)
    assert db.execute("SELECT COUNT(*) FROM node_type").fetchone() == (5,)
    php = db.execute("SELECT COUNT(*) FROM field_data_body WHERE body_format = 'php_code'")
    assert php.fetchone() == (1,)


def test_news_has_other_fields_than_the_hr_site(db: sqlite3.Connection) -> None:
    news = {
        r[0]
        for r in db.execute(
            "SELECT field_name FROM field_config_instance "
            "WHERE entity_type = 'node' AND bundle = 'news'"
        )
    }
    assert news == {"body", "field_news_category", "field_tags", "field_image", "field_news_source"}
    types = dict(db.execute("SELECT field_name, type FROM field_config"))
    assert types["field_news_source"] == "link_field"
    assert types["field_press_sections"] == "field_collection"
    assert types["field_event_date"] == "datetime"


def test_system_table(db: sqlite3.Connection) -> None:
    rows = {
        name: (filename, status, schema)
        for filename, name, status, schema in db.execute(
            "SELECT filename, name, status, schema_version FROM system"
        )
    }
    assert rows["php"][1:] == (1, 0)
    assert rows["views"][1] == 1 and rows["imce"][1] == 0 and rows["imce"][2] >= 0
    assert rows["webform"][1:] == (0, -1)
    # Drupal 7 prefers the site directory's copy of a module over sites/all.
    assert rows["token"][0] == "sites/default/modules/token/token.module"
    info = db.execute("SELECT info FROM system WHERE name = 'views'").fetchone()[0]
    assert info.startswith(b"a:") and b's:7:"version";s:8:"7.x-3.24";' in info


def test_variables_are_php_serialized(db: sqlite3.Connection) -> None:
    values = dict(db.execute("SELECT name, value FROM variable"))
    assert values["site_name"] == b's:24:"Northwind Communications";'
    assert values["theme_default"] == b's:5:"comms";'
    assert values["language_default"].startswith(b'O:8:"stdClass":')


def test_php_serialize_counts_utf8_bytes(builder: ModuleType) -> None:
    assert builder.php_serialize("Español") == 's:8:"Español";'
    assert builder.php_serialize(["a", {"b": True}]) == 'a:2:{i:0;s:1:"a";i:1;a:1:{s:1:"b";b:1;}}'
    assert builder.php_serialize({"7": None}) == "a:1:{i:7;N;}"


# -- the builder ------------------------------------------------------------------------


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_builder_is_deterministic_and_committed_output_is_current(
    builder: ModuleType, tmp_path: Path
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    builder.build(SOURCES, first)
    builder.build(SOURCES, second)
    assert _files(first) == _files(second)
    # The committed docroot is exactly what the builder writes now.
    assert _files(first / "docroot") == _files(example_docroot())

    # The database is compared by content: its header records the SQLite library version.
    def dump(path: Path) -> list[str]:
        con = sqlite3.connect(path)
        try:
            return list(con.iterdump())
        finally:
            con.close()

    assert dump(first / "comms.sqlite") == dump(example_database())


# -- the HR site server -------------------------------------------------------------------


def test_servers_bind_to_loopback_only(urls: dict[str, str]) -> None:
    assert set(urls) == set(server.HTTP_EXAMPLES)
    for url in urls.values():
        assert urlsplit(url).hostname == "127.0.0.1"


def test_front_page_has_drupal_headers(urls: dict[str, str]) -> None:
    base = urls["northwind_hr"]
    r = get(base + "/")
    assert r.status_code == 200
    assert r.headers["X-Generator"] == "Drupal 7 (https://www.drupal.org)"
    assert r.headers["X-Drupal-Cache"] == "HIT"
    assert r.headers["Content-Language"] == "en"
    assert r.headers["Last-Modified"] and r.headers["Etag"]
    assert f'<{base}/>; rel="canonical"' in r.headers["Link"]
    assert "Server" not in r.headers
    assert "127.0.0.1:8708" not in r.text and f"{base}/misc/drupal.js" in r.text


def test_clean_urls_and_shortlinks(urls: dict[str, str]) -> None:
    base = urls["northwind_hr"]
    r = get(base + "/about-us")
    assert r.status_code == 200 and "About Northwind" in r.text
    assert f'<{base}/node/1>; rel="shortlink"' in r.headers["Link"]
    assert get(base + "/careers?utm=x").status_code == 200
    assert get(base + "/about-us.html").status_code == 404


def test_redirects_as_on_the_live_site(urls: dict[str, str]) -> None:
    base = urls["northwind_hr"]
    for path in ("/node/7", "/hr/handbook"):
        r = get(base + path)
        assert r.status_code == 301
        assert r.headers["Location"] == f"{base}/policies/code-of-conduct"
    assert get(base + "/node?page=1").headers["Location"] == f"{base}/?page=1"
    r = LOCAL.get(base + "/node/7", timeout=TIMEOUT)
    assert r.status_code == 200 and r.url == f"{base}/policies/code-of-conduct"


def test_forbidden_and_not_found(urls: dict[str, str]) -> None:
    base = urls["northwind_hr"]
    r = get(base + "/sites/all/modules/ctools/ctools.info")
    assert r.status_code == 403 and "iso-8859-1" in r.headers["Content-Type"]
    assert (
        get(base + "/sites/all/modules/custom/northwind_hr/northwind_hr.module").status_code == 403
    )
    assert get(base + "/misc/").status_code == 403
    r = get(base + "/hr-portal")
    assert r.status_code == 403 and "Access denied" in r.text
    r = get(base + "/no/such/page")
    assert r.status_code == 404
    assert r.headers["X-Generator"].startswith("Drupal 7")
    assert "Page not found" in r.text and "/no/such/page" in r.text
    assert get(base + "/headers.txt").status_code == 404


def test_static_files_and_placeholders(urls: dict[str, str]) -> None:
    base = urls["northwind_hr"]
    r = get(base + "/CHANGELOG.txt")
    assert r.status_code == 200 and r.text.startswith("Drupal 7.79, 2021-04-07")
    assert r.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert "X-Generator" not in r.headers
    assert get(base + "/robots.txt").status_code == 200
    r = get(base + "/misc/drupal.js?tp1qhh")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/javascript"
    assert r.text == "/* placeholder for misc/drupal.js */\n"
    r = get(base + "/themes/garland/style.css?tp1qhh")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/css"
    assert get(base + "/misc/not-a-real-file.js").status_code == 404
    r = get(base + "/sitemap.xml")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/xml")
    assert f"<loc>{base}/careers</loc>" in r.text


def test_head_matches_get(urls: dict[str, str]) -> None:
    base = urls["northwind_hr"]
    head = get(base + "/careers", method="HEAD")
    full = get(base + "/careers")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(full.content))


# -- the static intranet -------------------------------------------------------------------


def test_facilities_is_plain_static(urls: dict[str, str]) -> None:
    base = urls["facilities"]
    r = get(base + "/")
    assert r.status_code == 200
    assert r.headers["Server"].startswith("Apache")
    assert "X-Generator" not in r.headers
    assert 'content="Microsoft FrontPage 6.0"' in r.text
    assert get(base + "/buildings").headers["Location"] == f"{base}/buildings/"
    assert get(base + "/workplace/lockers.html").status_code == 404  # the broken link
    assert get(base + "/docs/evacuation-plan.pdf").headers["Content-Type"] == "application/pdf"
    sitemap = get(base + "/sitemap.xml").text
    assert f"<loc>{base}/buildings/index.html</loc>" in sitemap
    assert get(base + "/index.html?session=1").status_code == 200


# -- lifecycle --------------------------------------------------------------------------


def test_servers_stop_cleanly_and_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    with serve_examples(["facilities"]) as served:
        assert list(served) == ["facilities"]
        url = served["facilities"]
        assert get(url + "/missing").status_code == 404
    port = urlsplit(url).port
    assert port is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_unknown_example_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown example"), serve_examples(["nope"]):
        pass
