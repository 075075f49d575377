"""The PHP unserializer: Drupal's real shapes, round trips and hostile input."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drupalscan.collect.phpserial import MAX_DEPTH, PhpSerialError, loads


def php_serialize(value: Any) -> bytes:
    """A minimal PHP ``serialize()`` for tests (lists and dicts become arrays)."""
    if value is None:
        return b"N;"
    if isinstance(value, bool):
        return b"b:1;" if value else b"b:0;"
    if isinstance(value, int):
        return b"i:%d;" % value
    if isinstance(value, float):
        if math.isinf(value):
            return b"d:INF;" if value > 0 else b"d:-INF;"
        return b"d:" + repr(value).encode() + b";"
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, bytes):
        return b's:%d:"' % len(value) + value + b'";'
    if isinstance(value, list):
        value = dict(enumerate(value))
    if isinstance(value, dict):
        body = b"".join(php_serialize(k) + php_serialize(v) for k, v in value.items())
        return b"a:%d:{" % len(value) + body + b"}"
    raise TypeError(type(value))


def canonical(value: Any) -> Any:
    """What `loads` should give back for ``value`` after `php_serialize`."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        if list(value) == list(range(len(value))):
            return [canonical(v) for v in value.values()]
        return {k: canonical(v) for k, v in value.items()}
    return value


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary(max_size=20)
)
keys = st.integers(min_value=-1000, max_value=1000) | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, database=None)
@given(values)
def test_round_trip(value: Any) -> None:
    assert loads(php_serialize(value)) == canonical(value)


@settings(max_examples=500, deadline=None, database=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_php_serial_error(data: bytes) -> None:
    try:
        loads(data)
    except PhpSerialError:
        pass


@settings(max_examples=300, deadline=None, database=None)
@given(values, st.data())
def test_damaged_values_raise_only_php_serial_error(value: Any, data: st.DataObject) -> None:
    raw = bytearray(php_serialize(value))
    cut = data.draw(st.integers(min_value=0, max_value=len(raw)))
    flip = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[flip] = data.draw(st.integers(min_value=0, max_value=255))
    for candidate in (bytes(raw), bytes(raw[:cut])):
        try:
            loads(candidate)
        except PhpSerialError:
            pass


def test_drupal_variable_shapes() -> None:
    assert loads(b's:5:"seven";') == "seven"
    assert loads(b"i:1795590486;") == 1795590486
    assert loads(b"d:0.5;") == 0.5
    assert loads(b"b:0;") is False
    assert loads(b"a:0:{}") == []
    assert loads('s:5:"café";') == "café"  # str input: length counts UTF-8 bytes
    assert loads(b'a:2:{i:0;s:1:"a";i:1;s:1:"b";}') == ["a", "b"]
    assert loads(b'a:2:{i:1;s:1:"a";i:0;s:1:"b";}') == {1: "a", 0: "b"}
    assert loads(b'a:1:{s:4:"name";s:4:"Node";}') == {"name": "Node"}
    assert loads(b"d:INF;") == math.inf
    assert math.isnan(loads(b"d:NAN;"))


def test_objects_become_dicts_never_instances() -> None:
    raw = (
        b'O:8:"stdClass":3:{s:8:"language";s:2:"en";'
        b's:7:"\x00*\x00prot";i:1;s:11:"\x00Foo\x00secret";b:1;}'
    )
    assert loads(raw) == {"__class__": "stdClass", "language": "en", "prot": 1, "secret": True}
    assert loads(b'C:11:"ArrayObject":4:{x:i0}') == {"__class__": "ArrayObject", "__data__": "x:i0"}
    assert loads(b"a:2:{i:0;a:0:{}i:1;R:2;}") == [[], {"__ref__": 2}]
    assert loads(b'E:11:"Suit:Hearts";') == {"__enum__": "Suit:Hearts"}


def test_invalid_utf8_strings_stay_bytes() -> None:
    assert loads(b's:2:"\xff\xfe";') == b"\xff\xfe"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"N",
        b"x:1;",
        b"i:12",
        b"i:1x;",
        b"b:2;",
        b"d:abc;",
        b's:10:"short";',
        b's:-1:"";',
        b's:3:"abc"',
        b"a:2:{i:0;i:1;}",
        b"a:1:{d:0.5;i:1;}",
        b"a:1:{i:0;i:1;",
        b"i:1;i:2;",
        b'O:3:"Foo":1:{',
    ],
)
def test_malformed_input_is_a_clear_error(raw: bytes) -> None:
    with pytest.raises(PhpSerialError):
        loads(raw)


def test_depth_is_bounded() -> None:
    deep = b"a:1:{i:0;" * (MAX_DEPTH + 5) + b"N;" + b"}" * (MAX_DEPTH + 5)
    with pytest.raises(PhpSerialError, match="nesting"):
        loads(deep)
    very_deep = b"a:1:{i:0;" * 100_000
    with pytest.raises(PhpSerialError):
        loads(very_deep)
    shallow = b"a:1:{i:0;" * 10 + b"N;" + b"}" * 10
    assert loads(shallow) is not None


def test_rejects_non_bytes() -> None:
    with pytest.raises(PhpSerialError):
        loads(12)  # type: ignore[arg-type]
