"""JSON round trip for the inventory model.

One generic converter walks the dataclass type hints, so adding a field to the
model needs no change here.  Output is byte-stable: keys are sorted.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin

from drupalscan.inventory import model
from drupalscan.inventory.model import SCHEMA_VERSION

T = TypeVar("T")


class SchemaError(ValueError):
    """Raised when stored or supplied JSON does not fit the model."""


def to_data(obj: Any) -> Any:
    """Turn a model object (or list/dict of them) into JSON-native data."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _dumper(type(obj))(obj)
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


@cache
def _hints(cls: type) -> dict[str, Any]:
    """Resolved field types; names resolve in the class's own module, then the model's."""
    home = vars(sys.modules[cls.__module__]) if cls.__module__ in sys.modules else {}
    return typing.get_type_hints(cls, {**vars(model), **home})


_PLAIN = (str, int, bool, type(None))
"""Field types whose values are already JSON-native and need no conversion."""


def _is_plain(tp: Any) -> bool:
    """Whether a hint only admits JSON-native scalars (``str``, ``int | None``, ...)."""
    if get_origin(tp) in (Union, types.UnionType):
        return all(_is_plain(arg) for arg in get_args(tp))
    return tp in _PLAIN


def _plain_items(tp: Any) -> bool:
    """Whether a hint is a list or str-keyed dict of plain scalars (``list[str]``)."""
    origin = get_origin(tp)
    if origin is list:
        return _is_plain(get_args(tp)[0])
    return origin is dict and _is_plain(get_args(tp)[1])


@cache
def _dumper(cls: type) -> Callable[[Any], dict[str, Any]]:
    """A ``to_data`` for one dataclass, with the per-field decisions made once.

    Pages are written thousands of times a second while crawling; walking
    every list item through `to_data` cost more than the JSON encoding.
    Plain fields are copied as they are, lists and dicts of plain values
    are copied shallowly, anything else goes through `to_data`.
    """
    hints = _hints(cls)
    plan = []
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        kind = "plain" if _is_plain(tp) else "items" if _plain_items(tp) else "deep"
        plan.append((f.name, kind))

    def dump(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, kind in plan:
            value = getattr(obj, name)
            if kind == "plain":
                out[name] = value
            elif kind == "items" and isinstance(value, (list, tuple)):
                out[name] = list(value)
            elif kind == "items" and isinstance(value, dict):
                out[name] = {str(k): v for k, v in value.items()}
            else:
                out[name] = to_data(value)
        return out

    return dump


def from_data(cls: type[T], data: Any) -> T:
    """Build a model object of type ``cls`` from JSON-native data."""
    try:
        return typing.cast(T, _loader(typing.cast(Any, cls))(data))
    except _Misfit as exc:
        raise SchemaError(f"{cls.__name__}{''.join(reversed(exc.path))}: {exc.problem}") from None


class _Misfit(Exception):
    """Data that does not fit the model; the path is collected on the way out.

    Building the path ("Site.pages[].links") as a string on every call cost
    more than the conversion itself, so it is only built for the error.
    """

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []


def _same(data: Any) -> Any:
    return data


def _to_float(data: Any) -> Any:
    return float(data) if isinstance(data, int) and not isinstance(data, bool) else data


@cache
def _loader(tp: Any) -> Callable[[Any], Any]:
    """A converter from JSON-native data to hint ``tp``, decided once per hint."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        inner = _loader(args[0])
        return lambda data: None if data is None else inner(data)
    if origin is list:
        return _list_loader(_loader(get_args(tp)[0]))
    if origin is dict:
        return _dict_loader(_loader(get_args(tp)[1]))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_loader(tp)
    if tp is float:
        return _to_float
    return _same


def _list_loader(item: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def load(data: Any) -> Any:
        if not isinstance(data, list):
            raise _Misfit("expected a list")
        if item is _same:
            return data
        try:
            return [item(v) for v in data]
        except _Misfit as exc:
            exc.path.append("[]")
            raise

    return load


def _dict_loader(value: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def load(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Misfit("expected an object")
        if value is _same:
            return data
        out = {}
        for k, v in data.items():
            try:
                out[k] = value(v)
            except _Misfit as exc:
                exc.path.append(f".{k}")
                raise
        return out

    return load


def _dataclass_loader(cls: type) -> Callable[[Any], Any]:
    hints = _hints(cls)
    fields = {f.name: _loader(hints[f.name]) for f in dataclasses.fields(cls)}

    def load(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Misfit("expected an object")
        kwargs = {}
        for k, v in data.items():
            conv = fields.get(k)
            if conv is None:
                continue  # a field this version does not know: ignored
            try:
                kwargs[k] = v if conv is _same else conv(v)
            except _Misfit as exc:
                exc.path.append(f".{k}")
                raise
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise _Misfit(str(exc)) from None

    return load


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    """Serialise to sorted, stable JSON text."""
    return json.dumps(to_data(obj), indent=indent, sort_keys=True, ensure_ascii=False)


def inventory_to_json(inv: model.Inventory) -> str:
    """The inventory contract: ``{"schema_version": ..., "sites": [...]}``."""
    return dumps({"schema_version": SCHEMA_VERSION, "sites": sorted(inv.sites, key=_sid)})


def inventory_from_json(text: str) -> model.Inventory:
    """Parse inventory JSON, refusing a schema this version does not know."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or "sites" not in data:
        raise SchemaError("not a drupalscan inventory (no 'sites' key)")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaError(
            f"inventory schema_version {version!r} is not {SCHEMA_VERSION}; "
            "re-run the scan with this version of drupalscan"
        )
    return model.Inventory(sites=from_data(list[model.Site], data["sites"]))


def _sid(site: model.Site) -> str:
    return site.id
