"""Plan invariants on the example client and on generated portfolios."""

from __future__ import annotations

import random

import pytest

from drupalscan.config import Settings
from drupalscan.graph import build
from drupalscan.graph.plan import ACTIONS, plan
from drupalscan.inventory import model
from drupalscan.kb import load_kb
from drupalscan.rules.annotate import annotate_site
from drupalscan.rules.engine import run_checks
from drupalscan.rules.loader import load_rules

CONTRIB = [
    "views",
    "ctools",
    "token",
    "pathauto",
    "webform",
    "field_collection",
    "date",
    "link",
    "entityreference",
    "admin_menu",
    "features",
    "panels",
    "metatag",
    "captcha",
    "imce",
]
DEPS = {
    "views": ["ctools"],
    "panels": ["ctools"],
    "pathauto": ["token"],
    "metatag": ["token", "ctools"],
    "date": ["date_api"],
    "field_collection": ["entity"],
    "entityreference": ["entity"],
}


def make_site(i: int, rng: random.Random, n_contrib: int = 8) -> model.Site:
    mods = rng.sample(CONTRIB, n_contrib)
    modules = [
        model.Module(name=n, type="core", enabled=True) for n in ("node", "system", "field", "user")
    ]
    names = set()
    for name in mods:
        for dep in [name, *DEPS.get(name, [])]:
            if dep not in names:
                names.add(dep)
                modules.append(
                    model.Module(
                        name=dep,
                        type="contrib",
                        enabled=True,
                        project=dep,
                        dependencies=DEPS.get(dep, []),
                    )
                )
    modules.append(
        model.Module(
            name=f"custom_{i}",
            type="custom",
            enabled=True,
            dependencies=["views"] if "views" in names else [],
            code=model.CodeFacts(php_files=3, php_lines=rng.randint(100, 3000)),
        )
    )
    types = []
    for t in rng.sample(["article", "page", "news", "event", "policy", "job"], 3):
        fields = [model.Field(name="body", type="text_with_summary")]
        fields += [
            model.Field(name=f"field_{t}_{k}", type=rng.choice(["text", "number_integer"]))
            for k in range(2)
        ]
        types.append(model.ContentType(name=t, count=rng.randint(0, 2000), fields=fields))
    return model.Site(
        id=f"site{i:03d}",
        source=f"/srv/site{i:03d}",
        origin="docroot",
        name=f"Site {i}",
        kind="drupal7",
        core_version="7.100",
        modules=modules,
        content_types=types,
    )


def portfolio(n: int, seed: int = 1) -> tuple[list[model.Site], list[model.Finding]]:
    rng = random.Random(seed)
    kb = load_kb()
    sites = [annotate_site(make_site(i, rng), kb) for i in range(n)]
    findings = run_checks(model.Inventory(sites=sites), load_rules(), kb)
    return sites, findings


def check_invariants(sites: list[model.Site], findings: list[model.Finding], p: model.Plan) -> None:
    # Every site is in exactly one wave.
    in_waves = [s for w in p.waves for s in w.sites]
    assert sorted(in_waves) == sorted(s.id for s in sites)
    # No wave before its dependencies: every module's dependencies are placed
    # in the same or an earlier wave, and earlier in the same wave's order.
    placed: dict[str, tuple[int, int]] = {}
    for w in p.waves:
        for pos, mod in enumerate(w.modules):
            placed[mod] = (w.index, pos)
    for s in sites:
        for mod in build.enabled_modules(s):
            for dep in mod.dependencies:
                assert placed[dep] < placed[mod.name], (dep, mod.name)
    # Every enabled module of every site has an action.
    target = {t.name: t for t in p.target.modules}
    for s in sites:
        for mod in build.enabled_modules(s):
            assert target[mod.name].action in ACTIONS.values()
            assert s.id in target[mod.name].source_sites
    # Every content type is mapped to a unified type.
    mapped = {(src.site, src.type) for u in p.content_model for src in u.sources}
    assert mapped == {(s.id, ct.name) for s in sites for ct in s.content_types}
    # Totals equal the sum of their parts.
    total = sum((w.effort_hours for w in p.waves), model.Effort())
    assert total.low == pytest.approx(p.effort_hours.low) and total.high == pytest.approx(
        p.effort_hours.high
    )
    by_site = sum(p.site_effort.values(), model.Effort())
    assert by_site.high == pytest.approx(p.effort_hours.high, abs=0.5)
    assert p.effort_hours.high <= sum(f.effort_hours.high for f in findings) + 1e-6


