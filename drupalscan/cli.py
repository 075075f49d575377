"""The `drupalscan` command: a thin click shell over drupalscan.api.

Each command builds options, calls one api function, prints or renders, and
returns an exit code.  Errors the user can fix print one line on stderr and
exit with status 2; a traceback appears only with -v.

Long (some 850 lines) because click is kept to this one module (STYLE: each
dependency has one home): every command and option is here, each a few lines
over an api call; nothing in it computes what the report says.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from drupalscan import __version__, api
from drupalscan.config import (
    DEFAULT_STORE,
    MAX_REQUESTS,
    SITES_AT_ONCE,
    TARGET_CORE,
    TARGET_CORES,
    Cli,
    ConfigError,
    CrawlOptions,
    ScanOptions,
    Settings,
    load_settings,
)
from drupalscan.errors import UsageError
from drupalscan.inventory import io, model
from drupalscan.inventory.store import Store, StoreError
from drupalscan.progress import for_stream

if TYPE_CHECKING:
    from drupalscan.collect.portfolio import Failure

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_REPORT = "drupalscan-report"
"""Report file name (without extension) when -o is not given."""


class Ctx:
    """What every command shares: the store path, config and verbosity."""

    def __init__(self, store: str, config: str | None, verbose: int, quiet: bool) -> None:
        self.store_path = store
        self.config = config
        self.verbose = verbose
        self.quiet = quiet

    def open_store(self, *, must_exist: bool = False) -> Store:
        """Open the store, or fail with one clear line.

        Commands that only read (check, report) must not leave an empty store
        file behind when the path is mistyped.
        """
        if must_exist and not Path(self.store_path).exists():
            raise UsageError(
                f"no store at {self.store_path}: collect sites first "
                "(`drupalscan plan SOURCE...`, `scan` or `crawl`), or pass --store"
            )
        return Store(self.store_path)

    def settings(self, rule_dirs: tuple[str, ...] = (), core: int | None = None) -> Settings:
        """drupalscan.toml (explicit --config or ./drupalscan.toml), plus --rules
        folders and the --core target, which wins over the file's."""
        settings = load_settings(self.config, store=self.store_path)
        if rule_dirs:
            extra = tuple(str(Path(d).resolve()) for d in rule_dirs)
            settings = model.replace(settings, rule_paths=(*settings.rule_paths, *extra))
        if core is not None:
            settings = model.replace(settings, target_core=core)
        return settings

    def progress(self) -> Any:
        """Live progress on a terminal; else notes and a one-line summary; -q: silent."""
        return for_stream(sys.stderr, quiet=self.quiet)


