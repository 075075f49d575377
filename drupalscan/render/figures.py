"""The plan's figures as the view reads them, and stand-ins for a plan without them.

Every figure the report shows is computed in the plan (`graph/display.py`)
and carried by the JSON: the whole hours of each finding
(`EffortItem.shown_hours`, ``added_hours``), of each site, wave and the
report, the costs, readiness and finding counts (`model.Display`).  This
module finds them for the builders: it matches each finding to its effort
item, and hands on the plan's `Display`.

A plan from before those figures existed (no effort items, an empty
`Display`) still renders.  Each finding then shows its own range rounded, and
the `Display` is filled in from those rows with the plan's own arithmetic
(`sum_hours`, `money_range`), so the builders read one shape either way and
never add up hours or multiply by the rate themselves.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from typing import TypeAlias

from drupalscan.graph.display import money_range, sum_hours
from drupalscan.inventory import model
from drupalscan.inventory.model import SEVERITIES
from drupalscan.render.report import Report
from drupalscan.render.wording import whole


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingHours:
    """The whole hours the plan shows for one finding, and where it is counted.

    The builders' working record between `effort_rows` and `FindingView`.
    """

    low: int
    high: int
    counted_low: int
    counted_high: int
    note: str
    """Where the work is counted when not here, or empty."""
    wave: int


FindingRow: TypeAlias = tuple[model.Finding, FindingHours]
"""A finding and the hours shown for it."""


def effort_rows(report: Report, names: dict[str, str]) -> dict[str, list[FindingRow]]:
    """Each site's findings with the whole hours the plan shows for each.

    The figures are the plan's (`EffortItem.shown_hours` and ``added_hours``):
    the JSON carries the same numbers.  Without effort items (an older plan)
    each finding shows its own range rounded.
    """
    plan = report.plan
    wave_of = {sid: w.index for w in plan.waves for sid in w.sites}
    items: dict[tuple[str, str, str], deque[model.EffortItem]] = defaultdict(deque)
    for item in plan.effort_items:
        items[(item.site, item.rule, item.subject)].append(item)
    counted_at: dict[tuple[str, str], tuple[str, int]] = {}
    for item in plan.effort_items:
        if item.counted_hours.high or item.counted_hours.low:
            counted_at.setdefault((item.rule, item.subject), (item.site, item.wave))
    out: dict[str, list[FindingRow]] = defaultdict(list)
    for f in report.findings:
        queue = items.get((f.site, f.rule, f.subject.name))
        match = queue.popleft() if queue else None
        if match is None:
            own = model.HourRange(low=whole(f.effort_hours.low), high=whole(f.effort_hours.high))
            added, note, wave = own, "", wave_of.get(f.site, 0)
        else:
            own, added, wave = match.shown_hours, match.added_hours, match.wave
            note = ""
            if match.counted_hours != match.effort_hours:
                where = counted_at.get((f.rule, f.subject.name))
                if where and where[0] != f.site:
                    note = f"counted on {names.get(where[0], where[0])} (wave {where[1]})"
                else:
                    note = match.note
                    for sid, name in names.items():
                        note = note.replace(sid, name)
        out[f.site].append(
            (
                f,
                FindingHours(
                    low=own.low,
                    high=own.high,
                    counted_low=added.low,
                    counted_high=added.high,
                    note=note,
                    wave=wave,
                ),
            )
        )
    return out


def plan_display(report: Report, rows: dict[str, list[FindingRow]], rate: float) -> model.Display:
    """The plan's figures for every site and wave of the report.

    The plan's `Display` as it is when it covers every site and wave;
    otherwise one with the plan's figures where it has them and, elsewhere,
    the sums of the rows shown (`rows` from `effort_rows`).
    """
    display = report.plan.display
    known = {fig.site: fig for fig in display.sites}
    known_waves = {fig.wave: fig for fig in display.waves}
    if all(s.id in known for s in report.sites) and all(
        w.index in known_waves for w in report.plan.waves
    ):
        return display
    sites = [known.get(s.id) or _site_figures(s.id, rows.get(s.id, []), rate) for s in report.sites]
    hours = {fig.site: fig.hours for fig in sites}
    waves = []
    for w in report.plan.waves:
        fig = known_waves.get(w.index)
        if fig is None:  # the sum of its sites' shown totals
            total = sum_hours(hours[s] for s in w.sites if s in hours)
            fig = model.WaveFigures(wave=w.index, hours=total, cost=money_range(total, rate))
        waves.append(fig)
    total = sum_hours(hours.values())
    counts = Counter(f.severity for f in report.findings)
    return model.replace(
        display,
        hours=total,
        cost=money_range(total, rate),
        findings={s: counts.get(s, 0) for s in SEVERITIES},
        finding_count=display.finding_count or len(report.findings),
        sites=sites,
        waves=waves,
    )


def _site_figures(site: str, rows: list[FindingRow], rate: float) -> model.SiteFigures:
    """A site's figures from the rows shown, for a plan without them."""

    def added(part: list[FindingRow]) -> model.HourRange:
        return sum_hours(model.HourRange(low=r.counted_low, high=r.counted_high) for _, r in part)

    code = [(f, r) for f, r in rows if f.subject.kind == "code"]
    other = [(f, r) for f, r in rows if f.subject.kind != "code"]
    hours = added(rows)
    counts = Counter(f.severity for f, _ in rows)
    return model.SiteFigures(
        site=site,
        hours=hours,
        finding_hours=added(other),
        code_hours=added(code),
        cost=money_range(hours, rate),
        # Readiness is the plan's judgement (graph/display.py); a plan without
        # it has always been shown as "Straightforward".
        readiness="Straightforward",
        findings={s: counts.get(s, 0) for s in SEVERITIES},
        shared_findings=sum(1 for _, r in rows if r.note),
        other_findings=len(other),
        code_findings=len(code),
    )
