"""The database reader: the real Northwind dump, SQLite builds and the errors.

The MariaDB and PostgreSQL routes are in ``test_database_servers.py``; they
reuse the builders and the dump fixture defined here.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from drupalscan.collect.database import DatabaseFacts, field_targets, is_secret, read_database
from drupalscan.collect.dbsource import DatabaseError, scrub_url

from .test_phpserial import php_serialize

NORTHWIND = Path(__file__).parents[2] / "fixtures" / "northwind"
DUMP = NORTHWIND / "northwind.sql.gz"


@pytest.fixture(scope="module")
def facts() -> dict[str, Any]:
    return json.loads((NORTHWIND / "FACTS.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dump_facts() -> DatabaseFacts:
    return read_database(str(DUMP))


# -- a small Drupal 7 schema, for SQLite and PostgreSQL -----------------------

# table -> (columns as (name, kind)), kind: int | text | blob
D7_SCHEMA: dict[str, list[tuple[str, str]]] = {
    "system": [
        ("filename", "text"),
        ("name", "text"),
        ("type", "text"),
        ("owner", "text"),
        ("status", "int"),
        ("bootstrap", "int"),
        ("schema_version", "int"),
        ("weight", "int"),
        ("info", "blob"),
    ],
    "node_type": [
        ("type", "text"),
        ("name", "text"),
        ("base", "text"),
        ("module", "text"),
        ("disabled", "int"),
    ],
    "field_config": [
        ("id", "int"),
        ("field_name", "text"),
        ("type", "text"),
        ("module", "text"),
        ("active", "int"),
        ("data", "blob"),
        ("cardinality", "int"),
        ("deleted", "int"),
    ],
    "field_config_instance": [
        ("id", "int"),
        ("field_id", "int"),
        ("field_name", "text"),
        ("entity_type", "text"),
        ("bundle", "text"),
        ("data", "blob"),
        ("deleted", "int"),
    ],
    "node": [("nid", "int"), ("vid", "int"), ("type", "text"), ("status", "int")],
    "variable": [("name", "text"), ("value", "blob")],
    "users": [("uid", "int"), ("name", "text"), ("pass", "text"), ("status", "int")],
    "role": [("rid", "int"), ("name", "text"), ("weight", "int")],
    "role_permission": [("rid", "int"), ("permission", "text"), ("module", "text")],
    "taxonomy_vocabulary": [("vid", "int"), ("name", "text"), ("machine_name", "text")],
    "taxonomy_term_data": [("tid", "int"), ("vid", "int"), ("name", "text")],
    "filter_format": [("format", "text"), ("name", "text"), ("status", "int"), ("weight", "int")],
    "filter": [
        ("format", "text"),
        ("module", "text"),
        ("name", "text"),
        ("weight", "int"),
        ("status", "int"),
        ("settings", "blob"),
    ],
    "field_data_body": [
        ("entity_type", "text"),
        ("bundle", "text"),
        ("deleted", "int"),
        ("entity_id", "int"),
        ("body_value", "text"),
        ("body_format", "text"),
    ],
}

TAGS_FIELD = {
    "settings": {"allowed_values": [{"vocabulary": "tags", "parent": 0}]},
    "entity_types": [],
    "translatable": 0,
    "storage": {"type": "field_sql_storage", "settings": [], "module": "field_sql_storage"},
}
"""field_config.data of a Drupal 7 term reference field, as core's field UI saves it."""
SECRET = "s3cr3t-private-key-value"


def info(**values: Any) -> bytes:
    return php_serialize({"core": "7.x", "dependencies": [], **values})


