"""The Python API: scan(), crawl(), check(), plan(), render(), demo().

The CLI is a thin shell over these functions, and tests call them directly.
Each takes an open `Store` so that collected work is committed as it goes.
Some 600 lines: one function per command the CLI offers, each only joining
the stages, which is why they stay together.
"""

from __future__ import annotations

import base64
import datetime as dt
import mimetypes
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from drupalscan.config import MAX_REQUESTS, SITES_AT_ONCE, CrawlOptions, ScanOptions, Settings
from drupalscan.errors import UsageError
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress

if TYPE_CHECKING:
    from drupalscan.collect.parseproc import ParseProcesses
    from drupalscan.collect.portfolio import Failure
    from drupalscan.collect.probe import Candidate
    from drupalscan.inventory.merge import Merged
    from drupalscan.kb import KnowledgeBase
    from drupalscan.render.report import Report
    from drupalscan.rules.model import Rule


def kb_with_cache(store: Store) -> KnowledgeBase:
    """The knowledge base, with any `kb refresh` results from the store on top."""
    from drupalscan.kb import load_kb

    kb = load_kb()
    cached = store.kb_entries()
    if cached:
        kb = kb.with_overrides({name: data for name, (data, _) in cached.items()})
    return kb


@dataclass(frozen=True, slots=True)
class RefreshResult:
    """What `kb refresh` learnt, per project."""

    project: str
    status: str
    d8_majors: list[int]
    error: str = ""


def kb_refresh(
    store: Store,
    projects: Sequence[str] = (),
    *,
    base: str | None = None,
    timeout: float = 15.0,
) -> list[RefreshResult]:
    """Bring project statuses up to date from drupal.org release histories.

    Without names, refreshes every contributed project the stored sites use.
    Results are cached in the store with their fetch time and used over the
    bundled knowledge base from then on.
    """
    from drupalscan.collect.releases import DEFAULT_BASE, fetch_histories
    from drupalscan.kb import load_kb
    from drupalscan.kb.release_history import (
        ReleaseHistoryError,
        parse_release_history,
        to_project_entry,
    )

    kb = load_kb()
    names = list(dict.fromkeys(projects))
    if not names:
        names = sorted(
            {
                m.project or m.name
                for s in store.sites()
                for m in s.modules
                if m.type in ("contrib", "unknown") and (m.project or m.name) != "drupal"
            }
        )
    if not names:
        raise UsageError("no project to refresh: name some, or scan/crawl sites first")
    bundled = kb.raw_projects()
    results = []
    for got in fetch_histories(names, base=base or DEFAULT_BASE, timeout=timeout):
        if got.xml is None:
            results.append(RefreshResult(got.project, "unchanged", [], got.error))
            continue
        try:
            history = parse_release_history(got.xml)
        except ReleaseHistoryError as exc:
            results.append(RefreshResult(got.project, "unchanged", [], str(exc)))
            continue
        history["project"] = history["project"] or got.project
        today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
        entry = to_project_entry(history, bundled.get(got.project), refreshed=today)
        store.put_kb(got.project, entry)
        results.append(RefreshResult(got.project, entry["status"], list(entry["d8_majors"])))
    if all(r.error for r in results):
        raise UsageError(
            f"kb refresh reached no release history ({results[0].error}); "
            "check the network or --url"
        )
    return results


def scan(path: str, store: Store, options: ScanOptions | None = None) -> list[model.Site]:
    """Inventory a local docroot (and its database or drush output).

    A multisite docroot is one inventory per site it serves (see
    `expand_multisites`); ``path#sites/NAME`` or ``--site`` names one.
    """
    options = options or ScanOptions()
    from drupalscan.collect.dbsource import DatabaseError
    from drupalscan.collect.docroot import ScanError
    from drupalscan.collect.local import scan_local
    from drupalscan.rules.annotate import annotate_site

    kb = kb_with_cache(store)
    try:
        sites = []
        for source in expand_multisites([path], options):
            docroot, site_dir = model.split_source(source)
            site = scan_local(
                docroot,
                store,
                db=options.db,
                db_prefix=options.db_prefix,
                drush=options.drush,
                site_dir=site_dir or options.site_dir,
                kb=kb,
                annotate=annotate_site,
            )
            sites.append(site)
        return sites
    except (ScanError, DatabaseError) as exc:
        raise UsageError(str(exc)) from None


def expand_multisites(sources: Iterable[str], options: ScanOptions) -> list[str]:
    """The sources with each multisite docroot replaced by one source per site.

    ``--site``, ``--db`` and ``--drush`` each describe one site, so with any
    of them a docroot stays one source, as asked (`sitesdir.every_site`).
    """
    from drupalscan.collect.sitesdir import every_site

    given = list(sources)
    if options.site_dir or options.db or options.drush:
        return given
    return [one for source in given for one in every_site(source)]


