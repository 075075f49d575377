"""Plan invariants on the example client and on generated portfolios."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import networkx as nx
import pytest

from drupalscan.config import Settings
from drupalscan.graph import build
from drupalscan.graph.decisions import as_findings
from drupalscan.graph.plan import ACTIONS, UNCOUNTED_PREFIX, effort_sum, plan, whole_hours
from drupalscan.inventory import model
from drupalscan.inventory.model import SEVERITIES
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
    """A small Drupal 7 site: core, some contrib with dependencies, one custom module."""
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
    """n generated sites, annotated with the knowledge base, and their findings."""
    rng = random.Random(seed)
    kb = load_kb()
    sites = [annotate_site(make_site(i, rng), kb) for i in range(n)]
    findings = run_checks(model.Inventory(sites=sites), load_rules(), kb)
    return sites, findings


def _hundredths(x: float) -> int:
    """Hours as whole hundredths: the rule engine rounds findings to 0.01 h at most."""
    return round(x * 100)


def check_invariants(sites: list[model.Site], findings: list[model.Finding], p: model.Plan) -> None:
    """The plan's invariants, effort identities included, all with exact equality."""
    # The answers in force to the plan's decisions count like findings (as
    # build_report adds them to the report's findings).
    findings = [*findings, *as_findings(p.decisions)]
    # Every site is in exactly one wave.
    in_waves = [s for w in p.waves for s in w.sites]
    assert sorted(in_waves) == sorted(s.id for s in sites)
    wave_of = {s: w.index for w in p.waves for s in w.sites}
    # No wave before its dependencies: every module's dependencies are placed
    # in the same or an earlier wave, and earlier in the same wave's order.
    # Modules in a dependency cycle (Drupal 7 core has field <->
    # field_sql_storage) can only come in the same wave.
    placed: dict[str, tuple[int, int]] = {}
    for w in p.waves:
        for pos, mod in enumerate(w.modules):
            assert mod not in placed, f"{mod} placed twice"
            placed[mod] = (w.index, pos)
    component = {
        m: i
        for i, scc in enumerate(
            nx.strongly_connected_components(build.merged_dependency_graph(sites))
        )
        for m in scc
    }
    for s in sites:
        for mod in build.enabled_modules(s):
            for dep in mod.dependencies:
                if component[dep] == component[mod.name]:
                    assert placed[dep][0] == placed[mod.name][0], (dep, mod.name)
                else:
                    assert placed[dep] < placed[mod.name], (dep, mod.name)
    # Every enabled module of every site has an action.
    target = {t.name: t for t in p.target.modules}
    for s in sites:
        for mod in build.enabled_modules(s):
            assert target[mod.name].action in ACTIONS.values()
            assert s.id in target[mod.name].source_sites
    assert all(t.action != "contrib" or {10, 11} & set(t.d8_majors) for t in p.target.modules)
    # Every content type is mapped to a unified type, every field to a target field.
    mapped = {(src.site, src.type) for u in p.content_model for src in u.sources}
    assert mapped == {(s.id, ct.name) for s in sites for ct in s.content_types}
    types = {(s.id, ct.name): ct for s in sites for ct in s.content_types}
    for u in p.content_model:
        names = {f.name for f in u.fields}
        for src in u.sources:
            assert set(src.field_map) == {f.name for f in types[(src.site, src.type)].fields}
            assert set(src.field_map.values()) <= names
            assert len(set(src.field_map.values())) == len(src.field_map)
    # One effort item per finding, with the finding's own hours, counted in
    # full or not at all, in its site's wave.
    items = p.effort_items
    assert Counter((i.rule, i.site, i.subject) for i in items) == Counter(
        (f.rule, f.site, f.subject.name) for f in findings
    )
    assert Counter((i.rule, i.site, i.subject, i.effort_hours) for i in items) == Counter(
        (f.rule, f.site, f.subject.name, f.effort_hours) for f in findings
    )
    for i in items:
        assert i.wave == wave_of[i.site]
        if i.note.startswith(UNCOUNTED_PREFIX):
            assert i.counted_hours == model.Effort()
        else:
            assert i.counted_hours == i.effort_hours
    # Shared module work counts once, on the first site in wave order.
    position = {sid: (w.index, k) for w in p.waves for k, sid in enumerate(w.sites)}
    shared: dict[tuple[str, str], list[model.EffortItem]] = defaultdict(list)
    for i in items:
        if i.rule.startswith("D7-MOD-"):
            shared[(i.rule, i.subject)].append(i)
    for group in shared.values():
        counted = [i for i in group if not i.note.startswith(UNCOUNTED_PREFIX)]
        assert len(counted) == 1
        assert position[counted[0].site] == min(position[i.site] for i in group)
    # Totals are the sums of their parts: exactly, both ends of the range.
    assert p.effort_hours == effort_sum(i.counted_hours for i in items)
    assert p.effort_hours == effort_sum(w.effort_hours for w in p.waves)
    assert p.effort_hours == effort_sum(p.site_effort.values())
    assert set(p.site_effort) == {s.id for s in sites}
    for w in p.waves:
        in_wave = [i for i in items if i.wave == w.index]
        assert w.effort_hours == effort_sum(i.counted_hours for i in in_wave)
        assert w.findings == sum(not i.note.startswith(UNCOUNTED_PREFIX) for i in in_wave)
    for sid, hours in p.site_effort.items():
        assert hours == effort_sum(i.counted_hours for i in items if i.site == sid)
    # The same identities in integer hundredths, independent of effort_sum.
    for end in ("low", "high"):
        assert _hundredths(getattr(p.effort_hours, end)) == sum(
            _hundredths(getattr(i.counted_hours, end)) for i in items
        )
        assert _hundredths(getattr(p.effort_hours, end)) == sum(
            _hundredths(getattr(w.effort_hours, end)) for w in p.waves
        )
    assert p.effort_hours.high <= effort_sum(f.effort_hours for f in findings).high
    # The cost is the displayed whole hours times the rate.
    if p.cost:
        for end in ("low", "high"):
            hours = whole_hours(getattr(p.effort_hours, end))
            assert p.cost["hours"][end] == hours
            assert p.cost[end] == round(hours * p.cost["rate"], 2)
    # Risks worst first; dependency issues from the per-site graphs.
    ranks = [SEVERITIES.index(r.severity) for r in p.risks]
    assert ranks == sorted(ranks)
    for s in sites:
        issues = build.dependency_issues(s)
        missing = {
            (m, d.modules[0])
            for d in p.dependency_issues
            if d.site == s.id and d.kind == "missing"
            for m in d.modules[1:]
        }
        assert missing == set(issues.missing)


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
    assert len(repeated) > 1
    assert p.notes and "counted once" in p.notes[0]
    assert p.effort_hours.high < effort_sum(f.effort_hours for f in findings).high
    check_invariants(sites, findings, p)


