"""Build drupalscan's bundled knowledge base from the raw fact files.

Usage::

    python tools/build_kb.py [FACTS_DIR] [--out drupalscan/kb/data]

The fact files live in ``tools/kb-sources/`` (see its README.md): large,
gzipped, and never read at run time. This script distils them into small,
sorted JSON files inside the package. Every derived fact keeps a pointer to where it came from
(repository, path, commit or branch). Output is deterministic: the same input
gives byte-identical files, so a rebuild shows up in review only when the
facts changed.

Only the standard library is used so the builder runs anywhere Python does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

SOURCES = Path(__file__).resolve().parent / "kb-sources"
"""The fact files, kept in the repository (large JSON gzipped) so that any clone
can rebuild the knowledge base and check that the bundled copy is current."""

BRANCHES = ("8.9.x", "9.5.x", "10.6.x", "11.x")
"""Core branches carrying migrate state files, oldest first."""

D8_BRANCH_ORDER = ("8.9.x", "9.5.x", "10.0.x", "10.6.x", "11.0.x", "11.x", "main")
"""Core branches of d8plus-core-modules.json, oldest first."""

KNOWN_MAJORS = (8, 9, 10, 11)
"""Drupal majors released when the evidence was gathered (its newest lock runs
11.4); an open-ended constraint (``>=9``) is not evidence for a later one."""

USAGE_SOURCE = {
    "repo": "https://github.com/SamJoan/droopescan",
    "path": "dscan/plugins/drupal/plugins.txt",
    "branch": "master",
}
THEME_USAGE_SOURCE = {
    "repo": "https://github.com/SamJoan/droopescan",
    "path": "dscan/plugins/drupal/themes.txt",
    "branch": "master",
}
MAINTAINER_SOURCE = {
    "repo": "drupalscan",
    "path": "tools/build_kb.py",
    "branch": "judgement",
}
"""Source of the few judgements the data cannot make on its own (see below)."""

PRIMARY_FACTS: dict[str, tuple[str, ...]] = {
    "replaced": ("upgrade_status_obsolete_replaced_by",),
    "in_core": (
        "upgrade_status_moved_into_core",
        "core_migrate_drupal_state",
        "acquia_migrate_accelerate_preflight",
    ),
    "has_release": (
        "d8plus_release_in_composer_lock",
        "d8plus_release_in_distribution_composer_json",
        "drupal_org_git_mirror_branches_tags",
    ),
    "obsolete": ("acquia_migrate_accelerate_preflight", "core_migrate_drupal_state"),
    "no_release": ("acquia_migrate_accelerate_preflight",),
    "unknown": (),
}
"""Which fact a verdict rests on, so that source is cited first."""

LOOKUPS_READ = "2026-12-02"
"""When drupal-org-lookups.jsonl was read from drupal.org's pages."""

TOP_THEMES = 300
"""Themes that get a verdict: the most used, as issue 13 asks."""

MAX_SOURCES = 6
"""Sources kept per project: the one the verdict rests on first, then the
newest release's, then others. Popular projects are in dozens of lock files;
listing them all would triple the bundle and tell a reader nothing more."""

TOP_PROJECTS = 300
"""Minimum coverage: the most used Drupal 7 projects always get an entry."""

# Judgements the facts alone cannot make. Each says why it exists.
#
# Upgrade Status lists features as "partly in core" and a D8 release exists,
# which would make it has_release; but the D8+ project is a packaging tool for
# core's configuration management, not a port of what D7 sites use it for.
PROJECT_OVERRIDES: dict[str, dict[str, Any]] = {
    # The lock files show a contrib "ckeditor" project for Drupal 9-10: that is
    # core's CKEditor 4 module, moved out when 10.0 dropped it. A Drupal 7
    # site's editor goes to core's CKEditor 5 (in core since 9.3), which wins.
    "ckeditor": {
        "status": "in_core",
        "replacement": "ckeditor5 (core)",
        "note_extra": (
            "Drupal 10+ core edits text with CKEditor 5 (modules ckeditor5 and editor); "
            "the contrib ckeditor project seen in Drupal 9-10 sites only keeps "
            "CKEditor 4 alive and is not a target for a new site."
        ),
        "source": {
            "repo": "https://github.com/drupal/core",
            "path": "modules/ckeditor5/ckeditor5.info.yml",
            "commit": "401b0999cdb9e2ee91b7ec0c73acb254ad184c1f",
        },
    },
    "features": {
        "status": "replaced",
        "replacement": "configuration management (core)",
        "note_extra": (
            "D8+ core exports configuration itself; the D8+ features project "
            "only packages it, so D7 feature modules become config or recipes."
        ),
    },
}

AMA_KEY = "acquia_migrate_accelerate_preflight"
"""Fact type of Acquia Migrate Accelerate's per-module vetting list."""

# What core offers instead, in our words, for projects the sources say core
# covers (Upgrade Status ``in_core_note`` or an AMA note, both upstream prose
# we may not copy). The pair is (replacement when the project is obsolete,
# sentence for the note). Only projects whose source names the alternative
# are listed; the others get a generic sentence.
CORE_ALTERNATIVES: dict[str, tuple[str | None, str]] = {
    "panels": (None, "Layout Builder in core covers most uses"),
    "panelizer": (None, "Layout Builder in core covers most uses"),
    "menu_block": (
        None,
        "Acquia Migrate Accelerate says core now covers most of it (core menu blocks "
        "have level and depth settings)",
    ),
    "imce": (
        "Media Library (core)",
        "core's Media Library covers most uses, and AMA migrates IMCE files into Media",
    ),
    "strongarm": (
        "configuration management (core)",
        "core's configuration system keeps settings in exportable config",
    ),
    "variable": ("configuration system (core)", "core's configuration system replaces it"),
    "jquery_update": (None, "core ships and updates jQuery itself"),
    "views_datasource": (
        "REST export views display (core)",
        "core Views can export JSON through a REST export display",
    ),
    "workbench_moderation": (None, "Content Moderation in core covers most uses"),
    "file_entity": (None, "core file entities and Media cover most uses"),
    "breakpoints": (None, "core's Breakpoint module covers it"),
    "picture": (None, "core's Responsive Image module covers it"),
    "module_filter": (None, "core's Extend page has a search box; the 2.x redesign is not in core"),
    "wysiwyg": (
        "editor + ckeditor5 (core)",
        "core's Editor module with CKEditor 5 takes its place; editor profiles become text formats",
    ),
}

# Verdicts for widely used projects that only an Acquia Migrate Accelerate
# note supports (the structured fact carries no category for them). Each is
# our paraphrase of that note, cited to preflight.json under the module key.
AMA_VERDICTS: dict[str, dict[str, Any]] = {
    "menu_attributes": {
        "status": "replaced",
        "replacement": "link_attributes",
        "note": "AMA names Link Attributes widget as a superset of it on Drupal 9",
    },
    "adminimal_admin_menu": {
        "status": "replaced",
        "replacement": "adminimal_admin_toolbar",
        "note": "AMA names Adminimal Admin Toolbar as its successor",
    },
    "page_title": {
        "status": "replaced",
        "replacement": "metatag",
        "note": "AMA says it was merged into Metatag",
    },
    "features_extra": {
        "status": "replaced",
        "replacement": "configuration management (core)",
        "note": "AMA says Drupal 8+ sites should not need Features; core config management "
        "takes its place",
    },
    "webform_validation": {
        "status": "replaced",
        "replacement": "webform",
        "note": "AMA says part of it was merged into Webform and only the equal-values "
        "validator migrates (via webform_migrate)",
    },
    "gmap": {
        "status": "replaced",
        "replacement": "geolocation",
        "note": "AMA names Geolocation as the accepted successor; no automatic migration yet",
    },
    "views_php": {
        "status": "no_release",
        "note": "AMA advises rewriting its PHP snippets as Views plugins; no Drupal 8+ "
        "release is seen in the data",
    },
    "views_accordion": {
        "status": "has_release",
        "majors": [9],
        "note": "AMA installs it on its Drupal 9 target (its views still need rebuilding)",
    },
    "jcarousel": {
        "status": "has_release",
        "majors": [9],
        "note": "AMA installs it on its Drupal 9 target; its JavaScript library must be "
        "added by hand",
    },
    "swiftmailer": {
        "status": "unknown",
        "note": "AMA warns that the Swift Mailer library it wraps is unmaintained since "
        "November 2021",
    },
}