PROBE_PROJECTS = 150
"""Most used projects offered to the module probes (the probe budget bounds the requests)."""


def probe_candidates(kb: KnowledgeBase, limit: int = PROBE_PROJECTS) -> list[Candidate]:
    """The most used contributed projects, each with the module file that proves it.

    A project's directory and its main module's name may differ
    (``google_analytics/googleanalytics.info``): the project's own name is
    used when it is one of its modules, else its first module.
    """
    from drupalscan.collect.probe import Candidate

    ranked = sorted(
        (p for p in kb.projects().values() if p.rank is not None), key=lambda p: p.rank or 0
    )
    out = []
    for project in ranked[:limit]:
        modules = list(project.modules)
        main = project.name if project.name in modules else (modules[0] if modules else "")
        if main:
            out.append(Candidate(project=project.name, module=main))
    return out


def crawl(
    urls: Sequence[str],
    store: Store,
    options: CrawlOptions | None = None,
    progress: Progress | None = None,
) -> list[model.Site]:
    """Inventory live sites over HTTP, one after the other, resumably.

    The same per-source work as `collect` (`_collector`), one URL at a
    time, and the first failure is the user's to fix (a UsageError).
    """
    from drupalscan.collect.portfolio import SourceFailed

    for url in urls:
        if "://" not in url:
            raise UsageError(f"{url}: not a URL (expected http:// or https://)")
    work = _collector(kb_with_cache(store), ScanOptions(), options or CrawlOptions())
    sites = []
    for url in urls:
        try:
            sites.append(work(url, store, progress or Progress()))
        except SourceFailed as exc:
            raise UsageError(str(exc)) from None
    return sites


def collect(
    sources: Iterable[str],
    store: Store,
    *,
    scan_options: ScanOptions | None = None,
    crawl_options: CrawlOptions | None = None,
    progress: Progress | None = None,
    refresh: bool = False,
    sites_at_once: int = SITES_AT_ONCE,
    max_requests: int = MAX_REQUESTS,
    failures: list[Failure] | None = None,
) -> list[model.Site]:
    """Collect every source not yet in the store: URLs are crawled, paths scanned.

    Sources run ``sites_at_once`` at a time (sources on one host one after
    another), with at most ``max_requests`` HTTP requests in flight across
    all crawls; see `drupalscan.collect.portfolio`.  A source already
    collected whole is not collected again; an interrupted crawl resumes
    from its frontier; an interrupted scan is redone.

    One failing source does not stop the others.  With a ``failures`` list
    the failures (`portfolio.Failure`, sorted by source) are appended to it
    and the sites that worked are returned; without one, a `UsageError`
    naming every failure is raised after the others are collected (and
    stored).  Returns the requested sites in source order, whatever order
    they finished in.
    """
    from drupalscan.collect import portfolio
    from drupalscan.collect.crawl import parse_helpers
    from drupalscan.collect.parseproc import ParseProcesses

    crawl_options = crawl_options or CrawlOptions()
    scan_options = scan_options or ScanOptions()
    kb = kb_with_cache(store)
    given = expand_multisites(sources, scan_options)
    wanted = list(dict.fromkeys(model.normalise_source(s) for s in given))
    spelling = {model.normalise_source(s): s for s in reversed(given)}  # first spelling wins
    known = {s.source: s for s in store.sites()}
    ready: dict[str, model.Site] = {}
    bad: list[portfolio.Failure] = []
    todo: list[str] = []
    for norm in wanted:
        source = spelling.get(norm, norm)
        problem = _source_problem(source)
        if problem:
            bad.append(portfolio.Failure(source, problem))
            continue
        done = None if refresh else _finished(source, known, store, scan_options, crawl_options)
        if done is None:
            todo.append(source)
        else:
            ready[source] = _annotated(done, store, kb)
    shown = portfolio.PortfolioProgress(
        progress or Progress(), total=len(wanted), already=len(ready)
    )
    for failure in bad:
        shown.site_done(failure.source, ok=False)
    # One pool of parse helpers for every crawl of the portfolio: one helper
    # parses faster than a process fetches, so more would only compete for cores.
    helpers = parse_helpers(crawl_options)
    parser = ParseProcesses(helpers) if helpers and any("://" in s for s in todo) else None
    work = _collector(kb, scan_options, crawl_options, threading.Semaphore(max_requests), parser)
    in_memory = str(store.path) == ":memory:"
    try:
        got, failed = portfolio.run(
            todo,
            work,
            store.path,
            sites_at_once=sites_at_once,
            progress=shown,
            inline_store=store if sites_at_once <= 1 or in_memory else None,
        )
    finally:
        if parser is not None:
            parser.close()
    ready.update(got)
    bad = sorted([*bad, *failed], key=lambda f: model.normalise_source(f.source))
    shown.finish(summary=bool(ready))
    if failures is not None:
        failures.extend(bad)
    elif bad:
        raise UsageError("; ".join(f.line() for f in bad))
    return sorted(ready.values(), key=lambda site: site.source)


