"""Turn one fetched HTML response into `model.Page` fields and page facts.

Parsing is done with BeautifulSoup's ``html.parser`` (no C dependency) in a
single pass over the tags, because on a local network the crawler spends
more time here than waiting for the server.  Everything returned is plain
data: no bs4 object leaves this module.

Crawled HTML is hostile input: truncated, mis-nested, binary served as
``text/html``, megabytes of nested ``div``.  `parse_html` never raises on
content; it reports what it could not read in ``error``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, Tag

from drupalscan.collect.urls import host_of, normalise_url

MAX_HEADINGS = 100
MAX_LINKS = 2000
MAX_CLASSES = 3000

_WS = re.compile(r"\s+")
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", re.IGNORECASE)
_SETTINGS_D7 = re.compile(r"jQuery\.extend\(\s*Drupal\.settings\s*,\s*", re.DOTALL)
_LINK_CANONICAL = re.compile(r"<([^>]+)>\s*;[^,]*rel=\"?canonical\"?", re.IGNORECASE)
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title", "svg"})
_CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))


@dataclass(slots=True)
class Parsed:
    """What one HTML page says: Page fields plus facts for fingerprinting."""

    title: str = ""
    description: str = ""
    canonical: str = ""
    language: str = ""
    word_count: int = 0
    headings: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    body_classes: list[str] = field(default_factory=list)
    template: str = ""
    error: str = ""
    # -- facts for fingerprint.py, not stored on the Page -------------------
    generator: str = ""
    site_name: str = ""
    drupal_settings: dict[str, Any] | None = None
    """The D7/D6 ``jQuery.extend(Drupal.settings, {...})`` object."""
    drupal_settings_json: bool = False
    """A D8+ ``drupal-settings-json`` script was present."""
    page_views: list[str] = field(default_factory=list)
    """Views shown as the page display (``view-id-X view-display-id-page``)."""
    classes: set[str] = field(default_factory=set)
    """Every class token on the page (block-*, view-*, panel* ...), capped."""
    form_ids: list[str] = field(default_factory=list)
    markers: set[str] = field(default_factory=set)
    """Tell-tale strings met in scripts: ``wp-content``, ``joomla`` ..."""


def is_html_type(content_type: str) -> bool:
    """Whether a Content-Type is one we parse for links."""
    ctype = content_type.split(";", 1)[0].strip().lower()
    return ctype in ("text/html", "application/xhtml+xml", "application/xhtml")


def looks_binary(body: bytes) -> bool:
    """Whether bytes are binary data, not markup (a PDF sent as text/html)."""
    head = body[:2048]
    if not head:
        return False
    if b"\x00" in head:
        return True
    return sum(head.count(bytes([c])) for c in _CONTROL) > len(head) // 10


def decode(body: bytes, content_type: str = "") -> str:
    """Bytes to text using the header or meta charset, never failing."""
    charset = ""
    match = re.search(r"charset=([A-Za-z0-9_.:-]+)", content_type, re.IGNORECASE)
    if match:
        charset = match.group(1)
    else:
        meta = _CHARSET.search(body[:4096])
        if meta:
            charset = meta.group(1).decode("ascii", "replace")
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _text(tag: Tag) -> str:
    return _WS.sub(" ", tag.get_text(" ")).strip()


def parse_drupal_settings(script: str) -> dict[str, Any] | None:
    """The object passed to ``jQuery.extend(Drupal.settings, ...)``, or None.

    Drupal 7 prints it as JSON, so a JSON decoder started at the brace reads
    it exactly and stops at its end, whatever follows.
    """
    match = _SETTINGS_D7.search(script)
    if not match:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(script, match.end())
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _class_list(tag: Tag) -> list[str]:
    value = tag.get("class")
    if isinstance(value, str):
        return value.split()
    return list(value or [])


def is_drupal_body(body_classes: list[str]) -> bool:
    """Whether body classes have Drupal's shape (``html not-front not-logged-in``)."""
    body = set(body_classes)
    if any(c.startswith("node-type-") for c in body_classes):
        return True
    return bool({"front", "not-front"} & body) and bool({"logged-in", "not-logged-in"} & body)


