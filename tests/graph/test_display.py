"""The figures the report shows come from the plan, and they add up at every level."""

from __future__ import annotations

import dataclasses

from drupalscan.config import Settings
from drupalscan.graph.display import apportion
from drupalscan.graph.plan import plan, whole_hours
from drupalscan.inventory import model


def site(sid: str) -> model.Site:
    return model.Site(id=sid, source=f"https://{sid}.example/", origin="url", kind="drupal7")


def finding(
    sid: str, rule: str, subject: str, low: float, high: float, **kw: object
) -> model.Finding:
    kind = str(kw.pop("kind", "module"))
    return model.Finding(
        rule=rule,
        severity=str(kw.pop("severity", "medium")),
        site=sid,
        subject=model.Subject(kind=kind, name=subject),
        message=f"{rule} {subject}",
        effort_hours=model.Effort(low=low, high=high),
        shared=bool(kw.pop("shared", False)),
    )


def test_apportion_adds_up_and_stays_close() -> None:
    values = [0.2] * 26 + [3.7, 1.49]
    shares = apportion(values, whole_hours(sum(values)))
    assert sum(shares) == whole_hours(sum(values))
    assert all(abs(s - v) < 1 for s, v in zip(shares, values, strict=True))
    assert apportion([], 0) == []


def test_whole_hours_add_up_from_findings_to_sites_to_total() -> None:
    sites = [site("a"), site("b")]
    findings = [finding("a", "D7-MOD-006", f"m{i}", 0.2 + i % 3 / 10, 1.45) for i in range(26)] + [
        finding("b", "D7-API-001", "x.module: variable_get", 0.25, 1.0, kind="code"),
        finding("b", "D7-API-001", "x.module: db_query", 0.25, 1.0, kind="code"),
        finding("b", "D7-SITE-006", "b", 8, 16, kind="site", severity="info"),
        finding("b", "D7-SITE-001", "b", 2, 8, kind="site", severity="blocker"),
    ]
    result = plan(sites, findings, Settings(rate=110, currency="EUR"))
    shown = result.display
    assert (shown.hours.low, shown.hours.high) == (
        whole_hours(result.effort_hours.low),
        whole_hours(result.effort_hours.high),
    )
    assert shown.hours.low == sum(f.hours.low for f in shown.sites)
    assert shown.hours.high == sum(f.hours.high for f in shown.sites)
    for fig in shown.sites:
        items = [i for i in result.effort_items if i.site == fig.site]
        assert fig.hours.low == sum(i.added_hours.low for i in items)
        assert fig.hours.high == sum(i.added_hours.high for i in items)
        assert fig.hours.low == fig.finding_hours.low + fig.code_hours.low
        assert fig.cost is not None and fig.cost.high == fig.hours.high * 110
    b = next(f for f in shown.sites if f.site == "b")
    assert b.readiness == "Blocked until resolved" and b.findings["blocker"] == 1
    assert abs(b.code_hours.low - 0.5) < 1 and b.code_hours.high == 2  # within an hour of exact
    assert shown.cost is not None and shown.cost.low == shown.hours.low * 110
    assert shown.finding_count == len(findings)
    (wave_sum,) = {sum(w.hours.high for w in shown.waves)}
    assert wave_sum == shown.hours.high


def test_work_counted_elsewhere_shows_its_range_and_adds_nothing() -> None:
    sites = [site("a"), site("b")]
    findings = [finding(sid, "D7-MOD-003", "field_collection", 8, 24, shared=True) for sid in "ab"]
    result = plan(sites, findings)
    counted, elsewhere = sorted(result.effort_items, key=lambda i: i.note)
    assert (counted.added_hours.low, counted.added_hours.high) == (8, 24)
    assert (elsewhere.added_hours.low, elsewhere.added_hours.high) == (0, 0)
    assert (elsewhere.shown_hours.low, elsewhere.shown_hours.high) == (8, 24)
    assert result.display.hours == model.HourRange(low=8, high=24)


def test_matrix_and_layout_are_in_the_plan() -> None:
    sites = [
        dataclasses.replace(
            site(sid),
            modules=[
                model.Module(name="views", type="contrib", dependencies=["ctools"]),
                model.Module(name="ctools", type="contrib"),
                model.Module(name=f"only_{sid}", type="custom"),
            ],
        )
        for sid in ("a", "b")
    ]
    result = plan(sites, [])
    matrix = result.display.matrix
    shared = {row.feature: row.sites for row in matrix.features}
    assert shared["module:views"] == matrix.sites and set(matrix.sites) == {"a", "b"}
    assert matrix.unique == {"a": 1, "b": 1}
    assert set(result.display.layout) >= {"views", "ctools"}
    assert result.display.layout["ctools"][0] > result.display.layout["views"][0]


def test_display_keeps_every_field_of_the_effort_items() -> None:
    """display() rebuilds each item with its shown hours; nothing else may change."""
    from drupalscan.graph.display import display
    from drupalscan.graph.effort import count_once

    sites = [site("a"), site("b")]
    findings = [
        finding("a", "D7-MOD-003", "views", 8, 24, shared=True),
        finding("b", "D7-MOD-003", "views", 8, 24, shared=True),
        finding("b", "D7-API-001", "x: db_query", 0.25, 1, kind="code"),
    ]
    groups = [model.Group(index=1, sites=["a", "b"])]
    items, _ = count_once(findings, groups, {"a": "A", "b": "B"})
    total = model.Effort(low=16.25, high=49)
    shown, _ = display(sites, findings, items, total, [], groups, [], None)
    rebuilt = {"shown_hours", "added_hours"}
    for before, after in zip(items, shown, strict=True):
        for f in dataclasses.fields(model.EffortItem):
            if f.name not in rebuilt:
                assert getattr(after, f.name) == getattr(before, f.name), f.name
