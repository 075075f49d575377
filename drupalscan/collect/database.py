"""Read the migration-relevant facts out of a Drupal 7 (or 6) database.

The database knows what the codebase cannot: which modules are enabled, how
much content each type holds, which text formats run PHP.  However the
database is reached (SQLite, MySQL/MariaDB, PostgreSQL or a mysqldump file,
all opened by `drupalscan.collect.dbsource`), one reader (`_Reader`) turns
its tables into `DatabaseFacts`, so every route gives the same answer.

Only the tables and columns listed in `D7_TABLES` and `D6_TABLES` are read,
whole columns at a time with the filtering done here.  Variables whose names
look like credentials are never copied (`is_secret`).

At some 700 lines this module is long on purpose: it is one reader of one
schema, and the table list sits beside the code that reads each table so a
change to either is seen with the other.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drupalscan.collect import phpserial
from drupalscan.collect.dbsource import DatabaseError, TableSource, open_source
from drupalscan.inventory.model import ContentType, Field, Vocabulary

__all__ = [
    "DatabaseFacts",
    "ExtensionState",
    "is_secret",
    "read_database",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionState:
    """An extension as the ``system`` table (or drush) records it."""

    name: str
    type: str
    """module | theme | profile | theme_engine."""
    enabled: bool
    schema_version: int | None
    """Drupal's value: -1 means never installed; None when the source does not say."""
    filename: str
    """Path of the .info/.module/.profile file, as ``system.filename`` says."""
    label: str = ""
    version: str | None = None
    project: str | None = None
    package: str = ""
    dependencies: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        """``enabled``, ``disabled`` (installed, switched off) or ``not installed``."""
        if self.enabled:
            return "enabled"
        if self.schema_version == -1:
            return "not installed"
        return "disabled"


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseFacts:
    """Everything read from one site database; JSON-native values only."""

    extensions: dict[str, ExtensionState] = field(default_factory=dict)
    content_types: list[ContentType] = field(default_factory=list)
    bundles: list[ContentType] = field(default_factory=list)
    """Fielded bundles of entity types other than node (taxonomy terms, users,
    comments, field collection items, ...), ``entity_type`` saying which."""
    vocabularies: list[Vocabulary] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    """nodes, users (uid 0 excluded), roles, menus, comments, files, terms, ..."""
    settings: dict[str, object] = field(default_factory=dict)
    """Selected non-secret variables, plus drupal_version and drupal_major."""
    text_formats: list[dict[str, Any]] = field(default_factory=list)
    php_filter: dict[str, Any] = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)
    menus: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    views: list[str] | None = None
    """Views stored in the database; None when there is no views_view table."""
    webforms: int | None = None
    """Webform nodes; None when there is no webform table."""
    aliases: list[str] = field(default_factory=list)
    """The site's URL aliases as paths (``/about-us``): where its pages live."""
    permissions: dict[str, list[str]] = field(default_factory=dict)
    """Each role's permissions (role_permission), so that roles of one name on
    several sites can be told apart."""
    missing_tables: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# Table -> columns the reader uses (None: only counted).  The dump route keeps
# exactly these, so the reader must not select anything not listed here.
D7_TABLES: dict[str, tuple[str, ...] | None] = {
    "system": ("filename", "name", "type", "status", "schema_version", "info"),
    "node_type": ("type", "name", "module", "base", "disabled"),
    "field_config": (
        "id",
        "field_name",
        "type",
        "module",
        "active",
        "cardinality",
        "deleted",
        "data",
    ),
    "field_config_instance": (
        "id",
        "field_id",
        "field_name",
        "entity_type",
        "bundle",
        "data",
        "deleted",
    ),
    "node": ("nid", "vid", "type", "status"),
    "node_revision": None,
    "taxonomy_vocabulary": ("vid", "name", "machine_name", "module"),
    "taxonomy_term_data": ("tid", "vid"),
    "users": ("uid", "status"),
    "role": ("rid", "name"),
    "role_permission": ("rid", "permission"),
    "menu_custom": ("menu_name", "title"),
    "variable": ("name", "value"),
    "filter_format": ("format", "name", "status", "weight"),
    "filter": ("format", "module", "name", "status", "weight"),
    "field_data_body": ("entity_type", "entity_id", "body_format", "deleted"),
    "field_data_comment_body": ("entity_type", "entity_id", "comment_body_format", "deleted"),
    "languages": ("language", "enabled", "weight"),
    "views_view": ("name",),
    "webform": None,
    "url_alias": ("alias",),
    "comment": ("cid", "nid"),
    "file_managed": None,
    "field_collection_item": ("item_id", "field_name", "archived"),
}
"""Drupal 7 tables read; those absent are reported in ``missing_tables``."""

