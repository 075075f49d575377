"""A safe decoder for PHP's ``serialize()`` format.

Drupal 7 keeps much of its configuration as PHP-serialized blobs
(``variable.value``, ``field_config.data``, ``system.info``...).  Python has
no decoder in the standard library, and the third-party ones either
instantiate classes or trust lengths blindly.  This one only ever builds plain
data, so a hostile database cannot make the scanner run anything:

* ``N`` -> ``None``, ``b`` -> ``bool``, ``i`` -> ``int``, ``d`` -> ``float``;
* ``s`` -> ``str`` (``bytes`` when the payload is not valid UTF-8), using the
  *byte* length PHP wrote, as PHP does;
* ``a`` -> ``list`` when the keys are exactly ``0..n-1`` in order, else ``dict``;
* ``O`` (objects) -> ``dict`` with a ``__class__`` key, visibility markers
  stripped from property names; ``C`` (custom serialization) -> ``dict`` with
  ``__class__`` and the raw ``__data__``; ``E`` (enums) -> ``{"__enum__": ...}``;
* ``r``/``R`` (references) -> ``{"__ref__": n}``; following them could build
  cycles, which plain data must not have.

Malformed input of any kind raises `PhpSerialError`, and nesting is bounded
so that a crafted value cannot exhaust the Python stack.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["MAX_DEPTH", "PhpSerialError", "loads"]

MAX_DEPTH = 64
"""Deepest nesting accepted; real Drupal data stays well under 20."""

_INT = re.compile(rb"[+-]?[0-9]+")
_FLOAT = re.compile(rb"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL_FLOATS = {b"INF": math.inf, b"-INF": -math.inf, b"NAN": math.nan}


class PhpSerialError(ValueError):
    """The input is not a well-formed PHP-serialized value."""


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode one PHP-serialized value into plain Python data.

    ``str`` input is encoded back to bytes first (UTF-8, with
    ``surrogateescape`` so text decoded that way from a dump round-trips),
    because PHP string lengths count bytes, not characters.
    """
    if isinstance(data, str):
        raw = data.encode("utf-8", "surrogateescape")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise PhpSerialError(f"expected bytes or str, got {type(data).__name__}")
    parser = _Parser(raw, max_depth)
    value = parser.value(0)
    if parser.pos != len(raw):
        raise PhpSerialError(f"trailing data at byte {parser.pos}")
    return value


class _Parser:
    """Recursive-descent parser over a byte string; ``pos`` is the cursor."""

    __slots__ = ("data", "max_depth", "pos")

    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data = data
        self.pos = 0
        self.max_depth = max_depth

    def fail(self, what: str) -> PhpSerialError:
        return PhpSerialError(f"{what} at byte {self.pos}")

    def expect(self, token: bytes) -> None:
        end = self.pos + len(token)
        if self.data[self.pos : end] != token:
            raise self.fail(f"expected {token.decode('ascii')!r}")
        self.pos = end

    def until(self, stop: bytes) -> bytes:
        """Bytes up to (not including) ``stop``; the cursor moves past it."""
        end = self.data.find(stop, self.pos)
        if end < 0:
            raise self.fail(f"missing {stop.decode('ascii')!r}")
        chunk = self.data[self.pos : end]
        self.pos = end + len(stop)
        return chunk

    def integer(self, stop: bytes) -> int:
        text = self.until(stop)
        if not _INT.fullmatch(text):
            raise self.fail("bad integer")
        return int(text)

    def length(self) -> int:
        n = self.integer(b":")
        if n < 0:
            raise self.fail("negative length")
        return n

    def quoted(self, n: int) -> bytes:
        """A ``"..."`` payload of exactly ``n`` bytes."""
        self.expect(b'"')
        end = self.pos + n
        if end > len(self.data):
            raise self.fail("string length past end of input")
        chunk = self.data[self.pos : end]
        self.pos = end
        self.expect(b'"')
        return chunk

    def value(self, depth: int) -> Any:
        if depth > self.max_depth:
            raise self.fail(f"nesting deeper than {self.max_depth}")
        if self.pos + 1 >= len(self.data):
            raise self.fail("unexpected end of input")
        tag = self.data[self.pos : self.pos + 1]
        if tag == b"N":
            self.pos += 1
            self.expect(b";")
            return None
        if self.data[self.pos + 1 : self.pos + 2] != b":":
            raise self.fail(f"unknown type {tag!r}")
        self.pos += 2
        if tag == b"b":
            flag = self.until(b";")
            if flag not in (b"0", b"1"):
                raise self.fail("bad boolean")
            return flag == b"1"
        if tag == b"i":
            return self.integer(b";")
        if tag == b"d":
            text = self.until(b";")
            if text in _SPECIAL_FLOATS:
                return _SPECIAL_FLOATS[text]
            if not _FLOAT.fullmatch(text):
                raise self.fail("bad float")
            return float(text)
        if tag == b"s":
            chunk = self.quoted(self.length())
            self.expect(b";")
            return _text(chunk)
        if tag == b"a":
            return self.array(self.length(), depth)
        if tag == b"O":
            cls = _text(self.quoted(self.length()))
            self.expect(b":")
            props = self.array(self.length(), depth, keep="dict")
            obj: dict[Any, Any] = {"__class__": cls}
            for key, val in props.items():
                obj[_property_name(key)] = val
            return obj
        if tag == b"C":
            cls = _text(self.quoted(self.length()))
            self.expect(b":")
            n = self.length()
            self.expect(b"{")
            end = self.pos + n
            if end > len(self.data):
                raise self.fail("object length past end of input")
            payload = self.data[self.pos : end]
            self.pos = end
            self.expect(b"}")
            return {"__class__": cls, "__data__": _text(payload)}
        if tag == b"E":
            chunk = self.quoted(self.length())
            self.expect(b";")
            return {"__enum__": _text(chunk)}
        if tag in (b"r", b"R"):
            return {"__ref__": self.integer(b";")}
        raise self.fail(f"unknown type {tag!r}")

    def array(self, n: int, depth: int, keep: str = "auto") -> Any:
        """``{key;value...}`` with ``n`` pairs; a list when keys are 0..n-1."""
        self.expect(b"{")
        items: dict[Any, Any] = {}
        sequential = True
        for index in range(n):
            key = self.value(depth + 1)
            if not isinstance(key, (int, str, bytes)) or isinstance(key, bool):
                raise self.fail("array key must be an int or a string")
            if isinstance(key, bytes):
                key = key.decode("utf-8", "surrogateescape")
            sequential = sequential and key == index and isinstance(key, int)
            items[key] = self.value(depth + 1)
        self.expect(b"}")
        if keep == "auto" and sequential:
            return list(items.values())
        return items


def _text(chunk: bytes) -> str | bytes:
    """Text when the bytes are UTF-8 (nearly always in Drupal), else bytes."""
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError:
        return chunk


def _property_name(key: Any) -> Any:
    """Drop the NUL-delimited visibility prefixes PHP puts on property names."""
    if isinstance(key, str) and key.startswith("\0"):
        end = key.find("\0", 1)
        if end > 0:
            return key[end + 1 :]
    return key