def handle_errors(func: F) -> F:
    """Turn expected errors into one line on stderr and exit status 2.

    Anything unexpected is a bug: one line naming it and exit status 1, the
    traceback with -v.  Ctrl-C ends with status 130; collected work is in the
    store already (every page and stage is committed as it goes).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context().find_object(Ctx)
        try:
            return func(*args, **kwargs)
        except (UsageError, StoreError, ConfigError, io.SchemaError) as exc:
            if ctx and ctx.verbose:
                raise
            click.echo(f"drupalscan: error: {exc}", err=True)
            sys.exit(2)
        except BrokenPipeError:
            # The reader went away (`| head`): nothing more to say, and no error.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(0)
        except KeyboardInterrupt:
            click.echo("drupalscan: interrupted; collected work is kept in the store", err=True)
            sys.exit(130)
        except OSError as exc:
            if ctx and ctx.verbose:
                raise
            click.echo(f"drupalscan: error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:
            if ctx and ctx.verbose:
                raise
            click.echo(
                f"drupalscan: internal error: {type(exc).__name__}: {exc} "
                "(run with -v for the traceback, and please report it)",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def options_from(cls: type, *, skip: frozenset[str] = frozenset()) -> Callable[[F], F]:
    """Click options generated from a dataclass's fields that carry ``cli`` metadata.

    Name, type, bounds, default and help all come from the field
    (`drupalscan.config`), so an option cannot land on another field and the
    CLI shows the defaults the API uses.  ``--flag-name`` is the field name
    with dashes unless the metadata spells it (``--probe/--no-probe``).
    """

    def decorate(func: F) -> F:
        for fld in reversed(dataclasses.fields(cls)):
            spec = fld.metadata.get("cli")
            if spec is not None and fld.name not in skip:
                func = _option(fld, spec)(func)
        return func

    return decorate


def _option(fld: dataclasses.Field[Any], spec: Cli) -> Callable[[F], F]:
    """One click option for one dataclass field."""
    flag = spec.get("flag") or "--" + fld.name.replace("_", "-")
    kwargs: dict[str, Any] = {"help": spec["help"], "default": fld.default}
    kind = str(fld.type).replace(" ", "")
    lo, hi = spec.get("min"), spec.get("max")
    if kind == "bool":
        if "/" in flag:
            kwargs["show_default"] = True
        else:
            kwargs["is_flag"] = True
    elif kind in ("int", "int|None"):
        kwargs["type"] = click.IntRange(
            None if lo is None else int(lo), None if hi is None else int(hi)
        )
        kwargs["show_default"] = fld.default is not None
    elif kind == "float":
        kwargs["type"] = click.FloatRange(lo, hi)
        kwargs["show_default"] = True
    elif kind.startswith("tuple[str,"):
        kwargs["multiple"] = True
        kwargs["default"] = ()
    else:
        kwargs["show_default"] = bool(fld.default)
    return click.option(flag, fld.name, **kwargs)


def crawl_options(func: F) -> F:
    """Options shared by `crawl` and `plan` for HTTP sources.

    Generated from `CrawlOptions`, plus the four that carry secrets or need
    parsing (--auth, --auth-type, --cookie, --header), built by hand in
    `build_crawl_options`.
    """
    func = click.option(
        "--auth",
        "auth_user",
        default=None,
        help="HTTP auth (or --login-url form) user; password from DRUPALSCAN_PASSWORD or a prompt.",
    )(func)
    func = click.option(
        "--auth-type",
        type=click.Choice(["basic", "digest"], case_sensitive=False),
        default="basic",
        show_default=True,
    )(func)
    func = click.option(
        "--cookie", multiple=True, help="NAME=VALUE sent with every request (repeatable)."
    )(func)
    func = click.option(
        "--header", multiple=True, help="'Name: value' sent with every request (repeatable)."
    )(func)
    func = options_from(CrawlOptions)(func)
    return func


def build_crawl_options(kw: dict[str, Any]) -> CrawlOptions:
    """CrawlOptions from the shared options; secrets stay in memory only."""
    auth = None
    user = kw.pop("auth_user", None)
    if user:
        password = os.environ.get("DRUPALSCAN_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise UsageError(
                    "--auth needs a password: set DRUPALSCAN_PASSWORD (no terminal to prompt on)"
                )
            password = click.prompt(f"Password for {user}", hide_input=True)
        auth = (user, password)
    cookies = []
    for item in kw.pop("cookie", ()):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--cookie {name!r}: expected NAME=VALUE")
        cookies.append((name.strip(), value.strip()))
    headers = []
    for item in kw.pop("header", ()):
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise UsageError("--header: expected 'Name: value'")
        headers.append((name.strip(), value.strip()))
    if kw.get("login_url") and not auth:
        raise UsageError("--login-url needs --auth USER for the login form")
    if auth and not kw.get("login_url") and any(n.lower() == "authorization" for n, _ in headers):
        # HTTP auth would silently replace the header: say so instead.
        raise UsageError("--auth and --header 'Authorization: ...' conflict; use one of them")
    generated = {
        f.name: kw.pop(f.name) for f in dataclasses.fields(CrawlOptions) if "cli" in f.metadata
    }
    return CrawlOptions(
        **generated,
        auth=auth,
        auth_type=kw.pop("auth_type"),
        cookies=tuple(cookies),
        headers=tuple(headers),
    )


def scan_options(func: F) -> F:
    """Options of the local scanner, shared by `scan` and `plan` (from `ScanOptions`)."""
    return options_from(ScanOptions)(func)


def build_scan_options(kw: dict[str, Any]) -> ScanOptions:
    """ScanOptions from the generated options."""
    return ScanOptions(
        **{f.name: kw.pop(f.name) for f in dataclasses.fields(ScanOptions) if "cli" in f.metadata}
    )


def output_options(func: F) -> F:
    """-o/--format shared by `plan` and `report`; the formats are the registry's."""
    from drupalscan.render.registry import format_names

    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(format_names(), case_sensitive=False),
        default="html",
        show_default=True,
    )(func)
    func = click.option(
        "-o",
        "--output",
        type=click.Path(),
        default=None,
        help="Output file (a folder for csv); default drupalscan-report with the format's "
        "extension.",
    )(func)
    return func