def d7_rows() -> dict[str, list[tuple[Any, ...]]]:
    """A tiny but complete-enough Drupal 7 site."""
    text_instance = {"label": "Body", "required": 0, "widget": {"type": "text_textarea"}}
    tags_instance = {"label": "Tags", "required": 1}
    return {
        "system": [
            (
                "modules/system/system.module",
                "system",
                "module",
                "",
                1,
                1,
                7080,
                0,
                info(name="System", version="7.99", package="Core", project="drupal"),
            ),
            (
                "modules/node/node.module",
                "node",
                "module",
                "",
                1,
                1,
                7016,
                0,
                info(name="Node", version="7.99"),
            ),
            (
                "modules/php/php.module",
                "php",
                "module",
                "",
                1,
                0,
                0,
                0,
                info(name="PHP filter", version="7.99"),
            ),
            (
                "modules/forum/forum.module",
                "forum",
                "module",
                "",
                0,
                0,
                -1,
                0,
                info(name="Forum", dependencies=["taxonomy", "comment"]),
            ),
            (
                "sites/all/modules/masquerade/masquerade.module",
                "masquerade",
                "module",
                "",
                0,
                0,
                7001,
                0,
                info(name="Masquerade", version="7.x-1.0-rc7"),
            ),
            (
                "profiles/standard/standard.profile",
                "standard",
                "module",
                "",
                1,
                0,
                0,
                1000,
                info(name="Standard"),
            ),
            (
                "themes/bartik/bartik.info",
                "bartik",
                "theme",
                "themes/engines/phptemplate/phptemplate.engine",
                1,
                0,
                -1,
                0,
                info(name="Bartik"),
            ),
            (
                "themes/engines/phptemplate/phptemplate.engine",
                "phptemplate",
                "theme_engine",
                "",
                0,
                0,
                -1,
                0,
                b"",
            ),
        ],
        "node_type": [
            ("article", "Article", "node_content", "node", 0),
            ("page", "Basic page", "node_content", "node", 0),
            ("blog", "Blog entry", "blog", "blog", 0),
        ],
        "field_config": [
            (1, "body", "text_with_summary", "text", 1, php_serialize({}), 1, 0),
            (
                2,
                "field_tags",
                "taxonomy_term_reference",
                "taxonomy",
                1,
                php_serialize(TAGS_FIELD),
                -1,
                0,
            ),
            (3, "field_old", "text", "text", 1, php_serialize({}), 1, 1),
        ],
        "field_config_instance": [
            (1, 1, "body", "node", "article", php_serialize(text_instance), 0),
            (2, 2, "field_tags", "node", "article", php_serialize(tags_instance), 0),
            (3, 1, "body", "node", "page", php_serialize(text_instance), 0),
            (4, 3, "field_old", "node", "page", php_serialize({"label": "Old"}), 1),
            (5, 1, "body", "comment", "comment_node_article", php_serialize({}), 0),
        ],
        "node": [
            (1, 1, "article", 1),
            (2, 2, "article", 1),
            (3, 3, "article", 0),
            (4, 4, "page", 1),
            (5, 5, "page", 1),
        ],
        "variable": [
            ("site_name", php_serialize("Test site")),
            ("theme_default", php_serialize("bartik")),
            ("clean_url", php_serialize("1")),
            (
                "language_default",
                b'O:8:"stdClass":2:{s:8:"language";s:2:"de";s:4:"name";s:6:"German";}',
            ),
            ("drupal_private_key", php_serialize(SECRET)),
            ("cron_key", php_serialize(SECRET)),
            ("smtp_password", php_serialize(SECRET)),
            ("maintenance_mode", b"i:0"),  # damaged: a warning, not a failure
        ],
        "users": [
            (0, "", "", 0),
            (1, "admin", "$S$hash", 1),
            (2, "editor", "$S$hash", 1),
            (3, "gone", "$S$hash", 0),
        ],
        "role": [(1, "anonymous user", 0), (2, "authenticated user", 1), (3, "administrator", 2)],
        "role_permission": [
            (2, "access content", "node"),
            (3, "administer nodes", "node"),
            (3, "access content", "node"),
        ],
        "taxonomy_vocabulary": [(1, "Tags", "tags"), (2, "Sections", "sections")],
        "taxonomy_term_data": [(1, 1, "a"), (2, 1, "b"), (3, 2, "c")],
        "filter_format": [
            ("filtered_html", "Filtered HTML", 1, 0),
            ("php_code", "PHP code", 1, 11),
        ],
        "filter": [
            ("filtered_html", "filter", "filter_html", 1, 1, b"a:0:{}"),
            ("filtered_html", "filter", "filter_url", 0, 1, b"a:0:{}"),
            ("filtered_html", "filter", "filter_autop", 2, 0, b"a:0:{}"),
            ("php_code", "php", "php_code", 0, 1, b"a:0:{}"),
        ],
        "field_data_body": [
            ("node", "article", 0, 1, "x", "filtered_html"),
            ("node", "article", 0, 2, "x", "filtered_html"),
            ("node", "article", 0, 3, "x", "filtered_html"),
            ("node", "page", 0, 4, "<?php print 1; ?>", "php_code"),
            ("node", "page", 0, 5, "x", "filtered_html"),
            ("node", "page", 1, 6, "x", "php_code"),  # deleted: not counted
        ],
    }