@pytest.mark.parametrize("n", [1, 3, 12, 40])
def test_generated_portfolios_keep_invariants(n: int) -> None:
    sites, findings = portfolio(n, seed=n)
    check_invariants(sites, findings, plan(sites, findings))


def test_shared_module_work_counted_once() -> None:
    sites, findings = portfolio(6)
    p = plan(sites, findings)
    repeated = [
        f for f in findings if f.rule == "D7-MOD-003" and f.subject.name == "field_collection"
    ]
    if len(repeated) > 1:
        assert p.notes and "counted once" in p.notes[0]
        assert p.effort_hours.high < sum(f.effort_hours.high for f in findings)


def test_content_conflicts_and_name_matching() -> None:
    tags = "taxonomy_term_reference"
    a = model.Site(
        id="a",
        source="/a",
        origin="docroot",
        content_types=[
            model.ContentType(
                name="news",
                fields=[
                    model.Field(name="body", type="text_with_summary"),
                    model.Field(name="field_tags", type=tags, cardinality=-1),
                ],
            )
        ],
    )
    b = model.Site(
        id="b",
        source="/b",
        origin="docroot",
        content_types=[
            model.ContentType(
                name="news",
                fields=[
                    model.Field(name="body", type="text_long"),
                    model.Field(name="field_tags", type=tags, cardinality=1),
                ],
            )
        ],
    )
    # A renamed copy on a third site joins by field signature.
    c = model.Site(
        id="c",
        source="/c",
        origin="docroot",
        content_types=[
            model.ContentType(
                name="bulletin",
                fields=[
                    model.Field(name="body", type="text_long"),
                    model.Field(name="field_tags", type=tags, cardinality=1),
                ],
            )
        ],
    )
    p = plan([a, b, c], [])
    (news,) = [u for u in p.content_model if u.name == "news"]
    assert {(s.site, s.type) for s in news.sources} == {
        ("a", "news"),
        ("b", "news"),
        ("c", "bulletin"),
    }
    assert any("body: field types differ" in c for c in news.conflicts)
    assert any("field_tags: cardinality differs" in c for c in news.conflicts)


def test_unrelated_types_stay_apart() -> None:
    a = model.Site(
        id="a",
        source="/a",
        origin="docroot",
        content_types=[
            model.ContentType(
                name="event",
                fields=[
                    model.Field(name="body", type="text_with_summary"),
                    model.Field(name="field_date", type="datetime"),
                ],
            )
        ],
    )
    b = model.Site(
        id="b",
        source="/b",
        origin="docroot",
        content_types=[
            model.ContentType(
                name="job",
                fields=[
                    model.Field(name="body", type="text_with_summary"),
                    model.Field(name="field_salary", type="number_decimal"),
                ],
            )
        ],
    )
    assert sorted(u.name for u in plan([a, b], []).content_model) == ["event", "job"]


def test_cost_from_rate() -> None:
    sites, findings = portfolio(2)
    p = plan(sites, findings, Settings(rate=100, currency="GBP"))
    assert p.cost["currency"] == "GBP"
    assert p.cost["high"] == pytest.approx(p.effort_hours.high * 100)


def test_dependency_issues() -> None:
    site = model.Site(
        id="s",
        source="/s",
        origin="docroot",
        modules=[
            model.Module(name="a", enabled=True, dependencies=["b", "missing"]),
            model.Module(name="b", enabled=True, dependencies=["a"]),
            model.Module(name="old", enabled=False, type="contrib"),
            model.Module(name="off_dep", enabled=False, type="contrib"),
            model.Module(name="c", enabled=True, dependencies=["off_dep"]),
        ],
    )
    issues = build.dependency_issues(site)
    assert ("a", "missing") in issues.missing and ("c", "off_dep") in issues.missing
    assert ["a", "b"] in issues.cycles
    assert issues.removal_candidates == ["old"]
    # A cycle does not break wave planning.
    check = plan([site], [])
    assert check.waves and set(check.waves[0].modules) >= {"a", "b", "c"}


def test_types_side_by_side_on_one_site_never_merge() -> None:
    fields = [
        model.Field(name="body", type="text_with_summary"),
        model.Field(name="field_tags", type="taxonomy_term_reference"),
        model.Field(name="field_image", type="image"),
    ]
    a = model.Site(
        id="a",
        source="/a",
        origin="docroot",
        content_types=[
            model.ContentType(name="article", fields=fields),
            model.ContentType(
                name="news", fields=[*fields, model.Field(name="field_x", type="text")]
            ),
        ],
    )
    b = model.Site(
        id="b", source="/b", origin="url", content_types=[model.ContentType(name="news")]
    )
    names = sorted(u.name for u in plan([a, b], []).content_model)
    assert names == ["article", "news"]
