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

import codecs
import hashlib
import json
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, Tag

try:
    from lxml import etree
except ImportError:  # pragma: no cover - lxml is in install_requires
    etree = None  # type: ignore[assignment]

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


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: read the bytes UTF-8 rejects as Windows-1252.

    Intranet pages declared UTF-8 are often latin-1/cp1252 in places (a
    paste from Word, an old include file).  Reading just the offending
    bytes as cp1252 keeps ``é`` an ``é`` without garbling the valid UTF-8
    around it, where U+FFFD would lose the text for good.
    """
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("cp1252", "replace"), exc.end


codecs.register_error("drupalscan-cp1252", _cp1252_fallback)

_AS_CP1252 = frozenset({"iso8859-1", "ascii", "cp1252", "latin-1"})
"""Labels browsers decode as windows-1252 (WHATWG Encoding): the C1 range of
latin-1 is never what a page meant, and "ascii" pages hold 8-bit bytes."""
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _canonical(label: str) -> str:
    """Python's name for an encoding label, or "" when unknown."""
    try:
        return codecs.lookup(label).name
    except LookupError:
        return ""


def sniff_encoding(body: bytes, content_type: str = "") -> tuple[str, int]:
    """(Python codec, bytes of BOM to skip) for a response body.

    The order browsers use: a byte order mark, then the Content-Type
    charset, then a ``<meta charset>`` in the first 4 KB, else UTF-8.  A
    header saying UTF-16 without a BOM is believed, and the byte order is
    read from where the zero bytes of ASCII markup fall.  A ``<meta>``
    saying UTF-16 is not: a page whose meta could be read as ASCII is not
    UTF-16, so it is UTF-8 (as WHATWG says).
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    match = re.search(r"charset=[\"']?([A-Za-z0-9_.:-]+)", content_type, re.IGNORECASE)
    if match:
        name = _canonical(match.group(1))
        if name == "utf-16":
            head = body[:1024]
            return ("utf-16-be" if head[0::2].count(0) > head[1::2].count(0) else "utf-16-le"), 0
        if name:
            return ("cp1252" if name in _AS_CP1252 else name), 0
    meta = _CHARSET.search(body[:4096])
    if meta:
        name = _canonical(meta.group(1).decode("ascii", "replace"))
        if name.startswith(("utf-16", "utf-32")):
            return "utf-8", 0
        if name:
            return ("cp1252" if name in _AS_CP1252 else name), 0
    return "utf-8", 0


def decode(body: bytes, content_type: str = "") -> str:
    """Bytes to text using the BOM, header or meta charset, never failing.

    UTF-8 (declared or assumed) that does not decode falls back to
    Windows-1252 for the bad bytes only (see `_cp1252_fallback`).
    """
    codec, skip = sniff_encoding(body, content_type)
    data = body[skip:] if skip else body
    if codec == "utf-8":
        return data.decode("utf-8", errors="drupalscan-cp1252")
    try:
        return data.decode(codec, errors="replace")
    except LookupError:  # a codec lookup() knows but cannot decode with (rot13 ...)
        return data.decode("utf-8", errors="drupalscan-cp1252")


_TITLE_OPEN = re.compile(r"<title\b[^>]*>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title[\s>]", re.IGNORECASE)
_TAG_START = re.compile(r"<[A-Za-z/!?]")


def close_title(text: str) -> str:
    """Close a ``<title>`` that is never closed, before the next tag.

    Both parsers would otherwise make the rest of the page the title's
    content: a 30 KB title, no body text, and (html.parser) no body.  The
    title a page meant to have is the text up to its next tag.
    """
    match = _TITLE_OPEN.search(text)
    if match is None or _TITLE_CLOSE.search(text, match.end()):
        return text
    nxt = _TAG_START.search(text, match.end())
    pos = nxt.start() if nxt else len(text)
    return text[:pos] + "</title>" + text[pos:]


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
    return _skeleton_hash(parts)


def _skeleton_hash(parts: list[str]) -> str:
    return "html:" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:8]


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
    _VISIBLE_TEXT = _text_query(_NOT_TEXT + tuple(sorted(_INVISIBLE)))
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
    base = url
    refs = _Refs(url, site_host)
    add_asset, add_link = refs.asset, refs.link

    body_el = None
    for top in tops:
        for tag in top.iter(_TAGS):
            name = tag.tag
            if name in ("a", "area"):
                href = tag.get("href")
                if href is not None:
                    add_link(href)
            elif name in ("h1", "h2", "h3"):
                if len(out.headings) < MAX_HEADINGS:
                    heading = _lxml_text(tag)[:200]
                    if heading:
                        out.headings.append(f"{name}: {heading}")
            elif name == "script":
                src = tag.get("src")
                _script(out, src, tag.text or "", tag.get("data-drupal-selector"), base, add_asset)
                if src is not None:
                    continue
            elif name == "style":
                for ref in _IMPORT.findall(tag.text or ""):
                    add_asset(ref)
            elif name == "link":
                rel = " ".join((tag.get("rel") or "").split()).lower()
                href = tag.get("href")
                if href is None:
                    continue
                if "stylesheet" in rel:
                    add_asset(href)
                elif rel == "canonical" and not out.canonical:
                    out.canonical = normalise_url(href, base) or ""
            elif name == "img":
                src = tag.get("src")
                if src is not None and not src.startswith("data:"):
                    add_asset(src)
            elif name == "meta":
                _meta(tag, out, base, add_link)
            elif name == "input":
                value = tag.get("value")
                if tag.get("name") == "form_id" and value is not None:
                    out.form_ids.append(value)
                elif tag.get("name") == "captcha_response":
                    out.markers.add("captcha-response")
            elif name == "base":
                href = tag.get("href")
                if href is not None and base == url:
                    base = refs.base = normalise_url(href, url) or url
            elif name == "html":
                lang = tag.get("lang") or tag.get("xml:lang")
                if lang is not None:
                    out.language = lang.strip()
            elif name == "body":
                if body_el is None and not implied_body:
                    body_el = tag
                out.body_classes = [c for c in (tag.get("class") or "").split() if len(c) <= 80][
                    :100
                ]
            elif name == "title" and not out.title:
                out.title = _lxml_text(tag)[:500]

    for top in tops:
        for tag in _CLASSED(top):
            tokens = tag.get("class").split()
            if not tokens:
                continue
            if len(out.classes) < MAX_CLASSES:
                out.classes.update(c for c in tokens if len(c) <= 80)
            if any(c.startswith("view-display-id-page") for c in tokens):
                out.page_views.extend(c[8:] for c in tokens if c.startswith("view-id-"))

    refs.fill(out)
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
    if any(a.find("/wp-content/") >= 0 for a in out.assets):
        out.markers.add("wp-content")


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
            kids = [c for c in tag if isinstance(c.tag, str) and c.tag not in _INVISIBLE]
            stack.extend((c, depth + 1) for c in reversed(kids))
    return _skeleton_hash(parts)


# -- reference path: BeautifulSoup ---------------------------------------------------


def _walk(soup: BeautifulSoup, out: Parsed, url: str, site_host: str) -> None:
    """One pass over the tags filling `out`; then text and template."""
    base = url
    refs = _Refs(url, site_host)
    add_asset, add_link = refs.asset, refs.link
    invisible: list[Tag] = []

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
            src = src if isinstance(src, str) else None
            _script(out, src, tag.string or "", tag.get("data-drupal-selector"), base, add_asset)
            if src is not None:
                continue
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
            elif tag.get("name") == "captcha_response":
                out.markers.add("captcha-response")
        elif name == "base":
            href = tag.get("href")
            if isinstance(href, str) and base == url:
                base = refs.base = normalise_url(href, url) or url
        elif name == "html":
            lang = tag.get("lang") or tag.get("xml:lang")
            if isinstance(lang, str):
                out.language = lang.strip()
        elif name == "body":
            out.body_classes = [c for c in _class_list(tag) if len(c) <= 80][:100]

    refs.fill(out)
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


def _meta(tag: Any, out: Parsed, base: str, add_link: Callable[[str], None]) -> None:
    """Meta description, generator, site name and refresh target (bs4 Tag or lxml element)."""
    name = str(tag.get("name") or tag.get("property") or "").lower()
    content = tag.get("content")
    if not isinstance(content, str):
        return
    if name == "description" and not out.description:
        out.description = _WS.sub(" ", content).strip()[:1000]
    elif name == "generator":
        out.generator = content.strip()[:200]
        if tag.get("name") == "generator" and content.startswith("Drupal 7"):
            # Drupal 7 core writes name="Generator"; metatag replaces it in lower case.
            out.markers.add("generator-lowercase")
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
    raw_base = settings.get("basePath")
    base_path = raw_base if isinstance(raw_base, str) else "/"
    for key in ("css", "js"):
        files = state.get(key)
        if isinstance(files, dict):
            for path in list(files)[:300]:
                if isinstance(path, str) and not path.startswith(("http:", "https:", "//")):
                    add_asset(base_path + path.lstrip("/"))