def drupal_template(
    body_classes: list[str], classes: set[str], page_views: list[str] | None = None
) -> str:
    """Template signature from Drupal body classes, or "" when not Drupal.

    ``page_views`` are views rendered as the page's own display
    (``view-display-id-page*``), which say more than a sidebar block view.
    """
    if not is_drupal_body(body_classes):
        return ""
    body = set(body_classes)
    page_views = page_views or []
    for cls in body_classes:
        if cls.startswith("node-type-"):
            return "node:" + cls[len("node-type-") :].replace("-", "_")
    if "front" in body:
        return "front"
    if "page-taxonomy-term" in body:
        return "taxonomy-term"
    if "page-user" in body:
        return "user"
    if page_views:
        return "views:" + page_views[0]
    views = sorted(c[len("view-id-") :] for c in classes if c.startswith("view-id-") and len(c) > 8)
    if {"page-panels", "page-page-manager"} & body or any(
        c.startswith(("panels-flexible", "panel-display", "page-manager")) for c in classes
    ):
        return "panels"
    if views and not any(c.startswith("page-") and c != "page-node" for c in body_classes):
        return "views:" + views[0]
    for cls in body_classes:
        if cls.startswith("page-") and len(cls) > 5 and cls != "page-node":
            return "page:" + cls[5:]
    if "page-node" in body:
        return "page:node"
    return ""


def wordpress_template(body_classes: list[str]) -> str:
    """Template signature from WordPress body classes, or "" when not WordPress."""
    body = set(body_classes)
    wp = any(c.startswith(("postid-", "page-id-", "wp-", "page-template")) for c in body) or bool(
        {"home", "blog", "archive", "error404", "search-results"} & body
        and any(c.startswith(("logged-in", "admin-bar", "wp-", "category-", "tag-")) for c in body)
    )
    if not wp:
        return ""
    for cls in body_classes:
        if cls.startswith("single-") and not cls.startswith("single-format"):
            return "wp:" + cls
    if "page" in body or any(c.startswith("page-id-") for c in body):
        return "wp:page"
    for name in ("home", "blog", "archive", "search", "error404"):
        if name in body:
            return "wp:" + name
    return "wp:other"


def structural_template(root: Tag | None) -> str:
    """``html:`` + a short hash of the layout skeleton (tags and ids, 3 levels).

    Pages built from one static template share their outer structure even
    when their text differs, so they hash alike; repeated siblings collapse
    so a list of 5 or 50 items gives the same skeleton.
    """
    if root is None:
        return "html:empty"
    parts: list[str] = []
    stack: list[tuple[Tag, int]] = [(root, 0)]
    while stack and len(parts) < 400:
        tag, depth = stack.pop()
        ident = tag.get("id")
        label = f"{depth}{tag.name}#{ident}" if isinstance(ident, str) else f"{depth}{tag.name}"
        if not parts or parts[-1] != label:
            parts.append(label)
        if depth < 3:
            kids = [c for c in tag.children if isinstance(c, Tag) and c.name not in _INVISIBLE]
            stack.extend((c, depth + 1) for c in reversed(kids))
    return "html:" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:8]


def parse_html(
    body: bytes, url: str, headers: Mapping[str, str] | None = None, site_host: str = ""
) -> Parsed:
    """Parse an HTML response body fetched from ``url``.

    ``site_host`` is the crawled host (links to it are internal); it
    defaults to the page's own host.  Header names are matched
    case-insensitively through the caller's mapping (requests' headers are).
    """
    headers = headers or {}
    out = Parsed()
    site_host = site_host or host_of(url)
    if looks_binary(body):
        out.error = "binary content served as HTML"
        return out
    text = decode(body, headers.get("Content-Type", "")).replace("\x00", "")
    try:
        soup = BeautifulSoup(text, "html.parser")
        _walk(soup, out, url, site_host)
    except Exception as exc:  # noqa: BLE001 - hostile markup must not stop a crawl
        out.error = f"unparseable HTML ({type(exc).__name__})"
        return out
    if not out.canonical:
        match = _LINK_CANONICAL.search(headers.get("Link", ""))
        if match:
            out.canonical = normalise_url(match.group(1), url) or ""
    if not out.language:
        out.language = headers.get("Content-Language", "").split(",")[0].strip()
    return out


