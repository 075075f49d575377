"""migrate_plus configuration: one group per source site, one migration per thing moved.

Each source site becomes a `migrate_plus.migration_group` whose shared
configuration names its database key (``migrate_<group>``, defined in the
kit's settings.migrate.php), and migrations in the order Drupal needs them:
roles, users, files, taxonomy terms per vocabulary, paragraphs for field
collections, nodes per content type (into the merged content model's
bundle, with the plan's field map), menu links.  Sites seen only from
outside (not Drupal, or no database) get a migration over a CSV of their
crawled pages.  Sites of a later wave depend (optionally, so a wave can be
re-run alone) on the migrations of the wave before, so
``drush migrate:import --all`` keeps the plan's order.

Node and term ids are not kept: several sites' content lands in one site,
so every reference goes through `migration_lookup`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drupalscan.graph.questions import slug
from drupalscan.inventory import model

DRUPAL_KINDS = {"drupal7": "d7", "drupal6": "d6"}
"""Site kinds core's migrate_drupal reads, and their source plugin prefix."""

FORMATS = {"filtered_html": "basic_html", "full_html": "full_html", "plain_text": "plain_text"}
"""Drupal 7 text formats and the standard profile's formats they become."""

DATE_FORMATS = {"datetime": "Y-m-d H:i:s", "date": "Y-m-d\\TH:i:s", "datestamp": "U"}
"""How each Drupal 7 date field type stores its value (the date module's three storages)."""


@dataclass(slots=True)
class Migration:
    """One migrate_plus migration, plus what the kit's README says of it."""

    id: str
    label: str
    group: str
    tags: list[str]
    source: dict[str, Any]
    process: dict[str, Any]
    destination: dict[str, Any]
    required: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    """Lines the YAML file opens with: skipped fields, values to fill in."""
    todo: list[str] = field(default_factory=list)
    """What a developer must still do before this migration runs as meant."""
    fields: dict[str, str] = field(default_factory=dict)
    """Source field -> target field this migration maps (for tests and the README)."""

    def config(self, module_deps: Sequence[str] = ()) -> dict[str, Any]:
        """The migrate_plus.migration.<id> configuration entity."""
        deps: dict[str, Any] = {"required": self.required}
        if self.optional:
            deps["optional"] = self.optional
        return {
            "langcode": "en",
            "status": True,
            "dependencies": {"enforced": {"module": ["migrate_plus", *module_deps]}},
            "id": self.id,
            "class": None,
            "field_plugin_method": None,
            "cck_plugin_method": None,
            "migration_tags": self.tags,
            "migration_group": self.group,
            "label": self.label,
            "source": self.source,
            "process": self.process,
            "destination": self.destination,
            "migration_dependencies": deps,
        }


@dataclass(slots=True)
class Group:
    """A source site's migration group and its migrations, in run order."""

    id: str
    label: str
    site: model.Site
    wave: int
    prefix: str = ""
    """Source plugin prefix (d7, d6), or "" for a site migrated from its crawl."""
    migrations: list[Migration] = field(default_factory=list)
    pages_csv: list[dict[str, str]] = field(default_factory=list)
    """For a crawled site: the rows of its pages CSV."""

    def config(self) -> dict[str, Any]:
        """The migrate_plus.migration_group.<id> configuration entity."""
        shared: dict[str, Any] = (
            {"source": {"key": database_key(self.id)}}
            if self.prefix
            else {"source": {"plugin": "csv"}}
        )
        return {
            "langcode": "en",
            "status": True,
            "dependencies": {},
            "id": self.id,
            "label": self.label,
            "description": f"Content of {self.label} ({self.site.source}), wave {self.wave}.",
            "source_type": "Drupal 7" if self.prefix == "d7" else self.site.kind,
            "module": None,
            "shared_configuration": shared,
        }


def machine(text: str) -> str:
    """A machine name from a scanned site's own (hostile) name: [a-z0-9_] only."""
    return re.sub(r"[^a-z0-9_]+", "_", text.casefold()).strip("_") or "x"


def database_key(group: str) -> str:
    """The $databases key a group's migrations read (settings.migrate.php defines it)."""
    return f"migrate_{group}"


def group_ids(sites: Sequence[model.Site]) -> dict[str, str]:
    """A unique machine name per site, from its name: the group and migration prefix."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for site in sorted(sites, key=lambda s: s.source):
        base = slug(site.name or site.source) or "site"
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        out[site.id] = name
    return out


def site_waves(plan: model.Plan) -> dict[str, int]:
    """Each planned site's wave number."""
    return {sid: w.index for w in plan.waves for sid in w.sites}


