"""The ``[match]`` condition language."""

from __future__ import annotations

from typing import Any

import pytest

from drupalscan.rules.matchers import OPERATORS, MatchSpecError, matches, validate, version_key

FACTS: dict[str, Any] = {
    "name": "views",
    "status": "in_core",
    "enabled": True,
    "disabled": False,
    "patches": 2,
    "kloc": 0.5,
    "count": 10000,
    "version": "7.x-3.24",
    "core_version": "7.10",
    "field_types": ["text", "image"],
    "label": "Views UI",
    "unknown": None,
}


# ------------------------------------------------------ equality, membership


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"status": "in_core"}, True),
        ({"status": "replaced"}, False),
        ({"enabled": True}, True),
        ({"enabled": False}, False),
        ({"disabled": False}, True),
        ({"patches": 2}, True),
        ({"patches": 3}, False),
        ({"unknown": None}, True),
        ({"missing": None}, True),
        ({"missing": "x"}, False),
        ({"status": "in_core", "enabled": True}, True),
        ({"status": "in_core", "enabled": False}, False),
        ({}, True),
    ],
)
def test_scalar_equality(spec: dict[str, Any], expected: bool) -> None:
    assert matches(spec, FACTS) is expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"status": ["in_core", "replaced"]}, True),
        ({"status": ["obsolete", "replaced"]}, False),
        ({"status": []}, False),
        ({"unknown": ["x", None]}, True),
        ({"unknown": ["x"]}, False),
        ({"missing": ["x"]}, False),
    ],
)
def test_list_membership(spec: dict[str, Any], expected: bool) -> None:
    assert matches(spec, FACTS) is expected


def test_enabled_false_equality_does_not_match_unknown() -> None:
    """``enabled = false`` (D7-MOD-009) must not fire when the state is unknown."""
    assert matches({"enabled": False}, {"enabled": False})
    assert not matches({"enabled": False}, {"enabled": None})
    assert not matches({"enabled": False}, {})


def test_ne_false_lets_unknown_through() -> None:
    """``enabled = { ne = false }``: enabled or unknown, not disabled."""
    spec = {"enabled": {"ne": False}}
    assert matches(spec, {"enabled": True})
    assert matches(spec, {"enabled": None})
    assert matches(spec, {})
    assert not matches(spec, {"enabled": False})


# --------------------------------------------------------------- operators


@pytest.mark.parametrize(
    ("op", "actual", "value", "expected"),
    [
        ("eq", 2, 2, True),
        ("eq", 2, 3, False),
        ("eq", None, None, True),
        ("ne", 2, 3, True),
        ("ne", 2, 2, False),
        ("ne", None, False, True),
        ("gt", 2, 1, True),
        ("gt", 2, 2, False),
        ("gt", 0.5, 0.49, True),
        ("gte", 10000, 10000, True),
        ("gte", 9999, 10000, False),
        ("lt", 1, 2, True),
        ("lt", 2, 2, False),
        ("lte", 2, 2, True),
        ("lte", 3, 2, False),
        ("contains", "Views UI", "UI", True),
        ("contains", "Views UI", "Rules", False),
        ("contains", ["text", "image"], "image", True),
        ("contains", ["text", "image"], "file", False),
        ("any_in", ["text", "image"], ["image", "file"], True),
        ("any_in", ["text", "image"], ["file"], False),
        ("any_in", [], ["file"], False),
        ("exists", 0, True, True),
        ("exists", False, True, True),
        ("exists", "", True, True),
        ("exists", None, True, False),
        ("exists", None, False, True),
        ("exists", 1, False, False),
        ("version_lt", "7.9", "7.10", True),
        ("version_lt", "7.10", "7.9", False),
        ("version_lt", "7.10", "7.100", True),
        ("version_lt", "7.100", "7.10", False),
        ("version_lt", "7.9", "7.100", True),
        ("version_lt", "7.100", "7.100", False),
        ("version_lt", "7.99", "7.100", True),
        ("version_lt", "6.38", "7.0", True),
        ("version_lt", "7.x-3.24", "7.x-3.100", True),
    ],
)
def test_operator(op: str, actual: Any, value: Any, expected: bool) -> None:
    assert op in OPERATORS
    assert matches({"fact": {op: value}}, {"fact": actual}) is expected