def _finding(
    rule: str, site: str, subject: str, low: float, high: float, severity: str = "medium"
) -> model.Finding:
    kind = "module" if rule.startswith(("D7-MOD-", "D7-CUS-")) else "site"
    shipped = {r.id: r for r in load_rules()}.get(rule)  # its planning role, as the engine sets it
    return model.Finding(
        rule=rule,
        severity=severity,
        site=site,
        subject=model.Subject(kind=kind, name=subject),
        message=f"{rule} on {subject}",
        effort_hours=model.Effort(low=low, high=high),
        shared=shipped.shared if shipped else False,
        risk=shipped.risk if shipped else "",
    )


def _wave_order_case() -> tuple[list[model.Site], list[model.Finding]]:
    """Two alike sites (group 1, with a blocker) and one apart (group 2, ready first).

    Group index follows size, waves follow readiness, so the shared module
    work must count on the lone site, whose group index is the higher one.
    """
    common = [f"mod_{k}" for k in range(8)]

    def site(sid: str, mods: list[str]) -> model.Site:
        return model.Site(
            id=sid,
            source=f"/srv/{sid}",
            origin="docroot",
            name=sid.upper(),
            kind="drupal7",
            modules=[
                model.Module(name=m, type="contrib", enabled=True)
                for m in ["field_collection", *mods]
            ],
        )

    sites = [site("a1", common), site("a2", common), site("b", ["only_b1", "only_b2"])]
    findings = [
        _finding("D7-SITE-001", "a1", "a1", 2, 8, severity="blocker"),
        *(_finding("D7-MOD-003", sid, "field_collection", 8, 24) for sid in ("a1", "a2", "b")),
        # Tenths that float addition does not sum associatively.
        *(
            _finding("D7-CUS-001", sid, f"custom_{k}", 0.1 * k, 0.3 * k)
            for sid in ("a1", "a2", "b")
            for k in range(1, 8)
        ),
        _finding("D7-MOD-006", "a2", "ctools", 0.1, 0.7),
        _finding("D7-MOD-006", "a1", "ctools", 0.1, 0.7),
    ]
    return sites, findings


