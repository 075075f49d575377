"""The figures the report shows, computed once in the plan so every format shows the same.

A reader adds up the tables of a report and checks the totals, and an
integration reads the JSON: both must find the same numbers.  So the whole
hours shown per finding, per site, per wave and in total, the costs, each
site's readiness, the finding counts, the consolidation matrix and the
dependency picture's layout are all worked out here and carried by the
plan (`model.Display`), and formatters only lay them out.

Whole hours add up at every level: the plan's exact total is rounded once
(halves up), the site totals share it out, and each site's findings share
out the site total (largest remainders), so every table's figures sum to the
figure printed under it, and "hours × rate" gives every cost shown.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from drupalscan.graph.build import site_features
from drupalscan.graph.effort import UNCOUNTED_PREFIX, whole_hours
from drupalscan.graph.layout import positions
from drupalscan.inventory import model

MATRIX_MAX_ROWS = 40
"""Shared features listed in the consolidation matrix; more are counted."""
MATRIX_KINDS = ("module", "type", "vocabulary", "template")
"""Feature kinds the consolidation matrix shows, in this order."""


def apportion(values: Sequence[float], total: int) -> list[int]:
    """Whole numbers, each within 1 of its value, that add up to ``total``.

    Largest-remainder rounding: each value is floored and the units still
    missing go to the largest fractions (earliest first on ties).  Rounding
    each figure on its own would not add up: 26 findings of 0.2 h round to
    0 h each but are 5 h together.
    """
    floors = [math.floor(v + 1e-9) for v in values]
    missing = total - sum(floors)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    for i in order[: max(missing, 0)]:
        floors[i] += 1
    return floors


def readiness(counts: Counter[str]) -> str:
    """A site's readiness from its finding severities, in the client's words."""
    if counts["blocker"]:
        return "Blocked until resolved"
    if counts["high"] >= 5:
        return "Major work"
    if counts["high"]:
        return "Significant work"
    return "Straightforward"


def listed_modules(site: model.Site, flagged: set[str]) -> tuple[list[model.Module], list[str]]:
    """The modules a site's table lists (enabled, custom, or with a finding), and the rest.

    The rest (disabled contrib and test modules without a finding) are named
    in one line under the table: they carry no migration work.
    """
    listed, others = [], []
    for m in sorted(
        site.modules,
        key=lambda m: (m.enabled is False, m.type != "custom", m.type != "contrib", m.name),
    ):
        if m.enabled is False and m.type != "custom" and m.name not in flagged:
            others.append(m.name)
        else:
            listed.append(m)
    return listed, sorted(others)


def display(
    sites: Sequence[model.Site],
    findings: Sequence[model.Finding],
    items: Sequence[model.EffortItem],
    plan_effort: model.Effort,
    waves: Sequence[model.Wave],
    groups: Sequence[model.Group],
    dependency_edges: Sequence[Sequence[str]],
    rate: float | None,
) -> tuple[list[model.EffortItem], model.Display]:
    """Effort items with the whole hours shown, and every other figure of the report."""
    sids = [s.id for s in sites]
    by_site: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        by_site[item.site].append(i)
    site_totals: dict[str, model.HourRange] = {}
    shown: dict[int, tuple[model.HourRange, model.HourRange]] = {}
    exact = {
        end: [sum(getattr(items[i].counted_hours, end) for i in by_site[sid]) for sid in sids]
        for end in ("low", "high")
    }
    whole = {end: apportion(exact[end], whole_hours(getattr(plan_effort, end))) for end in exact}
    for k, sid in enumerate(sids):
        site_totals[sid] = model.HourRange(low=whole["low"][k], high=whole["high"][k])
        rows = by_site[sid]
        # Shared out to the report's two tables first (custom code API uses,
        # everything else), then within each, so each subtotal stays within an
        # hour of its exact sum.
        code = [i for i in rows if items[i].subject_kind == "code"]
        sections = [[i for i in rows if items[i].subject_kind != "code"], code]
        counted: dict[int, dict[str, int]] = defaultdict(dict)
        for end in ("low", "high"):
            target = getattr(site_totals[sid], end)
            values = {i: getattr(items[i].counted_hours, end) for i in rows}
            parts = apportion([sum(values[i] for i in sec) for sec in sections], target)
            for sec, part in zip(sections, parts, strict=True):
                for i, n in zip(sec, apportion([values[i] for i in sec], part), strict=True):
                    counted[i][end] = n
        for i in rows:
            item = items[i]
            add = model.HourRange(low=counted[i]["low"], high=counted[i]["high"])
            elsewhere = item.note.startswith(UNCOUNTED_PREFIX)
            # A finding counted on another site shows its own range beside the 0 h it adds.
            own = (
                model.HourRange(
                    low=whole_hours(item.effort_hours.low), high=whole_hours(item.effort_hours.high)
                )
                if elsewhere
                else add
            )
            shown[i] = (own, add)
    # Built directly: dataclasses.replace() introspects the fields on every
    # call, which was a third of the plan's time at 500 sites.
    out_items = [
        model.EffortItem(
            rule=item.rule,
            site=item.site,
            subject=item.subject,
            wave=item.wave,
            subject_kind=item.subject_kind,
            effort_hours=item.effort_hours,
            counted_hours=item.counted_hours,
            counted_quantity=item.counted_quantity,
            unit=item.unit,
            shown_hours=shown[i][0],
            added_hours=shown[i][1],
            note=item.note,
        )
        for i, item in enumerate(items)
    ]
    severities: dict[str, Counter[str]] = {sid: Counter() for sid in sids}
    flagged: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        if f.site in severities:
            severities[f.site][f.severity] += 1
            if f.subject.kind == "module":
                flagged[f.site].add(f.subject.name)
    by_id = {s.id: s for s in sites}
    site_views = []
    for sid in sids:
        mine = [out_items[i] for i in by_site[sid]]
        code_rows = [r for r in mine if r.subject_kind == "code"]
        other_rows = [r for r in mine if r.subject_kind != "code"]
        site_views.append(
            model.SiteFigures(
                site=sid,
                hours=site_totals[sid],
                finding_hours=sum_hours(r.added_hours for r in other_rows),
                code_hours=sum_hours(r.added_hours for r in code_rows),
                cost=money_range(site_totals[sid], rate),
                readiness=readiness(severities[sid]),
                findings={s: severities[sid].get(s, 0) for s in model.SEVERITIES},
                shared_findings=sum(1 for r in mine if r.note.startswith(UNCOUNTED_PREFIX)),
                other_findings=len(other_rows),
                code_findings=len(code_rows),
                modules_listed=len(listed_modules(by_id[sid], flagged[sid])[0]),
            )
        )
    wave_views = []
    for wave in waves:
        hours = sum_hours(site_totals[s] for s in wave.sites if s in site_totals)
        wave_views.append(
            model.WaveFigures(wave=wave.index, hours=hours, cost=money_range(hours, rate))
        )
    total = sum_hours(site_totals.values())
    counts = Counter(f.severity for f in findings if f.site in severities)
    return out_items, model.Display(
        hours=total,
        cost=money_range(total, rate),
        findings={s: counts.get(s, 0) for s in model.SEVERITIES},
        finding_count=sum(counts.values()),
        sites=site_views,
        waves=wave_views,
        matrix=_matrix(sites, groups),
        layout={n: [x, y] for n, (x, y) in positions(dependency_edges).items()},
        drivers=drivers(out_items, total),
    )


DRIVERS_SHOWN = 6
"""Rules in the sensitivity table: the few that move the total most."""


def drivers(items: Sequence[model.EffortItem], total: model.HourRange) -> list[model.Driver]:
    """The rules whose rates move the estimate most, with the inputs behind them.

    A consultant defends a total by its largest parts: the rule, how many
    units it counted (modules, KLOC, exported views), the rate per unit and
    the hours that makes.  A rate wrong by half moves the total by half the
    rule's hours, so the table says where a house rate matters.
    """
    by_rule: dict[str, list[model.EffortItem]] = defaultdict(list)
    for item in items:
        if item.counted_hours.high > 0:
            by_rule[item.rule].append(item)
    rows = []
    for rule, mine in by_rule.items():
        quantity = sum(i.counted_quantity for i in mine)
        low = sum(i.counted_hours.low for i in mine)
        high = sum(i.counted_hours.high for i in mine)
        rate = (
            model.Effort(low=round(low / quantity, 2), high=round(high / quantity, 2))
            if quantity
            else model.Effort()
        )
        rows.append(
            model.Driver(
                rule=rule,
                unit=mine[0].unit,
                quantity=round(quantity, 2),
                rate=rate,
                hours=model.HourRange(low=whole_hours(low), high=whole_hours(high)),
                share=round(100 * high / total.high) if total.high else 0,
                findings=len(mine),
            )
        )
    rows.sort(key=lambda d: (-d.hours.high, d.rule))
    return rows[:DRIVERS_SHOWN]


def sum_hours(ranges: Iterable[model.HourRange]) -> model.HourRange:
    """The sum of whole-hour ranges: a wave's or the report's hours from its sites'."""
    low = high = 0
    for r in ranges:
        low += r.low
        high += r.high
    return model.HourRange(low=low, high=high)


