"""How rules and the planner scale with the size of a portfolio.

Portfolios of 50, 200 and 500 generated Drupal 7 sites (deterministic, one
seed) are annotated with the knowledge base and then timed, best of
``--repeat``:

* ``run_checks``: every shipped rule on every site;
* ``plan``: the consolidation plan from the sites and those findings;
* both together, as ``drupalscan check`` + ``plan`` would run them.

Each site has about 150 modules: most Drupal 7 core modules, contrib
modules drawn (popular ones more often) from the knowledge base's projects,
with the same ``.info`` dependencies on every site, a few disabled, and one to
three custom modules with code facts (lines, hooks, API uses); plus ten
content types of 5-12 fields drawn from shared pools, so sites overlap the way
a real portfolio's do.

The baseline, measured in the same run, is ``inventory_to_json`` of the same
inventory: one pass over every object that must be visited anyway, so
"rules take 3x a JSON dump" says more than seconds that depend on the
machine.  Growth is ``(t_large / t_small) / (n_large / n_small)``: 1.0 is
linear, 10 at 50 -> 500 sites means quadratic.  The aim is 500 sites in under
10 s on 2 cores (all of this is single-threaded Python).

Run: ``python bench/bench_plan.py [--sizes 50,200,500] [--repeat 3] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from drupalscan.graph.plan import plan
from drupalscan.inventory import model
from drupalscan.inventory.io import inventory_to_json
from drupalscan.kb import load_kb
from drupalscan.rules.annotate import annotate_site
from drupalscan.rules.engine import run_checks
from drupalscan.rules.loader import load_rules

MODULES_PER_SITE = 150
CONTENT_TYPES_PER_SITE = 10
INFRA_DEPS = {
    "ctools": [],
    "views": ["ctools"],
    "entity": [],
    "token": [],
    "libraries": [],
    "pathauto": ["token", "path"],
    "date": ["date_api"],
    "features": ["ctools"],
}
"""Infrastructure modules most sites carry, with their real dependencies."""
TYPE_NAMES = (
    "article", "page", "news", "news_item", "event", "policy", "job", "job_posting", "faq",
    "person", "staff_profile", "location", "project", "publication", "report", "webform",
    "landing_page", "blog_post", "press_release", "document", "course", "service",
    "announcement", "gallery",
)  # fmt: skip
FIELD_TYPES = (
    ("text", "text"),
    ("text_long", "text"),
    ("number_integer", "number"),
    ("list_text", "list"),
    ("taxonomy_term_reference", "taxonomy"),
    ("image", "image"),
    ("file", "file"),
    ("datetime", "date"),
    ("link_field", "link"),
    ("entityreference", "entityreference"),
    ("field_collection", "field_collection"),
    ("email", "email"),
    ("addressfield", "addressfield"),
)
"""(field type, module) pairs fields are drawn from."""
FIELD_POOL_SIZE = 70
VOCABULARIES = ("tags", "topics", "departments", "regions", "audience", "news_type", "keywords")
ROLES = ("administrator", "editor", "author", "reviewer", "site_manager", "hr", "intranet_user")
MENUS = ("main-menu", "user-menu", "footer", "secondary", "quick-links", "sidebar")


@dataclass(frozen=True)
class Universe:
    """What every site draws from, so sites share modules and fields consistently."""

    core: list[tuple[str, list[str]]]
    """Core modules and their dependencies."""
    projects: list[tuple[str, list[str]]]
    """Contrib projects (most popular first) and their module names."""
    weights: list[float]
    deps: dict[str, list[str]]
    """Contrib module -> dependencies, the same on every site (they are in .info)."""
    fields: list[model.Field]
    api_symbols: list[str]
    hooks: list[str]
    releases: list[str]


def make_universe(kb: Any, seed: int = 11) -> Universe:
    """Module, field and API pools drawn from the knowledge base."""
    rng = random.Random(seed)
    core = [
        (name, list(mod.dependencies))
        for name, mod in sorted(kb.core_modules().items())
        if mod.type == "module"
    ]
    ranked = sorted((p for p in kb.projects().values() if p.rank), key=lambda p: (p.rank, p.name))[
        :500
    ]
    unranked = sorted(p.name for p in kb.projects().values() if not p.rank)
    projects: list[tuple[str, list[str]]] = []
    weights: list[float] = []
    deps: dict[str, list[str]] = {}
    infra = [n for n in INFRA_DEPS if n in kb.projects()]
    for project in ranked + [kb.projects()[n] for n in rng.sample(unranked, 150)]:
        mods = list(project.modules)
        main = project.name if project.name in mods else mods[0]
        # Sites enable the main module and a few of its sub-modules, not all 30.
        chosen = [main] + [m for m in mods if m != main][:3]
        projects.append((project.name, chosen))
        weights.append(1.0 / (project.rank or 800) ** 0.8)
        for mod in chosen:
            if mod in INFRA_DEPS:
                deps[mod] = list(INFRA_DEPS[mod])
            elif mod != main:
                deps[mod] = [main]
            else:
                deps[mod] = rng.sample(infra, rng.choice((0, 0, 1, 1, 2)))
    for name in ("date_api",):
        deps.setdefault(name, [])
    fields = [model.Field(name="body", type="text_with_summary", module="text", label="Body")]
    for i in range(FIELD_POOL_SIZE):
        ftype, fmod = FIELD_TYPES[i % len(FIELD_TYPES)]
        fname = f"field_{ftype.split('_')[0]}_{i}"
        cardinality = -1 if ftype in ("taxonomy_term_reference", "image", "file") else 1
        fields.append(
            model.Field(name=fname, type=ftype, module=fmod, label=fname, cardinality=cardinality)
        )
    api = list(kb.api_entries())
    return Universe(
        core=core,
        projects=projects,
        weights=weights,
        deps=deps,
        fields=fields,
        api_symbols=sorted(e.symbol for e in api if e.kind == "function"),
        hooks=sorted(e.symbol for e in api if e.kind == "hook"),
        releases=list(kb.core_releases(7))[-40:],
    )


def _custom_module(name: str, uni: Universe, rng: random.Random, deps: list[str]) -> model.Module:
    lines = int(rng.lognormvariate(7.5, 1.0))  # median ~1,800 lines, long tail
    files = max(1, lines // 250)
    path = f"sites/all/modules/custom/{name}"
    uses = [
        model.ApiUse(
            symbol=rng.choice(uni.api_symbols),
            file=f"{path}/{name}.{'module' if k % 3 else 'inc'}",
            line=rng.randint(1, max(1, lines)),
        )
        for k in range(max(1, lines // 30))
    ]
    hooks = sorted(rng.sample(uni.hooks, rng.randint(2, 12)))
    uses += [model.ApiUse(symbol=h, file=f"{path}/{name}.module", line=1) for h in hooks]
    code = model.CodeFacts(
        php_files=files,
        php_lines=lines,
        templates=[f"{path}/templates/{name}-{k}.tpl.php" for k in range(rng.randint(0, 3))],
        hooks=hooks,
        api_uses=sorted(uses, key=lambda u: (u.file, u.line, u.symbol)),
    )
    return model.Module(
        name=name,
        label=name.replace("_", " ").title(),
        type="custom",
        enabled=True,
        dependencies=deps,
        path=path,
        version="7.x-1.0",
        code=code,
    )


def make_site(i: int, uni: Universe, rng: random.Random) -> model.Site:
    """One Drupal 7 site of about MODULES_PER_SITE modules and ten content types."""
    modules: dict[str, model.Module] = {}
    for name, deps in uni.core:
        required = name in ("node", "system", "user", "field", "filter", "text")
        if required or rng.random() < 0.7:
            path = f"modules/{name}"
            modules[name] = model.Module(
                name=name, type="core", enabled=True, dependencies=deps, path=path, project="drupal"
            )
    for name, deps in uni.core:  # core dependencies of what is on
        if name not in modules and any(name in m.dependencies for m in modules.values()):
            modules[name] = model.Module(name=name, type="core", enabled=True, dependencies=deps)
    n_custom = rng.randint(1, 3)
    target = MODULES_PER_SITE - n_custom
    infra = [p for p in uni.projects if p[0] in INFRA_DEPS]
    picks = [p for p in infra if rng.random() < 0.9]
    while len(modules) + sum(len(m) for _, m in picks) < target:
        project = rng.choices(uni.projects, weights=uni.weights)[0]
        if project not in picks:
            picks.append(project)
    for project, mods in picks:
        version = f"7.x-{rng.randint(1, 3)}.{rng.randint(0, 20)}"
        for mod in mods:
            if len(modules) >= target:
                break
            modules[mod] = model.Module(
                name=mod,
                label=mod.replace("_", " ").title(),
                project=project,
                version=version,
                type="contrib",
                # One in ten modules is on disk but switched off.
                enabled=rng.random() >= 0.1,
                dependencies=list(uni.deps.get(mod, [])),
                path=f"sites/all/modules/contrib/{project}",
            )
    for k in range(n_custom):
        # Some custom modules were copied between sites (a shared SSO module, ...).
        name = f"acme_shared_{rng.randint(0, 9)}" if rng.random() < 0.3 else f"site{i}_custom{k}"
        deps = [d for d in ("views", "ctools", "entity") if d in modules and rng.random() < 0.5]
        modules[name] = _custom_module(name, uni, rng, deps)
    types = []
    for name in rng.sample(TYPE_NAMES, CONTENT_TYPES_PER_SITE):
        fields = [uni.fields[0]] + rng.sample(uni.fields[1:], rng.randint(4, 11))
        if rng.random() < 0.05:  # the same field with another cardinality: a conflict
            fields[-1] = model.replace(fields[-1], cardinality=3)
        count = int(rng.paretovariate(0.9) * 40)
        types.append(
            model.ContentType(
                name=name, label=name.replace("_", " ").title(), count=count, fields=fields
            )
        )
    themes = [
        model.Theme(name="bartik", type="core", enabled=True, engine="phptemplate"),
        model.Theme(name="seven", type="core", enabled=True, engine="phptemplate"),
        model.Theme(
            name=f"site{i}_theme",
            type="custom",
            enabled=True,
            default=True,
            base_theme="bartik",
            engine="phptemplate",
            path=f"sites/all/themes/site{i}_theme",
            code=model.CodeFacts(
                php_files=2,
                php_lines=rng.randint(100, 900),
                templates=[
                    f"sites/all/themes/site{i}_theme/templates/t{k}.tpl.php"
                    for k in range(rng.randint(2, 12))
                ],
            ),
        ),
    ]
    vocabularies = [
        model.Vocabulary(name=v, label=v.title(), terms=rng.randint(3, 400))
        for v in rng.sample(VOCABULARIES, rng.randint(2, 5))
    ]
    nodes = sum(t.count or 0 for t in types)
    return model.Site(
        id=f"site{i:04d}-bench",
        source=f"/srv/www/site{i:04d}",
        origin="docroot",
        name=f"Site {i}",
        kind="drupal7",
        core_version=rng.choice(uni.releases),
        modules=list(modules.values()),
        themes=themes,
        content_types=types,
        vocabularies=vocabularies,
        counts={"nodes": nodes, "users": rng.randint(5, 5000)},
        settings={
            "site_name": f"Site {i}",
            "theme_default": f"site{i}_theme",
            "roles": rng.sample(ROLES, rng.randint(3, 6)),
            "menus": rng.sample(MENUS, rng.randint(2, 5)),
        },
        collected=["codebase", "database"],
    )


def make_portfolio(n: int, seed: int = 1, kb: Any = None) -> list[model.Site]:
    """``n`` annotated sites; the first k sites are the same for every n >= k."""
    kb = kb if kb is not None else load_kb()
    uni = make_universe(kb)
    rng = random.Random(seed)
    return [annotate_site(make_site(i, uni, rng), kb) for i in range(n)]


def best_of(repeat: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """Fastest of ``repeat`` timed calls, and the last call's result."""
    best = float("inf")
    result: Any = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


