"""Turn one fetched HTML response into `model.Page` fields and page facts.

On a local network the crawler spends more time here than waiting for the
server, so there are two parsers behind `parse_html`:

* the fast path: libxml2's HTML parser through ``lxml.etree`` (C, and it
  releases the GIL so crawl workers parse in parallel), read with a few
  C-side iterations and XPath queries instead of a Python loop over every
  node;
* the reference path: BeautifulSoup's ``html.parser``, pure Python and the
  original definition of every field.  It is used when lxml is not
  installed or when libxml2 would lose part of the page (a fatal parser
  error: nesting deeper than libxml2 accepts, or an exception), and
  `parse_html_reference` exposes it so tests prove both give the same
  `Parsed` on real pages.

Everything returned is plain data: no parser object leaves this module.

Crawled HTML is hostile input: truncated, mis-nested, binary served as
``text/html``, megabytes of nested ``div``.  `parse_html` never raises on
content; it reports what it could not read in ``error``.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from bs4 import BeautifulSoup, Tag

try:
    from lxml import etree
except ImportError:  # pragma: no cover - lxml is in install_requires
    etree = None  # type: ignore[assignment]

from drupalscan.collect.encoding import close_title, decode, looks_binary, sniff_encoding
from drupalscan.collect.templates import (
    INVISIBLE,
    drupal_template,
    skeleton_hash,
    structural_template,
    wordpress_template,
)
from drupalscan.collect.urls import host_of, normalise_url

MAX_HEADINGS = 100
MAX_LINKS = 2000
MAX_CLASSES = 3000

_WS = re.compile(r"\s+")
_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)""", re.IGNORECASE)
_SETTINGS_D7 = re.compile(r"jQuery\.extend\(\s*Drupal\.settings\s*,\s*", re.DOTALL)
_LINK_CANONICAL = re.compile(r"<([^>]+)>\s*;[^,]*rel=\"?canonical\"?", re.IGNORECASE)


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


def _text(tag: Tag) -> str:
    return _WS.sub(" ", tag.get_text(" ")).strip()


class _Refs:
    """Links and assets of one page, normalised, deduplicated and capped.

    Shared by the fast and the reference parser; ``base`` follows a
    ``<base href>`` once the parser meets one.
    """

    def __init__(self, base: str, site_host: str) -> None:
        self.base = base
        self.site_host = site_host
        self.links: dict[str, None] = {}
        self.external: dict[str, None] = {}
        self.assets: dict[str, None] = {}

    def asset(self, ref: str) -> None:
        """Record a script, stylesheet or image reference."""
        norm = normalise_url(ref, self.base)
        if norm and len(self.assets) < MAX_LINKS:
            self.assets.setdefault(norm, None)

    def link(self, ref: str) -> None:
        """Record a link, internal (same host) or external."""
        norm = normalise_url(ref, self.base)
        if not norm:
            return
        if host_of(norm) == self.site_host:
            if len(self.links) < MAX_LINKS:
                self.links.setdefault(norm, None)
        elif len(self.external) < MAX_LINKS:
            self.external.setdefault(norm, None)

    def fill(self, out: Any) -> None:
        """Copy the collected references onto the parse result, in page order."""
        out.links = list(self.links)
        out.external_links = list(self.external)
        out.assets = list(self.assets)


def _script(
    out: Any,
    src: str | None,
    text: str,
    selector: Any,
    base: str,
    add_asset: Callable[[str], None],
) -> None:
    """What a <script> tells, shared by the fast and the reference parser.

    An external script is an asset (and WordPress paths a marker); an inline
    one may carry Drupal 7's settings, Drupal 8+'s settings JSON, WordPress's
    or Joomla's tell-tales.
    """
    if src is not None:
        add_asset(src)
        if "wp-content" in src or "wp-includes" in src:
            out.markers.add("wp-content")
        return
    if selector == "drupal-settings-json":
        out.drupal_settings_json = True
    elif "Drupal.settings" in text:
        settings = parse_drupal_settings(text)
        if settings is not None:
            out.drupal_settings = settings
            _settings_assets(settings, base, add_asset)
        else:
            out.markers.add("Drupal.settings")
    if "wp-content" in text or "wpApiSettings" in text:
        out.markers.add("wp-content")
    if "Joomla" in text:
        out.markers.add("joomla")


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


def parse_html(
    body: bytes, url: str, headers: Mapping[str, str] | None = None, site_host: str = ""
) -> Parsed:
    """Parse an HTML response body fetched from ``url``.

    ``site_host`` is the crawled host (links to it are internal); it
    defaults to the page's own host.  Header names are matched
    case-insensitively through the caller's mapping (requests' headers are).
    """
    return _parse(body, url, headers, site_host, fast=etree is not None)


