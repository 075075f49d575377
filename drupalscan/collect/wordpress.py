"""A WordPress intranet seen from outside: version, plugins, theme, post types, taxonomies.

What WordPress gives away, and how far each item can be trusted:

* **Version.** The meta generator (``WordPress 6.4.2``) and the feed's
  ``<generator>https://wordpress.org/?v=6.4.2</generator>`` name it; so
  does ``?ver=`` on core assets that have no version of their own (WordPress
  gives those its own version: the block library's stylesheet, the emoji
  script, dashicons).  Bundled libraries carry theirs (``jquery.min.js?ver=3.7.1``
  is jQuery's), so only the assets listed in `CORE_VERSIONED` are read.
* **Plugins and theme.** Asset paths under ``/wp-content/plugins/NAME/``
  and ``/wp-content/themes/NAME/``; ``?ver=`` there is the plugin's own
  version unless it equals WordPress's (a plugin that sets none inherits
  it).  A plugin's ``readme.txt`` ``Stable tag:`` and a theme's
  ``style.css`` ``Version:`` header settle the version when asked.
* **Content model.** The REST index (``/wp-json/``) lists the namespaces
  plugins register; ``/wp-json/wp/v2/types`` and ``/taxonomies`` list the
  post types and taxonomies, where the site leaves the API open.

Pure functions here; `drupalscan.collect.remote` asks the questions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from drupalscan.inventory.model import ContentType, Evidence, Vocabulary

CORE_VERSIONED = (
    "/wp-includes/css/dist/block-library/style.min.css",
    "/wp-includes/css/dist/block-library/style.css",
    "/wp-includes/js/wp-emoji-release.min.js",
    "/wp-includes/css/dashicons.min.css",
    "/wp-includes/css/admin-bar.min.css",
    "/wp-includes/js/wp-embed.min.js",
)
"""Core assets registered without a version of their own, so ``?ver=`` is WordPress's."""

CORE_NAMESPACES = frozenset({"oembed", "wp", "wp-site-health", "wp-block-editor", "wp-abilities"})
"""REST namespaces WordPress itself registers."""

NAMESPACE_PLUGINS: Mapping[str, str] = {
    "yoast": "wordpress-seo",
    "wc": "woocommerce",
    "wc-blocks": "woocommerce",
    "wc-analytics": "woocommerce",
    "jetpack": "jetpack",
    "contact-form-7": "contact-form-7",
    "elementor": "elementor",
    "acf": "advanced-custom-fields",
    "redirection": "redirection",
    "wpml": "sitepress-multilingual-cms",
    "akismet": "akismet",
    "tribe": "the-events-calendar",
    "rankmath": "seo-by-rank-math",
    "wordfence": "wordfence",
    "ultimate-member": "ultimate-member",
    "gf": "gravityforms",
    "buddypress": "buddypress",
    "bbp": "bbpress",
}
"""REST namespace prefix -> the plugin's directory name, where the two differ or are known."""

BUILT_IN_TYPES = frozenset(
    "attachment nav_menu_item wp_block wp_template wp_template_part wp_navigation "
    "wp_global_styles wp_font_family wp_font_face".split()
)
"""Post types every WordPress has that are not content to migrate as such."""

BUILT_IN_TAXONOMIES = frozenset(
    {"nav_menu", "wp_pattern_category", "wp_theme", "wp_template_part_area"}
)

_GENERATOR = re.compile(r"WordPress\s+(\d+\.\d+(?:\.\d+)?)", re.IGNORECASE)
_FEED_GENERATOR = re.compile(rb"<generator>\s*https?://wordpress\.org/\?v=(\d+\.\d+(?:\.\d+)?)")
_STABLE_TAG = re.compile(
    rb"^\s*stable tag\s*:\s*([0-9][0-9A-Za-z.\-]*)", re.IGNORECASE | re.MULTILINE
)
_THEME_VERSION = re.compile(rb"^\s*\**\s*Version\s*:\s*([0-9][0-9A-Za-z.\-]*)", re.MULTILINE)
_SLUG = re.compile(r"[a-z0-9][a-z0-9_\-]*")


@dataclass(slots=True)
class Extension:
    """A plugin or theme seen from outside, with what says so."""

    name: str
    version: str | None = None
    evidence: list[Evidence] = field(default_factory=list)


def version_from_generator(text: str) -> str | None:
    """``WordPress 6.4.2`` in a meta generator."""
    match = _GENERATOR.search(text)
    return match.group(1) if match else None


def version_from_feed(body: bytes) -> str | None:
    """The version an RSS feed's ``<generator>`` names."""
    match = _FEED_GENERATOR.search(body[:20000])
    return match.group(1).decode("ascii") if match else None