def test_every_operator_is_tested() -> None:
    assert OPERATORS == {
        "eq",
        "ne",
        "gt",
        "gte",
        "lt",
        "lte",
        "version_lt",
        "contains",
        "any_in",
        "exists",
    }


@pytest.mark.parametrize("op", ["gt", "gte", "lt", "lte", "version_lt", "contains", "any_in"])
def test_none_never_satisfies_a_comparison(op: str) -> None:
    value: Any = ["x"] if op == "any_in" else ("7.10" if op == "version_lt" else 1)
    assert not matches({"fact": {op: value}}, {"fact": None})
    assert not matches({"fact": {op: value}}, {})


def test_several_operators_on_one_fact_all_apply() -> None:
    spec = {"count": {"gte": 100, "lt": 1000}}
    assert matches(spec, {"count": 100})
    assert matches(spec, {"count": 999})
    assert not matches(spec, {"count": 1000})
    assert not matches(spec, {"count": 99})


@pytest.mark.parametrize(
    ("a", "b"),
    [("7.9", "7.10"), ("7.10", "7.100"), ("7.9", "7.100"), ("7.0", "7.1"), ("6.38", "7.0")],
)
def test_version_key_orders_numerically(a: str, b: str) -> None:
    assert version_key(a) < version_key(b)
    assert not version_key(b) < version_key(a)


def test_version_sort_is_not_string_sort() -> None:
    releases = ["7.100", "7.9", "7.10"]
    assert sorted(releases, key=version_key) == ["7.9", "7.10", "7.100"]
    assert sorted(releases) == ["7.10", "7.100", "7.9"]


def test_version_key_parts() -> None:
    assert version_key("7.105") == (7, 105)
    assert version_key("7.x-3.24") == (7, 3, 24)
    assert version_key("") == ()


# ------------------------------------------------------------------ any/all


def test_any() -> None:
    spec = {"any": [{"enabled": False}, {"patches": {"gt": 1}}]}
    assert matches(spec, FACTS)
    assert not matches(spec, {**FACTS, "patches": 1})
    assert matches(spec, {**FACTS, "patches": 0, "enabled": False})


def test_all() -> None:
    spec = {"all": [{"status": "in_core"}, {"patches": {"gte": 2}}]}
    assert matches(spec, FACTS)
    assert not matches(spec, {**FACTS, "status": "replaced"})


def test_any_with_other_keys_must_all_hold() -> None:
    spec = {"name": "views", "any": [{"patches": 0}, {"kloc": {"gt": 0.1}}]}
    assert matches(spec, FACTS)
    assert not matches({**spec, "name": "ctools"}, FACTS)


def test_empty_any_matches_nothing_and_empty_all_everything() -> None:
    assert not matches({"any": []}, FACTS)
    assert matches({"all": []}, FACTS)


def test_site_001_shape() -> None:
    """D7-SITE-001: PHP filter enabled, or nodes using it."""
    spec = {"any": [{"php_filter_enabled": True}, {"php_nodes": {"gt": 0}}]}
    assert matches(spec, {"php_filter_enabled": True, "php_nodes": 0})
    assert matches(spec, {"php_filter_enabled": False, "php_nodes": 1})
    assert not matches(spec, {"php_filter_enabled": False, "php_nodes": 0})


# ----------------------------------------------------------------- validate


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"status": "x", "type": ["a", "b"], "count": {"gte": 1, "lt": 5}},
        {"any": [{"a": 1}, {"b": {"exists": True}}], "all": [{"c": 2}]},
        {"fact": dict.fromkeys(sorted(OPERATORS), 1)},
    ],
)
def test_validate_accepts(spec: dict[str, Any]) -> None:
    validate(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"status": {"like": "x"}}, r"'status': unknown operator\(s\) \['like'\]"),
        ({"any": [{"any": [{"a": 1}]}]}, "'any' may only appear at the top level"),
        ({"all": [{"any": [{"a": 1}]}]}, "'any' may only appear at the top level"),
        ({"any": [{"all": [{"a": 1}]}]}, "'all' may only appear at the top level"),
        ({"any": {"a": 1}}, "'any' takes a list of tables"),
        ({"all": ["a"]}, "'all' takes a list of tables"),
        ({"any": [{"a": {"over": 1}}]}, r"'a': unknown operator\(s\) \['over'\]"),
    ],
)
def test_validate_rejects(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(MatchSpecError, match=message):
        validate(spec)