def build(
    execute: Callable[[str, Iterable[tuple[Any, ...]] | None], None],
    *,
    prefix: str = "",
    placeholder: str = "?",
    blob: str = "BLOB",
    schema: dict[str, list[tuple[str, str]]] = D7_SCHEMA,
    rows: dict[str, list[tuple[Any, ...]]] | None = None,
) -> None:
    """Create and fill the tables through ``execute(sql, rows_or_None)``."""
    kinds = {"int": "INTEGER", "text": "TEXT", "blob": blob}
    data = d7_rows() if rows is None else rows
    for table, cols in schema.items():
        ddl = ", ".join(f'"{name}" {kinds[kind]}' for name, kind in cols)
        execute(f'CREATE TABLE "{prefix}{table}" ({ddl})', None)
        marks = ", ".join([placeholder] * len(cols))
        execute(f'INSERT INTO "{prefix}{table}" VALUES ({marks})', data.get(table, []))


def build_sqlite(path: Path, **kwargs: Any) -> str:
    conn = sqlite3.connect(path)

    def execute(sql: str, rows: Iterable[tuple[Any, ...]] | None) -> None:
        if rows is None:
            conn.execute(sql)
        else:
            conn.executemany(sql, list(rows))

    build(execute, **kwargs)
    conn.commit()
    conn.close()
    return f"sqlite://{path}"


def check_small_site(got: DatabaseFacts) -> None:
    """What d7_rows() must read as, whatever the route."""
    ext = got.extensions
    assert {n: e.state for n, e in ext.items()} == {
        "system": "enabled",
        "node": "enabled",
        "php": "enabled",
        "forum": "not installed",
        "masquerade": "disabled",
        "standard": "enabled",
        "bartik": "enabled",
        "phptemplate": "not installed",
    }
    assert ext["standard"].type == "profile"
    assert ext["bartik"].type == "theme"
    assert ext["phptemplate"].type == "theme_engine"
    assert ext["masquerade"].version == "7.x-1.0-rc7"
    assert ext["masquerade"].filename == "sites/all/modules/masquerade/masquerade.module"
    assert ext["forum"].dependencies == ["taxonomy", "comment"]
    types = {t.name: t for t in got.content_types}
    assert {n: t.count for n, t in types.items()} == {"article": 3, "page": 2, "blog": 0}
    assert [
        (f.name, f.type, f.module, f.label, f.cardinality, f.required)
        for f in types["article"].fields
    ] == [
        ("body", "text_with_summary", "text", "Body", 1, False),
        ("field_tags", "taxonomy_term_reference", "taxonomy", "Tags", -1, True),
    ]
    assert [f.name for f in types["page"].fields] == ["body"]
    # Each role's permissions, so roles of one name on two sites can be compared.
    assert got.permissions == {
        "administrator": ["access content", "administer nodes"],
        "authenticated user": ["access content"],
    }
    # What a field holds comes from its field_config settings.
    assert types["article"].fields[1].references == "taxonomy_term:tags"
    assert types["article"].fields[0].references == ""
    assert types["blog"].module == "blog"
    assert [(v.name, v.label, v.terms) for v in got.vocabularies] == [
        ("sections", "Sections", 1),
        ("tags", "Tags", 2),
    ]
    assert got.counts["nodes"] == 5
    assert got.counts["users"] == 3
    assert got.counts["users_blocked"] == 1
    assert got.counts["roles"] == 3
    assert got.counts["terms"] == 3
    assert "comments" not in got.counts
    assert got.settings["site_name"] == "Test site"
    assert got.settings["theme_default"] == "bartik"
    assert got.settings["clean_url"] is True
    assert got.settings["language_default"] == "de"
    assert got.settings["drupal_version"] == "7.99"
    assert got.settings["drupal_major"] == 7
    assert "maintenance_mode" not in got.settings
    assert any("maintenance_mode" in w for w in got.warnings)
    assert SECRET not in repr(got)
    assert got.languages == ["de"]
    assert got.roles == ["anonymous user", "authenticated user", "administrator"]
    formats = {f["format"]: f for f in got.text_formats}
    assert formats["filtered_html"]["filters"] == ["filter_url", "filter_html"]
    assert formats["filtered_html"]["nodes_using"] == 4
    assert got.php_filter == {
        "module_enabled": True,
        "formats": ["php_code"],
        "nodes_using": 1,
        "comments_using": 0,
    }
    assert got.views is None and got.webforms is None
    for table in ("comment", "url_alias", "menu_custom", "views_view", "webform"):
        assert table in got.missing_tables
    assert "node" not in got.missing_tables