def test_shared_work_counts_on_the_first_wave_in_wave_order() -> None:
    sites, findings = _wave_order_case()
    p = plan(sites, findings)
    assert [g.sites for g in p.groups] == [["a1", "a2"], ["b"]]
    assert [w.sites for w in p.waves] == [["b"], ["a1", "a2"]]
    fc = {i.site: i for i in p.effort_items if i.subject == "field_collection"}
    assert fc["b"].counted_hours == model.Effort(low=8, high=24)
    assert fc["b"].note == "counted here once for 3 sites"
    assert fc["a1"].counted_hours == fc["a2"].counted_hours == model.Effort()
    assert fc["a1"].note == fc["a2"].note == "counted on B (wave 1)"
    # Within a wave, the first site in the wave's order counts.
    ctools = {i.site: i for i in p.effort_items if i.subject == "ctools"}
    assert ctools["a1"].counted_hours == model.Effort(low=0.1, high=0.7)
    assert ctools["a2"].note == "counted on A1 (wave 2)"
    # Site, wave and plan figures agree exactly.
    custom = effort_sum(model.Effort(low=0.1 * k, high=0.3 * k) for k in range(1, 8))
    assert p.site_effort["b"] == effort_sum([model.Effort(low=8, high=24), custom])
    assert p.site_effort["a2"] == custom
    assert p.waves[0].effort_hours == p.site_effort["b"]
    assert p.waves[1].effort_hours == effort_sum([p.site_effort["a1"], p.site_effort["a2"]])
    # Wave 2 finding count: the blocker, 2 x 7 custom, ctools on a1; not the 3 repeats.
    assert p.waves[0].findings == 8 and p.waves[1].findings == 1 + 7 + 7 + 1
    check_invariants(sites, findings, p)


def test_effort_sum_is_exact_whatever_the_grouping() -> None:
    values = [model.Effort(low=0.1 * k, high=0.7 * k) for k in range(1, 40)]
    whole = effort_sum(values)
    halves = effort_sum([effort_sum(values[:17]), effort_sum(values[17:])])
    backwards = effort_sum(reversed(values))
    assert whole == halves == backwards
    assert whole.low == pytest.approx(0.1 * 780) and whole.high == pytest.approx(0.7 * 780)
    # Plain float addition depends on the order; effort_sum does not.
    tenths = [model.Effort(low=x, high=x) for x in (0.1, 0.2, 0.3)]
    assert 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1
    assert effort_sum(tenths) == effort_sum(reversed(tenths)) == model.Effort(low=0.6, high=0.6)


def test_cost_is_whole_hours_rounded_half_up_times_rate() -> None:
    sites, _ = _wave_order_case()
    findings = [
        _finding("D7-SITE-002", "b", "b", 12.5, 20.5),
        _finding("D7-SITE-003", "a1", "a1", 0.0, 0.0),
    ]
    p = plan(sites, findings, Settings(rate=100, currency="GBP"))
    assert p.effort_hours == model.Effort(low=12.5, high=20.5)
    # round() would give 12 and 20 (half to even); a reader expects 13 and 21.
    assert p.cost == {
        "rate": 100,
        "currency": "GBP",
        "hours": {"low": 13, "high": 21},
        "low": 1300,
        "high": 2100,
    }
    assert [whole_hours(x) for x in (0.5, 1.49, 2.5, 172.5, 0.0)] == [1, 1, 3, 173, 0]