def build_groups(
    sites: Sequence[model.Site],
    plan: model.Plan,
    redirects: Sequence[Mapping[str, str]],
    pages: Mapping[str, Sequence[model.Page]],
) -> list[Group]:
    """Every site's migration group, in wave order, with its migrations.

    Args:
        sites: the assessed sites.
        plan: the plan whose content model, target and waves the migrations follow.
        redirects: the plan's redirect rows (old URL -> new path), for crawled pages.
        pages: each crawled site's pages, for the CSV source of sites without a database.
    """
    ids = group_ids(sites)
    waves = site_waves(plan)
    bundle_of = {(src.site, src.type): (u, src) for u in plan.content_model for src in u.sources}
    groups: list[Group] = []
    for site in sorted(sites, key=lambda s: (waves.get(s.id, 99), s.source)):
        gid = ids[site.id]
        group = Group(
            id=gid,
            label=site.name or site.source,
            site=site,
            wave=waves.get(site.id, 0),
            prefix=DRUPAL_KINDS.get(site.kind, ""),
        )
        if group.prefix:
            group.migrations = _drupal_migrations(group, plan, bundle_of)
        else:
            group.migrations, group.pages_csv = _crawl_migrations(
                group, redirects, pages.get(site.id, ())
            )
        groups.append(group)
    _chain_waves(groups)
    return groups


def _chain_waves(groups: Sequence[Group]) -> None:
    """Each site's first migrations wait (optionally) for the wave before."""
    by_wave: dict[int, list[str]] = {}
    for g in groups:
        by_wave.setdefault(g.wave, []).extend(m.id for m in g.migrations)
    for g in groups:
        earlier = [w for w in by_wave if w < g.wave]
        if not earlier:
            continue
        before = by_wave[max(earlier)]
        for m in g.migrations:
            if not m.required:
                m.optional = sorted({*m.optional, *before})


# -- Drupal sources -------------------------------------------------------------------


@dataclass(slots=True)
class _Site:
    """What the builders of one Drupal site's migrations share."""

    group: Group
    users: str = ""
    files: str = ""
    terms: dict[str, str] = field(default_factory=dict)
    """Vocabulary -> its term migration."""
    paragraphs: dict[str, str] = field(default_factory=dict)
    """Field collection field -> its paragraph migration."""
    nodes: dict[str, str] = field(default_factory=dict)
    """Source content type -> its node migration."""

    def mid(self, name: str) -> str:
        """A migration id of this site: also a file name, so only [a-z0-9_]."""
        return f"{self.group.id}_{machine(name)}"

    def mig(self, name: str, label: str, plugin: str, **kw: Any) -> Migration:
        g = self.group
        tag = "Drupal 7" if g.prefix == "d7" else "Drupal 6"
        source = {"plugin": f"{g.prefix}_{plugin}", **kw.pop("source", {})}
        return Migration(
            id=self.mid(name),
            label=f"{g.label}: {label}",
            group=g.id,
            tags=[tag, "drupalscan"],
            source=source,
            **kw,
        )


