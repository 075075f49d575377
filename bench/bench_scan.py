r"""How close ``scan_codebase`` gets to ``grep -rEn`` over the same docroot.

A deterministic Drupal 7 docroot is generated in a temporary directory: a
core-like ``modules/`` tree, contrib projects under
``sites/all/modules/contrib/<project>/`` (``.info`` files with dependencies
and the drupal.org packaging footer), about twenty custom modules under
``sites/all/modules/custom/`` written in everyday Drupal 7 PHP, themes, and
enough PHP, ``.inc``, CSS, JS, image and README files to reach the requested
total.

Two things are then timed, best of ``--repeat`` runs, both with a warm page
cache (one untimed run of each first):

* ``scan_codebase(root, kb=kb)``: the walk, every ``.info`` file, and the
  API and hook search of custom code.  The knowledge base is loaded once,
  before timing, because it is a per-process cost, not a per-docroot one.
* ``grep -rEn '\b(variable_get|db_query|...)\s*\('`` over the same tree, the
  alternation built from the knowledge base's function symbols: what a
  developer would type to find the same calls.  ``LC_ALL=C`` because a UTF-8
  locale makes GNU grep several times slower, which would flatter the scan.

The ratio scan/grep is printed; the aim is under 2x.  Note the two do
different work: grep reads every byte of every file (contrib, CSS, images)
with one regex, while the scan walks everything, parses every ``.info`` file
and reads only custom code, with several regexes.

Run: ``python bench/bench_scan.py [--modules 300] [--files 20000] [--repeat 3]
[--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drupalscan.collect.codebase import CodebaseFacts, scan_codebase
from drupalscan.kb import load_kb

CORE_VERSION = "7.98"
CORE_DATESTAMP = 1690000000
FIELD_SUBMODULES = ("field_sql_storage", "list", "number", "options", "text")
"""Core modules that Drupal 7 keeps under ``modules/field/modules/``."""
INFRA = ("ctools", "views", "entity", "token", "libraries", "date", "features", "pathauto")
"""Contrib projects nearly every Drupal 7 site has; others depend on them."""
CUSTOM_WORDS = (
    "events", "news", "staff", "library", "search", "forms", "reports", "sso", "feeds",
    "alerts", "courses", "jobs", "maps", "directory", "profile", "blocks", "import", "export",
    "workflow", "newsletter", "gallery", "faq", "billing", "api", "migrate", "branding",
)  # fmt: skip
EXTRA_KINDS = (
    ("includes", ".inc", 30),
    ("css", ".css", 12),
    ("js", ".js", 15),
    ("images", ".png", 12),
    ("images", ".gif", 4),
    ("templates", ".tpl.php", 8),
    ("tests", ".test", 5),
    ("plugins", ".inc", 8),
    ("", ".txt", 4),
    ("translations", ".po", 2),
)
"""(sub-directory, suffix, weight) of the filler files added to extensions."""

# Function bodies of everyday Drupal 7 code.  {m} is the module, {n} a counter.
PHP_FUNCTIONS = (
    """
/**
 * Returns the configured {m} limit.
 */
function {m}_limit_{n}() {{
  return (int) variable_get('{m}_limit_{n}', 10);
}}
""",
    """
/**
 * Loads the newest published nodes of a type.
 */