def test_cost_from_rate() -> None:
    sites, findings = portfolio(2)
    p = plan(sites, findings, Settings(rate=100, currency="GBP"))
    assert p.cost["currency"] == "GBP"
    assert p.cost["high"] == whole_hours(p.effort_hours.high) * 100
    assert p.cost["low"] == whole_hours(p.effort_hours.low) * 100
    assert plan(sites, findings).cost == {}


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
            model.Module(
                name="c",
                enabled=True,
                dependencies=["off_dep", "missing"],
                constraints={"off_dep": ">=2.0"},
            ),
            # Drupal 7 core's own cycle is not an issue of the site.
            model.Module(
                name="field", type="core", enabled=True, dependencies=["field_sql_storage"]
            ),
            model.Module(
                name="field_sql_storage", type="core", enabled=True, dependencies=["field"]
            ),
        ],
    )
    issues = build.dependency_issues(site)
    assert ("a", "missing") in issues.missing and ("c", "off_dep") in issues.missing
    assert ["a", "b"] in issues.cycles
    assert issues.removal_candidates == ["old"]
    # The plan carries them, one issue per missing dependency.
    check = plan([site], [])
    found = {(d.kind, tuple(d.modules)): d.detail for d in check.dependency_issues}
    assert found == {
        ("missing", ("missing", "a", "c")): "missing is absent but a, c need(s) it",
        ("missing", ("off_dep", "c")): "off_dep is disabled but c (>=2.0) need(s) it",
        ("cycle", ("a", "b")): (
            "a → b → a: a dependency cycle; these modules can only be enabled and migrated together"
        ),
        ("removal_candidate", ("old",)): (
            "1 module(s) on disk, disabled and needed by no enabled module: "
            "leave them out of the migration"
        ),
    }
    assert {d.site for d in check.dependency_issues} == {"s"}
    # A cycle does not break wave planning.
    assert check.waves and set(check.waves[0].modules) >= {"a", "b", "c"}
    check_invariants([site], [], check)


def _annotated(*modules: model.Module) -> model.Site:
    return annotate_site(
        model.Site(id="s", source="/s", origin="docroot", kind="drupal7", modules=list(modules)),
        load_kb(),
    )


def test_module_roles_follow_the_target_major() -> None:
    kb = load_kb()
    # Real knowledge-base entries, checked here so a data refresh that changes
    # them shows up as a clear failure rather than a puzzling one below.
    assert kb.verdict("ctools", "ctools", "contrib").d8_majors == (8, 9, 10, 11)
    assert kb.verdict("swiftmailer", "swiftmailer", "contrib").d8_majors == (8, 9, 10)
    assert kb.verdict("breakpoints", "breakpoints", "contrib").d8_majors == (8,)
    assert kb.verdict("field_collection", "field_collection", "contrib").replacement == "paragraphs"
    assert {10, 11} <= set(kb.verdict("paragraphs", None, "contrib").d8_majors)
    assert kb.verdict("color", None, "core").d8_majors == (8, 9)
    assert kb.verdict("book", None, "core").d8_majors == (8, 9, 10)

    site = _annotated(
        model.Module(name="ctools", project="ctools", type="contrib", enabled=True),
        model.Module(name="swiftmailer", project="swiftmailer", type="contrib", enabled=True),
        model.Module(name="breakpoints", project="breakpoints", type="contrib", enabled=True),
        model.Module(
            name="field_collection", project="field_collection", type="contrib", enabled=True
        ),
        model.Module(name="color", type="core", enabled=True),
        model.Module(name="book", type="core", enabled=True),
        model.Module(name="node", type="core", enabled=True),
    )
    on_11 = plan([site], [], kb=kb)
    assert on_11.target.core == 11
    target = {t.name: t for t in on_11.target.modules}
    assert target["ctools"].action == "contrib"
    assert target["ctools"].d8_majors == [8, 9, 10, 11]
    assert target["ctools"].reason.startswith("release for Drupal 11 (newest known 4.1.1)")
    assert target["swiftmailer"].status == "has_release"
    assert target["swiftmailer"].action == "review"
    assert target["swiftmailer"].reason.startswith(
        "release for Drupal 8/9/10 only; port it, replace it or check for a Drupal 11 release"
    )
    assert target["breakpoints"].action == "review"
    assert target["field_collection"].action == "replace"
    assert {10, 11} <= set(target["field_collection"].d8_majors)
    assert target["color"].action == "review" and target["color"].d8_majors == [8, 9]
    assert "check a Drupal 11 release" in target["color"].reason
    assert target["book"].action == "review" and target["book"].d8_majors == [8, 9, 10]
    assert target["node"].action == "keep_core"

    # The same site planned for Drupal 10: swiftmailer's release is an answer,
    # and book is in core up to 10, a contrib project after.
    on_10 = plan([site], [], Settings(target_core=10), kb=kb)
    assert on_10.target.core == 10
    target = {t.name: t for t in on_10.target.modules}
    assert target["swiftmailer"].action == "contrib"
    assert target["swiftmailer"].reason.startswith("release for Drupal 10")
    assert target["breakpoints"].action == "review"
    assert target["book"].action == "contrib"
    assert target["book"].reason.startswith(
        "in Drupal core for 8/9/10, a contrib project from 11.0"
    )