# D8+ releases named by the sources' notes rather than structured facts.
AMA_RELEASE_MAJORS: dict[str, list[int]] = {
    "menu_block": [9],  # AMA: "a stable Drupal 9 release is available"
}

# Releases the data cannot show (the drupalprojects mirror of imce was not
# available, and no Drupal 11 site in the data uses it) but an expert review
# of the report named. Cited to our judgement with the project page; `kb
# refresh` replaces them with drupal.org's release history.
REVIEWED_RELEASES: dict[str, dict[str, Any]] = {
    "imce": {
        "branches": ["8.x-1.x", "3.x"],
        "majors": [8],
        "url": "https://www.drupal.org/project/imce",
    },
}
REVIEW_SOURCE = {**MAINTAINER_SOURCE, "branch": "expert review"}

# Drupal 7 core modules that left core without a same-named successor; the
# data says only that no upgrade path exists ("core" keyword), so the
# replacement text is ours.
CORE_REPLACEMENT_TEXT: dict[str, str | None] = {
    "dashboard": None,
    "openid": "contrib sign-on modules (e.g. openid_connect)",
    "overlay": None,
    "php": None,
    "poll": "contrib project poll",
    "translation": "content_translation (core)",
    "trigger": "action (core, deprecated) or contrib automation (e.g. eca)",
    "simpletest": "PHPUnit tests (core)",
}

# Severity of API changes: our own judgement of rewrite cost.
HIGH_API = {
    "theme",
    "hook_menu",
    "hook_menu_alter",
    "hook_block_info",
    "hook_block_view",
    "hook_block_configure",
    "hook_block_save",
    "hook_field_info",
    "hook_field_schema",
    "hook_field_formatter_info",
    "hook_field_formatter_view",
    "hook_field_widget_info",
    "hook_field_widget_form",
    "hook_field_attach_load",
    "hook_entity_info",
    "hook_node_info",
    "hook_init",
    "hook_boot",
    "hook_page_build",
    "hook_page_alter",
    "hook_filter_info",
    "hook_search_info",
    "hook_action_info",
    "hook_trigger_info",
    "hook_element_info",
    "drupal_get_form",
    "field_attach_load",
}
LOW_API = {
    "check_plain",
    "drupal_strlen",
    "drupal_strtolower",
    "drupal_substr",
    "format_plural",
    "format_interval",
    "format_size",
    "drupal_html_id",
    "drupal_clean_css_identifier",
    "element_children",
    "timer_start",
    "get_t",
    "st",
    "user_is_anonymous",
    "user_is_logged_in",
    "drupal_get_path",
    "module_load_include",
    "theme_get_registry",
    "watchdog_exception",
    "file_create_url",
    "check_markup",
    "render",
    "hook_form_alter",
}

# Short replacement text in our own words, keyed by D7 symbol.
API_REPLACEMENTS: dict[str, str] = {
    "arg": "route parameters or the current_route_match service",
    "block_load": "Block::load()",
    "cache_clear_all": "cache tags and Cache::invalidateTags()",
    "cache_get": "\\Drupal::cache()->get()",
    "cache_set": "\\Drupal::cache()->set()",
    "check_markup": "a #type processed_text render array",
    "check_plain": "Html::escape() or Twig auto-escaping",
    "current_path": "the path.current service",
    "db_delete": "injected database connection ->delete()",
    "db_insert": "injected database connection ->insert()",
    "db_merge": "injected database connection ->merge()",
    "db_query": "injected database connection ->query()",
    "db_query_range": "injected database connection ->queryRange()",
    "db_select": "injected database connection ->select() or an entity query",
    "db_transaction": "injected database connection ->startTransaction()",
    "db_update": "injected database connection ->update()",
    "drupal_access_denied": "throw AccessDeniedHttpException",
    "drupal_add_css": "#attached libraries (*.libraries.yml)",
    "drupal_add_http_header": "headers on the Response object",
    "drupal_add_js": "#attached libraries and drupalSettings",
    "drupal_add_library": "#attached libraries",
    "drupal_alter": "the module_handler service ->alter()",
    "drupal_exit": "return a Response",
    "drupal_get_destination": "the redirect.destination service",
    "drupal_get_form": "\\Drupal::formBuilder()->getForm() with a form class",
    "drupal_get_messages": "the messenger service",
    "drupal_get_path": "the extension.list.module service ->getPath()",
    "drupal_get_title": "the title_resolver service",
    "drupal_goto": "return a RedirectResponse",
    "drupal_http_request": "the http_client (Guzzle) service",
    "drupal_is_front_page": "the path.matcher service ->isFrontPage()",
    "drupal_json_output": "return a JsonResponse",
    "drupal_mail": "the plugin.manager.mail service ->mail()",
    "drupal_not_found": "throw NotFoundHttpException",
    "drupal_render": "the renderer service",
    "drupal_set_message": "the messenger service ->addMessage()",
    "drupal_set_title": "a _title route default or #title",
    "drupal_write_record": "entity storage or the database service",
    "entity_get_info": "the entity_type.manager service",
    "entity_label": "$entity->label()",
    "entity_load": "the entity_type.manager storage ->load()",
    "entity_uri": "$entity->toUrl()",
    "field_get_items": "$entity->get($field_name)",
    "field_info_field": "FieldStorageConfig::loadByName()",
    "field_info_instance": "FieldConfig::loadByName()",
    "field_view_field": "$entity->get($field)->view()",
    "file_create_url": "the file_url_generator service",
    "file_load": "File::load()",
    "file_save": "$file->save()",
    "filter_xss": "Xss::filter()",
    "filter_xss_admin": "Xss::filterAdmin()",
    "form_get_errors": "$form_state->getErrors()",
    "form_set_error": "$form_state->setErrorByName()",
    "format_date": "the date.formatter service",
    "format_plural": "\\Drupal::translation()->formatPlural()",
    "l": "Link::fromTextAndUrl() or a #type link element",
    "menu_get_item": "the current_route_match service",
    "menu_get_object": "route parameters via current_route_match",
    "module_exists": "\\Drupal::moduleHandler()->moduleExists()",
    "module_implements": "the module_handler service",
    "module_invoke": "the module_handler service ->invoke()",
    "module_invoke_all": "the module_handler service ->invokeAll()",
    "node_access": "$node->access()",
    "node_delete": "$node->delete()",
    "node_load": "Node::load()",
    "node_load_multiple": "Node::loadMultiple()",
    "node_save": "$node->save()",
    "node_view": "the entity view builder",
    "render": "the renderer service",
    "request_path": "the request object or path.current service",
    "taxonomy_get_tree": "taxonomy_term storage ->loadTree()",
    "taxonomy_term_load": "Term::load()",
    "theme": "render arrays with #theme and Twig templates",
    "url": "Url objects (Url::fromRoute(), ->toString())",
    "user_access": "$account->hasPermission()",
    "user_load": "User::load()",
    "user_load_multiple": "User::loadMultiple()",
    "user_save": "$account->save()",
    "variable_del": "configuration API or State API",
    "variable_get": "configuration API (\\Drupal::config()) or State API",
    "variable_set": "configuration API (editable config) or State API",
    "watchdog": "the logger.factory service (PSR-3)",
    "hook_block_info": "block plugins (@Block / #[Block])",
    "hook_block_view": "block plugin ->build()",
    "hook_block_configure": "block plugin ->blockForm()",
    "hook_block_save": "block plugin ->blockSubmit()",
    "hook_boot": "event subscribers or middleware",
    "hook_init": "an event subscriber on kernel.request",
    "hook_exit": "an event subscriber on kernel.terminate",
    "hook_menu": "*.routing.yml routes plus menu/tab/action YAML files",
    "hook_menu_alter": "a route subscriber (alterRoutes)",
    "hook_permission": "*.permissions.yml",
    "hook_field_info": "field type plugins",
    "hook_field_schema": "FieldItem ::schema()",
    "hook_field_formatter_info": "field formatter plugins",
    "hook_field_formatter_view": "formatter plugin ->viewElements()",
    "hook_field_widget_info": "field widget plugins",
    "hook_field_widget_form": "widget plugin ->formElement()",
    "hook_entity_info": "entity type classes (annotations or attributes)",
    "hook_node_info": "node type configuration entities",
    "hook_filter_info": "filter plugins",
    "hook_page_build": "hook_page_attachments() or blocks",
    "hook_page_alter": "hook_page_attachments_alter() or render arrays",
    "hook_form_alter": "still exists; $form_state is a FormStateInterface object",
    "hook_node_view": "hook_ENTITY_TYPE_view() with a changed signature",
    "hook_watchdog": "a PSR-3 logger service",
    "hook_library": "*.libraries.yml",
    "hook_cron_queue_info": "queue worker plugins",
    "hook_element_info": "render element plugins",
    "hook_search_info": "search plugins",
    "hook_action_info": "action plugins",
    "hook_image_effect_info": "image effect plugins",
    "hook_stream_wrappers": "tagged stream_wrapper services",
    "hook_process": "preprocess functions only",
    "hook_admin_paths": "_admin_route route option",
    "hook_custom_theme": "theme negotiator services",
    "$_GET['q']": "the current_route_match or path.current service",
}