function {m}_recent_{n}($type, $count = 5) {{
  $result = db_query_range("SELECT nid FROM {{node}} WHERE type = :type AND status = 1
    ORDER BY created DESC", 0, $count, array(':type' => $type));
  $nids = $result->fetchCol();
  return node_load_multiple($nids);
}}
""",
    """
/**
 * Renders the {m} listing block.
 */
function {m}_listing_{n}($items) {{
  drupal_add_js(drupal_get_path('module', '{m}') . '/js/{m}.js');
  drupal_add_css(drupal_get_path('module', '{m}') . '/css/{m}.css');
  $links = array();
  foreach ($items as $item) {{
    $links[] = l(check_plain($item->title), 'node/' . $item->nid);
  }}
  return theme('item_list', array('items' => $links, 'title' => t('Latest')));
}}
""",
    """
/**
 * Stores a record and tells the user.
 */
function {m}_save_{n}($record) {{
  $id = db_insert('{m}_data')
    ->fields(array('name' => $record['name'], 'created' => REQUEST_TIME))
    ->execute();
  watchdog('{m}', 'Saved record %id.', array('%id' => $id), WATCHDOG_INFO);
  drupal_set_message(t('The record has been saved.'));
  cache_clear_all('{m}:', 'cache', TRUE);
  return $id;
}}
""",
    """
/**
 * Cached lookup of the {m} settings.
 */
function {m}_settings_{n}() {{
  $cache = cache_get('{m}_settings_{n}');
  if ($cache) {{
    return $cache->data;
  }}
  $settings = array(
    'enabled' => variable_get('{m}_enabled', TRUE),
    'path' => current_path(),
    'front' => drupal_is_front_page(),
  );
  cache_set('{m}_settings_{n}', $settings, 'cache', CACHE_TEMPORARY);
  return $settings;
}}
""",
    """
/**
 * Access callback: may the current user see the {m} report?
 */
function {m}_access_{n}($account = NULL) {{
  global $user;
  $account = $account ? $account : $user;
  if (user_is_anonymous()) {{
    return FALSE;
  }}
  return user_access('view {m} reports', $account) || arg(0) == 'admin';
}}
""",
    """
/**
 * Page callback for the {m} overview.
 */
function {m}_page_{n}() {{
  drupal_set_title(t('Overview'));
  $query = db_select('node', 'n')
    ->fields('n', array('nid', 'title'))
    ->condition('n.status', 1)
    ->extend('PagerDefault')
    ->limit(variable_get('{m}_per_page', 20));
  $rows = array();
  foreach ($query->execute() as $row) {{
    $rows[] = array(l($row->title, 'node/' . $row->nid), format_date(REQUEST_TIME, 'short'));
  }}
  $build['table'] = array(
    '#theme' => 'table',
    '#header' => array(t('Title'), t('Updated')),
    '#rows' => $rows,
  );
  return drupal_render($build);
}}
""",
    """
/**
 * Legacy path helper kept for old links.
 */
function {m}_legacy_{n}() {{
  if (isset($_GET['q']) && strpos($_GET['q'], 'old/') === 0) {{
    drupal_goto('node/' . (int) substr($_GET['q'], 4), array(), 301);
  }}
  $node = menu_get_object();
  return $node ? entity_uri('node', $node) : url('<front>');
}}
""",
    """
/**
 * Sends the {m} notification.
 */
function {m}_notify_{n}($account, $node) {{
  $params = array('node' => $node, 'account' => $account);
  $lang = language_default();
  drupal_mail('{m}', 'notify', $account->mail, $lang, $params);
  module_invoke_all('{m}_notified', $node, $account);
}}
""",
)
PHP_HOOKS = (
    """
/**
 * Implements hook_menu().
 */
function {m}_menu() {{
  $items['admin/config/system/{m}'] = array(
    'title' => '{label} settings',
    'page callback' => 'drupal_get_form',
    'page arguments' => array('{m}_admin_settings'),
    'access arguments' => array('administer site configuration'),
    'file' => '{m}.admin.inc',
  );
  $items['{m}/overview'] = array(
    'title' => '{label}',
    'page callback' => '{m}_page_0',
    'access callback' => '{m}_access_0',
    'type' => MENU_NORMAL_ITEM,
  );
  return $items;
}}
""",
    """
/**
 * Implements hook_permission().
 */
function {m}_permission() {{
  return array(
    'view {m} reports' => array('title' => t('View {label} reports')),
  );
}}
""",
    """
/**
 * Implements hook_block_info().
 */
function {m}_block_info() {{
  $blocks['{m}_latest'] = array('info' => t('{label}: latest'), 'cache' => DRUPAL_CACHE_GLOBAL);
  return $blocks;
}}

/**
 * Implements hook_block_view().
 */
function {m}_block_view($delta = '') {{
  $block = array();
  if ($delta == '{m}_latest') {{
    $block['subject'] = t('Latest');
    $block['content'] = {m}_listing_0({m}_recent_0('article'));
  }}
  return $block;
}}
""",
    """
/**
 * Implements hook_form_alter().
 */
function {m}_form_alter(&$form, &$form_state, $form_id) {{
  if ($form_id == 'user_login_block') {{
    $form['#submit'][] = '{m}_login_submit';
    drupal_add_js(array('{m}' => array('loginBlock' => TRUE)), 'setting');
  }}
}}
""",
    """
/**
 * Implements hook_node_view().
 */
function {m}_node_view($node, $view_mode, $langcode) {{
  if ($view_mode == 'full' && variable_get('{m}_show_related', TRUE)) {{
    $node->content['{m}_related'] = array(
      '#markup' => theme('{m}_related', array('node' => $node)),
      '#weight' => 10,
    );
  }}
}}
""",
    """
/**
 * Implements hook_theme().
 */
function {m}_theme($existing, $type, $theme, $path) {{
  return array(
    '{m}_related' => array(
      'variables' => array('node' => NULL),
      'template' => 'templates/{m}-related',
    ),
  );
}}
""",
    """
/**
 * Implements hook_cron().
 */
function {m}_cron() {{
  $last = variable_get('{m}_cron_last', 0);
  if (REQUEST_TIME - $last > 3600) {{
    db_delete('{m}_data')->condition('created', REQUEST_TIME - 86400 * 30, '<')->execute();
    variable_set('{m}_cron_last', REQUEST_TIME);
  }}
}}
""",
    """
/**
 * Implements hook_init().
 */
function {m}_init() {{
  if (arg(0) == 'node' && is_numeric(arg(1))) {{
    drupal_add_css(drupal_get_path('module', '{m}') . '/css/{m}.css');
  }}
}}
""",
    """
/**
 * Implements hook_preprocess_page().
 */
function {m}_preprocess_page(&$variables) {{
  $variables['{m}_banner'] = variable_get('{m}_banner', '');
}}
""",
)
INSTALL = """<?php

/**
 * @file
 * Install, update and uninstall functions for the {m} module.
 */

/**
 * Implements hook_schema().
 */
function {m}_schema() {{
  $schema['{m}_data'] = array(
    'fields' => array(
      'id' => array('type' => 'serial', 'not null' => TRUE),
      'name' => array('type' => 'varchar', 'length' => 255, 'not null' => TRUE),
      'created' => array('type' => 'int', 'not null' => TRUE, 'default' => 0),
    ),
    'primary key' => array('id'),
  );
  return $schema;
}}

/**
 * Implements hook_uninstall().
 */
function {m}_uninstall() {{
  variable_del('{m}_limit');
  variable_del('{m}_enabled');
}}

/**
 * Add the created column.
 */
function {m}_update_7101() {{
  db_add_field('{m}_data', 'created', array('type' => 'int', 'not null' => TRUE));
}}
"""
TEMPLATE = """<?php
/**
 * @file
 * Default markup for {m} items.
 */
?>
<div class="{m}-item <?php print $classes; ?>"<?php print $attributes; ?>>
  <?php if ($title): ?>
    <h3<?php print $title_attributes; ?>><?php print $title; ?></h3>
  <?php endif; ?>
  <div class="content"><?php print render($content); ?></div>
</div>
"""
CSS = """/**
 * @file
 * Styles for {m}.
 */
.{m}-item {{
  margin: 0 0 1em;
  padding: {n}px;
}}
.{m}-item h3 {{
  font-size: 1.{n}em;
}}
"""
JS = """/**
 * @file
 * Behaviours for {m}.
 */
(function ($) {{
  Drupal.behaviors.{m}{n} = {{
    attach: function (context, settings) {{
      $('.{m}-item', context).once('{m}-{n}').click(function () {{
        $(this).toggleClass('open');
      }});
    }}
  }};
}})(jQuery);
"""
README = """CONTENTS OF THIS FILE
---------------------

 * Introduction
 * Requirements
 * Installation
 * Configuration

INTRODUCTION
------------

The {label} module ({m}) provides {label} features for Drupal 7.

REQUIREMENTS
------------

{requirements}

INSTALLATION
------------

 * Install as you would normally install a contributed Drupal module. See
   https://www.drupal.org/docs/7/extend/installing-modules for details.
"""
PO = """# {label} translation.
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"

msgid "Latest"
msgstr "Neueste"
"""
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
GIF_HEADER = b"GIF89a"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Extension:
    """One module or theme to write: its directory and ``.info`` keys."""

    name: str
    directory: str
    kind: str
    """core | contrib | custom."""
    info: list[tuple[str, str]]
    footer: str = ""
    """The drupal.org packaging footer (empty for custom code)."""
    weight: float = 1.0
    """Share of the filler files this extension receives."""


@dataclass
class Docroot:
    """What ``generate_docroot`` wrote."""

    root: Path
    files: int = 0
    bytes: int = 0
    modules: dict[str, int] = field(default_factory=dict)
    """Module count by kind (core, contrib, custom)."""


class _Writer:
    """Writes files under one root, creating directories once, counting as it goes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: set[str] = set()
        self.files = 0
        self.bytes = 0

    def write(self, rel: str, data: str | bytes) -> None:
        raw = data.encode() if isinstance(data, str) else data
        parent = rel.rpartition("/")[0]
        if parent and parent not in self.made:
            (self.root / parent).mkdir(parents=True, exist_ok=True)
            self.made.add(parent)
        (self.root / rel).write_bytes(raw)
        self.files += 1
        self.bytes += len(raw)


def info_text(ext: Extension) -> str:
    """The ``.info`` file of an extension, keys in the usual order."""
    return "".join(f"{key} = {value}\n" for key, value in ext.info) + ext.footer


def packaging_footer(project: str, version: str, stamp: int) -> str:
    """What the drupal.org packaging script appends to every released ``.info``."""
    date = time.strftime("%Y-%m-%d", time.gmtime(stamp))
    return (
        f"\n; Information added by Drupal.org packaging script on {date}\n"
        f'version = "{version}"\ncore = "7.x"\nproject = "{project}"\ndatestamp = "{stamp}"\n'
    )


def php_module(name: str, label: str, rng: random.Random, hooks: int, helpers: int) -> str:
    """A ``.module`` file: a @file block, some hooks and helper functions."""
    parts = [f"<?php\n\n/**\n * @file\n * {label}: site-specific features.\n */\n"]
    for tpl in rng.sample(PHP_HOOKS, min(hooks, len(PHP_HOOKS))):
        parts.append(tpl.format(m=name, label=label))
    for n in range(helpers):
        parts.append(rng.choice(PHP_FUNCTIONS).format(m=name, n=n))
    return "".join(parts)


def php_include(name: str, rng: random.Random, serial: int) -> str:
    """An ``.inc`` (or ``.test``/``.php``) file of helper functions."""
    parts = [f"<?php\n\n/**\n * @file\n * Helpers for {name} ({serial}).\n */\n"]
    for n in range(rng.randint(2, 9)):
        parts.append(rng.choice(PHP_FUNCTIONS).format(m=name, n=f"{serial}_{n}"))
    return "".join(parts)


def filler(ext: Extension, sub: str, suffix: str, serial: int, rng: random.Random) -> bytes:
    """Content of one filler file of the given kind."""
    m = ext.name
    if suffix in (".inc", ".test"):
        return php_include(m, rng, serial).encode()
    if suffix == ".tpl.php":
        return TEMPLATE.format(m=m).encode()
    if suffix == ".css":
        return (CSS.format(m=m, n=serial % 9) * rng.randint(1, 6)).encode()
    if suffix == ".js":
        return (JS.format(m=m, n=serial) * rng.randint(1, 3)).encode()
    if suffix == ".png":
        return PNG_HEADER + rng.randbytes(rng.randint(80, 3000))
    if suffix == ".gif":
        return GIF_HEADER + rng.randbytes(rng.randint(40, 800))
    if suffix == ".po":
        return PO.format(label=m).encode()
    return README.format(label=m, m=m, requirements="None.").encode()


def _extensions(modules: int, rng: random.Random, kb: Any) -> list[Extension]:
    """Core, contrib and custom modules adding up to ``modules``."""
    exts: list[Extension] = []
    core = {n: c for n, c in kb.core_modules().items() if c.type == "module"}
    core_names = sorted(core)[: max(1, modules // 2)]
    for name in core_names:
        mod = core[name]
        directory = (
            f"modules/field/modules/{name}" if name in FIELD_SUBMODULES else f"modules/{name}"
        )
        info = [
            ("name", mod.label or name.title()),
            ("description", f'"The {name} module."'),
            ("package", mod.package or "Core"),
            ("core", "7.x"),
        ]
        info += [("dependencies[]", dep) for dep in mod.dependencies if dep in core]
        if mod.required:
            info.append(("required", "TRUE"))
        info.append(("files[]", f"{name}.test"))
        footer = packaging_footer("drupal", CORE_VERSION, CORE_DATESTAMP)
        exts.append(Extension(name, directory, "core", info, footer, weight=3.0))
    custom_count = max(1, round(modules * 20 / 300))
    contrib_target = max(0, modules - len(exts) - custom_count)
    projects = kb.projects()
    ranked = sorted(projects.values(), key=lambda p: (p.rank or 10**6, p.name))
    chosen = [projects[n] for n in INFRA if n in projects]
    pool = [p for p in ranked[:600] if p.name not in INFRA]
    rng.shuffle(pool)
    chosen += pool
    placed: list[str] = []
    contrib = 0
    for project in chosen:
        if contrib >= contrib_target:
            break
        footer = packaging_footer(
            project.name,
            f"7.x-{rng.randint(1, 3)}.{rng.randint(0, 25)}",
            rng.randint(1_300_000_000, 1_690_000_000),
        )
        base = f"sites/all/modules/contrib/{project.name}"
        # Big projects (views, ctools) are big on disk too: a Pareto size.
        weight = 4.0 * min(rng.paretovariate(1.3), 12.0)
        mods = [m for m in project.modules if _IDENTIFIER.match(m)][: contrib_target - contrib]
        main = project.name if project.name in mods else (mods[0] if mods else None)
        for mod_name in mods:
            sub = mod_name != main
            info = [
                ("name", mod_name.replace("_", " ").title()),
                ("description", f'"Provides {mod_name.replace("_", " ")}."'),
                ("package", project.name.replace("_", " ").title()),
                ("core", "7.x"),
            ]
            if sub and main:
                info.append(("dependencies[]", main))
            else:
                infra = [p for p in placed if p in INFRA and p != mod_name]
                for dep in rng.sample(infra, min(len(infra), rng.randint(0, 2))):
                    constraint = f" (>={rng.randint(1, 3)}.0)" if rng.random() < 0.2 else ""
                    info.append(("dependencies[]", dep + constraint))
            info.append(("files[]", f"{mod_name}.test"))
            directory = f"{base}/modules/{mod_name}" if sub else base
            exts.append(
                Extension(mod_name, directory, "contrib", info, footer, weight / (1 + 3 * sub))
            )
            placed.append(mod_name)
            contrib += 1
    words = list(CUSTOM_WORDS)
    rng.shuffle(words)
    for i in range(modules - len(exts)):
        word = words[i % len(words)] + ("" if i < len(words) else str(i // len(words)))
        name = f"acme_{word}"
        info = [
            ("name", f"ACME {word.title()}"),
            ("description", f'"ACME intranet: {word}."'),
            ("package", "ACME"),
            ("core", "7.x"),
            ("version", '"7.x-1.0"'),
        ]
        info += [("dependencies[]", d) for d in ("views", "ctools", "token") if d in placed]
        exts.append(Extension(name, f"sites/all/modules/custom/{name}", "custom", info, weight=2.0))
    return exts


def _write_core(w: _Writer, rng: random.Random) -> None:
    """includes/, misc/, core themes and profiles, index.php and friends."""
    w.write(
        "includes/bootstrap.inc",
        "<?php\n\n/**\n * @file\n * Functions that need to be loaded on every Drupal request.\n"
        f" */\n\n/**\n * The current system version.\n */\ndefine('VERSION', '{CORE_VERSION}');\n\n"
        "/**\n * Core API compatibility.\n */\ndefine('DRUPAL_CORE_COMPATIBILITY', '7.x');\n",
    )
    for name in ("common", "database", "form", "menu", "module", "theme", "path", "file", "mail"):
        w.write(f"includes/{name}.inc", php_include(f"drupal_{name}", rng, 0))
    w.write("CHANGELOG.txt", f"Drupal {CORE_VERSION}, 2023-06-07\n------------------------\n")
    w.write("index.php", "<?php\ndefine('DRUPAL_ROOT', getcwd());\n")
    w.write("robots.txt", "User-agent: *\nCrawl-delay: 10\nDisallow: /includes/\n")
    w.write("sites/default/default.settings.php", "<?php\n$databases = array();\n")
    w.write(
        "sites/default/settings.php", "<?php\n$databases = array();\n$update_free_access = FALSE;\n"
    )
    w.write("sites/all/README.txt", "Contributed modules and themes go here.\n")
    for n in range(12):
        w.write(f"misc/misc{n}.js", JS.format(m="drupal", n=n))
        w.write(f"misc/icon{n}.png", PNG_HEADER + rng.randbytes(200))
    for theme, engine in (("bartik", "phptemplate"), ("seven", "phptemplate"), ("garland", "")):
        info = f"name = {theme.title()}\ncore = 7.x\nengine = {engine or 'phptemplate'}\n"
        info += "regions[content] = Content\nregions[sidebar_first] = Sidebar first\n"
        info += f'version = "{CORE_VERSION}"\nproject = "drupal"\n'
        w.write(f"themes/{theme}/{theme}.info", info)
        w.write(f"themes/{theme}/template.php", php_include(theme, rng, 0))
        w.write(f"themes/{theme}/templates/page.tpl.php", TEMPLATE.format(m=theme))
        w.write(f"themes/{theme}/css/style.css", CSS.format(m=theme, n=1))
    for profile in ("standard", "minimal", "testing"):
        w.write(
            f"profiles/{profile}/{profile}.info",
            f"name = {profile.title()}\ncore = 7.x\ndependencies[] = block\n"
            f'version = "{CORE_VERSION}"\nproject = "drupal"\n',
        )
        w.write(f"profiles/{profile}/{profile}.profile", php_include(profile, rng, 0))
        w.write(f"profiles/{profile}/{profile}.install", INSTALL.format(m=profile))
    base = "sites/all/themes/custom/acme_theme"
    w.write(
        f"{base}/acme_theme.info",
        "name = ACME Theme\ncore = 7.x\nbase theme = bartik\n"
        "regions[content] = Content\nregions[header] = Header\n",
    )
    w.write(f"{base}/template.php", php_module("acme_theme", "ACME Theme", rng, 1, 4))
    for tpl in ("page", "node", "block", "field", "html"):
        w.write(f"{base}/templates/{tpl}.tpl.php", TEMPLATE.format(m=f"acme_{tpl}"))


def _write_extension(w: _Writer, ext: Extension, rng: random.Random) -> None:
    """The files every module has: .info, .module, usually .install and a README."""
    d, m = ext.directory, ext.name
    label = m.replace("_", " ").title()
    w.write(f"{d}/{m}.info", info_text(ext))
    hooks, helpers = (6, rng.randint(4, 12)) if ext.kind == "custom" else (3, rng.randint(1, 6))
    w.write(f"{d}/{m}.module", php_module(m, label, rng, hooks, helpers))
    if ext.kind != "core" or rng.random() < 0.5:
        w.write(f"{d}/{m}.install", INSTALL.format(m=m))
    if ext.kind == "contrib":
        w.write(f"{d}/README.txt", README.format(label=label, m=m, requirements="Chaos tools."))
        w.write(f"{d}/LICENSE.txt", "GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991\n" * 40)
    if ext.kind == "custom":
        w.write(f"{d}/{m}.admin.inc", php_include(m, rng, 0))


def generate_docroot(
    root: Path, *, modules: int = 300, files: int = 20_000, seed: int = 7
) -> Docroot:
    """Write a deterministic Drupal 7 docroot of about ``files`` files under ``root``.

    ``modules`` counts core + contrib + custom modules (themes and profiles come
    on top); about one in fifteen is custom.  The same seed gives the same tree.
    """
    rng = random.Random(seed)
    kb = load_kb()
    w = _Writer(root)
    _write_core(w, rng)
    exts = _extensions(modules, rng, kb)
    for ext in exts:
        _write_extension(w, ext, rng)
    remaining = max(0, files - w.files)
    kinds = [k[:2] for k in EXTRA_KINDS]
    kind_weights = [k[2] for k in EXTRA_KINDS]
    targets = rng.choices(exts, weights=[e.weight for e in exts], k=remaining)
    for serial, ext in enumerate(targets):
        sub, suffix = rng.choices(kinds, weights=kind_weights)[0]
        if ext.kind == "custom" and suffix in (".png", ".gif", ".po"):
            sub, suffix = "includes", ".inc"  # custom modules are mostly code
        name = f"{ext.name}_{serial}{suffix}" if suffix != ".txt" else f"NOTES_{serial}.txt"
        rel = f"{ext.directory}/{sub}/{name}" if sub else f"{ext.directory}/{name}"
        w.write(rel, filler(ext, sub, suffix, serial, rng))
    counts: dict[str, int] = {}
    for ext in exts:
        counts[ext.kind] = counts.get(ext.kind, 0) + 1
    return Docroot(root=root, files=w.files, bytes=w.bytes, modules=counts)


def grep_command(kb: Any, root: Path) -> list[str]:
    """``grep -rEn`` with the knowledge base's API functions as one alternation."""
    symbols = sorted(
        e.symbol for e in kb.api_entries() if e.kind == "function" and _IDENTIFIER.match(e.symbol)
    )
    pattern = r"\b(" + "|".join(symbols) + r")\s*\("
    return ["grep", "-rEn", pattern, str(root)]


def run_grep(cmd: list[str]) -> int:
    """Run grep, reading its output through a pipe; the number of matching lines.

    The output must go somewhere real: GNU grep stops at the first match when
    stdout is /dev/null, which would make the baseline meaningless.
    """
    env = {**os.environ, "LC_ALL": "C"}
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"grep failed with exit code {proc.returncode}")
    return proc.stdout.count(b"\n")


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """Fastest of ``repeat`` timed calls, and the last call's result."""
    best = float("inf")
    result: Any = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


@dataclass
class Measurement:
    """Both timings on one docroot."""

    scan_s: float
    grep_s: float
    grep_lines: int
    facts: CodebaseFacts

    @property
    def ratio(self) -> float:
        """scan time / grep time; under 2.0 is the aim."""
        return self.scan_s / self.grep_s if self.grep_s else float("inf")


def measure(root: Path, repeat: int = 3) -> Measurement:
    """Time ``scan_codebase`` and grep on ``root``, both warm, best of ``repeat``."""
    kb = load_kb()
    kb.api_entries()
    kb.d7_hooks()
    cmd = grep_command(kb, root)
    scan_codebase(root, kb=kb)  # warm the page cache and the kb's lazy indexes
    run_grep(cmd)
    scan_s, facts = best_of(repeat, lambda: scan_codebase(root, kb=kb))
    grep_s, lines = best_of(repeat, lambda: run_grep(cmd))
    return Measurement(scan_s=scan_s, grep_s=grep_s, grep_lines=lines, facts=facts)


def main() -> None:
    """Generate the docroot, time both sides, print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=300)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timed runs")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="generate into DIR and leave it there")
    args = parser.parse_args()

    if args.keep:
        if args.keep.exists():
            shutil.rmtree(args.keep)
        args.keep.mkdir(parents=True)
        tmp, root = None, args.keep
    else:
        tmp = tempfile.TemporaryDirectory(prefix="bench_scan_")
        root = Path(tmp.name)
    try:
        start = time.perf_counter()
        doc = generate_docroot(root, modules=args.modules, files=args.files, seed=args.seed)
        gen_s = time.perf_counter() - start
        m = measure(root, args.repeat)
        facts = m.facts
        custom = [mod for mod in facts.modules if mod.type == "custom"]
        uses = sum(len(mod.code.api_uses) for mod in custom if mod.code)
        code_files = sum(mod.code.php_files for mod in custom if mod.code)
        mods = ", ".join(f"{n} {k}" for k, n in sorted(doc.modules.items()))
        print(
            f"docroot: {doc.files} files, {doc.bytes / 1e6:.1f} MB, modules: {mods} "
            f"(generated in {gen_s:.1f} s, seed {args.seed})"
        )
        print(
            f"scan_codebase: {m.scan_s:.3f} s  = {doc.files / m.scan_s:,.0f} files/s  "
            f"({len(facts.modules)} modules, {len(facts.themes)} themes, "
            f"{code_files} custom PHP files, {uses} API uses)"
        )
        print(
            f"grep -rEn:     {m.grep_s:.3f} s  = {doc.files / m.grep_s:,.0f} files/s  "
            f"({m.grep_lines} matching lines, whole tree, LC_ALL=C)"
        )
        print(f"ratio scan/grep: {m.ratio:.2f}  (best of {args.repeat}, warm cache; aim < 2)")
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
