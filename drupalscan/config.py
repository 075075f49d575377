"""Project settings: defaults, and the optional `drupalscan.toml`.

A consultant keeps one `drupalscan.toml` per client engagement, beside the
store.  Everything in it is optional:

    [report]
    client = "Northwind Traders"     # cover page
    agency = "Acme Digital"
    logo = "acme.svg"                # SVG or PNG, inlined into the report

    [cost]
    rate = 120                       # blended hourly rate
    currency = "EUR"

    [rules]
    select = []                      # only these rule ids (empty: all)
    ignore = ["D7-SITE-006"]         # never these

    [rules.settings.D7-CT-002]       # per-rule thresholds
    threshold = 20000

    [effort.D7-CUS-001]              # per-rule hours per unit, the agency's own rates
    low = 10
    high = 30
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_STORE = "drupalscan.db"
"""Where collected work is kept unless --store says otherwise."""

DEFAULT_CONFIG = "drupalscan.toml"
"""Read from beside the store, else from the current directory, unless --config says."""


class ConfigError(ValueError):
    """The config file is unreadable or has a value of the wrong type."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a run may be told, with documented defaults."""

    client: str = ""
    agency: str = ""
    logo: str = ""
    rate: float | None = None
    currency: str = "EUR"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rule_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    effort: dict[str, dict[str, float]] = field(default_factory=dict)
    source: str = ""
    """The file these settings came from, if any."""


def find_config(store: str | Path | None = None) -> Path | None:
    """The `drupalscan.toml` that applies: beside the store, else in the current folder.

    A consultant keeps one folder per client engagement with the store and its
    config side by side, and may run drupalscan from anywhere with --store.
    """
    candidates = []
    if store is not None:
        candidates.append(Path(store).expanduser().resolve().parent / DEFAULT_CONFIG)
    candidates.append(Path(DEFAULT_CONFIG).resolve())
    return next((c for c in candidates if c.is_file()), None)


def load_settings(path: str | Path | None = None, *, store: str | Path | None = None) -> Settings:
    """Read `drupalscan.toml`: the explicit path, else the one `find_config` finds."""
    if path is None:
        found = find_config(store)
        if found is None:
            return Settings()
        path = found
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    report = _table(data, "report", path)
    cost = _table(data, "cost", path)
    rules = _table(data, "rules", path)
    effort = _table(data, "effort", path)
    for key in ("select", "ignore"):
        value = rules.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: [rules] {key} must be a list of rule ids")
    for rule_id, rates in effort.items():
        if not isinstance(rates, dict) or not {"low", "high"} <= set(rates):
            raise ConfigError(f"{path}: [effort.{rule_id}] needs low and high")
        if not (isinstance(rates["low"], (int, float)) and isinstance(rates["high"], (int, float))):
            raise ConfigError(f"{path}: [effort.{rule_id}] low and high must be numbers")
        if not 0 <= rates["low"] <= rates["high"]:
            raise ConfigError(f"{path}: [effort.{rule_id}] needs 0 <= low <= high")
    try:
        rate = cost.get("rate")
        return Settings(
            client=str(report.get("client", "")),
            agency=str(report.get("agency", "")),
            logo=str(report.get("logo", "")),
            rate=float(rate) if rate is not None else None,
            currency=str(cost.get("currency", "EUR")),
            select=tuple(str(r) for r in rules.get("select", [])),
            ignore=tuple(str(r) for r in rules.get("ignore", [])),
            rule_settings={str(k): dict(v) for k, v in rules.get("settings", {}).items()},
            effort={
                str(k): {"low": float(v["low"]), "high": float(v["high"])}
                for k, v in effort.items()
            },
            source=str(path),
        )
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ConfigError(f"{path}: a value has the wrong type ({exc})") from None


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{key}] must be a table")
    return value
