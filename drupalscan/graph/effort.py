"""Effort arithmetic of the plan: exact sums, whole hours, cost, and work counted once.

Every finding becomes an `EffortItem`.  Work a rule marks as shared
(``[plan] shared = true``: the target installs and configures a module once,
whatever number of sites used it; ``"codebase"``: code the sites of one
multisite share is rewritten once) counts on the first site in wave order
that needs it and zero elsewhere.  Site, wave and plan totals are exact
decimal sums of those items, and the cost is the whole hours shown times
the rate, so every figure of the report reconciles.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from drupalscan.config import Settings
from drupalscan.inventory import model

UNCOUNTED_PREFIX = "counted on "
"""How an effort item's note starts when its hours were counted on another site."""


def decimal(hours: float) -> Decimal:
    """A figure as the decimal it was written as (``0.1`` -> ``Decimal('0.1')``)."""
    return Decimal(repr(float(hours)))


class Hours:
    """An exact low/high accumulator; see `effort_sum` for why decimals."""

    __slots__ = ("high", "low")

    def __init__(self) -> None:
        self.low = Decimal(0)
        self.high = Decimal(0)

    def add(self, effort: model.Effort) -> None:
        if effort.low:
            self.low += decimal(effort.low)
        if effort.high:
            self.high += decimal(effort.high)

    def merge(self, other: Hours) -> None:
        self.low += other.low
        self.high += other.high

    def effort(self) -> model.Effort:
        return model.Effort(low=float(self.low), high=float(self.high))


def effort_sum(efforts: Iterable[model.Effort]) -> model.Effort:
    """The exact sum of hour ranges, computed the way the plan's totals are.

    Float addition depends on order (``0.1 + 0.2 + 0.3`` and ``0.3 + 0.2 +
    0.1`` differ in the last bit), so a wave total summed site by site could
    disagree with the same findings summed one by one.  Each figure is taken
    as the decimal it prints as and the sum is rounded once, so any grouping
    of the same items (per site, per wave, all at once) gives the identical
    float, as long as the figures have at most 15 significant digits (hours
    rounded to a few decimals, as the rule engine makes them, always do).
    """
    acc = Hours()
    for effort in efforts:
        acc.add(effort)
    return acc.effort()


def whole_hours(hours: float) -> int:
    """Hours rounded half up to a whole number, as the report shows them.

    ``round()`` and ``format(x, ".0f")`` round half to even (172.5 -> 172),
    which a reader checking "hours x rate" by hand would not expect.
    """
    whole = math.floor(hours)
    part = hours - whole
    if abs(part - 0.5) > 1e-6:  # clearly below or above a half: no tie to settle
        return whole + (part > 0.5)
    # A tie, or what prints as one: settle it on the decimal the figure is.
    return int(decimal(hours).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def cost(effort: model.Effort, settings: Settings) -> dict[str, Any]:
    """The cost of the effort range at the blended rate, if one is configured.

    The cost is the *displayed* whole hours times the rate, so the report's
    "612 h" and "EUR 67,320" agree when multiplied by hand; the hours stay
    exact in `Plan.effort_hours` and are repeated here as ``hours``.
    """
    if not settings.rate:
        return {}
    low, high = whole_hours(effort.low), whole_hours(effort.high)
    return {
        "rate": settings.rate,
        "currency": settings.currency,
        "hours": {"low": low, "high": high},
        "low": round(low * settings.rate, 2),
        "high": round(high * settings.rate, 2),
    }


def count_once(
    findings: Sequence[model.Finding], ordered: Sequence[model.Group], names: dict[str, str]
) -> tuple[list[model.EffortItem], list[str]]:
    """One effort item per finding, in wave order, with what it adds to the plan.

    The target installs and configures a module once, whatever number of
    sites used it, so a module finding repeated on several sites counts on
    the first site in wave order (then site order within the wave) and
    counts zero on the others, with a note naming where it was counted.
    """
    position = {sid: (w, k) for w, g in enumerate(ordered, 1) for k, sid in enumerate(g.sites)}
    ordered_findings = sorted(
        findings,
        key=lambda f: (position[f.site], f.rule, f.subject.kind, f.subject.name, f.message),
    )
    first: dict[tuple[str, str], model.Finding] = {}
    repeats: Counter[tuple[str, str]] = Counter()
    for finding in ordered_findings:
        if is_shared(finding):
            key = shared_key(finding)
            if key in first:
                repeats[key] += 1
            else:
                first[key] = finding
    items = []
    for finding in ordered_findings:
        wave = position[finding.site][0]
        counted = finding.effort_hours
        counted_quantity = finding.quantity
        note = ""
        if is_shared(finding):
            key = shared_key(finding)
            origin = first[key]
            if origin is not finding:
                counted = model.Effort()
                counted_quantity = 0.0
                note = (
                    f"{UNCOUNTED_PREFIX}{names.get(origin.site, origin.site)} "
                    f"(wave {position[origin.site][0]})"
                )
            elif repeats[key]:
                note = f"counted here once for {repeats[key] + 1} sites"
        items.append(
            model.EffortItem(
                rule=finding.rule,
                site=finding.site,
                subject=finding.subject.name,
                subject_kind=finding.subject.kind,
                wave=wave,
                effort_hours=finding.effort_hours,
                counted_hours=counted,
                counted_quantity=counted_quantity,
                unit=finding.unit,
                note=note,
            )
        )
    notes = []
    modules = sum(n for (rule, name), n in repeats.items() if first[rule, name].shared)
    code = sum(repeats.values()) - modules
    if modules:
        notes.append(
            f"{modules} module finding(s) repeat work on more than one site; the target "
            "installs each module once, so each is counted once, on the first site in "
            "wave order that needs it."
        )
    if code:
        notes.append(
            f"{code} finding(s) are about code that sites of one multisite codebase share "
            "(sites/all, an install profile, core); that code is rewritten or updated "
            "once, so each is counted on the first site in wave order that has it."
        )
    if notes:
        notes[-1] += " A wave's finding count covers the findings whose hours count in it."
    return items, notes


def is_shared(finding: model.Finding) -> bool:
    """Whether the finding may be work another site's finding already stands for."""
    return finding.shared or bool(finding.shared_key)


def shared_key(finding: model.Finding) -> tuple[str, str]:
    """What makes two findings one piece of work.

    A module the target installs is one whatever site has it (its name); code
    is one only where it is the same files, in one codebase (its key).
    """
    return (finding.rule, finding.subject.name if finding.shared else finding.shared_key)