def rules_option(func: F) -> F:
    """--rules DIR (repeatable): the agency's own rule files, beside the shipped ones."""
    return click.option(
        "--rules",
        "rule_dirs",
        multiple=True,
        type=click.Path(file_okay=False),
        help="A folder of your own rule files (TOML, as in checks/), loaded beside the "
        "shipped rules; repeatable, and [rules] paths in drupalscan.toml adds more.",
    )(func)


def core_option(func: F) -> F:
    """--core 10|11: the Drupal major the target site runs."""
    return click.option(
        "--core",
        type=click.Choice([str(c) for c in TARGET_CORES]),
        default=None,
        callback=lambda _ctx, _param, value: int(value) if value else None,
        help=f"Drupal major of the target site (default {TARGET_CORE}, or [target] core in "
        "drupalscan.toml); a module release counts only if it runs on it.",
    )(func)


def default_output(fmt: str) -> Path:
    """``drupalscan-report`` plus the format's extension (a folder for csv)."""
    from drupalscan.render.registry import formatter

    return Path(f"{DEFAULT_REPORT}{formatter(fmt).extension}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="drupalscan")
@click.option(
    "--store",
    default=DEFAULT_STORE,
    show_default=True,
    envvar="DRUPALSCAN_STORE",
    help="SQLite store file.",
)
@click.option(
    "--config",
    default=None,
    type=click.Path(dir_okay=False),
    help="drupalscan.toml (default: ./drupalscan.toml if present).",
)
@click.option("-v", "--verbose", count=True, help="More detail; tracebacks on errors.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
@click.pass_context
def main(ctx: click.Context, store: str, config: str | None, verbose: int, quiet: bool) -> None:
    """Assess Drupal 7 sites and intranets for a move to modern Drupal."""
    ctx.obj = Ctx(store, config, verbose, quiet)


@main.command()
@click.argument("docroot", type=click.Path())
@scan_options
@click.option("--json", "as_json", is_flag=True, help="Print the inventory as JSON.")
@click.pass_obj
@handle_errors
def scan(obj: Ctx, /, docroot: str, as_json: bool, **kw: Any) -> None:
    """Inventory a local Drupal docroot (and its database with --db).

    A multisite docroot gives one inventory per site with a settings.php;
    --site (or DOCROOT#sites/NAME) picks one, as --db and --drush imply.
    """
    options = build_scan_options(kw)
    with obj.open_store() as store:
        sites = api.scan(docroot, store, options)
    if as_json:
        click.echo(io.inventory_to_json(model.Inventory(sites=sites)))
    else:
        for site in sites:
            _print_site(site)


@main.command()
@click.argument("urls", nargs=-1, required=True)
@crawl_options
@click.option("--json", "as_json", is_flag=True, help="Print the inventory as JSON.")
@click.pass_obj
@handle_errors
def crawl(obj: Ctx, /, urls: tuple[str, ...], as_json: bool, **kw: Any) -> None:
    """Inventory live sites over HTTP (resumes an interrupted crawl)."""
    options = build_crawl_options(kw)
    with obj.open_store() as store:
        sites = api.crawl(list(urls), store, options, obj.progress())
    if as_json:
        click.echo(io.inventory_to_json(model.Inventory(sites=sites)))
    else:
        for site in sites:
            _print_site(site)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--select", multiple=True, help="Only these rule ids (repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rule ids (repeatable).")
@click.option(
    "--fail-on",
    type=click.Choice(model.SEVERITIES, case_sensitive=False),
    default=None,
    help="Exit 1 when a finding is at least this severe.",
)
@rules_option
@core_option
@click.pass_obj
@handle_errors
def check(
    obj: Ctx,
    as_json: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    rule_dirs: tuple[str, ...],
    core: int | None,
) -> None:
    """Run the rules over the stored inventory and print findings."""
    from drupalscan.inventory.model import SEVERITIES

    settings = _with_selection(obj.settings(rule_dirs, core), select, ignore)
    with obj.open_store(must_exist=True) as store:
        if not store.sites():
            raise UsageError(
                f"the store {store.path} holds no site; run `drupalscan scan` or `crawl` first"
            )
        findings = api.check(store, settings)
        names = {s.id: s.name or s.source for s in store.sites()}
    if as_json:
        click.echo(io.dumps({"schema_version": model.SCHEMA_VERSION, "findings": findings}))
    else:
        for f in findings:
            click.echo(
                f"{f.severity:8} {f.rule:12} {names.get(f.site, f.site)[:28]:28} "
                f"{f.subject.name[:36]:36} "
                f"{f.effort_hours.low:g}-{f.effort_hours.high:g} h  {f.message}"
            )
        total = sum((f.effort_hours for f in findings), model.Effort())
        click.echo(
            f"{len(findings)} finding(s); effort {total.low:,.0f}-{total.high:,.0f} h", err=True
        )
    if fail_on:
        limit = SEVERITIES.index(fail_on)
        if any(SEVERITIES.index(f.severity) <= limit for f in findings):
            sys.exit(1)


def _with_selection(
    settings: Settings, select: tuple[str, ...], ignore: tuple[str, ...]
) -> Settings:
    """--select/--ignore on top of drupalscan.toml; a mistyped rule id is an error.

    A typo in --ignore would otherwise silently keep the rule, and one in
    --select silently drop every rule.
    """
    from drupalscan.rules.engine import unknown_rule_ids

    wanted = [*select, *ignore, *settings.select, *settings.ignore]
    unknown = unknown_rule_ids(api.rules_for(settings), wanted)
    if unknown:
        raise UsageError(f"unknown rule id(s) {', '.join(unknown)}; `drupalscan rules` lists them")
    if select or ignore:
        return model.replace(
            settings, select=select or settings.select, ignore=(*settings.ignore, *ignore)
        )
    return settings


def _write_report(
    obj: Ctx,
    store: Store,
    fmt: str,
    output: str | None,
    rule_dirs: tuple[str, ...] = (),
    core: int | None = None,
) -> list[Path]:
    settings = _with_selection(obj.settings(rule_dirs, core), (), ())
    out = Path(output) if output else default_output(fmt)
    if not out.parent.exists():  # say so before the (slow) checks and plan
        raise UsageError(f"cannot write {out}: folder {out.parent} does not exist")
    report = api.build_report(store, settings)
    return api.render(report, fmt, out)


@main.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="File with one URL or docroot per line (# comments allowed).",
)
@click.option(
    "--sites-at-once",
    type=click.IntRange(1, 64),
    default=SITES_AT_ONCE,
    show_default=True,
    help="Sources collected at the same time (sources on one host still one at a time).",
)
@click.option(
    "--max-requests",
    type=click.IntRange(1, 1024),
    default=MAX_REQUESTS,
    show_default=True,
    help="HTTP requests in flight across all crawls at once.",
)
@output_options
@rules_option
@core_option
@scan_options
@crawl_options
@click.pass_obj
@handle_errors
def plan(
    obj: Ctx,
    /,
    sources: tuple[str, ...],
    sources_file: str | None,
    sites_at_once: int,
    max_requests: int,
    output: str | None,
    fmt: str,
    rule_dirs: tuple[str, ...],
    core: int | None,
    **kw: Any,
) -> None:
    """Collect SOURCES (URLs or docroots) not yet stored, check, plan and write the report.

    Several sources are collected at once; rerunning after an interruption
    continues where it stopped.  A source that fails is named in a warning
    on stderr and the report covers the others (exit status 0); only when
    every source fails is nothing written and the exit status 2.
    """
    items = list(sources) + _read_sources(sources_file)
    scan = build_scan_options(kw)
    if (scan.db or scan.drush) and len([s for s in items if "://" not in s]) != 1:
        raise UsageError(
            "--db/--drush apply to one docroot; scan several docroots with `drupalscan scan` first"
        )
    _with_selection(obj.settings(rule_dirs, core), (), ())  # broken config or rules fail now
    options = build_crawl_options(kw)
    failures: list[Failure] = []
    with obj.open_store(must_exist=not items) as store:
        if items:
            sites = api.collect(
                items,
                store,
                scan_options=scan,
                crawl_options=options,
                progress=obj.progress(),
                sites_at_once=sites_at_once,
                max_requests=max_requests,
                failures=failures,
            )
            _report_failures(failures, all_failed=not sites)
        written = _write_report(obj, store, fmt, output, rule_dirs, core)
    for path in written:
        click.echo(str(path))


def _read_sources(sources_file: str | None) -> list[str]:
    """The sources listed in a --sources file: one a line, blanks and # comments skipped."""
    if not sources_file:
        return []
    try:
        lines = Path(sources_file).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"--sources {sources_file}: {exc.strerror}") from None
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _report_failures(failures: list[Failure], *, all_failed: bool) -> None:
    """One stderr line per failed source; exit 2 when no source worked.

    A consultant running a portfolio wants the report for the sites that
    worked plus a clear list of the others, so partial failure is a
    warning.  When nothing worked there is nothing new to report.
    """
    if all_failed and failures:
        for failure in failures:
            click.echo(f"drupalscan: error: {failure.line()}", err=True)
        sys.exit(2)
    for failure in failures:
        click.echo(f"drupalscan: warning: {failure.line()}", err=True)


@main.command()
@output_options
@rules_option
@core_option
@click.option(
    "--pdf", is_flag=True, help="Write a PDF (same as --format pdf; needs drupalscan[pdf])."
)
@click.pass_obj
@handle_errors
def report(
    obj: Ctx,
    output: str | None,
    fmt: str,
    rule_dirs: tuple[str, ...],
    core: int | None,
    pdf: bool,
) -> None:
    """Re-render the report from the store, without collecting anything."""
    fmt = "pdf" if pdf else fmt
    with obj.open_store(must_exist=True) as store:
        written = _write_report(obj, store, fmt, output, rule_dirs, core)
    for path in written:
        click.echo(str(path))


@main.command()
@click.argument("stores", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.pass_obj
@handle_errors
def merge(obj: Ctx, stores: tuple[str, ...]) -> None:
    """Bring the sites of other stores (STORES) into --store, e.g. one per network.

    Each store is checked whole before anything is written; a site both hold
    keeps the more complete record (said per site).  Merging twice changes
    nothing.  Then `drupalscan plan` or `report` over --store plans them all.
    """
    results = api.merge(Path(obj.store_path), [Path(s) for s in stores])
    for result in results:
        click.echo(result.line())
    added = sum(r.outcome in ("added", "replaced") for r in results)
    click.echo(f"{added} of {len(results)} sites taken into {obj.store_path}")


@main.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False),
    default="starter-kit",
    show_default=True,
    help="Folder for the kit (made if missing).",
)
@click.option("--force", is_flag=True, help="Overwrite kit files edited since they were written.")
@click.option(
    "--report",
    "report_link",
    default="",
    help="The HTML report's path relative to the kit folder, for the README's links.",
)
@rules_option
@core_option
@click.pass_obj
@handle_errors
def scaffold(
    obj: Ctx,
    output: str,
    force: bool,
    report_link: str,
    rule_dirs: tuple[str, ...],
    core: int | None,
) -> None:
    """Write the target site's starter kit (composer.json, migrations, redirects) from the plan.

    Run after `plan`, over the same store.  A re-run replaces only the files it
    wrote; one you have edited since stops it (named on stderr) unless --force.
    """
    settings = _with_selection(obj.settings(rule_dirs, core), (), ())
    with obj.open_store(must_exist=True) as store:
        written = api.scaffold(store, Path(output), settings, force=force, report_link=report_link)
    click.echo(f"Starter kit: {len(written)} files written to {Path(output).resolve()}")