def _drupal_migrations(
    group: Group,
    plan: model.Plan,
    bundle_of: Mapping[tuple[str, str], tuple[model.UnifiedType, model.TypeSource]],
) -> list[Migration]:
    site = group.site
    ctx = _Site(group)
    ctx.nodes = {
        ct.name: ctx.mid(f"node_{ct.name}")
        for ct in site.content_types
        if ct.entity_type == "node" and (site.id, ct.name) in bundle_of
    }
    roles = ctx.mig(
        "user_role",
        "roles",
        "user_role",
        process={
            "id": [{"plugin": "machine_name", "source": "name"}, {"plugin": "user_update_8002"}],
            "label": "name",
            "weight": "weight",
        },
        destination={"plugin": "entity:user_role"},
        comments=[
            "Roles merge by machine name. Permission names changed after Drupal 7:",
            "grant them on the target roles (the report's role decisions list them).",
        ],
        todo=["Grant the roles' permissions on the target (Drupal 7 permission names differ)."],
    )
    users = ctx.mig(
        "user",
        "users",
        "user",
        process={
            "name": "name",
            "pass": "pass",
            "mail": "mail",
            "init": "init",
            "status": "status",
            "created": "created",
            "access": "access",
            "login": "login",
            "timezone": "timezone",
            "roles": {"plugin": "migration_lookup", "migration": roles.id, "source": "roles"},
        },
        destination={
            "plugin": "entity:user",
            **({"md5_passwords": True} if group.prefix == "d6" else {}),
        },
        required=[roles.id],
        comments=["Accounts with one name or e-mail on several sites collide: merge them first."],
    )
    ctx.users = users.id
    files = ctx.mig(
        "file",
        "files",
        "file",
        source={"scheme": "public", "constants": {"source_base_path": _files_base(site)}},
        process={
            "filename": "filename",
            "source_full_path": [
                {
                    "plugin": "concat",
                    "delimiter": "/",
                    "source": ["constants/source_base_path", "filepath"],
                },
                {"plugin": "urlencode"},
            ],
            "uri": {"plugin": "file_copy", "source": ["@source_full_path", "uri"]},
            "filemime": "filemime",
            "status": "status",
            "created": "timestamp",
            "changed": "timestamp",
            "uid": {"plugin": "migration_lookup", "migration": users.id, "source": "uid"},
        },
        destination={"plugin": "entity:file"},
        required=[users.id],
        comments=[
            "source_base_path is where the old site's files are read from; change it to",
            "the docroot copy (or URL) the migrating machine reaches.",
        ],
    )
    ctx.files = files.id
    terms = []
    for vocab in site.vocabularies:
        term_id = ctx.mid(f"term_{vocab.name}")
        ctx.terms[vocab.name] = term_id
        terms.append(
            ctx.mig(
                f"term_{vocab.name}",
                f"{vocab.label or vocab.name} terms",
                "taxonomy_term",
                source={"bundle": vocab.name},
                process={
                    "name": "name",
                    "description/value": "description",
                    "description/format": _format_process("format"),
                    "weight": "weight",
                    "parent_id": [
                        {"plugin": "skip_on_empty", "method": "process", "source": "parent"},
                        {"plugin": "migration_lookup", "migration": term_id},
                    ],
                    "parent": {
                        "plugin": "default_value",
                        "default_value": 0,
                        "source": "@parent_id",
                    },
                    "changed": "timestamp",
                },
                destination={"plugin": "entity:taxonomy_term", "default_bundle": vocab.name},
            )
        )
    paragraphs = _paragraph_migrations(ctx)
    nodes = [
        _node_migration(ctx, ct, *bundle_of[(site.id, ct.name)], plan.decisions)
        for ct in site.content_types
        if ct.name in ctx.nodes
    ]
    menus = ctx.mig(
        "menu_link",
        "menu links",
        "menu_link",
        source={"constants": {"bundle": "menu_link_content"}},
        process={
            "bundle": "constants/bundle",
            "title": "link_title",
            "description": "description",
            "menu_name": "menu_name",
            "link/uri": {"plugin": "link_uri", "source": "link_path"},
            "link/options": "options",
            "external": "external",
            "weight": "weight",
            "expanded": "expanded",
            "enabled": {"plugin": "static_map", "source": "hidden", "map": {0: True, 1: False}},
            "parent": {
                "plugin": "menu_link_parent",
                "source": ["plid", "@menu_name", "parent_link_path"],
            },
        },
        destination={"plugin": "entity:menu_link_content", "no_stub": True},
        required=[n.id for n in nodes],
        comments=[
            "Links to node/NID keep the old node ids, and node ids are not kept in a",
            "consolidation: re-point those links at the migrated nodes, or rebuild the menus.",
        ],
        todo=["Menu links to nodes keep their old node ids: re-point them or rebuild the menus."],
    )
    menus.source["plugin"] = "menu_link"  # core's Drupal 6/7 menu link source has no prefix
    if not site.content_types or not any(ct.fields for ct in site.content_types):
        for m in nodes:
            m.todo.append(
                f"The fields of {group.label} are not known (no database scanned): "
                "scan its database into the store and generate the kit again."
            )
    return [roles, users, files, *terms, *paragraphs, *nodes, menus]


def _files_base(site: model.Site) -> str:
    """Where the old site's files are read from: its docroot copy or its URL."""
    if site.origin == "url":
        return site.source.rstrip("/")
    return model.split_source(site.source)[0].rstrip("/")


def _format_process(source: str) -> dict[str, Any]:
    return {
        "plugin": "static_map",
        "source": source,
        "map": dict(FORMATS),
        "default_value": "basic_html",
    }


