"""The plan's invariants on the example client, as `drupalscan demo` collects it.

Three sites: the comms docroot scanned with its database, the HR intranet
(Drupal, crawled) and the facilities site (static, crawled), both served on
loopback by `serve_examples`.  Collected once per module: the crawl is the
slow part.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drupalscan import api
from drupalscan.collect.crawl import CrawlOptions
from drupalscan.config import Settings
from drupalscan.graph.plan import effort_sum, plan
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from tests.conftest import COMMS_DB, COMMS_DOCROOT
from tests.graph.test_plan import check_invariants

SETTINGS = Settings(client="Northwind Traders", rate=110, currency="EUR")


@dataclass(frozen=True)
class Client:
    """The example client's sites, findings and plan."""

    sites: list[model.Site]
    findings: list[model.Finding]
    plan: model.Plan

    def site(self, name: str) -> model.Site:
        """The site whose name contains `name`."""
        return next(s for s in self.sites if name in s.name)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """Collect the three example sites into a temporary store and plan over them."""
    from drupalscan.examples.server import serve_examples

    base: Path = tmp_path_factory.mktemp("example-plan")
    with Store(base / "store.db") as store, serve_examples() as urls:
        api.collect(
            [str(COMMS_DOCROOT), *urls.values()],
            store,
            scan_options=api.ScanOptions(db=f"sqlite:///{COMMS_DB.resolve()}"),
            crawl_options=CrawlOptions(concurrency=2, delay=0.0, max_pages=400, ignore_robots=True),
        )
        sites = store.sites()
        findings = api.check(store, SETTINGS)
        kb = api.kb_with_cache(store)
    yield Client(sites=sites, findings=findings, plan=plan(sites, findings, SETTINGS, kb=kb))


def test_example_client_keeps_invariants(client: Client) -> None:
    assert len(client.sites) == 3
    check_invariants(client.sites, client.findings, client.plan)


def test_example_cost_is_displayed_hours_times_rate(client: Client) -> None:
    p = client.plan
    assert p.cost["hours"] == {
        "low": int(p.effort_hours.low + 0.5),
        "high": int(p.effort_hours.high + 0.5),
    }
    assert p.cost["low"] == p.cost["hours"]["low"] * 110
    assert p.cost["high"] == p.cost["hours"]["high"] * 110


def test_example_custom_code_only_on_measured_sites(client: Client) -> None:
    comms = client.site("Communications")
    hr = client.site("HR")
    (risk,) = [r for r in client.plan.risks if "lines of custom PHP" in r.title]
    measured = sum(
        m.code.php_lines for m in comms.modules if m.type == "custom" and m.code is not None
    )
    assert risk.sites == [comms.id]
    assert risk.title.startswith(f"{measured:,} lines")
    assert f"{comms.name}: {measured:,} lines" in risk.detail
    # The crawled HR site shows a custom module but none of its code.
    assert any(m.type == "custom" for m in hr.modules)
    assert hr.id not in risk.sites and "not measured" in risk.detail and hr.name in risk.detail


def test_example_waves_say_what_they_reuse(client: Client) -> None:
    hr = client.site("HR")
    facilities = client.site("Facilities")
    waves = {s: w for w in client.plan.waves for s in w.sites}
    comms = client.site("Communications")
    # The static site shares no module or content type with anything.
    assert waves[facilities.id].index == 1
    # The two Drupal 7 intranets share contrib projects and content types
    # (about a quarter of their features): one consolidation group, one wave.
    assert waves[hr.id] is waves[comms.id]
    later = [w for w in client.plan.waves if w.index > 1]
    for wave in later:
        assert "reuses their modules" not in wave.rationale
        assert ("Reuses" in wave.rationale) != ("Independent of earlier waves" in wave.rationale)
    assert "Independent of earlier waves" in waves[hr.id].rationale
    # HR was crawled: its node counts are unknown, and the wave says so;
    # the wave's node figure is the Comms site's known count.
    assert waves[hr.id].nodes == 375
    assert "Node counts unknown for 5 content type(s)" in waves[hr.id].rationale


def test_example_effort_items_explain_every_zero(client: Client) -> None:
    p = client.plan
    zero = [i for i in p.effort_items if i.note.startswith("counted on ")]
    assert zero, "the HR intranet and the comms site share module work"
    for item in zero:
        assert item.counted_hours == model.Effort()
        counted_on = [
            i
            for i in p.effort_items
            if (i.rule, i.subject) == (item.rule, item.subject)
            and i.counted_hours == i.effort_hours
            and not i.note.startswith("counted on ")
        ]
        assert len(counted_on) == 1 and counted_on[0].wave <= item.wave
        assert f"(wave {counted_on[0].wave})" in item.note
    assert effort_sum(i.counted_hours for i in p.effort_items) == p.effort_hours
