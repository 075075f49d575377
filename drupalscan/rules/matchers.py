"""The small, typed condition language of a rule's ``[match]`` table.

Each key names a fact of the subject; its value is one of:

* a scalar: equality (``status = "no_release"``);
* a list: membership (``status = ["obsolete", "replaced"]``);
* a table of comparisons: ``{ gte = 1000 }``, ``{ ne = false }``,
  ``{ version_lt = "7.105" }``, ``{ contains = "x" }``, ``{ any_in = [...] }``;
* ``any = [ {...}, {...} ]`` / ``all = [...]``: one level of nesting, no more.

Anything beyond this is a named Python predicate (see predicates.py); a DSL
that keeps growing turns into a worse programming language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

OPERATORS = frozenset(
    {"eq", "ne", "gt", "gte", "lt", "lte", "version_lt", "contains", "any_in", "exists"}
)


class MatchSpecError(ValueError):
    """A ``[match]`` table that uses an unknown operator or nests too deep."""


def validate(spec: Mapping[str, Any], depth: int = 0) -> None:
    """Check a match table's shape at load time, so a bad rule fails early."""
    for key, value in spec.items():
        if key in ("any", "all"):
            if depth > 0:
                raise MatchSpecError(f"'{key}' may only appear at the top level")
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise MatchSpecError(f"'{key}' takes a list of tables")
            for sub in value:
                validate(sub, depth + 1)
        elif isinstance(value, dict):
            unknown = set(value) - OPERATORS
            if unknown:
                raise MatchSpecError(f"'{key}': unknown operator(s) {sorted(unknown)}")


def fact_keys(spec: Mapping[str, Any]) -> set[str]:
    """The fact names a match table tests (inside ``any``/``all`` too)."""
    keys: set[str] = set()
    for key, value in spec.items():
        if key in ("any", "all") and isinstance(value, list):
            for sub in value:
                if isinstance(sub, dict):
                    keys |= fact_keys(sub)
        else:
            keys.add(key)
    return keys


SETTING_REF = re.compile(r"^\$[a-z][a-z0-9_]*$")
"""A match value naming a rule setting: ``"$threshold"``."""


def setting_refs(spec: Any) -> set[str]:
    """Names of the rule settings a match table refers to."""
    if isinstance(spec, dict):
        return set().union(*(setting_refs(v) for v in spec.values())) if spec else set()
    if isinstance(spec, list):
        return set().union(*(setting_refs(v) for v in spec)) if spec else set()
    if isinstance(spec, str) and SETTING_REF.match(spec):
        return {spec[1:]}
    return set()


def version_key(version: str) -> tuple[int, ...]:
    """Numeric sort key of a release string: ``7.9`` < ``7.10`` < ``7.100``."""
    return tuple(int(p) for p in re.findall(r"\d+", version))


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "exists":
        return (actual is not None) == bool(expected)
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "contains":
        return actual is not None and expected in actual
    if op == "any_in":
        return actual is not None and any(item in expected for item in actual)
    if actual is None:
        return False
    if op == "version_lt":
        return version_key(str(actual)) < version_key(str(expected))
    ordering = {
        "gt": actual > expected,
        "gte": actual >= expected,
        "lt": actual < expected,
        "lte": actual <= expected,
    }
    return bool(ordering[op])


def matches(spec: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """Whether a subject's facts satisfy every condition of the table."""
    for key, expected in spec.items():
        if key == "any":
            if not any(matches(sub, facts) for sub in expected):
                return False
            continue
        if key == "all":
            if not all(matches(sub, facts) for sub in expected):
                return False
            continue
        actual = facts.get(key)
        if isinstance(expected, dict):
            if not all(_compare(op, actual, val) for op, val in expected.items()):
                return False
        elif isinstance(expected, list):
            if actual not in expected:
                return False
        elif actual != expected:
            return False
    return True