def parse_html_reference(
    body: bytes, url: str, headers: Mapping[str, str] | None = None, site_host: str = ""
) -> Parsed:
    """`parse_html` through BeautifulSoup only: the slow path, kept as the reference.

    It defines what every field means; the fast path must give the same
    `Parsed` on real pages, which the tests check page by page.
    """
    return _parse(body, url, headers, site_host, fast=False)


def _parse(
    body: bytes, url: str, headers: Mapping[str, str] | None, site_host: str, *, fast: bool
) -> Parsed:
    headers = headers or {}
    site_host = site_host or host_of(url)
    ctype = headers.get("Content-Type", "")
    codec, _ = sniff_encoding(body[:4096], ctype)
    wide = codec.startswith(("utf-16", "utf-32"))
    # UTF-16 markup is half zero bytes: judge it after decoding, not before.
    if not wide and looks_binary(body):
        return Parsed(error="binary content served as HTML")
    text = decode(body, ctype)
    if wide and looks_binary(text[:2048].encode("utf-8", "replace")):
        return Parsed(error="binary content served as HTML")
    text = close_title(text.replace("\x00", ""))
    out = _parse_fast(text, url, site_host) if fast else None
    if out is None:
        out = Parsed()
        try:
            soup = BeautifulSoup(text, "html.parser")
            _walk(soup, out, url, site_host)
        except Exception as exc:  # noqa: BLE001 - hostile markup must not stop a crawl
            return Parsed(error=f"unparseable HTML ({type(exc).__name__})")
    if not out.canonical:
        match = _LINK_CANONICAL.search(headers.get("Link", ""))
        if match:
            out.canonical = normalise_url(match.group(1), url) or ""
    if not out.language:
        out.language = headers.get("Content-Language", "").split(",")[0].strip()
    return out


# -- one place per element kind -------------------------------------------------------


class _Visitor:
    """What each element of a page tells, in one place for both tree walkers.

    The fast walker (libxml2) and the reference walker (BeautifulSoup) only
    differ in how they reach the elements; each calls `visit` with the
    element's name, an attribute reader (multi-valued attributes joined by
    spaces) and two text readers, in document order.  A new fact is read
    here once, not twice.
    """

    def __init__(self, out: Parsed, url: str, site_host: str) -> None:
        self.out = out
        self.url = url
        self.base = url
        self.refs = _Refs(url, site_host)

    def visit(
        self,
        name: str,
        attr: Callable[[str], str | None],
        text: Callable[[], str],
        inline: Callable[[], str],
    ) -> None:
        """``text``: the element's visible text; ``inline``: its raw string (scripts)."""
        out, refs = self.out, self.refs
        if name in ("a", "area"):
            href = attr("href")
            if href is not None:
                refs.link(href)
        elif name in ("h1", "h2", "h3"):
            if len(out.headings) < MAX_HEADINGS:
                heading = text()[:200]
                if heading:
                    out.headings.append(f"{name}: {heading}")
        elif name == "script":
            _script(out, attr("src"), inline(), attr("data-drupal-selector"), self.base, refs.asset)
        elif name == "style":
            for ref in _IMPORT.findall(inline()):
                refs.asset(ref)
        elif name == "link":
            rel = " ".join((attr("rel") or "").split()).lower()
            href = attr("href")
            if href is None:
                return
            if "stylesheet" in rel:
                refs.asset(href)
            elif rel == "canonical" and not out.canonical:
                out.canonical = normalise_url(href, self.base) or ""
        elif name == "img":
            src = attr("src")
            if src is not None and not src.startswith("data:"):
                refs.asset(src)
        elif name == "meta":
            _meta(attr, out, refs.link)
        elif name == "input":
            field_name, value = attr("name"), attr("value")
            if field_name == "form_id" and value is not None:
                out.form_ids.append(value)
            elif field_name == "captcha_response":
                out.markers.add("captcha-response")
        elif name == "base":
            href = attr("href")
            if href is not None and self.base == self.url:
                self.base = refs.base = normalise_url(href, self.url) or self.url
        elif name == "html":
            lang = attr("lang") or attr("xml:lang")
            if lang is not None:
                out.language = lang.strip()
        elif name == "body":
            out.body_classes = [c for c in (attr("class") or "").split() if len(c) <= 80][:100]
        elif name == "title" and not out.title:
            out.title = text()[:500]

    def finish(self) -> None:
        """Links and assets onto the result, and the WordPress marker assets imply."""
        self.refs.fill(self.out)
        if any(a.find("/wp-content/") >= 0 for a in self.out.assets):
            self.out.markers.add("wp-content")


# -- fast path: lxml ---------------------------------------------------------------