PHP_ENTRIES = (
    {
        "symbol": "$_GET['q']",
        "kind": "php",
        "pattern": r"\$_(?:GET|REQUEST)\s*\[\s*['\"]q['\"]\s*\]",
        "severity": "medium",
        "from": "current_path",
        "why": "D8+ routing no longer passes the path in the q query argument",
    },
)


def load_json(path: Path) -> Any:
    """Read one JSON file, or its ``.gz`` beside it (how tools/kb-sources keeps them)."""
    if not path.is_file() and path.with_name(path.name + ".gz").is_file():
        with gzip.open(path.with_name(path.name + ".gz"), "rt", encoding="utf-8") as fh:
            return json.load(fh)
    return json.loads(path.read_text(encoding="utf-8"))


def dump(path: Path, data: Any) -> None:
    """Write compact, key-sorted JSON with a final newline (byte-stable)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")


def https_repo(repo: str) -> str:
    """Normalise ``github.com/x/y (comment)`` to ``https://github.com/x/y``."""
    repo = repo.split(" (")[0].strip()
    if repo.startswith("https://"):
        return repo
    return "https://" + repo.removeprefix("http://")


def https_url(url: str) -> str:
    """Normalise drupal.org URLs to https://www.drupal.org and drop stray dots."""
    url = url.strip().rstrip(".")
    url = re.sub(r"^https?://(www\.)?drupal\.org", "https://www.drupal.org", url)
    return url


def make_source(src: dict[str, Any], path: str | None = None) -> dict[str, str]:
    """Reduce a raw ``source`` object to {repo, path, commit|branch}."""
    out = {"repo": https_repo(str(src.get("repo", "")))}
    p = path or src.get("path") or (src.get("paths") or [None])[0] or src.get("refs")
    if p:
        out["path"] = str(p)
    if src.get("commit"):
        out["commit"] = str(src["commit"])
    elif src.get("branch"):
        out["branch"] = str(src["branch"])
    return out


def unique_sources(sources: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """Deduplicate and sort sources so output does not depend on input order."""
    seen = {json.dumps(s, sort_keys=True): s for s in sources if s.get("repo")}
    return [seen[k] for k in sorted(seen)]


def constraint_majors(constraint: str | None) -> set[int]:
    """Drupal majors named by a composer constraint such as ``^10.3 || ^11``.

    Each alternative contributes the major it starts with; ``>=`` constraints
    are open-ended and so also cover every later known major.
    """
    majors: set[int] = set()
    if not constraint:
        return majors
    for part in re.split(r"\|+", constraint):
        part = part.strip()
        m = re.match(r"(>=?|\^|~|=)?\s*v?(\d+)", part)
        if not m:
            continue
        major = int(m.group(2))
        if m.group(1) in (">=", ">"):
            majors.update(k for k in KNOWN_MAJORS if k >= major)
        else:
            majors.add(major)
    return {m for m in majors if m in KNOWN_MAJORS}


def version_key(version: str) -> tuple[int, ...]:
    """Sort key for dotted core versions like 7.105 (numeric, not lexical)."""
    return tuple(int(x) for x in re.findall(r"\d+", version))


# ---------------------------------------------------------------- core modules


def d8_presence(d8: dict[str, Any], name: str) -> tuple[list[str], dict[str, str]]:
    """Branches holding a same-named D8+ core module and its lifecycle per branch."""
    present, lifecycle = [], {}
    for branch in D8_BRANCH_ORDER:
        mod = d8["branches"].get(branch, {}).get("modules", {}).get(name)
        if mod is not None:
            present.append(branch)
            if mod.get("lifecycle"):
                lifecycle[branch] = mod["lifecycle"]
    return present, lifecycle


def removal_version(present: list[str]) -> str | None:
    """The core release a module left in, from the first branch lacking it."""
    if not present or "11.x" in present:
        if present and "main" not in present and "11.x" in present:
            return "12.0"
        return None
    last = D8_BRANCH_ORDER.index(present[-1])
    nxt = D8_BRANCH_ORDER[last + 1]
    return {"10.0.x": "10.0", "11.0.x": "11.0", "9.5.x": "9.0"}.get(nxt, nxt.rstrip(".x"))


def migrate_summary(
    states: dict[str, Any], branches: dict[str, Any]
) -> tuple[dict[str, str], list[str], list[str], list[dict[str, str]]]:
    """Per-branch migrate state, newest destinations, core-keyword declarers, sources."""
    migrate: dict[str, str] = {}
    dest: list[str] = []
    keyword_by: list[str] = []
    sources = []
    for branch in BRANCHES:
        st = states.get(branch)
        migrate[branch] = st["overall"] if st else "not_declared"
        if st:
            dest = sorted(st["destination_modules"])
            keyword_by = sorted(st.get("core_keyword_declared_by") or [])
            for decl in st.get("declarations", []):
                sources.append(
                    {
                        "repo": "https://github.com/drupal/core",
                        "path": decl["path"],
                        "commit": branches[branch]["commit"],
                    }
                )
    return migrate, dest, keyword_by, sources


def build_core(data: Path) -> dict[str, Any]:
    """Drupal 7 core modules, themes and profiles with their Drupal 8+ fate."""
    core = load_json(data / "d7-core-modules.json")
    state = load_json(data / "migrate-state.json")
    d8 = load_json(data / "d8plus-core-modules.json")
    d7_src = {
        "repo": https_repo(core["source"]["repo"]),
        "commit": core["source"]["commit"],
    }
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "drupal_version": core["drupal_version"],
        "modules": {},
        "themes": {},
        "profiles": {},
    }
    for mod in core["modules"]:
        name = mod["machine_name"]
        present, lifecycle = d8_presence(d8, name)
        migrate, dest, keyword_by, msources = migrate_summary(
            state["d7"].get(name, {}), state["branches"]
        )
        entry = core_fate(name, present, lifecycle, dest, keyword_by)
        entry.update(
            {
                "name": name,
                "label": mod["name"],
                "type": "module",
                "package": mod.get("package") or "",
                "dependencies": sorted(mod.get("dependencies") or []),
                "required": bool(mod.get("required")),
                "hidden": bool(mod.get("hidden")),
                "migrate": migrate,
                "migrate_destinations": dest,
                "d8_branches": present,
                "lifecycle": lifecycle,
                "source": {**d7_src, "path": mod["path"]},
                "sources": unique_sources(
                    [{**d7_src, "path": mod["path"]}, *msources, *entry.pop("_sources")]
                ),
            }
        )
        finished = [b for b in BRANCHES if migrate[b] == "finished"]
        if migrate["11.x"] == "not_finished":
            entry["migration_path"] = False
        else:
            entry["migration_path"] = True if finished else None
        out["modules"][name] = entry
    for kind, items in (("themes", core["themes"]), ("profiles", core["profiles"])):
        for item in items:
            out[kind][item["machine_name"]] = {
                "name": item["machine_name"],
                "label": item["name"],
                "type": kind[:-1],
                "package": item.get("package") or "",
                "dependencies": sorted(item.get("dependencies") or []),
                "base_theme": item.get("base theme"),
                "source": {**d7_src, "path": item["path"]},
            }
    return out


