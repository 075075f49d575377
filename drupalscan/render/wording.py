"""How the report words the model: labels for its keys, and hours and money as text.

Every builder of the view-model (`siteview`, `planview`, `charts`, `view`)
shows the same keys and figures; their wording lives here once, so "Contrib
for Drupal 11" or "1,234–2,000 h" read the same in every table.
"""

from __future__ import annotations

from drupalscan.graph.plan import whole_hours
from drupalscan.inventory import model

ACTION_LABELS = {
    "keep_core": "Keep (core)",
    "contrib": "Contrib for Drupal {core}",
    "replace": "Replace",
    "rewrite": "Rewrite",
    "drop": "Drop",
    "review": "Research",
}
"""The planner's target actions (`graph.plan.ACTIONS`) in the client's words;
``{core}`` is the target's Drupal major (see `action_labels`)."""


def action_labels(core: int) -> dict[str, str]:
    """The action labels for a plan whose target runs Drupal ``core``."""
    return {key: label.format(core=core) for key, label in ACTION_LABELS.items()}


STATUS_LABELS = {
    "core": "Drupal core",
    "in_core": "Moved into core",
    "has_release": "Has a Drupal 8+ release",
    "replaced": "Replaced",
    "obsolete": "Obsolete",
    "no_release": "No Drupal 8+ release",
    "custom": "Custom code",
    "unknown": "Unknown",
}
"""A module's Drupal 8+ status (from the knowledge base) in words."""


KIND_LABELS = {
    "drupal6": "Drupal 6",
    "drupal7": "Drupal 7",
    "drupal8+": "Drupal 8+",
    "drupal": "Drupal (version unknown)",
    "wordpress": "WordPress",
    "joomla": "Joomla",
    "sharepoint": "SharePoint",
    "static": "Static HTML",
    "other": "Other",
    "unknown": "Unknown",
}
"""What a site runs on, in words."""


FEATURE_KINDS = {
    "module": "module",
    "type": "content type",
    "vocabulary": "vocabulary",
    "template": "page template",
}
"""The kinds of feature the consolidation groups and matrix compare."""


SUBJECT_PHRASES = {
    "module": "this module",
    "theme": "this theme",
    "site": "this site",
    "content_type": "this content type",
    "api_use": "this extension",
}
"""What a rule remedy's ``{name}``/``{label}`` stand for, by what the rule applies to."""


FACT_PHRASES = {
    "replacement": "the replacement",
    "change_record": "the change record",
    "core_latest": "the latest release",
    "symbol": "the API",
    "count": "the count",
}
"""Readable stand-ins for a rule remedy's blanks, for the appendix (no finding)."""


EVIDENCE_KINDS = {
    "asset-path": "page assets",
    "css-class": "CSS classes",
    "form-id": "forms",
    "header": "HTTP headers",
    "meta": "meta tags",
}
"""Where a crawl saw a module, for "seen in page assets (3)"."""


ISSUE_KINDS = {
    "missing": "Missing dependency",
    "cycle": "Dependency cycle",
    "removal_candidate": "Removal candidate",
}
"""The plan's dependency issue kinds in words."""


READINESS_CLASS = {
    "Blocked until resolved": "bad",
    "Major work": "bad",
    "Significant work": "warn",
    "Straightforward": "good",
}
"""The colour of each readiness label the plan gives (graph/display.py)."""


def whole(hours: float) -> int:
    """Whole hours exactly as the plan rounds them for its cost (halves up)."""
    return whole_hours(hours)


def hours_text(low: int, high: int) -> str:
    """Whole hours as a range, ``1,234–2,000 h``, or ``0 h``."""
    return f"{low:,}–{high:,} h" if high else "0 h"


def money(value: float, currency: str) -> str:
    """``EUR 1,320``: whole units, as the plan rounds costs."""
    return f"{currency} {value:,.0f}"


def money_text(cost: model.MoneyRange | None, currency: str) -> str:
    """The plan's cost range, ``EUR 1,320 – EUR 3,520``, or empty without a rate."""
    if cost is None:
        return ""
    return money(cost.low, currency) + " – " + money(cost.high, currency)


def feature_label(feature: str) -> str:
    """``module:captcha`` -> ``captcha (module)``, for readers who do not know the keys."""
    kind, _, name = feature.partition(":")
    return f"{name} ({FEATURE_KINDS.get(kind, kind)})" if name else feature


def status_label(mod: model.Module) -> str:
    """A Drupal 7 core module whose data core moves elsewhere reads "Merged into X"."""
    if mod.type == "core" and mod.status == "in_core" and mod.replacement:
        return f"Core, merged into {mod.replacement}"
    return STATUS_LABELS.get(mod.status, mod.status)


def majors(releases: list[int]) -> str:
    """``[10, 11]`` -> ``Drupal 10, 11``."""
    return "Drupal " + ", ".join(str(m) for m in sorted(releases)) if releases else ""


def release_text(release: str | None, d8_majors: list[int]) -> str:
    """``4.1.1 (Drupal 8, 9, 10, 11)``: the newest release known and the majors releases run on."""
    if not release and not d8_majors:
        return ""
    span = majors(d8_majors)
    return (release or "") + (f" ({span})" if span and release else span)


def origin_text(source: str) -> str:
    """The short origin of a verdict worth a line of its own: a refresh, with its date.

    The bundled knowledge base is the default the report states once, and
    core or site code are plain from the module's type; repeating either on
    every row only lengthens the tables.
    """
    origin = source.split(": ", 1)[0]
    return origin if origin.startswith("kb refresh") else ""