_TAGS: tuple[str, ...] = ("a", "area", "h1", "h2", "h3", "script", "style", "link", "img", "meta")
_TAGS += ("input", "base", "html", "body", "title")
"""The elements `_walk_lxml` reads; libxml2 skips every other one in C."""

_NOT_TEXT = ("script", "style", "template", "rt", "rp")
"""Where BeautifulSoup's ``get_text`` finds no text (its Script, Stylesheet,
TemplateString and Ruby* string classes); comments are never text either."""


def _text_query(skip: tuple[str, ...]) -> Any:
    """XPath for the text nodes below an element that are not inside ``skip``."""
    outside = " or ".join(f"ancestor::{name}" for name in skip)
    return etree.XPath(f".//text()[not({outside})]", smart_strings=False)


if etree is not None:
    _TEXT = _text_query(_NOT_TEXT)
    """What ``Tag.get_text`` reads: headings and title."""
    _VISIBLE_TEXT = _text_query(_NOT_TEXT + tuple(sorted(INVISIBLE)))
    """What the reference path counts words in, once invisible tags are gone."""
    _CLASSED = etree.XPath("descendant-or-self::*[@class]")
    _MISPLACED = etree.ErrorTypes.HTML_STRUCURE_ERROR  # sic, libxml2's spelling
    """libxml2's "misplaced <body> tag": it dropped the tag and its attributes."""
_RAW_TEXT = ("title", "textarea", "iframe", "noembed", "noframes", "xmp", "plaintext")
"""Elements libxml2 reads as text to their end tag (HTML5), html.parser as markup."""
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_BODY_TAG = re.compile(r"<body[\s/>]", re.IGNORECASE)
_local = threading.local()