def test_module_roles_use_the_given_knowledge_base() -> None:
    site = _annotated(model.Module(name="rules", project="rules", type="contrib", enabled=True))
    refreshed = load_kb().with_overrides(
        {"rules": {"status": "has_release", "d8_majors": [8, 11], "modules": ["rules"]}}
    )
    (rules,) = plan([site], [], kb=refreshed).target.modules
    assert rules.action == "contrib" and rules.d8_majors == [8, 11]


def _type(name: str, count: int | None, *fields: tuple[str, str, int]) -> model.ContentType:
    return model.ContentType(
        name=name,
        count=count,
        fields=[model.Field(name=n, type=t, cardinality=c) for n, t, c in fields],
    )


def _sites_with(*types: model.ContentType) -> list[model.Site]:
    return [
        model.Site(id=f"s{k}", source=f"/s{k}", origin="docroot", content_types=[ct])
        for k, ct in enumerate(types)
    ]


def test_renamed_type_fields_map_by_name_then_similar_name_then_new() -> None:
    news = [
        ("body", "text_with_summary", 1),
        ("field_tags", "taxonomy_term_reference", -1),
        ("field_image", "image", 1),
        ("field_date", "datetime", 1),
        ("field_source", "text", 1),
    ]
    sites = _sites_with(
        _type("news", 100, *news),
        _type("news", 50, *news),
        _type(
            "bulletin",
            20,
            *news[:2],
            *news[3:],
            ("field_news_image", "image", 1),  # similar name, same type
            ("field_images", "file", 1),  # similar name, other type: its own field
            ("field_summary", "text", 1),  # same type, unrelated name
        ),
    )
    p = plan(sites, [])
    (news_type,) = p.content_model
    assert news_type.name == "news"
    maps = {src.type: src.field_map for src in news_type.sources}
    assert maps["news"] == {n: n for n, _, _ in news}
    assert maps["bulletin"] == {
        "body": "body",
        "field_tags": "field_tags",
        "field_date": "field_date",
        "field_source": "field_source",
        "field_news_image": "field_image",
        "field_images": "field_images",
        "field_summary": "field_summary",
    }
    assert [f.name for f in news_type.fields] == [
        "body",
        "field_date",
        "field_image",
        "field_images",
        "field_source",
        "field_summary",
        "field_tags",
    ]
    assert news_type.conflicts == []
    check_invariants(sites, [], p)


def test_field_conflicts_resolved_by_nodes_then_breadth() -> None:
    sites = _sites_with(
        _type(
            "news",
            100,
            ("body", "text_with_summary", 1),
            ("field_tags", "taxonomy_term_reference", -1),
            ("field_x", "text", 1),
        ),
        _type(
            "news",
            300,
            ("body", "text_long", 1),
            ("field_tags", "taxonomy_term_reference", 1),
            ("field_x", "text", 1),
        ),
        _type(
            "news",
            None,
            ("body", "text_long", 1),
            ("field_tags", "taxonomy_term_reference", 3),
            ("field_x", "text", 1),
        ),
        _type("event", None, ("body", "text", 1), ("field_when", "text_long", 1)),
        _type("event", None, ("body", "text_long", 1), ("field_when", "text", 1)),
    )
    p = plan(sites, [])
    by_name = {u.name: u for u in p.content_model}
    news, event = by_name["news"], by_name["event"]
    fields = {f.name: f for f in news.fields}
    assert fields["body"].type == "text_long"
    assert fields["field_tags"].cardinality == -1
    assert news.conflicts == [
        "body: field types differ (text_long on 2 source type(s), 300 node(s); "
        "text_with_summary on 1 source type(s), 100 node(s)); target uses text_long: "
        "used by most nodes (300 of 400 known)",
        "field_tags: cardinality differs (1, 3, unlimited); target uses unlimited "
        "so no values are dropped",
    ]
    # No node counts (crawled sites): a tie, resolved to the broader type.
    assert {f.name: f.type for f in event.fields} == {
        "body": "text_long",
        "field_when": "text_long",
    }
    assert all("node counts tie, so the broader type" in c for c in event.conflicts)
    assert len(event.conflicts) == 2
    check_invariants(sites, [], p)