@main.command()
@click.argument("rule_id", required=False)
@rules_option
@click.pass_obj
@handle_errors
def rules(obj: Ctx, rule_id: str | None, rule_dirs: tuple[str, ...]) -> None:
    """List the rules and where each comes from, or explain one (drupalscan rules D7-MOD-001)."""
    all_rules = api.rules_for(obj.settings(rule_dirs))
    if rule_id:
        found = [r for r in all_rules if r.id == rule_id.upper() or rule_id.upper() in r.aliases]
        if not found:
            raise UsageError(f"no rule {rule_id}; `drupalscan rules` lists them")
        r = found[0]
        click.echo(f"{r.id}  [{r.severity}]  {r.title}\n")
        click.echo(
            f"Applies to: {r.applies_to}   Category: {r.category}   Confidence: {r.confidence}"
        )
        click.echo(
            f"Effort: {r.effort.low:g}-{r.effort.high:g} h per {r.effort.per.replace('_', ' ')}\n"
        )
        click.echo(f"Why: {r.rationale}\n")
        click.echo(f"Remedy: {r.remedy}\n")
        for ref in r.references:
            click.echo(f"  {ref}")
        click.echo(f"\nFrom: {_rule_origin(r.path)}")
        return
    for r in all_rules:
        click.echo(f"{r.id:12} {r.severity:8} {r.title}  [{_rule_origin(r.path)}]")


