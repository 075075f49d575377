"""Drupal 7 `.info` files, parsed the way Drupal 7 itself parses them.

Drupal 7's ``drupal_parse_info_format()`` is one multi-line regular expression
plus a loop that builds nested arrays from ``key[a][b]`` syntax.  We mirror it
(including its quirks: a line without ``=`` glues onto the next key, the last
duplicate key wins, ``key[]`` appends) so that what drupalscan reports is what
Drupal would have loaded.  The one deliberate difference: a value naming a PHP
constant (``version = VERSION``) stays as its text, because evaluating
anything from a scanned site is out of the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Transcribed from includes/common.inc, drupal_parse_info_format() in Drupal 7.
_INFO_RE = re.compile(
    r"""
    ^\s*                            # start of a line, leading white space ignored
    ((?:
      [^=;\[\]]|                    # key names have no = ; [ ] ...
      \[[^\[\]]*\]                  # ... unless balanced and not nested
    )+?)
    \s*=\s*                         # key = value
    (?:
      ("(?:[^"]|(?<=\\)")*")|       # double-quoted, may hold escaped quotes
      ('(?:[^']|(?<=\\)')*')|       # single-quoted, likewise
      ([^\r\n]*?)                   # unquoted, up to the end of the line
    )\s*$
    """,
    re.MULTILINE | re.DOTALL | re.VERBOSE,
)
_KEY_SPLIT = re.compile(r"\]?\[")
_CONSTANT = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# Drupal 7.40+ accepts ``project:module``; the project part is informational.
_DEPENDENCY = re.compile(r"^\s*(?:[A-Za-z_][A-Za-z0-9_]*:)?([^\s(:]+)\s*(?:\((.*)\))?\s*$")


class InfoError(ValueError):
    """A `.info` file that cannot be used (unreadable, or no key at all)."""


@dataclass(frozen=True, slots=True)
class Dependency:
    """A parsed ``dependencies[]`` entry: ``views (>=3.0)`` -> views, ``>=3.0``."""

    name: str
    constraint: str


def _stripslashes(text: str) -> str:
    """PHP's stripslashes(): a backslash escapes the next character."""
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def parse_info(text: str) -> dict[str, Any]:
    """Parse `.info` text into nested dicts/lists, as Drupal 7 does.

    Arrays built from ``key[]`` become lists; arrays with named keys stay
    dicts.  Values are always strings (constants kept as their names).
    """
    info: dict[str, Any] = {}
    for match in _INFO_RE.finditer(text):
        key, dq, sq, plain = match.group(1), match.group(2), match.group(3), match.group(4)
        value = _stripslashes(dq[1:-1]) if dq else _stripslashes(sq[1:-1]) if sq else plain or ""
        parts = _KEY_SPLIT.split(key.rstrip("]"))
        last = parts.pop()
        parent: dict[str, Any] = info
        for part in parts:
            if part == "":
                part = str(len(parent))
            child = parent.get(part)
            if not isinstance(child, dict):
                child = {}
                parent[part] = child
            parent = child
        if last == "":
            last = str(len(parent))
        parent[last] = value
    parsed: dict[str, Any] = _listify(info)
    return parsed


def _listify(node: Any) -> Any:
    """Turn dicts keyed 0..n-1 (PHP lists) into Python lists, recursively."""
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k == str(i) for i, k in enumerate(converted)):
        return list(converted.values())
    return converted


def read_info(path: Path) -> dict[str, Any]:
    """Read and parse a `.info` file, tolerating non-UTF-8 bytes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InfoError(f"{path}: cannot read ({exc.strerror})") from None
    if b"\x00" in data[:4096]:
        raise InfoError(f"{path}: binary data, not an .info file")
    info = parse_info(data.decode("utf-8", errors="replace"))
    if not info:
        raise InfoError(f"{path}: no 'key = value' line found")
    return info


def is_constant(value: str) -> bool:
    """Whether Drupal would have looked this value up as a PHP constant."""
    return bool(_CONSTANT.match(value))


def parse_dependency(text: str) -> Dependency | None:
    """Split ``name (constraint)``; None for an empty or unusable entry."""
    match = _DEPENDENCY.match(text)
    if not match:
        return None
    return Dependency(match.group(1), (match.group(2) or "").strip())


def info_bool(value: Any) -> bool:
    """A flag (``hidden``, ``required``) as PHP would test it.

    Drupal 7 turns ``TRUE``/``FALSE`` into PHP booleans (they name constants)
    and leaves everything else a string, which PHP calls true unless it is
    empty or ``"0"``.  So ``hidden = yes`` hides a module, ``hidden = FALSE``
    does not, and drupalscan must agree with that rather than with English.
    """
    if isinstance(value, (dict, list)):
        return bool(value)
    if not isinstance(value, str):
        return False
    text = value.strip()
    return text not in ("", "0") and text.upper() not in ("FALSE", "NULL")


def info_text(value: Any) -> str | None:
    """A scalar key's value, or None when absent, empty or (wrongly) an array."""
    return value if isinstance(value, str) and value else None


def as_list(value: Any) -> list[str]:
    """An info array as a list of strings, whatever shape the file gave it."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, str)]
    if isinstance(value, str) and value:
        return [value]
    return []