# -- the real dump -------------------------------------------------------------


def test_dump_extensions(dump_facts: DatabaseFacts, facts: dict[str, Any]) -> None:
    ext = dump_facts.extensions
    modules = {n: e for n, e in ext.items() if e.type in ("module", "profile")}
    counts = Counter(e.state for e in modules.values())
    assert counts["enabled"] == facts["modules"]["counts"]["enabled"] == 56
    assert counts["disabled"] == facts["modules"]["counts"]["disabled"] == 2
    assert counts["not installed"] == facts["modules"]["counts"]["not_installed"]
    for module in facts["modules"]["all"]:
        got = modules[module["name"]]
        assert got.state == module["state"], module["name"]
        assert got.schema_version == module["schema_version"], module["name"]
        assert got.filename.startswith(module["path"] + "/"), module["name"]
        assert got.version == module["version"], module["name"]
    assert ext["php"].enabled and ext["php"].state == "enabled"
    assert ext["masquerade"].state == "disabled" and ext["honeypot"].state == "disabled"
    assert ext["globalredirect"].filename.startswith("sites/default/modules/")
    for theme in facts["themes"]["all"]:
        assert ext[theme["name"]].type == "theme"
        assert ext[theme["name"]].enabled == theme["enabled"], theme["name"]
    assert dump_facts.settings["drupal_version"] == facts["core"]["version"]


def test_dump_content_model(dump_facts: DatabaseFacts, facts: dict[str, Any]) -> None:
    types = {t.name: t for t in dump_facts.content_types}
    assert set(types) == set(facts["content_types"])
    for name, expected in facts["content_types"].items():
        got = types[name]
        assert got.label == expected["name"]
        assert got.count == facts["node_counts"][name] == expected["node_count"]
        want = {
            f["field_name"]: (f["type"], f["module"], f["label"], f["cardinality"], f["required"])
            for f in expected["fields"]
        }
        have = {f.name: (f.type, f.module, f.label, f.cardinality, f.required) for f in got.fields}
        assert have == want, name
    assert dump_facts.counts["nodes"] == facts["node_counts"]["total"] == 40
    assert dump_facts.counts["nodes_published"] == facts["node_counts"]["published"]
    assert dump_facts.counts["node_revisions"] == facts["node_counts"]["revisions"]
    vocabs = {v.name: v for v in dump_facts.vocabularies}
    assert {n: v.terms for n, v in vocabs.items()} == {
        n: v["term_count"] for n, v in facts["vocabularies"].items()
    }
    assert {n: v.label for n, v in vocabs.items()} == {
        n: v["name"] for n, v in facts["vocabularies"].items()
    }


def test_dump_people_and_site(dump_facts: DatabaseFacts, facts: dict[str, Any]) -> None:
    counts = dump_facts.counts
    assert counts["users"] == len(facts["users"]) == 9
    assert counts["users_blocked"] == 1
    assert counts["roles"] == len(facts["roles"]) == 6
    assert sorted(dump_facts.roles) == sorted(facts["roles"])
    assert dump_facts.menus == sorted(facts["menus"])
    assert counts["comments"] == facts["comments"]
    assert counts["files"] == facts["files_managed"]
    assert counts["aliases"] == facts["url_aliases"]["count"]
    assert counts["terms"] == 27
    settings = dump_facts.settings
    assert settings["site_name"] == facts["site_name"]
    assert settings["site_slogan"] == facts["site_slogan"]
    assert settings["theme_default"] == facts["themes"]["default"] == "northwind"
    assert settings["admin_theme"] == facts["themes"]["admin"]
    assert settings["clean_url"] is facts["clean_urls"]
    assert settings["install_profile"] == facts["core"]["install_profile"]
    assert settings["language_default"] == "en"
    assert dump_facts.languages == ["en"]
    assert not any(is_secret(k) for k in settings)
    assert dump_facts.views is None and dump_facts.webforms is None
    assert {"views_view", "webform", "languages"} <= set(dump_facts.missing_tables)
    assert dump_facts.warnings == []