def _rule_origin(path: str) -> str:
    """``shipped`` for drupalscan's own rules, else the rule file's path."""
    return path if "/" in path or "\\" in path else "shipped"


@main.command()
@click.option(
    "-o", "--output", type=click.Path(), default="drupalscan-demo.html", show_default=True
)
@click.pass_obj
@handle_errors
def demo(obj: Ctx, output: str) -> None:
    """Serve the bundled example sites on 127.0.0.1, plan over them, write the HTML report."""
    with obj.open_store() as store:
        result = api.demo(Path(output), store, obj.progress())
    click.echo(f"Report for {len(result.sites)} example sites written to {result.report.resolve()}")
    if result.kit is not None:
        click.echo(f"Starter kit for the target site written to {result.kit.resolve()}")


@main.group()
def kb() -> None:
    """The knowledge base of Drupal 7 modules and APIs."""


@kb.command("refresh")
@click.argument("projects", nargs=-1)
@click.option(
    "--url",
    "base",
    default=None,
    help="Release-history base URL (default: drupal.org's update server).",
)
@click.option("--timeout", type=click.FloatRange(0.1), default=15.0, show_default=True)
@click.pass_obj
@handle_errors
def kb_refresh(obj: Ctx, projects: tuple[str, ...], base: str | None, timeout: float) -> None:
    """Update contrib project statuses from drupal.org release histories.

    With no PROJECTS, refreshes every contributed project the stored sites
    use. Results are cached in the store and used from then on.
    """
    with obj.open_store() as store:
        results = api.kb_refresh(store, projects, base=base, timeout=timeout)
    for r in results:
        if r.error:
            click.echo(f"{r.project:28} not refreshed: {r.error}")
        else:
            majors = ", ".join(str(m) for m in r.d8_majors) or "none"
            click.echo(f"{r.project:28} {r.status:12} Drupal 8+ majors with releases: {majors}")
    done = sum(1 for r in results if not r.error)
    click.echo(f"{done} of {len(results)} project(s) refreshed", err=True)


