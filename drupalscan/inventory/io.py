"""JSON round trip for the inventory model.

One generic converter walks the dataclass type hints, so adding a field to the
model needs no change here.  Output is byte-stable: keys are sorted.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
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
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


def from_data(cls: type[T], data: Any) -> T:
    """Build a model object of type ``cls`` from JSON-native data."""
    return typing.cast(T, _convert(cls, data, cls.__name__))


def _convert(tp: Any, data: Any, where: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if data is None:
            return None
        return _convert(args[0], data, where)
    if origin is list:
        if not isinstance(data, list):
            raise SchemaError(f"{where}: expected a list")
        (item,) = get_args(tp)
        return [_convert(item, v, f"{where}[]") for v in data]
    if origin is dict:
        if not isinstance(data, dict):
            raise SchemaError(f"{where}: expected an object")
        _, val = get_args(tp)
        return {k: _convert(val, v, f"{where}.{k}") for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise SchemaError(f"{where}: expected an object")
        hints = _hints(tp)
        known = {f.name for f in dataclasses.fields(tp)}
        kwargs = {k: _convert(hints[k], v, f"{where}.{k}") for k, v in data.items() if k in known}
        try:
            return tp(**kwargs)
        except TypeError as exc:
            raise SchemaError(f"{where}: {exc}") from None
    if tp is float and isinstance(data, int):
        return float(data)
    return data


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