def _paragraph_migrations(ctx: _Site) -> list[Migration]:
    """Field collections become paragraphs (the paragraphs module reads them)."""
    out = []
    for bundle in ctx.group.site.bundles:
        if bundle.entity_type != "field_collection_item":
            continue
        ptype = machine(bundle.name.removeprefix("field_"))
        m = ctx.mig(
            f"paragraph_{ptype}",
            f"{bundle.label or bundle.name} (field collection into paragraphs)",
            "field_collection_item",
            source={"field_name": bundle.name},
            process={},
            destination={"plugin": "entity_reference_revisions:paragraph", "default_bundle": ptype},
        )
        m.source["plugin"] = "d7_field_collection_item"  # the paragraphs module's source
        for fld in bundle.fields:
            _map_field(ctx, m, fld, fld.name)
        ctx.paragraphs[bundle.name] = m.id
        out.append(m)
    return out


def _node_migration(
    ctx: _Site,
    ctype: model.ContentType,
    unified: model.UnifiedType,
    source: model.TypeSource,
    decisions: Sequence[model.Decision],
) -> Migration:
    """One source content type into its target bundle, field by field as the plan maps it."""
    m = ctx.mig(
        f"node_{ctype.name}",
        f"{ctype.label or ctype.name} into {unified.label or unified.name}",
        "node",
        source={"node_type": ctype.name},
        process={
            "title": "title",
            "uid": {"plugin": "migration_lookup", "migration": ctx.users, "source": "node_uid"},
            "status": "status",
            "created": "created",
            "changed": "changed",
            "promote": "promote",
            "sticky": "sticky",
            "langcode": {"plugin": "default_value", "source": "language", "default_value": "und"},
        },
        destination={"plugin": "entity:node", "default_bundle": unified.name},
        required=[ctx.users],
    )
    own = {f.name: f for f in ctype.fields}
    for source_name, target_name in source.field_map.items():
        fld = own.get(source_name) or next(
            (f for f in unified.fields if f.name == target_name), None
        )
        if fld is not None:
            _map_field(ctx, m, fld, target_name)
    skipped = sorted(set(own) - set(source.field_map))
    for name in skipped:
        m.comments.append(
            f"Not migrated: {name} ({own[name].type}); the target type has no field for it."
        )
    if skipped:
        m.todo.append(f"Fields left out by the plan's content model: {', '.join(skipped)}.")
    answers = {d.id: d for d in decisions}
    mapped = set(source.field_map.values())
    for fld in unified.fields:
        if not fld.required or fld.name in mapped:
            continue
        decision = answers.get(f"required_field:{unified.name}.{fld.name}")
        if decision is None or decision.choice != "default_value":
            continue
        m.process[fld.name] = {"plugin": "default_value", "default_value": None}
        m.comments.append(
            f"{fld.name}: decision {decision.id} gives items of {ctype.name} a default value;"
        )
        m.comments.append("set the value the client names in its default_value above.")
        m.todo.append(f"Set the default value of {fld.name} the client names ({decision.id}).")
    return m


def _map_field(ctx: _Site, m: Migration, fld: model.Field, target: str) -> None:
    """Add one source field's process to a migration, with what it depends on."""
    process, deps, note = _field_process(ctx, fld)
    m.process[target] = process
    m.fields[fld.name] = target
    for dep in deps:
        if dep != m.id and dep not in m.required:
            m.required.append(dep)
    if note:
        m.comments.append(f"{target}: {note}")
        m.todo.append(f"{m.id}: {target}: {note}")


def _lookup(migration: str | list[str], source: str) -> dict[str, Any]:
    return {"plugin": "migration_lookup", "migration": migration, "source": source}


def _field_process(ctx: _Site, fld: model.Field) -> tuple[Any, list[str], str]:
    """(process, migrations it needs, what a developer must check) for one D7 field."""
    name, kind = fld.name, fld.type
    if kind in ("text", "text_long", "text_with_summary"):
        sub = {"value": "value", "format": _format_process("format")}
        if kind == "text_with_summary":
            sub["summary"] = "summary"
        return {"plugin": "sub_process", "source": name, "process": sub}, [], ""
    if kind == "image":
        sub = {
            "target_id": _lookup(ctx.files, "fid"),
            "alt": "alt",
            "title": "title",
            "width": "width",
            "height": "height",
        }
        return {"plugin": "sub_process", "source": name, "process": sub}, [ctx.files], ""
    if kind == "file":
        sub = {
            "target_id": _lookup(ctx.files, "fid"),
            "display": "display",
            "description": "description",
        }
        return {"plugin": "sub_process", "source": name, "process": sub}, [ctx.files], ""
    if kind == "link_field":
        return {"plugin": "field_link", "source": name}, [], ""
    if kind in DATE_FORMATS:
        sub = {
            "value": {
                "plugin": "format_date",
                "from_format": DATE_FORMATS[kind],
                "to_format": "Y-m-d\\TH:i:s",
                "source": "value",
            }
        }
        return {"plugin": "sub_process", "source": name, "process": sub}, [], ""
    if kind == "email":
        return {"plugin": "sub_process", "source": name, "process": {"value": "email"}}, [], ""
    if kind == "field_collection":
        para = ctx.paragraphs.get(name)
        if para is None:
            return name, [], "a field collection whose item fields are not known"
        para_sub: dict[str, Any] = {
            "target_id": [_lookup(para, "value"), {"plugin": "extract", "index": [0]}],
            "target_revision_id": [_lookup(para, "value"), {"plugin": "extract", "index": [1]}],
        }
        return {"plugin": "sub_process", "source": name, "process": para_sub}, [para], ""
    if kind in ("taxonomy_term_reference", "entityreference", "node_reference", "user_reference"):
        return _reference_process(ctx, fld)
    if kind.startswith(("list_", "number_")) or kind == "boolean":
        return name, [], ""
    return name, [], f"field type {kind} is copied as it is; check its values"