@kb.command("audit")
@click.option("--json", "as_json", is_flag=True, help="Print coverage and gaps as JSON.")
@click.option(
    "--limit",
    type=click.IntRange(0),
    default=50,
    show_default=True,
    help="Gaps listed per kind, most used first (0: all).",
)
@core_option
@click.pass_obj
@handle_errors
def kb_audit(obj: Ctx, as_json: bool, limit: int, core: int | None) -> None:
    """How much of the Drupal 7 usage ranking the knowledge base answers, and the gaps.

    Counts, for the most used projects and themes, those with a sourced
    status and those whose answer holds on the target's Drupal major, then
    lists the ranked names still without an answer.
    """
    from drupalscan.kb.audit import audit

    target = obj.settings(core=core).target_core
    with obj.open_store() as store:
        result = audit(api.kb_with_cache(store), target)
    if as_json:
        click.echo(io.dumps(result))
        return
    click.echo(f"Knowledge base data as of {result.data_as_of}; target Drupal {target}.")
    for band in result.bands:
        click.echo(
            f"  top {band.top:>4} {band.kind}s: {band.known:>4} of {band.size} with a sourced "
            f"status ({band.percent:.0f} %), {band.for_target} answered for Drupal {target}"
        )
    for kind in ("module", "theme"):
        gaps = [g for g in result.gaps if g.kind == kind]
        if not gaps:
            continue
        shown = gaps if limit == 0 else gaps[:limit]
        click.echo(f"{len(gaps)} ranked {kind}s without an answer for Drupal {target}:")
        for gap in shown:
            what = (
                "unknown"
                if gap.status == "unknown"
                else f"{gap.status}, releases for Drupal "
                + (", ".join(str(m) for m in gap.majors) or "no stated major")
            )
            click.echo(f"  {gap.rank:>5}  {gap.name:32} {what}")
        if len(shown) < len(gaps):
            click.echo(f"  ... {len(gaps) - len(shown)} more (--limit 0 lists all)")