def _source_problem(source: str) -> str:
    """Why a source cannot be collected at all (a typo), or "" when it may be."""
    if "://" in source:
        return ""
    if Path(model.split_source(source)[0]).exists():
        return ""
    hint = ""
    if re.match(r"^[\w.-]+(:\d+)?(/.*)?$", source) and ("." in source or ":" in source):
        hint = f"; for a website say http://{source}"
    return f"{source}: no such file or directory (and not a URL){hint}"


def _finished(
    source: str,
    known: dict[str, model.Site],
    store: Store,
    scan_options: ScanOptions,
    crawl_options: CrawlOptions,
) -> model.Site | None:
    """The stored site if an earlier run collected this source whole, else None.

    A crawl is whole when its frontier is empty or it reached ``max_pages``
    (a larger --max-pages on a rerun continues it); a Site is stored only at
    the end of a crawl, so an interrupted one has none and resumes.  A scan
    stores the codebase first and the database and drush stages after, so
    it is whole only when every stage asked for now is in ``collected``;
    otherwise it is redone.
    """
    norm = model.normalise_source(source)
    if "://" in source:
        site = known.get(norm)
        if site is None or site.origin != "url" or "crawl" not in site.collected:
            return None
        _done, queued = store.frontier_size(site.id)
        if queued and store.page_count(site.id) < crawl_options.max_pages:
            return None
        return site
    names = [norm]
    if scan_options.site_dir not in ("", "sites/default"):
        names.append(f"{norm}#{scan_options.site_dir}")
    for name in names:
        site = known.get(name)
        if site is None or site.origin != "docroot":
            continue
        stages = {"codebase"}
        stages |= {"database"} if scan_options.db else set()
        stages |= {"drush"} if scan_options.drush else set()
        if stages <= set(site.collected):
            return site
    return None


def _annotated(site: model.Site, store: Store, kb: KnowledgeBase) -> model.Site:
    """The site with knowledge-base verdicts, stored again if it lacked them.

    A crawl stores its Site before the api annotates it; a kill between
    the two leaves a whole crawl with bare modules, which this repairs
    without fetching anything.
    """
    from drupalscan.rules.annotate import annotate_site

    annotated = annotate_site(site, kb)
    if annotated != site:
        store.put_site(annotated)
    return annotated


def _collector(
    kb: KnowledgeBase,
    scan_options: ScanOptions,
    crawl_options: CrawlOptions,
    slots: threading.Semaphore | None = None,
    parser: ParseProcesses | None = None,
) -> Callable[[str, Store, Progress], model.Site]:
    """The per-source work of `crawl` and `collect`: crawl a URL or scan a docroot.

    The one place a source is collected, annotated and stored.  Runs in a
    portfolio worker thread with that thread's own store (or in the caller's
    thread for `crawl`).  Errors the user can act on become `SourceFailed`
    (one line each); anything else is reported as an internal error.
    """
    from drupalscan.collect.crawl import CrawlError, crawl_site
    from drupalscan.collect.dbsource import DatabaseError
    from drupalscan.collect.docroot import ScanError
    from drupalscan.collect.local import scan_local
    from drupalscan.collect.portfolio import SourceFailed
    from drupalscan.inventory.store import StoreError
    from drupalscan.rules.annotate import annotate_site

    candidates = probe_candidates(kb) if crawl_options.probe else []
    fingerprints = kb.core_fingerprints()

    def work(source: str, store: Store, progress: Progress) -> model.Site:
        try:
            if "://" in source:
                site = crawl_site(
                    source,
                    store,
                    crawl_options,
                    progress=progress,
                    fingerprints=fingerprints,
                    probe_candidates=candidates,
                    request_slots=slots,
                    parser=parser,
                )
                site = annotate_site(site, kb)
                store.put_site(site)
                return site
            docroot, site_dir = model.split_source(source)
            return scan_local(
                docroot,
                store,
                db=scan_options.db,
                db_prefix=scan_options.db_prefix,
                drush=list(scan_options.drush),
                site_dir=site_dir or scan_options.site_dir,
                kb=kb,
                annotate=annotate_site,
            )
        except (CrawlError, ScanError, DatabaseError, StoreError, UsageError) as exc:
            raise SourceFailed(str(exc)) from None
        except OSError as exc:
            raise SourceFailed(f"{exc.filename or source}: {exc.strerror or exc}") from None

    return work


