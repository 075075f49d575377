"""The view-model is a tree of typed, frozen dataclasses, not nested dicts.

The templates read ``v.sites[0].modules[0].label``; these tests build the
view for the example client and walk all of it, checking each value against
its field's declared type, so a dict-shaped record, a model object leaking
into the view or a field typed ``str`` that holds an ``int`` fails here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union

import pytest

from drupalscan.inventory import model
from drupalscan.render import viewmodel
from drupalscan.render.report import Report
from drupalscan.render.view import build_view
from drupalscan.render.viewmodel import ReportView

PLAIN = (str, int, float, bool, type(None))


def check(value: Any, hint: Any, path: str) -> int:
    """Check `value` against the type `hint`; the number of dataclasses visited."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        errors = []
        for arg in typing.get_args(hint):
            try:
                return check(value, arg, path)
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{path}: {value!r} fits none of {hint}: {errors}")
    if origin is list:
        assert isinstance(value, list), f"{path}: {type(value).__name__}, not a list"
        (item,) = typing.get_args(hint)
        return sum(check(v, item, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is tuple:
        args = typing.get_args(hint)
        assert isinstance(value, tuple) and len(value) == len(args), f"{path}: {value!r}"
        pairs = zip(value, args, strict=True)
        return sum(check(v, a, f"{path}[{i}]") for i, (v, a) in enumerate(pairs))
    assert origin is None, f"{path}: unexpected hint {hint}"
    if dataclasses.is_dataclass(hint):
        assert type(value) is hint, f"{path}: {type(value).__name__}, not {hint.__name__}"
        return walk(value, path)
    if hint is float:
        # int is acceptable where float is declared (PEP 484); bool is not.
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{path}: {value!r}"
        return 0
    assert hint in PLAIN, f"{path}: {hint} is not a plain type or a view dataclass"
    assert type(value) is hint, f"{path}: {type(value).__name__} {value!r}, not {hint.__name__}"
    return 0


def walk(node: Any, path: str = "v") -> int:
    """Check every field of one view dataclass, recursively; dataclasses visited."""
    cls = type(node)
    assert dataclasses.is_dataclass(node), f"{path}: {cls.__name__} is not a dataclass"
    assert cls.__module__ == viewmodel.__name__, f"{path}: {cls.__name__} is not a view type"
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen, f"{path}: {cls.__name__} is not frozen"
    assert hasattr(cls, "__slots__"), f"{path}: {cls.__name__} has no slots"
    hints = typing.get_type_hints(cls, vars(viewmodel))
    return 1 + sum(
        check(getattr(node, f.name), hints[f.name], f"{path}.{f.name}")
        for f in dataclasses.fields(node)
    )


def test_the_example_view_is_a_tree_of_view_dataclasses(example_report: Report) -> None:
    view = build_view(example_report)
    assert isinstance(view, ReportView)
    visited = walk(view)
    # Sites, modules, findings, rules...: hundreds of records, each checked.
    assert visited > 500, visited
    assert view.sites and view.waves and view.rules and view.matrix.rows
    assert any(s.code_findings for s in view.sites)
    assert any(m.evidence for s in view.sites for m in s.modules)


def test_an_older_plan_builds_the_same_shape(example_report: Report) -> None:
    """Without the plan's display figures the view falls back, into the same types."""
    plan = dataclasses.replace(example_report.plan, effort_items=[], display=model.Display())
    walk(build_view(dataclasses.replace(example_report, plan=plan)))


def test_the_walker_rejects_dict_records() -> None:
    """The check itself: a dict where a record belongs fails it."""
    page = viewmodel.PageLink(title="t", url="u")
    row = viewmodel.TemplateRow(label="l", signature="s", pages=1, examples=[page])
    assert walk(row) == 2
    bad = dataclasses.replace(row, examples=[{"title": "t", "url": "u"}])  # type: ignore[list-item]
    with pytest.raises(AssertionError, match="not PageLink"):
        walk(bad)
    with pytest.raises(AssertionError, match="not a dataclass"):
        walk({"sites": []})