def test_dump_text_formats(dump_facts: DatabaseFacts, facts: dict[str, Any]) -> None:
    formats = {f["format"]: f for f in dump_facts.text_formats}
    assert set(formats) == set(facts["text_formats"])
    usage = Counter(n["body_format"] for n in facts["nodes"])
    for name, expected in facts["text_formats"].items():
        assert formats[name]["name"] == expected["name"]
        assert formats[name]["filters"] == expected["filters"]
        assert formats[name]["nodes_using"] == usage.get(name, 0)
    assert formats["php_code"]["status"] == facts["php_filter"]["format"]["status"]
    assert sum(f["comments_using"] for f in formats.values()) == facts["comments"]
    php = dump_facts.php_filter
    assert php["module_enabled"] is True
    assert php["formats"] == ["php_code"]
    assert php["nodes_using"] == len(facts["php_filter"]["nodes_using_php_code_format"]) == 1
    assert php["comments_using"] == 0


def test_dump_has_no_secret_anywhere(dump_facts: DatabaseFacts) -> None:
    text = repr(dump_facts)
    assert "drupal_private_key" not in text and "cron_key" not in text
    # The real private key and cron key values as stored in the dump.
    assert "Northwind-Admin-2020" not in text


def test_dump_read_is_fast_and_repeatable(dump_facts: DatabaseFacts, tmp_path: Path) -> None:
    import gzip
    import shutil

    plain = tmp_path / "dump.sql"
    with gzip.open(DUMP, "rb") as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    assert read_database(str(plain)) == dump_facts
    assert read_database(f"file://{plain}") == dump_facts


# -- SQLite ---------------------------------------------------------------------


def test_sqlite_site(tmp_path: Path) -> None:
    check_small_site(read_database(build_sqlite(tmp_path / "site.sqlite")))


def test_sqlite_plain_path_and_four_slashes(tmp_path: Path) -> None:
    url = build_sqlite(tmp_path / "site.sqlite")
    path = url.removeprefix("sqlite://")
    assert read_database(path) == read_database(url) == read_database(f"sqlite:///{path}")


def test_sqlite_is_opened_read_only(tmp_path: Path) -> None:
    path = tmp_path / "site.sqlite"
    build_sqlite(path)
    before = path.read_bytes()
    read_database(f"sqlite://{path}")
    assert path.read_bytes() == before
    assert not (tmp_path / "site.sqlite-journal").exists()


def test_table_prefix(tmp_path: Path) -> None:
    url = build_sqlite(tmp_path / "site.sqlite", prefix="d7_")
    check_small_site(read_database(url, prefix="d7_"))
    with pytest.raises(DatabaseError, match="no system table"):
        read_database(url)
    with pytest.raises(DatabaseError, match="invalid table prefix"):
        read_database(url, prefix="x; DROP TABLE")


def test_missing_tables_are_not_errors(tmp_path: Path) -> None:
    schema = {t: D7_SCHEMA[t] for t in ("system", "variable")}
    got = read_database(build_sqlite(tmp_path / "s.sqlite", schema=schema))
    assert got.extensions["system"].enabled
    assert got.content_types == [] and got.vocabularies == []
    assert got.counts == {}
    assert "node" in got.missing_tables and "field_config" in got.missing_tables
    assert any("node_type is missing" in w for w in got.warnings)