def _reference_process(ctx: _Site, fld: model.Field) -> tuple[Any, list[str], str]:
    """References go through the migration of what they point at (ids are not kept)."""
    entity, _, bundles = fld.references.partition(":")
    wanted = [b for b in bundles.split(",") if b]
    column = "tid" if fld.type == "taxonomy_term_reference" else "target_id"
    if fld.type == "node_reference":
        entity, column = "node", "nid"
    elif fld.type == "user_reference":
        entity, column = "user", "uid"
    targets: list[str] = []
    if entity == "taxonomy_term":
        targets = [ctx.terms[b] for b in (wanted or list(ctx.terms)) if b in ctx.terms]
    elif entity == "user":
        targets = [ctx.users]
    elif entity == "node":
        targets = [ctx.nodes[b] for b in (wanted or list(ctx.nodes)) if b in ctx.nodes]
    if not targets:
        return fld.name, [], f"references {fld.references or 'an unknown entity type'}: map the ids"
    lookup = _lookup(targets[0] if len(targets) == 1 else targets, column)
    process = {"plugin": "sub_process", "source": fld.name, "process": {"target_id": lookup}}
    # A node may reference nodes of types migrated later: stubs fill in, so no hard order.
    needs = [t for t in targets if entity != "node"]
    return process, needs, ""


# -- Crawled sources ------------------------------------------------------------------


PAGES_CSV_COLUMNS = ("path", "url", "title", "description", "template", "new_path")


def pages_csv_name(group: str) -> str:
    return f"data/{group}_pages.csv"


def _crawl_migrations(
    group: Group,
    redirects: Sequence[Mapping[str, str]],
    pages: Sequence[model.Page],
) -> tuple[list[Migration], list[dict[str, str]]]:
    """A site seen only from outside: its pages, as crawled, into basic pages."""
    from urllib.parse import urlsplit

    new_path = {
        r["old_url"]: r.get("target", "") for r in redirects if r.get("site") == group.site.id
    }
    rows = []
    for page in pages:
        if page.status != 200 or "html" not in page.content_type:
            continue
        url = page.final_url or page.url
        parts = urlsplit(url)
        rows.append(
            {
                "path": parts.path + (f"?{parts.query}" if parts.query else ""),
                "url": url,
                "title": page.title,
                "description": page.description,
                "template": page.template,
                "new_path": new_path.get(page.url, new_path.get(url, "")),
            }
        )
    rows.sort(key=lambda r: r["path"])
    migration = Migration(
        id=f"{group.id}_page",
        label=f"{group.label}: crawled pages",
        group=group.id,
        tags=["Crawled", "drupalscan"],
        source={
            "plugin": "csv",
            "path": f"../migrations/{pages_csv_name(group.id)}",
            "ids": ["path"],
            "header_offset": 0,
        },
        process={
            "title": "title",
            "path/alias": "new_path",
            "status": {"plugin": "default_value", "default_value": 1},
            "uid": {"plugin": "default_value", "default_value": 1},
        },
        destination={"plugin": "entity:node", "default_bundle": "page"},
        comments=[
            "The crawl keeps titles and paths, not page bodies: fill body/value from the",
            "url column (a scraper, or the editors) before this migration is complete.",
        ],
        todo=[
            f"Page bodies of {group.label} are not in the store: bring them in from the "
            "url column (a scraper or the editors)."
        ],
        fields={"title": "title"},
    )
    return [migration], rows