def version_from_assets(
    assets: Iterable[str], page_of: Mapping[str, str]
) -> tuple[str | None, list[Evidence]]:
    """The version core assets without their own version carry, with the evidence."""
    seen: dict[str, Evidence] = {}
    for asset in assets:
        parts = urlsplit(asset)
        if not parts.path.endswith(CORE_VERSIONED):
            continue
        for value in parse_qs(parts.query).get("ver", []):
            if re.fullmatch(r"\d+\.\d+(?:\.\d+)?", value) and value not in seen:
                seen[value] = Evidence(
                    kind="asset-version",
                    detail=f"{parts.path.rsplit('/', 1)[1]}?ver={value} (a core asset versioned "
                    "with WordPress itself)",
                    location=page_of.get(asset, asset),
                )
    if len(seen) == 1:
        ((version, evidence),) = seen.items()
        return version, [evidence]
    return None, list(seen.values())


def extensions_from_assets(
    assets: Iterable[str], page_of: Mapping[str, str], core_version: str | None, host: str
) -> tuple[dict[str, Extension], dict[str, Extension]]:
    """Plugins and themes named by same-site asset paths, with the versions ``?ver=`` shows."""
    plugins: dict[str, Extension] = {}
    themes: dict[str, Extension] = {}
    for asset in assets:
        parts = urlsplit(asset)
        if parts.netloc and parts.netloc != host:
            continue
        match = re.search(r"/wp-content/(plugins|themes)/([^/]+)/", parts.path)
        if not match or not _SLUG.fullmatch(match.group(2)):
            continue
        found = plugins if match.group(1) == "plugins" else themes
        ext = found.setdefault(match.group(2), Extension(match.group(2)))
        if len(ext.evidence) < 3:
            ext.evidence.append(
                Evidence(
                    kind="asset-path", detail=parts.path[:200], location=page_of.get(asset, "")
                )
            )
        for value in parse_qs(parts.query).get("ver", []):
            if (
                ext.version is None
                and value != core_version
                and re.fullmatch(r"\d[\w.\-]{0,20}", value)
            ):
                ext.version = value
    return plugins, themes


def plugin_version_from_readme(body: bytes) -> str | None:
    """A plugin readme.txt's ``Stable tag:`` (any capitalisation); None for ``trunk``."""
    if b"<html" in body[:2000].lower():
        return None
    match = _STABLE_TAG.search(body[:20000])
    return match.group(1).decode("ascii", "replace") if match else None


def theme_version_from_stylesheet(body: bytes) -> str | None:
    """The ``Version:`` header of a theme's style.css."""
    head = body[:8000]
    if b"Theme Name" not in head:
        return None
    match = _THEME_VERSION.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _json(body: bytes) -> object:
    try:
        return json.loads(body[:5_000_000].decode("utf-8", "replace"))
    except ValueError:
        return None


def plugins_from_rest_index(body: bytes, location: str) -> dict[str, Extension]:
    """Plugins named by the REST namespaces the index lists (core ones left out)."""
    index = _json(body)
    if not isinstance(index, dict) or not isinstance(index.get("namespaces"), list):
        return {}
    out: dict[str, Extension] = {}
    for namespace in index["namespaces"][:200]:
        if not isinstance(namespace, str):
            continue
        prefix = namespace.split("/", 1)[0].lower()
        if prefix in CORE_NAMESPACES or not _SLUG.fullmatch(prefix):
            continue
        name = NAMESPACE_PLUGINS.get(prefix, prefix)
        ext = out.setdefault(name, Extension(name))
        ext.evidence.append(
            Evidence(kind="rest", detail=f"REST namespace {namespace[:80]}", location=location)
        )
    return out


def post_types(body: bytes) -> list[ContentType]:
    """Post types from ``/wp-json/wp/v2/types`` (built-in plumbing types left out)."""
    types = _json(body)
    if not isinstance(types, dict):
        return []
    out = []
    for slug, info in sorted(types.items())[:200]:
        if not isinstance(slug, str) or slug in BUILT_IN_TYPES or not _SLUG.fullmatch(slug):
            continue
        label = info.get("name") if isinstance(info, dict) else None
        out.append(
            ContentType(
                name=slug,
                label=str(label)[:100] if isinstance(label, str) else slug,
                module="wordpress",
                entity_type="post",
            )
        )
    return out


def taxonomies(body: bytes) -> list[Vocabulary]:
    """Taxonomies from ``/wp-json/wp/v2/taxonomies`` (menus and plumbing left out)."""
    found = _json(body)
    if not isinstance(found, dict):
        return []
    out = []
    for slug, info in sorted(found.items())[:200]:
        if not isinstance(slug, str) or slug in BUILT_IN_TAXONOMIES or not _SLUG.fullmatch(slug):
            continue
        label = info.get("name") if isinstance(info, dict) else None
        out.append(
            Vocabulary(name=slug, label=str(label)[:100] if isinstance(label, str) else slug)
        )
    return out