def money_range(hours: model.HourRange, rate: float | None) -> model.MoneyRange | None:
    """Whole hours times the rate, or None without a rate."""
    if not rate:
        return None
    return model.MoneyRange(low=round(hours.low * rate, 2), high=round(hours.high * rate, 2))


def _matrix(sites: Sequence[model.Site], groups: Sequence[model.Group]) -> model.FeatureMatrix:
    """Sites × the features more than one of them uses: what is built once and reused."""
    feats = {
        s.id: {f for f in site_features(s) if f.split(":", 1)[0] in MATRIX_KINDS} for s in sites
    }
    order = [sid for g in groups for sid in g.sites if sid in feats]
    order += [s.id for s in sites if s.id not in order]
    counts = Counter(f for fs in feats.values() for f in fs)
    rank = {k: i for i, k in enumerate(MATRIX_KINDS)}
    shared = sorted(
        (f for f, n in counts.items() if n >= 2),
        key=lambda f: (-counts[f], rank[f.split(":", 1)[0]], f),
    )
    return model.FeatureMatrix(
        sites=order,
        features=[
            model.MatrixRow(feature=f, sites=[sid for sid in order if f in feats[sid]])
            for f in shared[:MATRIX_MAX_ROWS]
        ],
        shared=len(shared),
        unique={sid: sum(1 for f in feats[sid] if counts[f] == 1) for sid in order},
    )
