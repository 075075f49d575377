"""What the client signs: the decisions table and the business case, in words.

The figures are the plan's (`model.Decision`, `model.BusinessCase`); this
only words and formats them, and lays out the business-case chart.
"""

from __future__ import annotations

from collections.abc import Mapping

from drupalscan.graph.decisions import plain_detail
from drupalscan.inventory import model
from drupalscan.render.viewmodel import (
    AssumptionRow,
    AxisTick,
    BusinessView,
    ChartLine,
    DecisionRow,
    LevelTick,
    OptionRow,
)
from drupalscan.render.wording import money

KIND_LABELS = {
    "required_field": "Required field",
    "field_conflict": "Field differs",
    "weak_merge": "Weak merge",
    "text_format": "Text format",
    "vocabulary": "Vocabulary",
    "url_alias": "URL paths",
    "role": "Role",
}
"""Decision kinds as the table's first column names them."""

CHART_X0, CHART_X1 = 70, 780
"""Left and right ends of the chart's plot area (SVG units, 900 wide)."""
CHART_TOP, CHART_AXIS = 16, 196
"""Top of the plot and its baseline."""


def decision_rows(plan: model.Plan, names: Mapping[str, str]) -> list[DecisionRow]:
    """The plan's decisions, each with its answers and the one in force."""
    rows = []
    for d in plan.decisions:
        chosen = d.chosen()
        if d.decided:
            who = f" by {d.decided_by}" if d.decided_by else ""
            when = f" on {d.decided_on}" if d.decided_on else ""
            state = f"Decided{who}{when}"
        else:
            state = "Default until the client decides"
        rows.append(
            DecisionRow(
                id=d.id,
                kind=KIND_LABELS.get(d.kind, d.kind),
                question=d.question,
                detail=plain_detail(d),
                sites=[names.get(s, s) for s in d.sites],
                options=[
                    OptionRow(
                        key=o.key,
                        label=o.label,
                        consequence=o.consequence,
                        effort=_hours(o.effort_hours),
                        in_force=o.key == chosen.key,
                        default=o.key == d.default,
                    )
                    for o in d.options
                ],
                state=state,
                decided=d.decided,
                note=d.note,
                effort=_hours(chosen.effort_hours),
            )
        )
    return rows


def _hours(effort: model.Effort) -> str:
    """An option's hours as stated (``0.5–1 h``): they are rates, not rounded totals."""
    return f"{effort.low:g}–{effort.high:g} h" if effort.high else "0 h"


def business_view(case: model.BusinessCase) -> BusinessView:
    """The business case in words, with the cumulative-cost chart when it can be drawn."""
    cur = case.currency
    assumptions = [
        AssumptionRow(
            label=str(a["label"]),
            unit=f"{cur} {a['unit']}",
            value=money(float(a["value"]), cur) if a["value"] is not None else "not set",
        )
        for a in case.assumptions
    ]
    migration = (
        f"{money(case.migration.low, cur)} – {money(case.migration.high, cur)}"
        if case.migration
        else ""
    )
    payback = ""
    if case.payback_years is not None:
        low, high = case.payback_years
        payback = f"{low:.1f} – {high:.1f} years"
    elif case.saving_yearly is not None and case.saving_yearly <= 0:
        payback = "none: one site costs no less a year than the sites today"
    lines, ticks, levels = _chart(case)
    return BusinessView(
        assumptions=assumptions,
        missing=case.missing,
        sites=case.sites,
        drupal7_sites=case.drupal7_sites,
        stay=money(case.stay_yearly, cur) if case.stay_yearly is not None else "",
        move=money(case.move_yearly, cur) if case.move_yearly is not None else "",
        saving=money(case.saving_yearly, cur) if case.saving_yearly is not None else "",
        migration=migration,
        payback=payback,
        horizon=case.horizon,
        lines=lines,
        ticks=ticks,
        levels=levels,
        height=CHART_AXIS + 30,
    )


def _chart(
    case: model.BusinessCase,
) -> tuple[list[ChartLine], list[AxisTick], list[LevelTick]]:
    """Cumulative spend of staying and of moving (low and high), year by year."""
    points = case.cumulative
    if not points:
        return [], [], []
    top = max(max(p["stay"], p["move_high"]) for p in points) or 1.0
    years = max(int(p["year"]) for p in points) or 1

    def x(year: float) -> float:
        return round(CHART_X0 + (CHART_X1 - CHART_X0) * year / years, 1)

    def y(amount: float) -> float:
        return round(CHART_AXIS - (CHART_AXIS - CHART_TOP) * amount / top, 1)

    out = []
    for key, label, css in (
        ("stay", "Staying", "line-stay"),
        ("move_high", "Moving (high)", "line-move-high"),
        ("move_low", "Moving (low)", "line-move"),
    ):
        coords = [(x(p["year"]), y(p[key])) for p in points]
        out.append(
            ChartLine(
                label=label,
                points=" ".join(f"{a},{b}" for a, b in coords),
                css=css,
                total=money(points[-1][key], case.currency),
            )
        )
    ticks = [AxisTick(x=x(year), label=f"year {year}") for year in range(years + 1)]
    levels = [LevelTick(y=y(top * k / 4), label=_short(top * k / 4)) for k in range(5)]
    return out, ticks, levels


def _short(amount: float) -> str:
    """An axis amount in few characters: ``120k``, ``1.2M``."""
    if amount >= 1_000_000:
        return f"{amount / 1_000_000:.1f}M"
    if amount >= 1_000:
        return f"{amount / 1_000:.0f}k"
    return f"{amount:.0f}"
