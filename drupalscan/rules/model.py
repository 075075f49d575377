"""What a rule is, once loaded from its TOML file and validated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

RULE_ID = re.compile(r"^[A-Z][A-Z0-9]{1,9}-[A-Z]{2,6}-\d{3}$")
"""PREFIX-FAMILY-NNN: shipped rules use D7- and WP-; an agency's own use theirs (ACME-MOD-001)."""
RULE_PLATFORMS = ("drupal", "wordpress", "any")
"""Which sites a rule looks at (`model.platform_of` their kind); ``any``: every site."""
PLAN_RISKS = ("research", "manual-content")
"""Risk groups a rule's findings may join (``[plan] risk``); graph/risks.py words them."""
APPLIES_TO = ("site", "module", "theme", "content_type", "api_use", "export")
EFFORT_PER = (
    "finding",
    "module",
    "theme",
    "kloc",
    "content_type",
    "1000_nodes",
    "template",
    "use",
    "patch",
    "item",
    "site",
)
"""What an effort range scales with; see `engine.quantity`."""

UNIT_LABELS: dict[str, tuple[str, str]] = {
    "finding": ("finding", "findings"),
    "module": ("module", "modules"),
    "theme": ("theme", "themes"),
    "kloc": ("KLOC", "KLOC"),
    "content_type": ("content type", "content types"),
    "1000_nodes": ("1,000 nodes", "1,000 nodes"),
    "template": ("template", "templates"),
    "use": ("use", "uses"),
    "patch": ("patch", "patches"),
    "item": ("exported item", "exported items"),
    "site": ("site", "sites"),
    "decision": ("client decision", "client decisions"),
}
"""Singular and plural wording of each effort unit."""

CONTINUOUS_UNITS = ("kloc", "1000_nodes")
"""Units whose quantity can fall below 1, so even the default floor matters."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EffortSpec:
    """Hours per unit, the unit, and a floor so tiny units still cost something."""

    low: float
    high: float
    per: str = "finding"
    min: float = 1.0
    """Smallest quantity charged (e.g. 0.5 KLOC for a 40-line module)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A loaded rule: metadata, effort, and either a match table or a predicate."""

    id: str
    title: str
    applies_to: str
    severity: str
    category: str
    effort: EffortSpec
    rationale: str
    remedy: str
    message: str
    """A ``str.format`` template over the subject's facts, e.g. ``{label} ({name})``."""
    references: list[str] = field(default_factory=list)
    match: dict[str, Any] = field(default_factory=dict)
    predicate: str = ""
    confidence: str = "high"
    aliases: list[str] = field(default_factory=list)
    platform: str = "drupal"
    """Sites the rule looks at: ``drupal`` (default), ``wordpress`` or ``any``."""
    shared: bool = False
    """``[plan] shared = true``: the work is done once on the target for every site
    that has the subject (a module is installed once), so the plan counts it once."""
    per_codebase: bool = False
    """``[plan] shared = "codebase"``: the work is done once per codebase, for every
    site of a multisite that shares it (custom code in sites/all or an install
    profile is rewritten once, however many sites run it)."""
    risk: str = ""
    """``[plan] risk``: the risk group the findings join in the plan, or ""."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Tunable thresholds, overridable per project in drupalscan.toml."""
    path: str = ""

    def effort_text(self, low: float | None = None, high: float | None = None) -> str:
        """The effort rate as people read it, floor included.

        ``12–32 h per KLOC, at least 0.5 KLOC``: without the floor a reader
        cannot see why a 40-line module costs 6–16 h. ``low``/``high``
        override the rates (drupalscan.toml ``[effort]``) so the docs, the
        CLI and the report print the same words for the figures they use.
        """
        lo = self.effort.low if low is None else low
        hi = self.effort.high if high is None else high
        per = self.effort.per
        one, many = UNIT_LABELS.get(per, (per.replace("_", " "), per.replace("_", " ")))
        rate = f"{lo:g}–{hi:g} h" if lo != hi else f"{lo:g} h"
        text = f"{rate} per {one}"
        floor = self.effort.min
        if floor != 1.0 or per in CONTINUOUS_UNITS:
            if per == "1000_nodes":
                text += f", at least {floor * 1000:,.0f} nodes"
            else:
                text += f", at least {floor:g} {one if floor == 1 else many}"
        return text