def test_risks_worst_first_and_custom_code_only_where_measured() -> None:
    code = model.CodeFacts(php_files=2, php_lines=1200)
    measured = model.Site(
        id="m",
        source="/m",
        origin="docroot",
        name="Measured",
        kind="drupal7",
        modules=[
            model.Module(name="m_custom", type="custom", enabled=True, code=code),
            model.Module(name="m_off", type="custom", enabled=False, code=code),
        ],
    )
    crawled = model.Site(
        id="c",
        source="http://c.example/",
        origin="url",
        name="Crawled",
        kind="drupal7",
        modules=[model.Module(name="c_custom", type="custom")],
    )
    findings = [
        _finding("D7-MOD-005", "m", "mystery", 2, 16, severity="medium"),
        _finding("D7-SITE-001", "c", "c", 2, 8, severity="blocker"),
    ]
    p = plan([measured, crawled], findings)
    assert [r.severity for r in p.risks] == ["blocker", "medium", "medium", "medium"]
    (code_risk,) = [r for r in p.risks if "custom PHP" in r.title]
    assert code_risk.title == "1,200 lines of custom PHP to rewrite"
    assert code_risk.sites == ["m"]
    assert code_risk.detail.startswith("Measured: 1,200 lines.")
    assert code_risk.detail.endswith("Custom code not measured (seen from outside): Crawled.")


def test_waves_say_what_they_reuse_or_that_they_stand_alone() -> None:
    def site(sid: str, mods: list[str], types: list[model.ContentType]) -> model.Site:
        return model.Site(
            id=sid,
            source=f"/srv/{sid}",
            origin="docroot" if types and types[0].count is not None else "url",
            name=sid.upper(),
            kind="drupal7",
            modules=[model.Module(name="node", type="core", enabled=True)]
            + [model.Module(name=m, type="contrib", enabled=True) for m in mods],
            content_types=types,
        )

    a = site("a", ["views", "ctools"], [_type("article", 10, ("body", "text_long", 1))])
    b = site("b", ["webform"], [_type("job", None, ("field_salary", "number_integer", 1))])
    c = site(
        "c",
        # Enough of its own to stay out of a's consolidation group.
        ["views", "ctools", *(f"extra_{k}" for k in range(20))],
        [_type("article", 5, ("body", "text_long", 1))],
    )
    findings = [_finding("D7-SITE-001", "b", "b", 1, 2), _finding("D7-SITE-001", "c", "c", 5, 9)]
    p = plan([a, b, c], findings)
    waves = {w.sites[0]: w for w in p.waves}
    assert [w.sites for w in p.waves] == [["a"], ["b"], ["c"]]
    assert waves["a"].rationale.startswith("Pilot")
    assert waves["b"].rationale.startswith(
        "After wave 1: more blockers or more effort per site. Independent of earlier waves"
    )
    # b shares only Drupal core's node module with a: that is no reuse.
    assert "Node counts unknown for 1 content type(s) of B (seen from outside)" in (
        waves["b"].rationale
    )
    assert waves["b"].nodes == 0
    assert (
        "Reuses 2 module(s) (ctools, views) and 1 content type(s) (article) already "
        "introduced by wave(s) 1." in waves["c"].rationale
    )
    assert waves["c"].nodes == 5
    check_invariants([a, b, c], findings, p)


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


def test_sharing_and_risks_follow_the_rules_not_their_ids() -> None:
    """An agency's rule that says ``[plan] shared`` and ``risk`` is planned as the
    shipped ones are: its id means nothing to the planner."""
    sites = [
        model.Site(id=sid, source=f"https://{sid}.example/", origin="url", kind="drupal7")
        for sid in ("a", "b")
    ]
    findings = [
        model.Finding(
            rule="ACME-MOD-001",
            severity="medium",
            site=sid,
            subject=model.Subject(kind="module", name="webform"),
            message="house rate",
            effort_hours=model.Effort(low=10, high=20),
            shared=True,
            risk="research",
        )
        for sid in ("a", "b")
    ]
    planned = plan(sites, findings)
    assert planned.effort_hours == model.Effort(low=10, high=20)  # counted once
    (research,) = [r for r in planned.risks if "unknown Drupal 8+ status" in r.title]
    assert research.sites == ["a", "b"]
    unshared = [model.replace(f, shared=False, risk="") for f in findings]
    planned = plan(sites, unshared)
    assert planned.effort_hours == model.Effort(low=20, high=40)
    assert not [r for r in planned.risks if "unknown Drupal 8+ status" in r.title]