def _walk(soup: BeautifulSoup, out: Parsed, url: str, site_host: str) -> None:
    """One pass over the tags filling `out`; then text and template."""
    base = url
    links: dict[str, None] = {}
    external: dict[str, None] = {}
    assets: dict[str, None] = {}
    invisible: list[Tag] = []

    def add_asset(ref: str) -> None:
        norm = normalise_url(ref, base)
        if norm and len(assets) < MAX_LINKS:
            assets.setdefault(norm, None)

    def add_link(ref: str) -> None:
        norm = normalise_url(ref, base)
        if not norm:
            return
        if host_of(norm) == site_host:
            if len(links) < MAX_LINKS:
                links.setdefault(norm, None)
        elif len(external) < MAX_LINKS:
            external.setdefault(norm, None)

    for tag in soup.find_all(True):
        name = tag.name
        if name in _INVISIBLE:
            invisible.append(tag)
            if name == "title" and not out.title:
                out.title = _text(tag)[:500]
        cls = tag.get("class")
        if cls:
            tokens = _class_list(tag)
            if len(out.classes) < MAX_CLASSES:
                out.classes.update(c for c in tokens if len(c) <= 80)
            if any(c.startswith("view-display-id-page") for c in tokens):
                out.page_views.extend(c[8:] for c in tokens if c.startswith("view-id-"))
        if name in ("a", "area"):
            href = tag.get("href")
            if isinstance(href, str):
                add_link(href)
        elif name in ("h1", "h2", "h3"):
            if len(out.headings) < MAX_HEADINGS:
                heading = _text(tag)[:200]
                if heading:
                    out.headings.append(f"{name}: {heading}")
        elif name == "script":
            src = tag.get("src")
            if isinstance(src, str):
                add_asset(src)
                if "wp-content" in src or "wp-includes" in src:
                    out.markers.add("wp-content")
                continue
            script = tag.string or ""
            if tag.get("data-drupal-selector") == "drupal-settings-json":
                out.drupal_settings_json = True
            elif "Drupal.settings" in script:
                settings = parse_drupal_settings(script)
                if settings is not None:
                    out.drupal_settings = settings
                    _settings_assets(settings, base, add_asset)
                else:
                    out.markers.add("Drupal.settings")
            if "wp-content" in script or "wpApiSettings" in script:
                out.markers.add("wp-content")
            if "Joomla" in script:
                out.markers.add("joomla")
        elif name == "style":
            for ref in _IMPORT.findall(tag.string or ""):
                add_asset(ref)
        elif name == "link":
            rel = " ".join(_class_list_attr(tag, "rel")).lower()
            href = tag.get("href")
            if not isinstance(href, str):
                continue
            if "stylesheet" in rel:
                add_asset(href)
            elif rel == "canonical" and not out.canonical:
                out.canonical = normalise_url(href, base) or ""
        elif name == "img":
            src = tag.get("src")
            if isinstance(src, str) and not src.startswith("data:"):
                add_asset(src)
        elif name == "meta":
            _meta(tag, out, base, add_link)
        elif name == "input":
            if tag.get("name") == "form_id" and isinstance(tag.get("value"), str):
                out.form_ids.append(str(tag["value"]))
        elif name == "base":
            href = tag.get("href")
            if isinstance(href, str) and base == url:
                base = normalise_url(href, url) or url
        elif name == "html":
            lang = tag.get("lang") or tag.get("xml:lang")
            if isinstance(lang, str):
                out.language = lang.strip()
        elif name == "body":
            out.body_classes = [c for c in _class_list(tag) if len(c) <= 80][:100]

    out.links = list(links)
    out.external_links = list(external)
    out.assets = list(assets)
    for tag in invisible:
        tag.extract()
    body = soup.body or soup
    out.word_count = len(body.get_text(" ").split())
    out.template = (
        drupal_template(out.body_classes, out.classes, out.page_views)
        or wordpress_template(out.body_classes)
        or structural_template(soup.body)
    )
    if any(a.find("/wp-content/") >= 0 for a in out.assets):
        out.markers.add("wp-content")


def _class_list_attr(tag: Tag, attr: str) -> list[str]:
    value = tag.get(attr)
    if isinstance(value, str):
        return value.split()
    return list(value or [])


def _meta(tag: Tag, out: Parsed, base: str, add_link: Any) -> None:
    name = str(tag.get("name") or tag.get("property") or "").lower()
    content = tag.get("content")
    if not isinstance(content, str):
        return
    if name == "description" and not out.description:
        out.description = _WS.sub(" ", content).strip()[:1000]
    elif name == "generator":
        out.generator = content.strip()[:200]
    elif name == "og:site_name":
        out.site_name = content.strip()[:200]
    elif str(tag.get("http-equiv") or "").lower() == "refresh":
        match = re.search(r"url\s*=\s*['\"]?([^'\"]+)", content, re.IGNORECASE)
        if match:
            add_link(match.group(1))


def _settings_assets(settings: dict[str, Any], base: str, add_asset: Any) -> None:
    """Asset paths D7 lists in ``ajaxPageState`` (they survive aggregation)."""
    state = settings.get("ajaxPageState")
    if not isinstance(state, dict):
        return
    base_path = settings.get("basePath") if isinstance(settings.get("basePath"), str) else "/"
    for key in ("css", "js"):
        files = state.get(key)
        if isinstance(files, dict):
            for path in list(files)[:300]:
                if isinstance(path, str) and not path.startswith(("http:", "https:", "//")):
                    add_asset(base_path + path.lstrip("/"))