def _lxml_parser() -> Any:
    """One libxml2 parser per thread: a parser is not reentrant, and its
    ``error_log`` must describe this thread's last document."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.HTMLParser(
            encoding="utf-8", recover=True, no_network=True, collect_ids=False, compact=True
        )
    return parser


def _parse_fast(text: str, url: str, site_host: str) -> Parsed | None:
    """`Parsed` through libxml2, or None when the reference path must decide.

    The text goes back to UTF-8 bytes with the encoding forced, so a stale
    ``<meta charset>`` or XML declaration cannot make libxml2 decode it a
    second time.  libxml2 stops at a fatal error (nesting deeper than it
    accepts, for one) and keeps what came before; such a page, or one lxml
    raises on, is parsed again the slow way rather than half-read.  So is a
    page where libxml2 drops a misplaced ``<html>``/``<body>`` start tag
    with its attributes (PHP notices printed before the doctype, markup
    in ``<head>``): the reference path keeps those body classes, which
    carry the template signature.  And so is a page with markup inside an
    element libxml2 reads as plain text but html.parser does not: a
    ``<title>`` whose end tag is mangled swallows the rest of the page, and
    with it every link.
    """
    parser = _lxml_parser()
    try:
        root = etree.fromstring(text.encode("utf-8", "replace"), parser)
    except Exception:  # noqa: BLE001 - the reference path copes or reports
        return None
    for entry in parser.error_log:
        if entry.level_name == "FATAL" or entry.type == _MISPLACED:
            return None
    out = Parsed()
    if root is None:  # nothing but whitespace: what html.parser makes of it
        out.template = structural_template(None)
        return out
    # Markup after </html> lands in further top-level <html> elements.
    tops = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
    tops = [top for top in tops if isinstance(top.tag, str)]
    for top in tops:
        for raw in top.iter(_RAW_TEXT):
            if raw.text and _MARKUP.search(raw.text):
                return None
    try:
        _walk_lxml(tops, out, url, site_host, implied_body=_BODY_TAG.search(text) is None)
    except Exception:  # noqa: BLE001 - the reference path copes or reports
        return None
    return out


def _lxml_inline(element: Any) -> str:
    """A script's or style's own text."""
    return str(element.text or "")


def _lxml_text(element: Any) -> str:
    return _WS.sub(" ", " ".join(_TEXT(element))).strip()


def _walk_lxml(
    tops: list[Any], out: Parsed, url: str, site_host: str, *, implied_body: bool
) -> None:
    """`_walk` over libxml2's tree: same fields, same order, same caps.

    Only the elements in `_TAGS` reach Python, in document order; class
    tokens come from one XPath query and the word count from another.
    libxml2 always makes a ``<body>``; html.parser only has one when the
    page wrote it, so with ``implied_body`` the document counts as bodiless.
    """
    visitor = _Visitor(out, url, site_host)
    body_el = None
    for top in tops:
        for tag in top.iter(_TAGS):
            name = tag.tag
            if name == "body" and body_el is None and not implied_body:
                body_el = tag
            visitor.visit(
                name,
                tag.get,
                functools.partial(_lxml_text, tag),
                functools.partial(_lxml_inline, tag),
            )

    for top in tops:
        for tag in cast(list[Any], _CLASSED(top)):
            tokens = str(tag.get("class") or "").split()
            if not tokens:
                continue
            if len(out.classes) < MAX_CLASSES:
                out.classes.update(c for c in tokens if len(c) <= 80)
            if any(c.startswith("view-display-id-page") for c in tokens):
                out.page_views.extend(c[8:] for c in tokens if c.startswith("view-id-"))

    visitor.finish()
    if body_el is not None:
        strings = _VISIBLE_TEXT(body_el)
    else:
        strings = [s for top in tops for s in _VISIBLE_TEXT(top)]
    out.word_count = sum(len(s.split()) for s in strings)
    out.template = (
        drupal_template(out.body_classes, out.classes, out.page_views)
        or wordpress_template(out.body_classes)
        or _lxml_structure(body_el)
    )


def _lxml_structure(root: Any) -> str:
    """`structural_template` over a libxml2 element (the same skeleton and hash)."""
    if root is None:
        return structural_template(None)
    parts: list[str] = []
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack and len(parts) < 400:
        tag, depth = stack.pop()
        ident = tag.get("id")
        label = f"{depth}{tag.tag}#{ident}" if ident is not None else f"{depth}{tag.tag}"
        if not parts or parts[-1] != label:
            parts.append(label)
        if depth < 3:
            kids = [c for c in tag if isinstance(c.tag, str) and c.tag not in INVISIBLE]
            stack.extend((c, depth + 1) for c in reversed(kids))
    return skeleton_hash(parts)


# -- reference path: BeautifulSoup ---------------------------------------------------


def _walk(soup: BeautifulSoup, out: Parsed, url: str, site_host: str) -> None:
    """One pass over the tags filling `out`; then text and template."""
    visitor = _Visitor(out, url, site_host)
    invisible: list[Tag] = []
    for tag in soup.find_all(True):
        name = tag.name
        if name in INVISIBLE:
            invisible.append(tag)
        if tag.get("class"):
            tokens = _class_list(tag)
            if len(out.classes) < MAX_CLASSES:
                out.classes.update(c for c in tokens if len(c) <= 80)
            if any(c.startswith("view-display-id-page") for c in tokens):
                out.page_views.extend(c[8:] for c in tokens if c.startswith("view-id-"))
        visitor.visit(
            name,
            functools.partial(_bs4_attr, tag),
            functools.partial(_text, tag),
            functools.partial(_bs4_inline, tag),
        )
    visitor.finish()
    for tag in invisible:
        tag.extract()
    body = soup.body or soup
    out.word_count = len(body.get_text(" ").split())
    out.template = (
        drupal_template(out.body_classes, out.classes, out.page_views)
        or wordpress_template(out.body_classes)
        or structural_template(soup.body)
    )


def _bs4_inline(tag: Tag) -> str:
    """A script's or style's own text (html.parser keeps it as one string)."""
    return tag.string or ""


def _bs4_attr(tag: Tag, name: str) -> str | None:
    """An attribute as lxml reads it: multi-valued ones (class, rel) joined by spaces."""
    value = tag.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return " ".join(value)


def _meta(attr: Callable[[str], str | None], out: Parsed, add_link: Callable[[str], None]) -> None:
    """Meta description, generator, site name and refresh target."""
    name = str(attr("name") or attr("property") or "").lower()
    content = attr("content")
    if content is None:
        return
    if name == "description" and not out.description:
        out.description = _WS.sub(" ", content).strip()[:1000]
    elif name == "generator":
        out.generator = content.strip()[:200]
        if attr("name") == "generator" and content.startswith("Drupal 7"):
            # Drupal 7 core writes name="Generator"; metatag replaces it in lower case.
            out.markers.add("generator-lowercase")
    elif name == "og:site_name":
        out.site_name = content.strip()[:200]
    elif str(attr("http-equiv") or "").lower() == "refresh":
        match = re.search(r"url\s*=\s*['\"]?([^'\"]+)", content, re.IGNORECASE)
        if match:
            add_link(match.group(1))


def _settings_assets(settings: dict[str, Any], base: str, add_asset: Any) -> None:
    """Asset paths D7 lists in ``ajaxPageState`` (they survive aggregation)."""
    state = settings.get("ajaxPageState")
    if not isinstance(state, dict):
        return
    raw_base = settings.get("basePath")
    base_path = raw_base if isinstance(raw_base, str) else "/"
    for key in ("css", "js"):
        files = state.get(key)
        if isinstance(files, dict):
            for path in list(files)[:300]:
                if isinstance(path, str) and not path.startswith(("http:", "https:", "//")):
                    add_asset(base_path + path.lstrip("/"))