BUNDLE_MODULES = {
    "comment": "comment",
    "field_collection_item": "field_collection",
    "taxonomy_term": "taxonomy",
    "user": "user",
}
"""Entity type -> the module defining it, for bundles whose module is known."""

D6_TABLES: dict[str, tuple[str, ...] | None] = {
    "vocabulary": ("vid", "name", "module"),
    "term_data": ("tid", "vid"),
    "node_revisions": ("nid", "vid", "format"),
    "content_node_field": ("field_name", "type", "module", "multiple", "required"),
    "content_node_field_instance": ("field_name", "type_name", "label", "weight"),
    "filter_formats": ("format", "name"),
    "filters": ("format", "module", "delta", "weight"),
    "url_alias": ("alias", "dst"),  # Drupal 7 names the alias column alias, Drupal 6 dst
    "files": None,
    "comments": None,
}
"""Drupal 6 tables read when a Drupal 6 database shows up."""

ALL_TABLES: dict[str, tuple[str, ...] | None] = {**D7_TABLES, **D6_TABLES}

SETTINGS = (
    "admin_theme",
    "cache",
    "clean_url",
    "date_default_timezone",
    "error_level",
    "file_default_scheme",
    "file_private_path",
    "file_public_path",
    "install_profile",
    "language_count",
    "maintenance_mode",
    "node_admin_theme",
    "page_cache_maximum_age",
    "preprocess_css",
    "preprocess_js",
    "site_frontpage",
    "site_name",
    "site_slogan",
    "theme_default",
)
"""Variables copied into ``settings`` (plus language_default as a langcode)."""

_SECRET = re.compile(r"password|secret|token|key|salt|hash|pass$", re.I)
PHP_FILTER = "php_code"


def is_secret(name: str) -> bool:
    """Whether a variable name may hold a credential and must never be copied."""
    return bool(_SECRET.search(name)) or name in ("drupal_private_key", "cron_key")


def read_database(
    url: str, prefix: str = "", password_env: str = "DRUPALSCAN_DB_PASSWORD"
) -> DatabaseFacts:
    """Read a Drupal database given by URL or dump path.

    Raises `DatabaseError` with a one-line, password-free message when the
    database cannot be opened or is not a Drupal database.
    """
    source = open_source(url, ALL_TABLES, prefix=prefix, password_env=password_env)
    try:
        return _Reader(source).read()
    finally:
        source.close()


def _text(value: Any) -> str:
    """A column value as text: bytes decoded, stray surrogates replaced."""
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    text = str(value)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return text


def _int(value: Any, default: int = 0) -> int:
    """A column value as int; Drupal stores some flags as strings."""
    if value is None or value == "":
        return default
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("ascii", "replace")
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return default


