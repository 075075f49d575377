"""The Python API: scan(), crawl(), check(), plan(), render(), demo().

The CLI is a thin shell over these functions, and tests call them directly.
Each takes an open `Store` so that collected work is committed as it goes.
"""

from __future__ import annotations

import base64
import datetime as dt
import mimetypes
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drupalscan.config import Settings
from drupalscan.inventory import model
from drupalscan.inventory.store import Store
from drupalscan.progress import Progress


class UsageError(Exception):
    """Bad input from the user: the CLI prints the message and exits 2."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanOptions:
    """Options of a local scan."""

    db: str | None = None
    db_prefix: str = ""
    drush: tuple[str, ...] = ()
    """`drush pm-list --format=json` and/or `drush status --format=json` files."""
    site_dir: str = "sites/default"


def kb_with_cache(store: Store) -> Any:
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
        entry = to_project_entry(history, bundled.get(got.project))
        store.put_kb(got.project, entry)
        results.append(RefreshResult(got.project, entry["status"], list(entry["d8_majors"])))
    if all(r.error for r in results):
        raise UsageError(
            f"kb refresh reached no release history ({results[0].error}); "
            "check the network or --url"
        )
    return results


def scan(path: str, store: Store, options: ScanOptions = ScanOptions()) -> model.Site:
    """Inventory a local docroot (and its database or drush output)."""
    from drupalscan.collect.codebase import ScanError
    from drupalscan.collect.database import DatabaseError
    from drupalscan.collect.local import scan_local
    from drupalscan.rules.annotate import annotate_site

    try:
        return scan_local(
            path,
            store,
            db=options.db,
            db_prefix=options.db_prefix,
            drush=options.drush,
            site_dir=options.site_dir,
            kb=kb_with_cache(store),
            annotate=annotate_site,
        )
    except (ScanError, DatabaseError) as exc:
        raise UsageError(str(exc)) from None


def crawl(
    urls: Sequence[str],
    store: Store,
    options: Any = None,
    progress: Progress | None = None,
) -> list[model.Site]:
    """Inventory live sites over HTTP, one after the other, resumably."""
    from drupalscan.collect.crawl import CrawlError, CrawlOptions, crawl_site
    from drupalscan.rules.annotate import annotate_site

    kb = kb_with_cache(store)
    options = options or CrawlOptions()
    candidates: list[str] = []
    if getattr(options, "probe", False):
        ranked = sorted(
            (p for p in kb.projects().values() if p.rank is not None), key=lambda p: p.rank
        )
        candidates = [m for p in ranked[:60] for m in p.modules[:1]]
    sites = []
    for url in urls:
        if "://" not in url:
            raise UsageError(f"{url}: not a URL (expected http:// or https://)")
        try:
            site = crawl_site(
                url,
                store,
                options,
                progress=progress,
                fingerprints=kb.core_fingerprints(),
                probe_candidates=candidates,
            )
        except CrawlError as exc:
            raise UsageError(str(exc)) from None
        site = annotate_site(site, kb)
        store.put_site(site)
        sites.append(site)
    return sites


def collect(
    sources: Iterable[str],
    store: Store,
    *,
    scan_options: ScanOptions = ScanOptions(),
    crawl_options: Any = None,
    progress: Progress | None = None,
    refresh: bool = False,
) -> list[model.Site]:
    """Collect every source not yet in the store: URLs are crawled, paths scanned.

    A URL whose crawl was interrupted is resumed (its frontier is in the store).
    """
    known = {s.source: s for s in store.sites()}
    out = []
    for source in sources:
        norm = model.normalise_source(source)
        done = known.get(norm)
        if "://" in source:
            frontier = store.frontier_size(model.site_id(source))
            if done and not refresh and frontier[1] == 0 and "crawl" in done.collected:
                out.append(done)
                continue
            out.extend(crawl([source], store, crawl_options, progress))
        else:
            if not Path(source).exists():
                hint = ""
                if re.match(r"^[\w.-]+(:\d+)?(/.*)?$", source) and ("." in source or ":" in source):
                    hint = f"; for a website say http://{source}"
                raise UsageError(f"{source}: no such file or directory (and not a URL){hint}")
            match = [s for s in known.values() if s.origin == "docroot" and s.source == norm]
            if match and not refresh and "codebase" in match[0].collected:
                out.append(match[0])
                continue
            out.append(scan(source, store, scan_options))
    return out


def check(
    store: Store, settings: Settings | None = None, site_ids: Sequence[str] = ()
) -> list[model.Finding]:
    """Run the rules over the stored inventory."""
    from drupalscan.rules.engine import run_checks
    from drupalscan.rules.loader import load_rules

    inventory = store.inventory()
    if site_ids:
        inventory = model.Inventory(sites=[s for s in inventory.sites if s.id in site_ids])
    return run_checks(inventory, load_rules(), kb_with_cache(store), settings)


def build_report(
    store: Store,
    settings: Settings | None = None,
    *,
    now: str | None = None,
) -> Any:
    """Check, plan and assemble the report for everything in the store."""
    from drupalscan.graph.plan import plan as make_plan
    from drupalscan.graph.plan import redirect_map
    from drupalscan.render.report import Report
    from drupalscan.rules.engine import select_rules
    from drupalscan.rules.loader import load_rules

    settings = settings or Settings()
    sites = store.sites()
    if not sites:
        raise UsageError(
            f"the store {store.path} holds no site yet; "
            "give sources to `drupalscan plan`, or run `scan`/`crawl` first"
        )
    findings = check(store, settings)
    plan = make_plan(sites, findings, settings, kb=kb_with_cache(store))
    pages = {s.id: list(store.pages(s.id)) for s in sites if s.origin == "url"}
    redirects = [
        r
        for s in sites
        if s.origin == "url"
        for r in redirect_map(s, pages[s.id], plan.content_model)
    ]
    plan = model.replace(plan, redirects=redirects)
    rules = select_rules(load_rules(), settings.select, settings.ignore)
    return Report(
        sites=sites,
        findings=findings,
        plan=plan,
        rules=list(rules),
        pages=pages,
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


def render(report: Any, fmt: str, out: Path) -> list[Path]:
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


@dataclass
class DemoResult:
    """Where the demo wrote its report, and what it covered."""

    report: Path
    sites: list[model.Site] = field(default_factory=list)


def demo(out: Path, store: Store, progress: Progress | None = None) -> DemoResult:
    """Serve the bundled example sites on loopback, plan over them, write the HTML."""
    from drupalscan.collect.crawl import CrawlOptions
    from drupalscan.examples.server import example_database, example_docroot, serve_examples

    settings = Settings(
        client="Northwind Traders", agency="drupalscan demo", rate=110, currency="EUR"
    )
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
    return DemoResult(report=out, sites=sites)