@dataclass
class Timing:
    """Seconds for one portfolio size."""

    sites: int
    modules: int
    findings: int
    json_s: float
    rules_s: float
    plan_s: float
    both_s: float
    waves: int


def measure(sites: Sequence[model.Site], repeat: int = 1, kb: Any = None) -> Timing:
    """Time JSON (baseline), rules, plan, and rules + plan on one portfolio."""
    kb = kb if kb is not None else load_kb()
    rules = load_rules()
    inventory = model.Inventory(sites=list(sites))
    json_s, _ = best_of(repeat, lambda: inventory_to_json(inventory))
    rules_s, findings = best_of(repeat, lambda: run_checks(inventory, rules, kb))
    plan_s, result = best_of(repeat, lambda: plan(sites, findings, kb=kb))
    both_s, _ = best_of(repeat, lambda: plan(sites, run_checks(inventory, rules, kb), kb=kb))
    return Timing(
        sites=len(sites),
        modules=sum(len(s.modules) for s in sites),
        findings=len(findings),
        json_s=json_s,
        rules_s=rules_s,
        plan_s=plan_s,
        both_s=both_s,
        waves=len(result.waves),
    )


def profile_plan(sites: Sequence[model.Site], kb: Any, top: int = 25) -> str:
    """cProfile of ``plan`` (findings computed beforehand), top functions by own time."""
    findings = run_checks(model.Inventory(sites=list(sites)), load_rules(), kb)
    prof = cProfile.Profile()
    prof.enable()
    plan(sites, findings, kb=kb)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main() -> None:
    """Generate the portfolios, time each, print times, per-site times and growth."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,500", help="comma-separated site counts")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timed runs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile plan() at the largest size"
    )
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    kb = load_kb()
    start = time.perf_counter()
    everything = make_portfolio(sizes[-1], args.seed, kb)
    print(f"generated + annotated {sizes[-1]} sites in {time.perf_counter() - start:.1f} s")
    timings = [measure(everything[:n], args.repeat, kb) for n in sizes]
    print(
        f"{'sites':>5} {'modules':>7} {'findings':>8} {'waves':>5} | {'json':>6} {'rules':>6} "
        f"{'plan':>6} {'both':>6} s | ms/site: {'rules':>5} {'plan':>5} {'both':>5} | "
        f"x json: {'rules':>5} {'plan':>5} {'both':>5}"
    )
    for t in timings:
        per = [1000 * x / t.sites for x in (t.rules_s, t.plan_s, t.both_s)]
        ratio = [x / t.json_s for x in (t.rules_s, t.plan_s, t.both_s)]
        print(
            f"{t.sites:>5} {t.modules:>7} {t.findings:>8} {t.waves:>5} | {t.json_s:>6.2f} "
            f"{t.rules_s:>6.2f} {t.plan_s:>6.2f} {t.both_s:>6.2f} s | "
            f"ms/site: {per[0]:>5.1f} {per[1]:>5.1f} {per[2]:>5.1f} | "
            f"x json: {ratio[0]:>5.2f} {ratio[1]:>5.2f} {ratio[2]:>5.2f}"
        )
    small = timings[0]
    for t in timings[1:]:
        scale = t.sites / small.sites
        print(
            f"growth {small.sites} -> {t.sites} (1.0 = linear): "
            f"json {t.json_s / small.json_s / scale:.2f}, "
            f"rules {t.rules_s / small.rules_s / scale:.2f}, "
            f"plan {t.plan_s / small.plan_s / scale:.2f}, "
            f"both {t.both_s / small.both_s / scale:.2f}"
        )
    largest = timings[-1]
    verdict = "OK" if largest.both_s < 10 else "SLOW"
    print(f"{largest.sites} sites, rules + plan: {largest.both_s:.2f} s (aim < 10 s): {verdict}")
    if args.profile:
        print(profile_plan(everything, kb))


if __name__ == "__main__":
    main()