def rules_for(settings: Settings | None) -> tuple[Rule, ...]:
    """The shipped rules plus the agency's own (``[rules] paths``, ``--rules``).

    A broken rule file is the user's to fix: a UsageError naming file and key.
    """
    from drupalscan.rules.loader import RuleError, load_rules

    try:
        return load_rules(settings.rule_paths if settings else ())
    except RuleError as exc:
        raise UsageError(f"rule {exc}") from None


def check(
    store: Store, settings: Settings | None = None, site_ids: Sequence[str] = ()
) -> list[model.Finding]:
    """Run the rules over the stored inventory."""
    from drupalscan.rules.engine import run_checks

    kb = kb_with_cache(store)
    sites = current_sites(store, kb)
    if site_ids:
        sites = [s for s in sites if s.id in site_ids]
    return run_checks(model.Inventory(sites=sites), rules_for(settings), kb, settings)


def current_sites(store: Store, kb: KnowledgeBase) -> list[model.Site]:
    """The stored sites with each module's verdict as the knowledge base gives it now.

    Verdicts are stored at collection time; a `kb refresh` since, or a newer
    drupalscan with newer bundled data, must change the report without
    collecting the sites again.
    """
    from drupalscan.rules.annotate import annotate_site

    return [annotate_site(site, kb) for site in store.sites()]


def build_report(
    store: Store,
    settings: Settings | None = None,
    *,
    now: str | None = None,
) -> Report:
    """Check, plan and assemble the report for everything in the store."""
    from drupalscan.graph.decisions import as_findings, redirect_targets
    from drupalscan.graph.plan import plan as make_plan
    from drupalscan.graph.plan import redirect_map
    from drupalscan.graph.redirects import site_paths
    from drupalscan.render.report import Report
    from drupalscan.rules.engine import run_checks, select_rules

    settings = settings or Settings()
    kb = kb_with_cache(store)
    sites = current_sites(store, kb)
    if not sites:
        raise UsageError(
            f"the store {store.path} holds no site yet; "
            "give sources to `drupalscan plan`, or run `scan`/`crawl` first"
        )
    findings = run_checks(model.Inventory(sites=sites), rules_for(settings), kb, settings)
    paths = site_paths(sites, store.pages)
    plan = make_plan(sites, findings, settings, kb=kb, paths=paths)
    findings = [*findings, *as_findings(plan.decisions)]  # the plan's totals count them
    redirects = [
        r
        for s in sites
        if s.origin == "url"
        for r in redirect_map(s, store.pages(s.id), plan.content_model)
    ]
    names = {s.id: s.name or s.source for s in sites}
    order = {s.id: k for k, s in enumerate(sorted(sites, key=lambda s: s.source))}
    redirects = redirect_targets(redirects, plan.decisions, paths, names, order)
    plan = model.replace(plan, redirects=redirects)
    rules = select_rules(rules_for(settings), settings.select, settings.ignore)
    return Report(
        sites=sites,
        findings=findings,
        plan=plan,
        rules=list(rules),
        pages=store.page_source(),
        generated_at=now or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        client=settings.client,
        agency=settings.agency,
        logo=_logo_uri(settings.logo),
    )


def _logo_uri(path: str) -> str:
    """Inline a logo file as a data: URI so the report stays self-contained."""
    if not path:
        return ""
    logo = Path(path)
    if not logo.is_file():
        raise UsageError(f"logo {path}: no such file")
    mime = mimetypes.guess_type(logo.name)[0] or ""
    if mime not in ("image/svg+xml", "image/png", "image/jpeg", "image/gif"):
        raise UsageError(f"logo {path}: use an SVG, PNG, JPEG or GIF file")
    return f"data:{mime};base64," + base64.b64encode(logo.read_bytes()).decode()


def render(report: Report, fmt: str, out: Path) -> list[Path]:
    """Write a report in one format; returns the files written."""
    from drupalscan.render.registry import format_names, formatter

    if fmt not in format_names():
        raise UsageError(f"unknown format {fmt!r}; choose from {', '.join(format_names())}")
    if not out.parent.exists():
        raise UsageError(f"cannot write {out}: folder {out.parent} does not exist")
    try:
        return formatter(fmt).write(report, out)
    except OSError as exc:
        raise UsageError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None