@kb.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON.")
@core_option
@click.pass_obj
@handle_errors
def kb_show(obj: Ctx, name: str, as_json: bool, core: int | None) -> None:
    """What the knowledge base says about one module or project, and where from."""
    name = name.strip().lower()  # machine names are lower case
    target = obj.settings(core=core).target_core
    with obj.open_store() as store:
        kbase = api.kb_with_cache(store)
        cached = store.kb_entries()
    verdict = kbase.verdict(name)
    project = kbase.project_for_module(name) or name
    found = kbase.project(project)
    newest = found.newest_release if found else None
    refreshed = cached.get(project)
    entry = {
        "module": name,
        "project": kbase.project_for_module(name),
        "status": verdict.status,
        "replacement": verdict.replacement,
        "d8_majors": list(verdict.d8_majors),
        "newest_release": (
            {
                "version": newest.version,
                "majors": list(newest.majors),
                "seen": newest.seen,
                "source": newest.source,
            }
            if newest
            else None
        ),
        "target_core": target,
        "release_for_target": target in verdict.d8_majors,
        "usage_rank": kbase.usage_rank(project),
        "note": verdict.note,
        "source": verdict.source,
        "sources": list(found.sources) if found else [],
        "refreshed_at": (
            dt.datetime.fromtimestamp(refreshed[1], dt.UTC).isoformat(timespec="seconds")
            if refreshed
            else None
        ),
    }
    if as_json:
        click.echo(json.dumps(entry, indent=2))
        return
    majors = ", ".join(f"Drupal {m}" for m in verdict.d8_majors) or "none known"
    rank = entry["usage_rank"]
    click.echo(
        f"{name}  (project {entry['project'] or name}"
        + (f", Drupal 7 usage rank {rank}" if rank else "")
        + ")"
    )
    click.echo(f"  status:      {verdict.status}")
    if verdict.replacement:
        click.echo(f"  replacement: {verdict.replacement}")
    click.echo(f"  releases:    {majors}")
    if newest:
        on = ", ".join(str(m) for m in newest.majors) or "core not stated"
        seen = f", seen {newest.seen}" if newest.seen else ""
        click.echo(f"  newest:      {newest.version} (Drupal {on}{seen})")
    if verdict.status == "has_release":
        answer = "yes" if entry["release_for_target"] else "none known"
        click.echo(f"  Drupal {target}:   {answer}")
    if verdict.note:
        click.echo(f"  note:        {verdict.note}")
    click.echo(f"  source:      {verdict.source}")
    for extra in found.sources[1:] if found else ():
        where = " ".join(str(extra.get(k, "")) for k in ("repo", "path") if extra.get(k))
        ref = str(extra.get("commit", ""))[:10] or str(extra.get("branch", ""))
        click.echo(f"               {where}" + (f"@{ref}" if ref else ""))
    if entry["refreshed_at"]:
        click.echo(f"  refreshed:   {entry['refreshed_at']}")
    if verdict.status == "unknown":
        click.echo("  (no evidence either way; `drupalscan kb refresh NAME` asks drupal.org)")


def _print_site(site: model.Site) -> None:
    version = site.core_version or (
        "candidates: " + ", ".join(site.core_candidates)
        if site.core_candidates
        else "version unknown"
    )
    click.echo(f"{site.name or site.source}  [{site.kind}, {version}]")
    click.echo(f"  source: {site.source}")
    enabled = [m for m in site.modules if m.enabled is not False]
    by_type: dict[str, int] = {}
    for m in enabled:
        by_type[m.type] = by_type.get(m.type, 0) + 1
    click.echo(
        "  modules: " + (", ".join(f"{n} {t}" for t, n in sorted(by_type.items())) or "none seen")
    )
    if site.content_types:
        click.echo(
            "  content types: "
            + ", ".join(
                f"{c.name} ({c.count if c.count is not None else '?'})" for c in site.content_types
            )
        )
    if site.pages:
        click.echo(
            f"  pages: {site.pages}, templates: {len(site.templates)}, "
            f"broken links: {site.broken_links}"
        )
    for w in site.warnings[:10]:
        click.echo(f"  note: {w}")


def run() -> None:
    """Console entry point: click's usage errors become one line and exit 2."""
    try:
        main.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("drupalscan: interrupted", err=True)
        sys.exit(130)
    except click.UsageError as exc:
        where = f"{exc.ctx.command_path} --help" if exc.ctx else "drupalscan --help"
        click.echo(f"drupalscan: error: {exc.format_message()} (see `{where}`)", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"drupalscan: error: {exc.format_message()}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    run()