def core_fate(
    name: str,
    present: list[str],
    lifecycle: dict[str, str],
    dest: list[str],
    keyword_by: list[str],
) -> dict[str, Any]:
    """Decide what became of one Drupal 7 core module in Drupal 8+ core."""
    real_dest = [d for d in dest if d != "core"]
    d8_src = [
        {
            "repo": "https://github.com/drupal/core",
            "path": f"modules/{name}/{name}.info.yml",
            "branch": b,
        }
        for b in present[-1:]
    ]
    removed_in = removal_version(present)
    fate: dict[str, Any] = {
        "d8_counterpart": {"kind": "same", "modules": [name], "removed_in": None},
        "status": "core",
        "replacement": None,
        "note": "",
        "_sources": d8_src,
    }
    if "11.x" in present:
        dep = lifecycle.get("11.x")
        if dep and removed_in:
            fate["d8_counterpart"]["removed_in"] = removed_in
            fate["note"] = (
                f"Same module in Drupal 10/11 core; {dep} in 11.x and gone from the "
                f"Drupal {removed_in.split('.')[0]} development branch."
            )
        elif dep:
            fate["note"] = f"Same module in Drupal 10/11 core, marked {dep} in 11.x."
        else:
            fate["note"] = "Same module in Drupal 10/11 core."
        return fate
    if present:
        life = lifecycle.get(present[-1], "")
        fate["d8_counterpart"] = {
            "kind": "removed",
            "modules": [name],
            "removed_in": removed_in,
        }
        if life == "obsolete":
            fate["status"] = "obsolete"
            fate["replacement"] = CORE_REPLACEMENT_TEXT.get(name)
            fate["note"] = f"Obsolete in core {present[-1]} and removed in {removed_in}."
        else:
            gone = (removed_in or "?").split(".")[0]
            fate["status"] = "has_release"
            fate["replacement"] = f"contrib project {name}"
            fate["note"] = (
                f"In core until {present[-1]} ({life or 'kept'}), removed in "
                f"{removed_in}: on Drupal {gone}+ install the "
                "contributed project of the same name and check its release."
            )
        return fate
    # Never in Drupal 8+ core under this name.
    if real_dest:
        kind = "renamed" if len(real_dest) == 1 else "split"
        fate["d8_counterpart"] = {"kind": kind, "modules": real_dest, "removed_in": "8.0"}
        fate["status"] = "in_core"
        fate["replacement"] = ", ".join(real_dest)
        fate["note"] = (
            "Not a Drupal 8+ module; core migrates its data into " + ", ".join(real_dest) + "."
        )
        return fate
    if "core" in dest and any(k != "migrate_drupal" for k in keyword_by):
        fate["d8_counterpart"] = {"kind": "merged", "modules": ["field"], "removed_in": "8.0"}
        fate["status"] = "in_core"
        fate["replacement"] = "core field types"
        fate["note"] = "Its field types are migrated by core itself."
        return fate
    fate["d8_counterpart"] = {"kind": "removed", "modules": [], "removed_in": "8.0"}
    fate["status"] = "obsolete"
    fate["replacement"] = CORE_REPLACEMENT_TEXT.get(name)
    fate["note"] = "Dropped from core in Drupal 8; core migrates nothing for it."
    if fate["replacement"]:
        fate["_sources"] = [MAINTAINER_SOURCE]
    return fate


# ------------------------------------------------------------ contrib projects


def fact_signals(facts: list[dict[str, Any]]) -> dict[str, Any]:
    """Collect the decision-relevant signals from a module's facts."""
    sig: dict[str, Any] = {
        "moved": None,
        "replaced_by": [],
        "majors": set(),
        "replacement_majors": set(),
        "release_seen": False,
        "d11_lock": False,
        "core_state": None,
        "core_dest": [],
        "core_keyword_by": [],
        "ama": set(),
        "ama_vetted": None,
        "contrib_state": [],
        "contrib_migration": None,
        "sources": [],
        "by_type": {},
        "seen": [],
        "untagged_8x": False,
        "dev_branch": None,
        "dev_source": None,
        "releases": [],
    }
    newest_state_rank = -1
    for fact in facts:
        t, v, src = fact["type"], fact.get("value", {}), fact.get("source", {})
        source = make_source(src)
        if t == "upgrade_status_moved_into_core":
            sig["moved"] = v
        elif t == "upgrade_status_obsolete_replaced_by":
            sig["replaced_by"] = list(v.get("replaced_by") or [])
        elif t == "d8plus_release_in_composer_lock":
            majors = constraint_majors(v.get("requires_drupal_core"))
            if not majors and v.get("installed_with_core"):
                majors = constraint_majors(v["installed_with_core"])
            sig["majors"] |= majors
            sig["release_seen"] = True
            sig["d11_lock"] = True
            sig["seen"].append(
                (
                    "lock",
                    str(v.get("drupal_version") or v.get("version") or "?"),
                    tuple(sorted(majors)),
                )
            )
            sig["releases"].append(
                {
                    "version": str(v.get("drupal_version") or v.get("version") or "?"),
                    "majors": sorted(majors),
                    "seen": str(v.get("seen_date") or src.get("commit_date") or "")[:10] or None,
                    "source": source,
                }
            )
        elif t == "d8plus_release_in_distribution_composer_json":
            majors = constraint_majors(v.get("with_drupal_core_recommended"))
            sig["majors"] |= majors
            sig["release_seen"] = True
            sig["d11_lock"] = True
            sig["seen"].append(("dist", str(v.get("pinned_version") or "?"), tuple(sorted(majors))))
        elif t == "d8plus_dev_branch_in_composer_lock":
            # A dev checkout shows a Drupal 8+ branch, not a release; it is
            # cited only when nothing better is known (see decide).
            sig["dev_branch"] = sig["dev_branch"] or str(v.get("version") or "dev")
            sig["dev_source"] = sig["dev_source"] or source
            continue
        elif t == "replacement_release_in_composer_lock":
            sig["replacement_majors"] |= constraint_majors(v.get("requires_drupal_core"))
        elif t == "drupal_org_git_mirror_branches_tags":
            if v.get("n_8x_tags"):
                sig["majors"].add(8)
                sig["release_seen"] = True
                stable = v.get("latest_8x_stable_tag")
                sig["seen"].append(
                    ("tag", str(stable or v.get("latest_8x_tag")), (8,), bool(stable))
                )
            else:
                # An 8.x branch without a tag is not a release; an empty
                # mirror says nothing. Neither is cited as a source.
                sig["untagged_8x"] = sig["untagged_8x"] or bool(v.get("branches_8x"))
                continue
        elif t == "core_migrate_drupal_state":
            rank = BRANCHES.index(fact["value"]["core_branch"])
            if rank > newest_state_rank:
                newest_state_rank = rank
                sig["core_state"] = v["state"]
                sig["core_dest"] = sorted(v.get("destination_modules") or [])
                sig["core_keyword_by"] = sorted(v.get("core_keyword_declared_by") or [])
        elif t == "acquia_migrate_accelerate_preflight":
            sig["ama"] |= set(v.get("note_categories") or [])
            sig["ama_vetted"] = bool(v.get("vetted"))
        elif t == "contrib_migrate_drupal_state":
            sig["contrib_state"].append(v.get("state"))
        elif t == "contrib_migration_module":
            sig["contrib_migration"] = v.get("d8_project")
        elif t == "same_machine_name_module_in_d8plus_core":
            continue  # same name only; not evidence on its own
        sig["sources"].append(source)
        sig["by_type"].setdefault(t, source)
    return sig


