"""Bytes of a crawled page to text, as a browser would decode them, never failing.

Intranet pages lie about their encoding: latin-1 declared UTF-8 (a paste
from Word, an old include), UTF-16 without a byte-order mark, a stale
``<meta charset>``, binary files served as ``text/html``, a ``<title>``
never closed.  These functions decide the encoding the way the WHATWG
Encoding standard and browsers do, keep every readable character, and
report binary content instead of parsing it.  Pure functions, no parser.
"""

from __future__ import annotations

import codecs
import re

_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CONTROL = bytes(range(0, 9)) + bytes(range(14, 32))


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