def _jsonable(value: Any) -> Any:
    """Decoded PHP data made JSON-native (bytes to text, keys to str)."""
    if isinstance(value, (bytes, bytearray)):
        return _text(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    return value


class _Reader:
    """Turns a `TableSource` into `DatabaseFacts`; the same for every route."""

    def __init__(self, source: TableSource) -> None:
        self.src = source
        self.warnings: list[str] = list(getattr(source, "warnings", []))
        self.present = source.tables()
        self._field_settings: dict[str, dict[str, Any]] = {}

    def rows(self, table: str, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Rows as dicts; columns the table lacks read as None."""
        if table not in self.present:
            return []
        spec = ALL_TABLES.get(table)
        assert spec is not None and all(c in spec for c in columns), (table, columns)
        have = set(self.src.columns(table))
        cols = [c for c in columns if c in have]
        if not cols:
            return []
        empty = dict.fromkeys(columns)
        return [
            {**empty, **dict(zip(cols, row, strict=True))} for row in self.src.select(table, cols)
        ]

    def unserialize(self, value: Any, where: str) -> Any:
        """Decode PHP data; a bad value is a warning, not a failure."""
        if value is None or value == b"" or value == "":
            return None
        try:
            return phpserial.loads(value)
        except phpserial.PhpSerialError as exc:
            self.warnings.append(f"cannot decode {where}: {exc}")
            return None

    def read(self) -> DatabaseFacts:
        if "system" not in self.present:
            raise DatabaseError(f"{self.src.label} is not a Drupal 7 database (no system table)")
        extensions, major, core = self.extensions()
        if major and major < 7:
            self.warnings.append(
                f"Drupal {major} database: read from node_type, CCK and Drupal 6 tables; "
                "fields, text formats and counts may be incomplete"
            )
        elif major and major > 7:
            self.warnings.append(f"Drupal {major} database: this reader targets Drupal 7")
        d7 = "field_config" in self.present or major == 7
        missing = sorted(t for t in D7_TABLES if t not in self.present) if d7 else []
        essential = {"node_type", "node", "variable", "users", "field_config"}
        for table in missing:
            if table in essential:
                self.warnings.append(f"table {table} is missing")
        variables = self.variables()
        settings = self.settings(variables)
        if core:
            settings["drupal_version"] = core
        if major:
            settings["drupal_major"] = major
        formats = self.text_formats() if d7 else self.text_formats_d6()
        php_formats = [f["format"] for f in formats if PHP_FILTER in f["filters"]]
        php = extensions.get("php")
        fields = self.fields_d7() if d7 else {("node", k): v for k, v in self.fields_d6().items()}
        return DatabaseFacts(
            extensions=extensions,
            content_types=self.content_types(fields),
            bundles=self.bundles(fields),
            vocabularies=self.vocabularies(),
            counts=self.counts(),
            settings=settings,
            text_formats=formats,
            php_filter={
                "module_enabled": bool(php and php.enabled),
                "formats": php_formats,
                "nodes_using": sum(f["nodes_using"] for f in formats if f["format"] in php_formats),
                "comments_using": sum(
                    f.get("comments_using", 0) for f in formats if f["format"] in php_formats
                ),
            },
            languages=self.languages(settings),
            menus=sorted(_text(r["menu_name"]) for r in self.rows("menu_custom", ["menu_name"])),
            roles=[
                _text(r["name"])
                for r in sorted(self.rows("role", ["rid", "name"]), key=lambda r: _int(r["rid"]))
            ],
            views=(
                sorted(_text(r["name"]) for r in self.rows("views_view", ["name"]))
                if "views_view" in self.present
                else None
            ),
            webforms=self.src.count("webform") if "webform" in self.present else None,
            permissions=self.permissions(),
            aliases=sorted(
                {"/" + _text(r["alias"]).strip("/") for r in self.rows("url_alias", ["alias"])}
                - {"/"}
            )
            if d7
            else [],
            missing_tables=missing,
            warnings=self.warnings,
        )

    def permissions(self) -> dict[str, list[str]]:
        """Role name -> its permissions, sorted (Drupal 7's role_permission)."""
        names = {_int(r["rid"]): _text(r["name"]) for r in self.rows("role", ["rid", "name"])}
        out: dict[str, set[str]] = {}
        for r in self.rows("role_permission", ["rid", "permission"]):
            name = names.get(_int(r["rid"]))
            if name:
                out.setdefault(name, set()).add(_text(r["permission"]))
        return {name: sorted(perms) for name, perms in sorted(out.items())}

    def extensions(self) -> tuple[dict[str, ExtensionState], int | None, str | None]:
        """Extensions from ``system``, plus the core major and version it implies."""
        rows = self.rows("system", ["filename", "name", "type", "status", "schema_version", "info"])
        result: dict[str, ExtensionState] = {}
        major: int | None = None
        core: str | None = None
        for row in sorted(rows, key=lambda r: _text(r["filename"])):
            name = _text(row["name"])
            filename = _text(row["filename"])
            kind = _text(row["type"])
            if kind == "module" and filename.endswith(".profile"):
                kind = "profile"
            info = self.unserialize(row["info"], f"system.info of {name}")
            if not isinstance(info, dict):
                info = {}
            schema = row["schema_version"]
            ext = ExtensionState(
                name=name,
                type=kind,
                enabled=_int(row["status"]) == 1,
                schema_version=None if schema is None else _int(schema),
                filename=filename,
                label=_text(info.get("name", "")),
                version=_text(info["version"]) if info.get("version") else None,
                project=_text(info["project"]) if info.get("project") else None,
                package=_text(info.get("package", "")),
                dependencies=[
                    _text(d) for d in _as_list(info.get("dependencies")) if isinstance(d, str)
                ],
            )
            previous = result.get(name)
            # The same name twice means a copy moved on disk; the enabled
            # (or else the first) row is the one Drupal uses.
            if previous is None or (ext.enabled and not previous.enabled):
                result[name] = ext
            if name == "system" and kind == "module":
                if ext.schema_version and ext.schema_version > 0:
                    major = ext.schema_version // 1000
                if ext.version:
                    core = ext.version
        if core and major is None and core[:1].isdigit():
            major = int(core.split(".")[0])
        return dict(sorted(result.items())), major, core

    def variables(self) -> dict[str, Any]:
        """Decoded variables, secrets never even decoded."""
        out: dict[str, Any] = {}
        for row in self.rows("variable", ["name", "value"]):
            name = _text(row["name"])
            if is_secret(name) or (name not in SETTINGS and name != "language_default"):
                continue
            value = self.unserialize(row["value"], f"variable {name}")
            if value is not None:  # unset, or undecodable (already warned)
                out[name] = _jsonable(value)
        return out

    def settings(self, variables: Mapping[str, Any]) -> dict[str, object]:
        settings: dict[str, object] = {}
        for name in SETTINGS:
            if name in variables and not is_secret(name):
                value = variables[name]
                if name in (
                    "clean_url",
                    "cache",
                    "maintenance_mode",
                    "preprocess_css",
                    "preprocess_js",
                ):
                    value = bool(_int(value))
                settings[name] = value
        default = variables.get("language_default")
        if isinstance(default, dict) and default.get("language"):
            settings["language_default"] = _text(default["language"])
        else:
            # Drupal falls back to English when the variable was never set.
            settings["language_default"] = "en"
        return settings

    def content_types(self, all_fields: Mapping[tuple[str, str], list[Field]]) -> list[ContentType]:
        """Node types with their node counts and field instances."""
        counts = Counter(_text(r["type"]) for r in self.rows("node", ["type"]))
        types: dict[str, ContentType] = {}
        fields = {bundle: f for (entity, bundle), f in all_fields.items() if entity == "node"}
        for row in self.rows("node_type", ["type", "name", "module", "disabled"]):
            name = _text(row["type"])
            types[name] = ContentType(
                name=name,
                label=_text(row["name"]),
                count=counts.get(name, 0),
                fields=fields.get(name, []),
                module=_text(row["module"]) or "node",
            )
        for name, n in counts.items():
            if name not in types:
                self.warnings.append(f"{n} nodes of type {name!r}, which node_type lacks")
                types[name] = ContentType(name=name, count=n, fields=fields.get(name, []))
        return [types[k] for k in sorted(types)]

    def bundles(self, all_fields: Mapping[tuple[str, str], list[Field]]) -> list[ContentType]:
        """Fielded bundles of every entity type but node, with counts where cheap.

        Counts come from tables the reader has anyway (terms per vocabulary,
        users, comments through their node's type, field collection items
        per host field); other entity types get None rather than a guess.
        """
        counters = self._bundle_counts({entity for entity, _ in all_fields})
        labels = self._bundle_labels()
        for fields in all_fields.values():
            for host in fields:
                # A field collection's bundle is named after its host field.
                if host.type == "field_collection":
                    labels.setdefault(("field_collection_item", host.name), host.label)
        result = []
        for (entity, bundle), fields in all_fields.items():
            if entity == "node":
                continue
            counter = counters.get(entity)
            result.append(
                ContentType(
                    name=bundle,
                    label=labels.get((entity, bundle), ""),
                    count=None if counter is None else counter.get(bundle, 0),
                    fields=fields,
                    module=BUNDLE_MODULES.get(entity, entity),
                    entity_type=entity,
                )
            )
        return sorted(result, key=lambda b: (b.entity_type, b.name))

    def _bundle_counts(self, entities: set[str]) -> dict[str, Counter[str]]:
        """Entities per bundle, for the entity types whose tables say so cheaply."""
        counts: dict[str, Counter[str]] = {}
        if "taxonomy_term" in entities and "taxonomy_vocabulary" in self.present:
            names = {
                _int(r["vid"]): _text(r["machine_name"])
                for r in self.rows("taxonomy_vocabulary", ["vid", "machine_name"])
            }
            counts["taxonomy_term"] = Counter(
                names.get(_int(r["vid"]), "") for r in self.rows("taxonomy_term_data", ["vid"])
            )
        if "user" in entities and "users" in self.present:
            users = sum(1 for r in self.rows("users", ["uid"]) if _int(r["uid"]) > 0)
            counts["user"] = Counter({"user": users})
        if "comment" in entities and "comment" in self.present and "node" in self.present:
            # Drupal 7 names a comment bundle after its node's type.
            types = {_int(r["nid"]): _text(r["type"]) for r in self.rows("node", ["nid", "type"])}
            counts["comment"] = Counter(
                "comment_node_" + types.get(_int(r["nid"]), "")
                for r in self.rows("comment", ["cid", "nid"])
            )
        if "field_collection_item" in entities and "field_collection_item" in self.present:
            counts["field_collection_item"] = Counter(
                _text(r["field_name"])
                for r in self.rows("field_collection_item", ["field_name", "archived"])
                if not _int(r["archived"])
            )
        return counts

    def _bundle_labels(self) -> dict[tuple[str, str], str]:
        """Human names of bundles, from vocabularies, node types and host fields."""
        labels: dict[tuple[str, str], str] = {("user", "user"): "User"}
        for r in self.rows("taxonomy_vocabulary", ["name", "machine_name"]):
            labels[("taxonomy_term", _text(r["machine_name"]))] = _text(r["name"])
        for r in self.rows("node_type", ["type", "name"]):
            labels[("comment", "comment_node_" + _text(r["type"]))] = f"{_text(r['name'])} comment"
        return labels

    def fields_d7(self) -> dict[tuple[str, str], list[Field]]:
        """Field instances of every entity type by (entity type, bundle).

        Typed from their field_config; deleted fields and instances are left
        out, as Drupal itself ignores them.
        """
        configs: dict[Any, dict[str, Any]] = {}
        by_name: dict[str, dict[str, Any]] = {}
        cols = ["id", "field_name", "type", "module", "cardinality", "deleted", "data"]
        for row in self.rows("field_config", cols):
            if _int(row["deleted"]):
                continue
            configs[_int(row["id"])] = row
            by_name[_text(row["field_name"])] = row
        result: dict[tuple[str, str], list[Field]] = {}
        cols = ["id", "field_id", "field_name", "entity_type", "bundle", "data", "deleted"]
        instances = self.rows("field_config_instance", cols)
        for row in sorted(instances, key=lambda r: _int(r["id"])):
            if _int(row["deleted"]):
                continue
            name = _text(row["field_name"])
            config = configs.get(_int(row["field_id"], -1)) or by_name.get(name)
            if config is None:
                self.warnings.append(f"field instance {name} has no field_config row")
                config = {}
            data = self.unserialize(row["data"], f"field_config_instance.data of {name}")
            data = data if isinstance(data, dict) else {}
            bundle = (_text(row["entity_type"]), _text(row["bundle"]))
            allowed, references = field_targets(_text(config.get("type")), self._settings(config))
            result.setdefault(bundle, []).append(
                Field(
                    name=name,
                    type=_text(config.get("type")),
                    module=_text(config.get("module")),
                    label=_text(data.get("label", "")),
                    cardinality=_int(config.get("cardinality"), 1),
                    required=bool(_int(data.get("required"))),
                    allowed_values=allowed,
                    references=references,
                )
            )
        return result

    def _settings(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """A field's settings from its field_config.data, decoded once per field."""
        key = _text(config.get("field_name"))
        if key not in self._field_settings:
            data = self.unserialize(config.get("data"), f"field_config.data of {key}")
            settings = data.get("settings") if isinstance(data, dict) else None
            self._field_settings[key] = settings if isinstance(settings, dict) else {}
        return self._field_settings[key]

    def fields_d6(self) -> dict[str, list[Field]]:
        """CCK fields (Drupal 6): content_node_field + content_node_field_instance."""
        configs = {
            _text(r["field_name"]): r
            for r in self.rows(
                "content_node_field", ["field_name", "type", "module", "multiple", "required"]
            )
        }
        result: dict[str, list[Field]] = {}
        instances = self.rows(
            "content_node_field_instance", ["field_name", "type_name", "label", "weight"]
        )
        for row in sorted(instances, key=lambda r: (_int(r["weight"]), _text(r["field_name"]))):
            name = _text(row["field_name"])
            config = configs.get(name, {})
            multiple = _int(config.get("multiple"))
            result.setdefault(_text(row["type_name"]), []).append(
                Field(
                    name=name,
                    type=_text(config.get("type")),
                    module=_text(config.get("module")),
                    label=_text(row["label"]),
                    cardinality=1 if multiple == 0 else (-1 if multiple == 1 else multiple),
                    required=bool(_int(config.get("required"))),
                )
            )
        return result

    def vocabularies(self) -> list[Vocabulary]:
        if "taxonomy_vocabulary" in self.present:
            vocabs = self.rows("taxonomy_vocabulary", ["vid", "name", "machine_name"])
            terms = Counter(_int(r["vid"]) for r in self.rows("taxonomy_term_data", ["vid"]))
        else:
            vocabs = self.rows("vocabulary", ["vid", "name"])
            terms = Counter(_int(r["vid"]) for r in self.rows("term_data", ["vid"]))
        result = [
            Vocabulary(
                name=_text(v.get("machine_name")) or f"vocabulary_{_int(v['vid'])}",
                label=_text(v["name"]),
                terms=terms.get(_int(v["vid"]), 0),
            )
            for v in vocabs
        ]
        return sorted(result, key=lambda v: v.name)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        plain = {
            "comments": ("comment", "comments"),
            "files": ("file_managed", "files"),
            "aliases": ("url_alias",),
            "node_revisions": ("node_revision", "node_revisions"),
            "webforms": ("webform",),
        }
        for key, tables in plain.items():
            for table in tables:
                if table in self.present:
                    counts[key] = self.src.count(table)
                    break
        if "node" in self.present:
            nodes = self.rows("node", ["status"])
            counts["nodes"] = len(nodes)
            counts["nodes_published"] = sum(1 for r in nodes if _int(r["status"]) == 1)
        if "users" in self.present:
            users = [r for r in self.rows("users", ["uid", "status"]) if _int(r["uid"]) > 0]
            counts["users"] = len(users)
            counts["users_blocked"] = sum(1 for r in users if _int(r["status"]) == 0)
        for key, table in (
            ("roles", "role"),
            ("menus", "menu_custom"),
            ("content_types", "node_type"),
        ):
            if table in self.present:
                counts[key] = self.src.count(table)
        for key, tables in {
            "terms": ("taxonomy_term_data", "term_data"),
            "vocabularies": ("taxonomy_vocabulary", "vocabulary"),
        }.items():
            for table in tables:
                if table in self.present:
                    counts[key] = self.src.count(table)
                    break
        return dict(sorted(counts.items()))

    def _format_usage(self, table: str, column: str) -> Counter[str]:
        """Entities per text format in a text field's data table."""
        seen: dict[str, set[Any]] = {}
        for r in self.rows(table, ["entity_type", "entity_id", column, "deleted"]):
            if _int(r["deleted"]) or _text(r["entity_type"]) not in ("node", "comment"):
                continue
            if r[column] is None:
                continue
            seen.setdefault(_text(r[column]), set()).add(r["entity_id"])
        return Counter({fmt: len(ids) for fmt, ids in seen.items()})

    def text_formats(self) -> list[dict[str, Any]]:
        nodes = self._format_usage("field_data_body", "body_format")
        comments = self._format_usage("field_data_comment_body", "comment_body_format")
        filters: dict[str, list[tuple[int, str]]] = {}
        for r in self.rows("filter", ["format", "module", "name", "status", "weight"]):
            if _int(r["status"]) == 1:
                filters.setdefault(_text(r["format"]), []).append(
                    (_int(r["weight"]), _text(r["name"]))
                )
        result = []
        for r in self.rows("filter_format", ["format", "name", "status", "weight"]):
            fmt = _text(r["format"])
            entry: dict[str, Any] = {
                "format": fmt,
                "name": _text(r["name"]),
                "status": _int(r["status"], 1),
                "filters": [name for _, name in sorted(filters.get(fmt, []))],
                "nodes_using": nodes.get(fmt, 0),
            }
            if "field_data_comment_body" in self.present:
                entry["comments_using"] = comments.get(fmt, 0)
            result.append(entry)
        return sorted(result, key=lambda f: f["format"])

    def text_formats_d6(self) -> list[dict[str, Any]]:
        """Drupal 6: numeric formats, filters by module/delta, body format per revision."""
        current = {_int(r["vid"]) for r in self.rows("node", ["vid"])}
        usage = Counter(
            str(_int(r["format"]))
            for r in self.rows("node_revisions", ["nid", "vid", "format"])
            if _int(r["vid"]) in current
        )
        filters: dict[str, list[tuple[int, str]]] = {}
        for r in self.rows("filters", ["format", "module", "delta", "weight"]):
            module, delta = _text(r["module"]), _int(r["delta"])
            # In Drupal 6 the PHP evaluator is filter 0 of the php module.
            name = PHP_FILTER if (module, delta) == ("php", 0) else f"{module}/{delta}"
            filters.setdefault(str(_int(r["format"])), []).append((_int(r["weight"]), name))
        result = []
        for r in self.rows("filter_formats", ["format", "name"]):
            fmt = str(_int(r["format"]))
            result.append(
                {
                    "format": fmt,
                    "name": _text(r["name"]),
                    "status": 1,
                    "filters": [name for _, name in sorted(filters.get(fmt, []))],
                    "nodes_using": usage.get(fmt, 0),
                }
            )
        return sorted(result, key=lambda f: f["format"])

    def languages(self, settings: Mapping[str, object]) -> list[str]:
        rows = self.rows("languages", ["language", "enabled", "weight"])
        if not rows:
            return [str(settings.get("language_default", "en"))]
        enabled = [r for r in rows if _int(r["enabled"], 1) == 1]
        enabled.sort(key=lambda r: (_int(r["weight"]), _text(r["language"])))
        return [_text(r["language"]) for r in enabled]


def _as_list(value: Any) -> list[Any]:
    """PHP arrays decode to a list or a dict; either way, its values."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return value
    return []


def _members(value: Any) -> list[Any]:
    """A PHP array's values, whether it decoded as a list or an int-keyed dict."""
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, list) else []


def field_targets(ftype: str, settings: Mapping[str, Any]) -> tuple[list[str], str]:
    """What a field may hold beyond its type: its allowed values and what it references.

    ``list_*`` fields keep their allowed keys; reference fields name what
    they point at (``taxonomy_term:tags``, ``node:article,page``, ``user``),
    so two fields of one name and type that hold different things can be told
    apart when sites are merged.
    """
    allowed_values = settings.get("allowed_values")
    if ftype.startswith("list_") and isinstance(allowed_values, dict):
        return [str(k) for k in allowed_values], ""
    if ftype == "taxonomy_term_reference":
        vocabularies = sorted(
            str(v["vocabulary"])
            for v in _members(allowed_values)
            if isinstance(v, dict) and v.get("vocabulary")
        )
        return [], "taxonomy_term:" + ",".join(vocabularies) if vocabularies else ""
    if ftype == "entityreference":
        handler = settings.get("handler_settings")
        bundles = handler.get("target_bundles") if isinstance(handler, dict) else None
        chosen = (
            sorted(str(k) for k, v in (bundles or {}).items() if v)
            if isinstance(bundles, dict)
            else []
        )
        target = str(settings.get("target_type") or "")
        return [], f"{target}:{','.join(chosen)}" if chosen else target
    if ftype == "node_reference":
        types = settings.get("referenceable_types")
        chosen = sorted(str(k) for k, v in types.items() if v) if isinstance(types, dict) else []
        return [], "node:" + ",".join(chosen) if chosen else "node"
    if ftype == "user_reference":
        return [], "user"
    return [], ""