def merge(target: Path, sources: Sequence[Path]) -> list[Merged]:
    """Bring the sites of other stores into ``target`` (see `drupalscan.inventory.merge`)."""
    from drupalscan.inventory.merge import merge as merge_stores

    return merge_stores(target, sources)


def scaffold(
    store: Store,
    out: Path,
    settings: Settings | None = None,
    *,
    force: bool = False,
    report_link: str = "",
    command: str = "",
    report: Report | None = None,
) -> list[Path]:
    """Write the target site's starter kit from the plan over the store.

    The kit is generated from the same report `plan`/`report` render (pass
    it when it is already built), so the two always agree; see
    `drupalscan.kit`.
    """
    from drupalscan.kit.files import KitSource, write_kit
    from drupalscan.kit.migrations import DRUPAL_KINDS

    report = report or build_report(store, settings)
    pages = {
        s.id: list(store.pages(s.id))
        for s in report.sites
        if s.origin == "url" and s.kind not in DRUPAL_KINDS
    }
    source = KitSource(
        sites=report.sites,
        findings=report.findings,
        plan=report.plan,
        pages=pages,
        store=store.path.name,
        generated_at=report.generated_at,
        client=report.client,
        report=report_link,
    )
    return write_kit(
        source,
        kb_with_cache(store),
        out,
        force=force,
        command=command or f"drupalscan --store {store.path.name} scaffold -o {out}",
    )


@dataclass
class DemoResult:
    """Where the demo wrote its report, and what it covered."""

    report: Path
    sites: list[model.Site] = field(default_factory=list)
    kit: Path | None = None
    """The starter kit's folder, beside the report."""


def demo(out: Path, store: Store, progress: Progress | None = None) -> DemoResult:
    """Serve the bundled example sites on loopback, plan over them, write the HTML.

    The starter kit goes beside the report (``starter-kit/``), as a consultant
    hands both over once the client signs.
    """
    from drupalscan.examples.server import example_database, example_docroot, serve_examples

    settings = _demo_settings(store)
    with serve_examples() as urls:
        sources = [str(example_docroot()), *urls.values()]
        # The example sites are our own, served on loopback: reading their
        # CHANGELOG.txt (which Drupal's robots.txt disallows) is consented.
        crawl_options = CrawlOptions(concurrency=4, delay=0.0, max_pages=400, ignore_robots=True)
        # Ports differ on every run: forget earlier demo crawls so the report
        # shows this run's three sites only.
        for site in store.sites():
            if site.origin == "url" and site.source.startswith("http://127.0.0.1:"):
                store.remove_site(site.id)
        sites = collect(
            sources,
            store,
            scan_options=ScanOptions(db=f"sqlite:///{example_database()}"),
            crawl_options=crawl_options,
            progress=progress,
        )
    report = build_report(store, settings)
    render(report, "html", out)
    kit = out.parent / "starter-kit"
    scaffold(
        store,
        kit,
        settings,
        report_link=f"../{out.name}",
        command=f"drupalscan --store {store.path.name} scaffold -o starter-kit",
        report=report,
    )
    return DemoResult(report=out, sites=sites, kit=kit)


DEMO_CONFIG = """\
# Written by `drupalscan demo` for its example client; `drupalscan report`
# with this store reads it, so re-rendered reports match the demo's.
[report]
client = "Northwind Traders"
agency = "drupalscan demo"

[cost]
rate = 110
currency = "EUR"

# EXAMPLE figures, invented for the demo client: a real engagement puts the
# client's own yearly costs here (or leaves them out, and the report says
# which it needs).
[business]
hosting_per_site = 4800        # EUR per site per year: hosting, maintenance, updates
d7_support_per_site = 6000     # EUR per Drupal 7 site per year: extended support, reviews
target_run_cost = 9000         # EUR per year for the one new site

# EXAMPLE answer, to show how a decision is recorded; the report lists the
# others with their defaults.
[decisions."required_field:news.field_news_category"]
choice = "optional"
by = "Example: Northwind communications lead"
on = "2026-11-30"
note = "Example answer: HR news has no category; editors add one after the move."
"""


def _demo_settings(store: Store) -> Settings:
    """The demo client's settings, kept in a drupalscan.toml beside the store.

    An existing drupalscan.toml there is the consultant's own and is used as
    it is, never overwritten.
    """
    from drupalscan.config import DEFAULT_CONFIG, load_settings

    path = store.path.expanduser().resolve().parent / DEFAULT_CONFIG
    if not path.exists():
        path.write_text(DEMO_CONFIG, encoding="utf-8")
    return load_settings(path)
