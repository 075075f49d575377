"""The business case: what staying on the old sites costs a year against moving to one.

Built only from the client's own figures (``[business]`` in drupalscan.toml)
and the plan's migration cost.  Nothing is assumed for the client: an input
not set is shown as "not set", and a figure that needs it is None, so the
report can say which inputs it lacks instead of inventing them.

* staying, per year: hosting and maintenance of every site, plus keeping each
  Drupal 7 site alive past its end of life (extended support, reviews);
* moving, per year: running the one target site;
* the saving is the difference; the payback is the migration's low and high
  cost over it (a range, because the cost is one); the chart adds up both
  paths year by year over ``[business] years``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drupalscan.config import BUSINESS_ASSUMPTIONS, Settings
from drupalscan.inventory import model


def business_case(
    sites: Sequence[model.Site], cost: dict[str, Any], settings: Settings
) -> model.BusinessCase:
    """The business case for these sites from ``settings.business`` and the plan's cost."""
    given = settings.business
    drupal7 = sum(1 for s in sites if s.kind == "drupal7")
    assumptions = [
        {"key": key, "label": label, "unit": unit, "value": given.get(key)}
        for key, label, unit in BUSINESS_ASSUMPTIONS
    ]
    needed = ["hosting_per_site", "target_run_cost"] + (["d7_support_per_site"] if drupal7 else [])
    missing = [
        label for key, label, _ in BUSINESS_ASSUMPTIONS if key in needed and key not in given
    ]
    migration = model.MoneyRange(low=cost["low"], high=cost["high"]) if cost else None
    case = model.BusinessCase(
        currency=settings.currency,
        sites=len(sites),
        drupal7_sites=drupal7,
        assumptions=assumptions,
        missing=missing,
        migration=migration,
        horizon=settings.business_years,
    )
    if missing:
        return case
    stay = len(sites) * given["hosting_per_site"] + drupal7 * given.get("d7_support_per_site", 0.0)
    move = given["target_run_cost"]
    saving = stay - move
    payback = None
    if migration is not None and saving > 0:
        payback = [round(migration.low / saving, 2), round(migration.high / saving, 2)]
    cumulative = [
        {
            "year": year,
            "stay": round(stay * year, 2),
            "move_low": round((migration.low if migration else 0.0) + move * year, 2),
            "move_high": round((migration.high if migration else 0.0) + move * year, 2),
        }
        for year in range(settings.business_years + 1)
    ]
    done: model.BusinessCase = model.replace(
        case,
        stay_yearly=round(stay, 2),
        move_yearly=round(move, 2),
        saving_yearly=round(saving, 2),
        payback_years=payback,
        cumulative=cumulative if migration is not None else [],
    )
    return done
