"""The business case (issue 15): only the client's figures, exact arithmetic, and the
inputs it still needs said plainly when they are not set."""

from __future__ import annotations

from pathlib import Path

import pytest

from drupalscan.config import ConfigError, Settings, load_settings
from drupalscan.graph.business import business_case
from drupalscan.inventory import model
from drupalscan.render.clientview import business_view

COST = {"rate": 110, "currency": "EUR", "low": 19250.0, "high": 69190.0}
FIGURES = {"hosting_per_site": 4800.0, "d7_support_per_site": 6000.0, "target_run_cost": 9000.0}


def sites(*kinds: str) -> list[model.Site]:
    return [
        model.Site(id=f"s{k}", source=f"/s{k}", origin="docroot", kind=kind)
        for k, kind in enumerate(kinds)
    ]


def test_nothing_set_means_only_the_migration_side() -> None:
    case = business_case(sites("drupal7", "drupal7", "static"), COST, Settings())
    assert case.missing == [
        "Hosting and maintenance per site today",
        "Keeping a Drupal 7 site alive after its end of life (extended support, security reviews)",
        "Running the one new site (hosting, maintenance, support)",
    ]
    assert case.stay_yearly is None and case.saving_yearly is None and case.payback_years is None
    assert case.migration == model.MoneyRange(low=19250.0, high=69190.0)
    assert [a["value"] for a in case.assumptions] == [None, None, None]
    view = business_view(case)
    assert [a.value for a in view.assumptions] == ["not set"] * 3
    assert view.lines == [] and view.payback == ""


def test_the_yearly_saving_payback_and_cumulative_costs() -> None:
    settings = Settings(business=FIGURES, business_years=5)
    case = business_case(sites("drupal7", "drupal7", "static"), COST, settings)
    assert case.missing == []
    assert case.stay_yearly == 3 * 4800 + 2 * 6000 == 26400
    assert case.move_yearly == 9000
    assert case.saving_yearly == 17400
    assert case.payback_years == [round(19250 / 17400, 2), round(69190 / 17400, 2)]
    assert case.cumulative[0] == {"year": 0, "stay": 0, "move_low": 19250, "move_high": 69190}
    assert case.cumulative[5] == {
        "year": 5,
        "stay": 132000,
        "move_low": 19250 + 45000,
        "move_high": 69190 + 45000,
    }
    view = business_view(case)
    assert view.payback == "1.1 – 4.0 years"
    assert view.saving == "EUR 17,400"
    assert [line.total for line in view.lines] == ["EUR 132,000", "EUR 114,190", "EUR 64,250"]


def test_without_drupal7_sites_their_support_is_not_needed() -> None:
    figures = {k: v for k, v in FIGURES.items() if k != "d7_support_per_site"}
    case = business_case(sites("wordpress", "static"), COST, Settings(business=figures))
    assert case.missing == [] and case.stay_yearly == 9600 and case.saving_yearly == 600


def test_no_saving_means_no_payback_and_no_rate_no_migration_figure() -> None:
    dearer = {**FIGURES, "target_run_cost": 40000.0}
    case = business_case(sites("drupal7"), COST, Settings(business=dearer))
    assert case.saving_yearly is not None and case.saving_yearly < 0
    assert case.payback_years is None
    assert business_view(case).payback.startswith("none")
    no_rate = business_case(sites("drupal7"), {}, Settings(business=FIGURES))
    assert no_rate.migration is None and no_rate.payback_years is None and not no_rate.cumulative
    assert no_rate.saving_yearly == 4800 + 6000 - 9000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hosting_per_site = -1\n", "hosting_per_site must be an amount of at least 0"),
        ('hosting_per_site = "a lot"\n', "hosting_per_site must be an amount"),
        ("hosting = 10\n", "unknown key"),
        ("years = 0\n", "years must be a whole number from 1 to 30"),
    ],
)
def test_business_inputs_are_checked(tmp_path: Path, text: str, message: str) -> None:
    toml = tmp_path / "drupalscan.toml"
    toml.write_text("[business]\n" + text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(toml)


def test_business_inputs_load(tmp_path: Path) -> None:
    toml = tmp_path / "drupalscan.toml"
    toml.write_text("[business]\nhosting_per_site = 4800\nyears = 3\n", encoding="utf-8")
    settings = load_settings(toml)
    assert settings.business == {"hosting_per_site": 4800.0}
    assert settings.business_years == 3
