"""What a rule is, once loaded from its TOML file and validated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

RULE_ID = re.compile(r"^D7-(MOD|CUS|THM|CT|FLD|SITE|API)-\d{3}$")
APPLIES_TO = ("site", "module", "theme", "content_type", "api_use")
EFFORT_PER = (
    "finding",
    "module",
    "kloc",
    "content_type",
    "1000_nodes",
    "template",
    "use",
    "site",
)
"""What an effort range scales with; see `Rule.quantity`."""


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
    settings: dict[str, Any] = field(default_factory=dict)
    """Tunable thresholds, overridable per project in drupalscan.toml."""
    path: str = ""