def merge_signals(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Combine the signals of a project's modules; the main module comes first."""
    sig = dict(parts[0])
    # Core-coverage claims about a submodule (e.g. a ctools submodule) say
    # nothing about the project, so only the main module's vetting counts.
    sig["ama_main"] = set(parts[0]["ama"])
    for other in parts[1:]:
        for key in ("majors", "replacement_majors", "ama"):
            sig[key] = sig[key] | other[key]
        for key in ("release_seen", "d11_lock"):
            sig[key] = sig[key] or other[key]
        sig["seen"] = sig["seen"] + other["seen"]
        sig["releases"] = sig["releases"] + other["releases"]
        sig["sources"] = sig["sources"] + other["sources"]
        sig["by_type"] = {**other["by_type"], **sig["by_type"]}
        sig["contrib_state"] = sig["contrib_state"] + other["contrib_state"]
        firsts = ("moved", "core_state", "contrib_migration", "ama_vetted")
        for key in (*firsts, "dev_branch", "dev_source"):
            if sig[key] is None:
                sig[key] = other[key]
        if not sig["replaced_by"]:
            sig["replaced_by"] = other["replaced_by"]
    return sig


def apply_curated(name: str, sig: dict[str, Any]) -> dict[str, Any]:
    """Add the release evidence that only notes or the expert review give.

    Kept apart from fact_signals so the structured facts stay untouched and
    every curated addition is visible in one place (and cited in decide).
    """
    ama_majors = list(AMA_RELEASE_MAJORS.get(name, []))
    verdict = AMA_VERDICTS.get(name)
    if verdict and verdict["status"] == "has_release":
        ama_majors += verdict.get("majors", [])
    if ama_majors:
        sig["ama_majors"] = sorted(set(ama_majors))
        sig["majors"] = sig["majors"] | set(ama_majors)
        sig["release_seen"] = True
    review = REVIEWED_RELEASES.get(name)
    if review:
        sig["review"] = review
        sig["majors"] = sig["majors"] | set(review["majors"])
        sig["release_seen"] = True
    return sig


def release_key(version: str) -> tuple[int, ...]:
    """Order drupal.org release names old to new: ``8.x-1.10`` < ``2.0.3``.

    The ``8.x-`` prefix is the core line, not part of the project version;
    a pre-release sorts below its release (``2.0.0-beta3`` < ``2.0.0``).
    """
    base, _, pre = version.removeprefix("8.x-").partition("-")
    numbers = [int(x) for x in re.findall(r"\d+", base)][:3]
    numbers += [0] * (3 - len(numbers))
    stage = 9
    if pre:
        m = re.match(r"(alpha|beta|rc)(\d*)", pre)
        stage = {"alpha": 1, "beta": 2, "rc": 3}[m.group(1)] if m else 0
        numbers += [stage, int(m.group(2) or 0) if m else 0]
    else:
        numbers += [stage, 0]
    return tuple(numbers)


def newest_release(releases: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The newest Drupal 8+ release the data shows, with its majors and source."""
    if not releases:
        return None
    best = max(releases, key=lambda r: (release_key(r["version"]), r["seen"] or ""))
    return {k: best[k] for k in ("version", "majors", "seen", "source") if best.get(k)}


def release_text(sig: dict[str, Any]) -> str:
    """Which Drupal 8+ releases the data shows, and for which core majors.

    The majors are only what the evidence says: a 2018 git mirror tag proves a
    Drupal 8 release and nothing about 9-11, so such a note says newer majors
    were not checked instead of implying there are none.
    """
    parts: list[str] = []
    locks = [s for s in sig["seen"] if s[0] == "lock"]
    if locks:
        newest = max(locks, key=lambda s: release_key(s[1]))
        majors = sorted({m for s in locks for m in s[2]})
        parts.append(
            f"{newest[1]} in real Drupal 9-11 sites' composer.lock files"
            + (f", for core {', '.join(map(str, majors))}" if majors else "")
        )
    for kind, version, majors, *_ in sig["seen"]:
        if kind == "dist":
            parts.append(f"{version} in az_quickstart, for core {', '.join(map(str, majors))}")
    tags = [s for s in sig["seen"] if s[0] == "tag"]
    if tags:
        tag = max(tags, key=lambda s: (s[3], version_key(s[1])))
        kind = "tag" if tag[3] else "pre-release tag only"
        parts.append(f"{tag[1]} {kind} in a 2011-2018 git mirror")
    for major in sig.get("ama_majors", ()):
        parts.append(f"AMA names a Drupal {major} release")
    review = sig.get("review")
    if review:
        parts.append(
            "an expert review names branches " + ", ".join(review["branches"]) + "; not in the data"
        )
    majors = sorted(sig["majors"])
    text = "seen for Drupal " + ", ".join(map(str, majors)) if majors else "seen"
    unique = list(dict.fromkeys(parts))
    text += " (" + "; ".join(unique) + ")" if unique else ""
    if majors and max(majors) < 10:
        text += "; newer majors are not in the data (check drupal.org or run kb refresh)"
    return text


def decide(name: str, sig: dict[str, Any]) -> dict[str, Any]:
    """Turn signals into status, replacement, migration_path and a note.

    Order matters:

    1. An explicit replacement (Upgrade Status) beats everything.
    2. ``in_core`` when core itself carries the Drupal 7 data (core migrates
       it, or declares it needs no upgrade path of its own and Upgrade Status
       says the move is complete): views, date, link, entityreference, ...
       A contrib project of the same name does not change that.
    3. A source says core covers it *and* a Drupal 8+ release of the same
       project is seen: ``has_release``, with the core alternative in the note
       (panels: Layout Builder). Calling these "moved into core" told readers
       to drop modules that still ship.
    4. AMA calls it obsolete, core does not migrate it and no release is
       seen: ``obsolete`` (strongarm, variable, jquery_update).
    5. A source says core covers it and no release is seen: ``in_core``.
    6. A release alone: ``has_release``. Absence of evidence is ``unknown``,
       never ``no_release``.
    """
    moved = sig["moved"]
    ama_main = sig.get("ama_main", sig["ama"])
    real_dest = [d for d in sig["core_dest"] if d != "core"]
    handled_by_core = "core" in sig["core_dest"] and any(
        k != "migrate_drupal" for k in sig["core_keyword_by"]
    )
    legacy_no_path = "core" in sig["core_dest"] and "migrate_drupal" in sig["core_keyword_by"]
    complete = bool(moved and moved.get("in_core_complete") is True)
    absorbed = bool(
        (real_dest and sig["core_state"] == "finished")
        or handled_by_core
        or (sig["core_state"] == "finished" and complete)
        or (legacy_no_path and complete)
    )
    core_says = bool(moved) or "functionality_in_core" in ama_main
    alt_replacement, alt_sentence = CORE_ALTERNATIVES.get(name, (None, ""))
    release = release_text(sig)
    notes: list[str] = []
    replacement = None
    replacements: list[str] = []
    primary: dict[str, str] | None = None
    ama_verdict = AMA_VERDICTS.get(name)
    if sig["replaced_by"]:
        status = "replaced"
        replacements = sorted(set(sig["replaced_by"]), key=sig["replaced_by"].index)
        replacement = replacements[0]
        notes.append(
            "Upgrade Status lists it as obsolete, superseded by " + ", ".join(replacements)
        )
        if sig["replacement_majors"]:
            majors = ", ".join(str(m) for m in sorted(sig["replacement_majors"]))
            notes.append(f"the replacement runs on Drupal {majors}")
    elif absorbed:
        status = "in_core"
        if real_dest:
            replacement = ", ".join(real_dest)
            notes.append("Core migrates it into " + replacement)
        elif handled_by_core:
            notes.append("Core migrates its field data itself")
        elif legacy_no_path:
            notes.append("Part of Drupal 8+ core; core declares it needs no upgrade path")
        else:
            notes.append("Its functionality is part of Drupal 8+ core, which migrates it")
        if sig["release_seen"]:
            notes.append(
                "a contrib project of the same name also has D8+ releases, but core "
                "carries the Drupal 7 data"
            )
    elif core_says and sig["release_seen"]:
        status = "has_release"
        if alt_sentence:
            core_note = alt_sentence[:1].upper() + alt_sentence[1:]
        elif moved:
            core_note = "Upgrade Status says core covers part of it"
        else:
            core_note = "Acquia Migrate Accelerate says core now covers most of it"
        notes.append(core_note + ", but the project itself has Drupal 8+ releases, " + release)
    elif "obsolete" in ama_main and not sig["release_seen"]:
        status = "obsolete"
        replacement = alt_replacement
        notes.append("Acquia Migrate Accelerate calls it obsolete on Drupal 8+")
        if alt_sentence:
            notes.append(alt_sentence)
    elif core_says:
        status = "in_core"
        replacement = alt_replacement
        if complete:
            notes.append("Upgrade Status says its functionality is in Drupal 8+ core")
        elif moved:
            notes.append("Upgrade Status says core covers part of it; check the gaps")
        else:
            notes.append("Acquia Migrate Accelerate says core covers its functionality")
        if alt_sentence:
            notes.append(alt_sentence)
        notes.append("no Drupal 8+ release of the project is seen in the data")
    elif sig["release_seen"]:
        status = "has_release"
        notes.append("The same project has Drupal 8+ releases, " + release)
        if "obsolete" in ama_main:
            notes.append("Acquia Migrate Accelerate nevertheless calls it obsolete")
    elif "obsolete" in sig["ama"] or legacy_no_path:
        status = "obsolete"
        notes.append("No longer needed on Drupal 8+; core has no data to migrate for it")
    elif sig["ama"] & {"no_replacement", "unstable_or_unsupported"}:
        status = "no_release"
        notes.append("Migration vetting found no supported D8+ path")
    else:
        status = "unknown"
        notes.append(
            "No source in the knowledge base says whether a Drupal 8+ release exists "
            "(absence of evidence, not evidence of absence)"
        )
        if sig["ama_vetted"] and not sig["ama"]:
            notes.append("Acquia Migrate Accelerate lists it as vetted but states no path")
        if sig["untagged_8x"]:
            notes.append("a 2011-2018 git mirror has an 8.x branch but no 8.x tag")
        if sig["dev_branch"]:
            notes.append(
                f"a real Drupal 9-11 site installs its development branch ({sig['dev_branch']}), "
                "but no tagged release is seen"
            )
            primary = sig["dev_source"]

    # An AMA remark without a verdict ("unknown") does not undo a release seen.
    if (
        ama_verdict
        and status in ("unknown", "has_release")
        and not sig["replaced_by"]
        and not (ama_verdict["status"] == "unknown" and status == "has_release")
    ):
        status = ama_verdict["status"]
        replacement = ama_verdict.get("replacement")
        replacements = [replacement] if replacement else []
        note = ama_verdict["note"]
        if status == "has_release":
            notes = [note[:1].upper() + note[1:], "releases " + release_text(sig)]
            primary = sig["by_type"].get(AMA_KEY)
        elif status == "unknown":
            notes.append(note)
        else:
            notes = [note[:1].upper() + note[1:]]
        primary = sig["by_type"].get(AMA_KEY)
    elif ama_verdict and ama_verdict["status"] == "unknown":
        notes.append(ama_verdict["note"])

    override = PROJECT_OVERRIDES.get(name)
    if override:
        status = override["status"]
        replacement = override["replacement"]
        replacements = [replacement]
        notes = [override["note_extra"]]
        sig["sources"] = sig["sources"] + [override.get("source", MAINTAINER_SOURCE)]
    if status == "obsolete" and replacement:
        replacements = [replacement]

    migration_path: bool | None = None
    if sig["core_state"] == "finished":
        migration_path = True
    elif sig["core_state"] == "not_finished":
        migration_path = False
    if "not_finished" in sig["contrib_state"] and migration_path is None:
        migration_path = False
        notes.append("its own migration is declared unfinished")
    elif "finished" in sig["contrib_state"] and migration_path is None:
        migration_path = True
    if sig["contrib_migration"] and migration_path is None:
        migration_path = True
        notes.append(f"{sig['contrib_migration']} provides migrations")
    if migration_path is None and sig["ama_vetted"]:
        migration_path = True
    if "security_risk" in sig["ama"]:
        notes.append("flagged as a security risk")
    note = "; ".join(notes).rstrip(".") + "."
    if primary is None:
        for fact_type in PRIMARY_FACTS[status]:
            primary = sig["by_type"].get(fact_type)
            if primary:
                break
    if sig.get("review") and status == "has_release":
        primary = {**REVIEW_SOURCE, "url": sig["review"]["url"]}
        sig["sources"] = sig["sources"] + [primary]
    if override:
        primary = override.get("source", MAINTAINER_SOURCE)
    return {
        "primary_source": primary,
        "status": status,
        "replacement": replacement,
        "replacements": replacements,
        "d8_majors": sorted(sig["majors"]),
        "newest_release": newest_release(sig["releases"]) if status == "has_release" else None,
        "migration_path": migration_path,
        "note": note,
    }


def composer_evidence(data: Path) -> dict[str, list[dict[str, Any]]]:
    """Facts from real Drupal 9-11 sites' composer.lock files, per drupal.org project.

    Each locked version becomes one fact in the shape of contrib-d7.json's
    ``d8plus_release_in_composer_lock`` (dev checkouts get their own type:
    they show a branch, not a release), cited to the lock it was read from.
    """
    evidence = load_json(data / "d8plus-composer-evidence.json")
    locks = {src["id"]: src for src in evidence["sources"]}
    out: dict[str, list[dict[str, Any]]] = {}
    for project, entry in evidence["projects"].items():
        facts = []
        for version in entry["versions"]:
            lock = locks[version["source"]]
            dev = version["drupal_version"] is None or "dev" in version["version"]
            facts.append(
                {
                    "type": (
                        "d8plus_dev_branch_in_composer_lock"
                        if dev
                        else "d8plus_release_in_composer_lock"
                    ),
                    "value": {
                        "composer_package": f"drupal/{project}",
                        "version": version["version"],
                        "drupal_version": version["drupal_version"],
                        "requires_drupal_core": version["core_constraint"],
                        "installed_with_core": version["highest_core_in_these_locks"],
                        "seen_date": lock["commit_date"][:10],
                    },
                    "source": {
                        "repo": "github.com/" + lock["repo"],
                        "commit": lock["commit"],
                        "path": lock["path"],
                    },
                }
            )
        out[project] = facts
    return out


LOOKUP_HOSTS = (
    "www.drupal.org",
    "drupal.org",
    "git.drupalcode.org",
    "ftp-origin.drupal.org",
    "project.pages.drupalcode.org",
    "api.drupal.org",
    "github.com",
    "packagist.org",
)
"""Hosts a lookup may be cited to: drupal.org itself, its git and packaging,
and code hosts; anything else (pastes, tutorials) is not evidence here."""


def url_source(url: str, read: str) -> dict[str, str]:
    """A cited page as a source: its host as repo, its path, the URL and when read."""
    m = re.match(r"https?://([^/]+)(/.*)?$", url.strip())
    host = (m.group(1) if m else "").lower()
    host = "www.drupal.org" if host == "drupal.org" else host
    path = (m.group(2) if m else "") or "/"
    return {"repo": f"https://{host}", "path": path, "url": url.strip(), "read": read}


def drupal_org_lookups(data: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """What drupal.org's own pages said about projects no other source covers.

    One line per (kind, project) from drupal-org-lookups.jsonl: a status read
    on the project page, its git branches/tags or release nodes, with the
    pages cited. Evidence from other hosts is dropped; a line left with none
    counts as unknown.
    """
    path = data / "drupal-org-lookups.jsonl"
    read = LOOKUPS_READ
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        cited = [
            url_source(e["url"], read)
            for e in item["evidence"]
            if re.match(r"https?://([^/]+)", e["url"])
            and re.match(r"https?://([^/]+)", e["url"]).group(1).lower()  # type: ignore[union-attr]
            in LOOKUP_HOSTS
        ]
        status = item["status"] if cited else "unknown"
        out[(item["kind"], item["project"])] = {**item, "status": status, "sources": cited}
    return out


def apply_lookup(name: str, entry: dict[str, Any], lookup: dict[str, Any] | None) -> None:
    """Lay a drupal.org lookup over a derived entry, in place.

    The lookup decides where the derived entry says nothing (unknown). Where
    both speak and disagree, a project page naming a successor or core wins
    over a release seen (the page is the project's own word; the release is
    noted), and a release seen in real sites' lock files wins over a lookup
    that saw none (a lock is proof, a page excerpt without a release table
    is not). Both are kept in the note either way.
    """
    if not lookup or lookup["status"] == "unknown":
        return
    derived = entry["status"]
    said = lookup["status"]
    confidence = lookup.get("confidence") or "medium"
    # The researcher's notes sometimes say how a page was found; a client
    # reads what it says, so those sentences stay in the research file.
    sentences = re.split(r"(?<=[.;])\s+", lookup["note"].strip())
    kept = [t for t in sentences if not re.search(r"search hit|\bresult|excerpt|URL field", t)]
    note = " ".join(kept or sentences[:1]).rstrip(".;")
    lead = f"drupal.org lookup ({confidence} confidence): {note}"
    if derived not in ("unknown", said):
        lock_proof = derived == "has_release" and said == "no_release"
        if lock_proof:
            entry["note"] = entry["note"].rstrip(".") + f"; a {lead}, but the lock files win."
            entry["sources"] = [*entry["sources"], *lookup["sources"]]
            return
        lead += f"; the other sources said {derived} ({entry['note'].rstrip('.')}), the page wins"
    entry["status"] = said
    replacements = list(lookup.get("replacements") or [])
    if said == "in_core" and lookup.get("in_core_as"):
        replacements = [f"{lookup['in_core_as']} (core)"]
    if said in ("replaced", "in_core", "obsolete"):
        entry["replacements"] = replacements
        entry["replacement"] = replacements[0] if replacements else None
    if said == "has_release":
        stated = {m for m in lookup["majors"] if m in KNOWN_MAJORS}
        majors = sorted(set(entry["d8_majors"]) | stated)
        entry["d8_majors"] = majors
        version = lookup.get("newest_d8plus")
        current = entry.get("newest_release")
        if version and (not current or release_key(version) > release_key(current["version"])):
            entry["newest_release"] = {
                "version": version,
                "majors": [m for m in lookup["majors"] if m in KNOWN_MAJORS],
                "source": lookup["sources"][0],
            }
        if not majors:
            lead += "; no supported Drupal major was shown"
    entry["note"] = lead[:1].upper() + lead[1:] + "."
    others = [s for s in entry["sources"] if s not in lookup["sources"]]
    entry["sources"] = [*lookup["sources"], *others]


def apply_judgement(name: str, entry: dict[str, Any], judgements: dict[str, Any]) -> None:
    """A succession on the maintainers' judgement, where no page says it in words."""
    judged = judgements["projects"].get(name)
    if not judged or entry["status"] in ("replaced", "in_core"):
        return  # a sourced succession or core move needs no judgement
    before = entry["status"]
    entry["status"] = judged["status"]
    entry["replacements"] = list(judged["replacements"])
    entry["replacement"] = judged["replacements"][0]
    entry["note"] = (
        f"Judged replaced by {', '.join(judged['replacements'])}: {judged['why'].rstrip('.')}"
        + (f" (the sources alone said {before})" if before != "unknown" else "")
        + "."
    )
    cited = [url_source(u, judgements["date"]) for u in judged["rests_on"]]
    entry["sources"] = [
        {"repo": "drupalscan", "path": "tools/kb-sources/judgements.json", "branch": "judgement"},
        *cited,
        *(s for s in entry["sources"] if s not in cited),
    ]


def build_contrib(data: Path) -> dict[str, Any]:
    """Contrib projects with a Drupal 8+ verdict, rank and sources."""
    contrib = load_json(data / "contrib-d7.json")
    modules, projects = contrib["modules"], contrib["projects"]
    others = contrib["other_modules_with_facts"]
    ranks = read_ranks(data / "d7-projects-by-usage.txt")
    # Every ranked project gets an entry (so `kb audit` can list the gaps).
    top = set(ranks)
    locked = composer_evidence(data)

    # Facts about replacement projects tell us those projects have releases.
    replacement_facts: dict[str, list[dict[str, Any]]] = {}
    for mod in [*modules.values(), *others.values()]:
        for fact in mod["facts"]:
            if fact["type"] == "replacement_release_in_composer_lock":
                pkg = fact["value"]["composer_package"].removeprefix("drupal/")
                replacement_facts.setdefault(pkg, []).append(
                    {**fact, "type": "d8plus_release_in_composer_lock"}
                )

    out: dict[str, Any] = {}
    module_to_project: dict[str, str] = {}
    for pname, proj in projects.items():
        mods = sorted(proj["modules"])
        main = pname if pname in modules else mods[0]
        ordered = [main, *[m for m in mods if m != main]]
        parts = [fact_signals(modules[m]["facts"]) for m in ordered]
        parts[0] = fact_signals(modules[main]["facts"] + locked.get(pname, []))
        sig = merge_signals(parts)
        entry = decide(pname, apply_curated(pname, sig))
        entry["modules"] = mods
        entry["sources"] = unique_sources(
            [*sig["sources"], *(make_source(s) for s in modules[main]["info_sources"][:1])]
        )
        out[pname] = entry
        for m in mods:
            module_to_project[m] = pname
    for name, other in others.items():
        if name in out or name in module_to_project:
            continue
        sig = fact_signals(other["facts"] + replacement_facts.get(name, []) + locked.get(name, []))
        entry = decide(name, apply_curated(name, sig))
        if entry["status"] == "unknown" and name not in top:
            continue  # nothing useful to say, and not a widely used project
        entry["modules"] = [name]
        entry["sources"] = unique_sources(sig["sources"])
        out[name] = entry
    for name in sorted(top):
        if name in out or name in module_to_project:
            continue
        sig = fact_signals(replacement_facts.get(name, []) + locked.get(name, []))
        entry = decide(name, apply_curated(name, sig))
        entry["modules"] = [name]
        entry["sources"] = unique_sources(sig["sources"])
        out[name] = entry
    lookups = drupal_org_lookups(data)
    judgements = load_json(data / "judgements.json")
    for name, entry in out.items():
        entry["rank"] = ranks.get(name)
        primary = entry.pop("primary_source")
        if primary:
            entry["sources"] = [primary, *(s for s in entry["sources"] if s != primary)]
        apply_lookup(name, entry, lookups.get(("module", name)))
        apply_judgement(name, entry, judgements)
        newest = entry.get("newest_release")
        if newest and newest["source"] not in entry["sources"][:MAX_SOURCES]:
            entry["sources"].insert(1, newest["source"])
        entry["sources"] = entry["sources"][:MAX_SOURCES]
        if not entry["sources"]:
            entry["sources"] = [USAGE_SOURCE] if name in ranks else [MAINTAINER_SOURCE]
        for m in entry["modules"]:
            module_to_project.setdefault(m, name)
    seen_dates = [fact["value"]["seen_date"] for facts in locked.values() for fact in facts]
    return {
        "schema_version": SCHEMA_VERSION,
        # The newest dated observation the verdicts rest on: how stale the
        # bundle may be (a release newer than this is not in it).
        "data_as_of": max(seen_dates, default=""),
        "lookups_read": LOOKUPS_READ,
        "projects": out,
        "module_to_project": module_to_project,
        "usage_rank": ranks,
        "usage_source": USAGE_SOURCE,
    }


def read_ranks(path: Path) -> dict[str, int]:
    """Name -> 1-based usage rank, first occurrence wins."""
    ranks: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.strip()
        if name and not name.startswith("#") and name not in ranks:
            ranks[name] = len(ranks) + 1
    return ranks


# ------------------------------------------------------------------------- API


def function_pattern(name: str) -> str:
    """Regex for a call to a global function, not a definition or method call."""
    return r"(?<![\w$\\>:])(?<!function\s)" + re.escape(name) + r"\s*\("


def hook_pattern(suffix: str) -> str:
    """Regex for any module's implementation of a hook (scanner checks the prefix)."""
    return r"\bfunction\s+&?\w+_" + re.escape(suffix) + r"\s*\("


def first_url(entry: dict[str, Any]) -> str | None:
    """The best drupal.org link for a symbol: change record, then issue."""
    dep = entry.get("d8plus_deprecation") or {}
    for url in dep.get("change_records") or []:
        return https_url(url)
    for sniff in entry.get("webchick_sniff") or []:
        for url in sniff.get("change_records") or []:
            return https_url(url)
    for change in entry.get("last_definition_change") or []:
        if change.get("issue_url"):
            return https_url(change["issue_url"])
        m = re.search(r"#(\d{5,})", change.get("summary", ""))
        if m:
            return f"https://www.drupal.org/node/{m.group(1)}"
    return None


def api_source(entry: dict[str, Any], d7_commit: str) -> dict[str, str]:
    """Where the removal was observed: the removing commit, else the sniff."""
    for change in entry.get("last_definition_change") or []:
        return {
            "repo": "https://github.com/drupal/core",
            "commit": change["commit"],
            "path": entry.get("d7_defined_in") or entry.get("d7_documented_in") or "",
        }
    for sniff in entry.get("webchick_sniff") or []:
        return make_source(sniff["source"])
    return {
        "repo": "https://github.com/pressflow/7",
        "commit": d7_commit,
        "path": entry.get("d7_defined_in") or entry.get("d7_documented_in") or "",
    }


def severity_for(symbol: str, kind: str, status_11: str) -> str:
    """Our rewrite-cost judgement: structural rewrites high, renames low."""
    if symbol in HIGH_API:
        return "high"
    if symbol in LOW_API or status_11.startswith("present_via_generic_pattern"):
        return "low"
    if status_11 == "deprecated":
        return "low"
    return "medium"


def build_api(data: Path) -> dict[str, Any]:
    """Drupal 7 functions and hooks that are gone or changed in Drupal 8+."""
    api = load_json(data / "d7-deprecated-api.json")
    d7_commit = api["sources"]["d7"]["commit"]
    entries: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    for symbol, entry in api["curated"].items():
        status = entry.get("status")
        if not isinstance(status, dict):
            skipped.append(symbol)  # not a D7 core symbol: nothing we can assert
            continue
        s11 = status.get("11.x", "")
        if s11 in ("exists", "present") and symbol != "hook_form_alter":
            continue  # t(), drupal_static(), hook_cron() ... still there
        url = first_url(entry)
        kind = entry["kind"]
        if symbol == "hook_form_alter":
            url = first_url(api["curated"]["form_set_error"])
            src = api_source(api["curated"]["form_set_error"], d7_commit)
        else:
            src = api_source(entry, d7_commit)
        if not url:
            skipped.append(symbol)
            continue
        suffix = symbol.removeprefix("hook_") if kind == "hook" else ""
        entries[symbol] = {
            "symbol": symbol,
            "kind": kind,
            "hook": suffix,
            "pattern": hook_pattern(suffix) if kind == "hook" else function_pattern(symbol),
            "replacement": API_REPLACEMENTS.get(symbol) or default_replacement(entry, kind),
            "change_record": url,
            "severity": severity_for(symbol, kind, s11),
            "removed_in": removed_in(status),
            "source": src,
        }
    for sniff in api["webchick_sniffs"]:
        for symbol, repl in sniff.get("d7_symbols", {}).items():
            if symbol in entries or not re.fullmatch(r"[a-z][a-z0-9_]*", symbol):
                continue
            fn = api["functions"].get(symbol)
            if (
                not fn
                or fn.get("11.x", {}).get("status") != "absent"
                or not sniff["change_records"]
            ):
                continue
            entries[symbol] = {
                "symbol": symbol,
                "kind": "function",
                "hook": "",
                "pattern": function_pattern(symbol),
                "replacement": API_REPLACEMENTS.get(symbol)
                or (f"{repl}" if repl else "see the change record"),
                "change_record": https_url(sniff["change_records"][0]),
                "severity": "medium",
                "removed_in": removed_in({b: fn.get(b, {}).get("status", "") for b in BRANCHES}),
                "source": make_source(sniff["source"]),
            }
    for php in PHP_ENTRIES:
        base = api["curated"][php["from"]]
        entries[php["symbol"]] = {
            "symbol": php["symbol"],
            "kind": php["kind"],
            "hook": "",
            "pattern": php["pattern"],
            "replacement": API_REPLACEMENTS[php["symbol"]],
            "change_record": first_url(base),
            "severity": php["severity"],
            "removed_in": "8.0",
            "source": api_source(base, d7_commit),
        }
    return {
        "schema_version": SCHEMA_VERSION,
        "entries": [entries[k] for k in sorted(entries)],
        # Every documented Drupal 7 hook, so the scanner can tell a hook
        # implementation from a helper function that shares the module prefix.
        "d7_hooks": sorted(api["hooks"]),
        "not_flagged_note": "Symbols still present in Drupal 11 core (t, drupal_static, "
        "hook_cron, ...) are not listed.",
    }


def removed_in(status: dict[str, str]) -> str | None:
    """First core branch where the symbol is gone, as a release number."""
    mapping = {"8.9.x": "8.0", "9.5.x": "9.0", "10.6.x": "10.0", "11.x": "11.0"}
    for branch in BRANCHES:
        if status.get(branch) == "absent":
            return mapping[branch]
    return None


def default_replacement(entry: dict[str, Any], kind: str) -> str:
    """Fallback replacement text from structured data only (no prose copied)."""
    dep = entry.get("d8plus_deprecation") or {}
    if dep.get("replacement_symbols"):
        return ", ".join(dep["replacement_symbols"])
    s11 = entry.get("status", {}).get("11.x", "")
    if s11.startswith("present_via_generic_pattern:"):
        return str(s11).split(":", 1)[1] + "() (generic entity hook)"
    for sniff in entry.get("webchick_sniff") or []:
        if sniff.get("replacement_per_sniff"):
            return str(sniff["replacement_per_sniff"])
    return "see the change record" if kind == "function" else "no direct hook; see change record"


# -------------------------------------------------------------- fingerprints


def build_releases(fingerprints: dict[str, Any]) -> dict[str, Any]:
    """Drupal 6/7 releases in version order and the newest per major."""
    releases = sorted(fingerprints["releases"], key=version_key)
    by_major: dict[str, list[str]] = {}
    for rel in releases:
        by_major.setdefault(rel.split(".")[0], []).append(rel)
    # The fingerprint history ends at 6.29, but Drupal 6 had nine more
    # (security) releases before its end of life; 6.38 (2016-02-24) was the last.
    later_d6 = [f"6.{n}" for n in range(30, 39)]
    by_major["6"] = by_major.get("6", []) + [r for r in later_d6 if r not in by_major.get("6", [])]
    return {
        "schema_version": SCHEMA_VERSION,
        "releases": by_major,
        "latest": {major: rels[-1] for major, rels in by_major.items()},
        "source": {
            "repo": "https://github.com/pantheon-systems/drops-7",
            "path": "release tags",
            "branch": "master",
        },
        "source_d6_after_6_29": {
            "url": "https://www.drupal.org/project/drupal/releases/6.38",
            "note": "Drupal 6 releases 6.30-6.38; no fingerprints for them",
        },
    }


def build_themes(data: Path) -> dict[str, Any]:
    """Contrib themes by usage rank, the most used with a Drupal 8+ verdict.

    The rank list lets the scanner tell contrib from custom; the verdicts
    (same statuses and sources as projects) say whether a site's theme, or
    the base theme its own theme builds on, exists for the target.
    """
    ranks = read_ranks(data / "d7-themes-by-usage.txt")
    locked = composer_evidence(data)
    lookups = drupal_org_lookups(data)
    themes: dict[str, Any] = {}
    for name, rank in ranks.items():
        if rank > TOP_THEMES:
            continue
        sig = fact_signals(locked.get(name, []))
        entry = decide(name, sig)
        primary = entry.pop("primary_source")
        sources = unique_sources(sig["sources"])
        if primary:
            sources = [primary, *(s for s in sources if s != primary)]
        entry["sources"] = sources[:MAX_SOURCES] or [THEME_USAGE_SOURCE]
        apply_lookup(name, entry, lookups.get(("theme", name)))
        entry["sources"] = entry["sources"][:MAX_SOURCES]
        entry["rank"] = rank
        entry["modules"] = [name]
        themes[name] = entry
    return {
        "schema_version": SCHEMA_VERSION,
        "usage_rank": ranks,
        "source": THEME_USAGE_SOURCE,
        "themes": themes,
    }


def build(data: Path, out: Path) -> dict[str, int]:
    """Write every knowledge-base file; return counts for the log."""
    out.mkdir(parents=True, exist_ok=True)
    core = build_core(data)
    contrib = build_contrib(data)
    api = build_api(data)
    fingerprints = load_json(data / "core-fingerprints.json")
    dump(out / "core_modules.json", core)
    dump(out / "contrib_projects.json", contrib)
    dump(out / "api.json", api)
    dump(out / "core_fingerprints.json", fingerprints)
    dump(out / "core_releases.json", build_releases(fingerprints))
    dump(out / "themes.json", build_themes(data))
    counts = {
        "core_modules": len(core["modules"]),
        "projects": len(contrib["projects"]),
        "api_entries": len(api["entries"]),
    }
    for entry in contrib["projects"].values():
        key = "status_" + entry["status"]
        counts[key] = counts.get(key, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data",
        type=Path,
        nargs="?",
        default=SOURCES,
        help="folder holding the fact files (default: tools/kb-sources)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "drupalscan" / "kb" / "data",
        help="output folder (default: the package's kb/data)",
    )
    parser.add_argument("--clean", action="store_true", help="empty the output folder first")
    args = parser.parse_args(argv)
    if not any((args.data / n).is_file() for n in ("contrib-d7.json", "contrib-d7.json.gz")):
        parser.error(f"{args.data} does not look like the data folder")
    if args.clean and args.out.exists():
        shutil.rmtree(args.out)
    counts = build(args.data, args.out)
    for key in sorted(counts):
        print(f"{key}: {counts[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