def test_not_a_drupal_database(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE foo (x INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match=r"is not a Drupal 7 database \(no system table\)"):
        read_database(f"sqlite://{path}")


def test_not_sqlite_and_missing_files(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite"
    text.write_text("just some notes, not a database\n" * 20)
    with pytest.raises(DatabaseError, match="not a readable SQLite database"):
        read_database(f"sqlite://{text}")
    with pytest.raises(DatabaseError, match="not a readable SQL dump"):
        read_database(str(text))
    with pytest.raises(DatabaseError, match="no such file"):
        read_database(f"sqlite://{tmp_path}/absent.sqlite")
    with pytest.raises(DatabaseError, match="no such file"):
        read_database(str(tmp_path / "absent.sql.gz"))
    with pytest.raises(DatabaseError, match="unsupported"):
        read_database("oracle://u:pw@host/db")


def test_drupal6_database(tmp_path: Path) -> None:
    schema = {
        "system": D7_SCHEMA["system"],
        "node_type": [("type", "text"), ("name", "text"), ("module", "text")],
        "node": [("nid", "int"), ("vid", "int"), ("type", "text"), ("status", "int")],
        "node_revisions": [("nid", "int"), ("vid", "int"), ("format", "int")],
        "content_node_field": [
            ("field_name", "text"),
            ("type", "text"),
            ("module", "text"),
            ("multiple", "int"),
            ("required", "int"),
        ],
        "content_node_field_instance": [
            ("field_name", "text"),
            ("type_name", "text"),
            ("label", "text"),
            ("weight", "int"),
        ],
        "vocabulary": [("vid", "int"), ("name", "text"), ("module", "text")],
        "term_data": [("tid", "int"), ("vid", "int")],
        "filter_formats": [("format", "int"), ("name", "text")],
        "filters": [("format", "int"), ("module", "text"), ("delta", "int"), ("weight", "int")],
        "variable": D7_SCHEMA["variable"],
    }
    rows = {
        "system": [
            (
                "modules/system/system.module",
                "system",
                "module",
                "",
                1,
                1,
                6055,
                0,
                info(name="System", version="6.38"),
            ),
            ("modules/php/php.module", "php", "module", "", 1, 0, 0, 0, info(name="PHP")),
        ],
        "node_type": [("story", "Story", "node"), ("page", "Page", "node")],
        "node": [(1, 1, "story", 1), (2, 3, "story", 1), (3, 4, "page", 1)],
        "node_revisions": [(1, 1, 1), (2, 2, 1), (2, 3, 3), (3, 4, 1)],
        "content_node_field": [
            ("field_teaser", "text", "text", 0, 1),
            ("field_links", "link", "link", 1, 0),
        ],
        "content_node_field_instance": [
            ("field_links", "story", "Links", 2),
            ("field_teaser", "story", "Teaser", 1),
        ],
        "vocabulary": [(1, "Topics", "taxonomy")],
        "term_data": [(1, 1), (2, 1)],
        "filter_formats": [(1, "Filtered HTML"), (3, "PHP code")],
        "filters": [(1, "filter", 0, 0), (3, "php", 0, 0)],
        "variable": [("site_name", php_serialize("Old site"))],
    }
    got = read_database(build_sqlite(tmp_path / "d6.sqlite", schema=schema, rows=rows))
    assert got.settings["drupal_major"] == 6
    assert any("Drupal 6" in w for w in got.warnings)
    story = next(t for t in got.content_types if t.name == "story")
    assert story.count == 2
    assert [(f.name, f.cardinality, f.required, f.label) for f in story.fields] == [
        ("field_teaser", 1, True, "Teaser"),
        ("field_links", -1, False, "Links"),
    ]
    assert [(v.name, v.label, v.terms) for v in got.vocabularies] == [("vocabulary_1", "Topics", 2)]
    assert got.php_filter["formats"] == ["3"]
    assert got.php_filter["nodes_using"] == 1
    assert got.missing_tables == []


# -- passwords ----------------------------------------------------------------


def test_scrub_url() -> None:
    assert scrub_url("mysql://drupal:hunter2@db.example:3307/site") == (
        "mysql://drupal:***@db.example:3307/site"
    )
    assert scrub_url("mysql://drupal@db/site") == "mysql://drupal@db/site"
    assert scrub_url("/tmp/dump.sql") == "/tmp/dump.sql"


@pytest.mark.parametrize("scheme", ["mysql", "pgsql", "postgresql"])
def test_password_never_in_messages(scheme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pymysql" if scheme == "mysql" else "psycopg2")
    password = "Pa55-w0rd-XYZ"
    # Port 1 on loopback: nothing listens, so connecting fails at once.
    with pytest.raises(DatabaseError) as err:
        read_database(f"{scheme}://drupal:{password}@127.0.0.1:1/site")
    message = str(err.value)
    assert password not in message and "***" in message
    assert "\n" not in message
    monkeypatch.setenv("MY_DB_PW", password)
    with pytest.raises(DatabaseError) as err:
        read_database(f"{scheme}://drupal@127.0.0.1:1/site", password_env="MY_DB_PW")
    assert password not in str(err.value)


def test_wrong_password_on_a_live_mariadb() -> None:
    pymysql = pytest.importorskip("pymysql")
    try:
        pymysql.connect(host="127.0.0.1", port=3306, user="root", connect_timeout=3).close()
    except pymysql.Error as exc:
        pytest.skip(f"no MariaDB/MySQL on 127.0.0.1:3306 ({exc})")
    password = "definitely-Wrong-pw-42"
    with pytest.raises(DatabaseError) as err:
        read_database(f"mysql://root:{password}@127.0.0.1:3306/mysql")
    assert password not in str(err.value)
    assert "mysql://root:***@127.0.0.1:3306/mysql" in str(err.value)


def test_missing_driver_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pymysql(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "pymysql":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pymysql)
    with pytest.raises(DatabaseError, match=r"pip install drupalscan\[mysql\]"):
        read_database("mysql://u:pw@127.0.0.1/db")


# -- bundles of every entity type ------------------------------------------------


def test_dump_bundles_of_every_entity_type(
    dump_facts: DatabaseFacts, facts: dict[str, Any]
) -> None:
    bundles = {(b.entity_type, b.name): b for b in dump_facts.bundles}
    assert all(b.entity_type != "node" for b in dump_facts.bundles)
    for name, expected in facts["field_collection_bundles"].items():
        got = bundles[("field_collection_item", name)]
        assert got.module == "field_collection"
        assert got.label == "Revision history"  # the host field's label
        assert [(f.name, f.label, f.type, f.module, f.required) for f in got.fields] == [
            (f["field_name"], f["label"], f["type"], f["module"], f["required"]) for f in expected
        ]
        assert got.count == 13
    comment_body = facts["field_storage"]["comment_body"]
    comment_bundles = {n for (e, n) in bundles if e == "comment"}
    assert comment_bundles == set(comment_body["bundles"]["comment"])
    for name in comment_bundles:
        assert [(f.name, f.type) for f in bundles[("comment", name)].fields] == [
            ("comment_body", comment_body["type"])
        ]
    assert sum(bundles[("comment", n)].count or 0 for n in comment_bundles) == facts["comments"]
    assert bundles[("comment", "comment_node_article")].label == "Article comment"
    # Node bundles stay in content_types, unchanged.
    assert {t.name for t in dump_facts.content_types} == set(facts["content_types"])


def test_bundles_counts_where_cheap(tmp_path: Path) -> None:
    rows = d7_rows()
    rows["field_config"] += [
        (4, "field_colour", "text", "text", 1, php_serialize({}), 1, 0),
        (5, "field_bio", "text_long", "text", 1, php_serialize({}), 1, 0),
        (6, "field_caption", "text", "text", 1, php_serialize({}), 1, 0),
    ]
    rows["field_config_instance"] += [
        (6, 4, "field_colour", "taxonomy_term", "tags", php_serialize({"label": "Colour"}), 0),
        (7, 5, "field_bio", "user", "user", php_serialize({"label": "Bio"}), 0),
        (8, 6, "field_caption", "file", "image", php_serialize({"label": "Caption"}), 0),
        (9, 5, "field_bio", "user", "user", php_serialize({"label": "Old"}), 1),  # deleted
    ]
    got = read_database(build_sqlite(tmp_path / "site.sqlite", rows=rows))
    bundles = {(b.entity_type, b.name): b for b in got.bundles}
    assert list(bundles) == [
        ("comment", "comment_node_article"),
        ("file", "image"),
        ("taxonomy_term", "tags"),
        ("user", "user"),
    ]
    tags = bundles[("taxonomy_term", "tags")]
    assert (tags.label, tags.count, tags.module) == ("Tags", 2, "taxonomy")
    assert [f.name for f in tags.fields] == ["field_colour"]
    user = bundles[("user", "user")]
    assert (user.count, [f.label for f in user.fields]) == (3, ["Bio"])
    # No comment table here, and nothing cheap counts files per bundle: unknown.
    assert bundles[("comment", "comment_node_article")].count is None
    assert bundles[("file", "image")].count is None
    assert bundles[("file", "image")].module == "file"


# -- sqlite:// URLs, SQLAlchemy style ----------------------------------------------


def test_sqlite_url_relative_and_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "db").mkdir()
    build_sqlite(tmp_path / "db" / "site.sqlite")
    monkeypatch.chdir(tmp_path)
    relative = read_database("sqlite:///db/site.sqlite")
    check_small_site(relative)
    four_slashes = f"sqlite:///{tmp_path}/db/site.sqlite"
    assert four_slashes.startswith("sqlite:////")
    assert read_database(four_slashes) == relative
    # Backwards compatible: three slashes and an absolute path that exists.
    assert read_database(f"sqlite://{tmp_path}/db/site.sqlite") == relative
    with pytest.raises(DatabaseError) as err:
        read_database("sqlite:///db/absent.sqlite")
    message = str(err.value)
    assert "db/absent.sqlite (relative to" in message and "/db/absent.sqlite" in message
    with pytest.raises(DatabaseError, match="no such file"):
        read_database(f"sqlite:///{tmp_path}/db/absent.sqlite")


def test_views_and_webforms_are_read_when_present(tmp_path: Path) -> None:
    """views_view rows and webform nodes, which the absent-table tests never reach."""
    url = build_sqlite(tmp_path / "site.sqlite")
    with sqlite3.connect(tmp_path / "site.sqlite") as conn:
        conn.execute('CREATE TABLE "views_view" ("vid" INTEGER, "name" TEXT)')
        conn.executemany(
            'INSERT INTO "views_view" VALUES (?, ?)',
            [(1, "staff_directory"), (2, "job_board"), (3, "frontpage_news")],
        )
        conn.execute('CREATE TABLE "webform" ("nid" INTEGER, "confirmation" TEXT)')
        conn.executemany('INSERT INTO "webform" VALUES (?, ?)', [(10, ""), (11, ""), (12, "")])
    got = read_database(url)
    assert got.views == ["frontpage_news", "job_board", "staff_directory"]
    assert got.webforms == 3
    assert "views_view" not in got.missing_tables and "webform" not in got.missing_tables


def test_odd_tables_give_warnings_not_crashes(tmp_path: Path) -> None:
    """A node_type without its usual columns and a variable table of garbage."""
    url = build_sqlite(tmp_path / "odd.sqlite")
    with sqlite3.connect(tmp_path / "odd.sqlite") as conn:
        conn.execute('DROP TABLE "node_type"')
        conn.execute('CREATE TABLE "node_type" ("oddity" TEXT)')
        conn.execute("INSERT INTO \"node_type\" VALUES ('x')")
        conn.execute('UPDATE "variable" SET "value" = X\'00FF00\'')
    try:
        got = read_database(url)
    except DatabaseError as exc:  # a clear one-line refusal is also acceptable
        assert "\n" not in str(exc) and "node_type" in str(exc)
        return
    assert got.warnings
    assert got.extensions  # the rest of the database is still read


@pytest.mark.parametrize(
    ("ftype", "settings", "expected"),
    [
        ("list_text", {"allowed_values": {"low": "Low", "high": "High"}}, (["low", "high"], "")),
        (
            "taxonomy_term_reference",
            {"allowed_values": {0: {"vocabulary": "topics", "parent": 0}}},
            ([], "taxonomy_term:topics"),
        ),
        (
            "entityreference",
            {"target_type": "node", "handler_settings": {"target_bundles": {"page": "page"}}},
            ([], "node:page"),
        ),
        ("entityreference", {"target_type": "user", "handler_settings": {}}, ([], "user")),
        (
            "node_reference",
            {"referenceable_types": {"article": "article", "page": 0}},
            ([], "node:article"),
        ),
        ("user_reference", {}, ([], "user")),
        ("text", {"max_length": 255}, ([], "")),
    ],
)
def test_what_a_field_holds(ftype: str, settings: dict[str, Any], expected: Any) -> None:
    assert field_targets(ftype, settings) == expected
