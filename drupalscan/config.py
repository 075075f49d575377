"""Project settings: defaults, and the optional `drupalscan.toml`.

A consultant keeps one `drupalscan.toml` per client engagement, beside the
store.  Everything in it is optional:

    [report]
    client = "Northwind Traders"     # cover page
    agency = "Acme Digital"
    logo = "acme.svg"                # SVG or PNG, inlined into the report

    [cost]
    rate = 120                       # blended hourly rate
    currency = "EUR"

    [rules]
    select = []                      # only these rule ids (empty: all)
    ignore = ["D7-SITE-006"]         # never these
    paths = ["house-rules"]          # folders of your own rules (beside this file)

    [rules.settings.D7-CT-002]       # per-rule thresholds
    threshold = 20000

    [effort.D7-CUS-001]              # per-rule hours per unit, the agency's own rates
    low = 10
    high = 30
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

DEFAULT_STORE = "drupalscan.db"
"""Where collected work is kept unless --store says otherwise."""

DEFAULT_CONFIG = "drupalscan.toml"
"""Read from beside the store, else from the current directory, unless --config says."""


class ConfigError(ValueError):
    """The config file is unreadable or has a value of the wrong type."""


# -- options of the collectors -----------------------------------------------------------
#
# Every default of `drupalscan crawl`, `scan` and `plan` lives here, once: the
# CLI generates its options from these fields (name, type, bounds, help), so
# an option cannot map to the wrong field, and the API, the tests and the CLI
# read the same defaults.


class Cli(TypedDict, total=False):
    """How a field becomes a command-line option (field metadata ``cli``)."""

    help: str
    min: float
    max: float
    flag: str
    """Explicit flag spelling, e.g. ``--probe/--no-probe``."""


def cli(help: str, **spec: Any) -> dict[str, Cli]:  # noqa: A002 - click's own word
    """Field metadata that makes a field a command-line option with this help."""
    return {"cli": Cli(help=help, **spec)}  # type: ignore[typeddict-item]


PROBE_BUDGET = 100
"""Most probe requests per site by default (module files, plugin readmes, REST
answers); core version files are bounded apart (`coreversion.MAX_HASH_REQUESTS`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlOptions:
    """How to crawl.  Defaults are polite for a site you are allowed to assess."""

    concurrency: int = field(
        default=4,
        metadata=cli(
            "Most requests in flight per site; the crawl starts at one and adapts to the "
            "server's answers.",
            min=1,
            max=64,
        ),
    )
    delay: float = field(
        default=0.0,
        metadata=cli("Least seconds between requests to one host (the site owner's wish).", min=0),
    )
    respect_crawl_delay: bool = field(
        default=False,
        metadata=cli(
            "Obey robots.txt's Crawl-delay, one request at a time (Drupal 7 ships "
            "Crawl-delay: 10 as boilerplate, so it is reported but not obeyed by default)."
        ),
    )
    """Off by default: Drupal 7 ships ``Crawl-delay: 10`` in every robots.txt as
    boilerplate, and the throttle adapts to the server instead."""
    max_crawl_delay: float = field(
        default=30.0,
        metadata=cli(
            "With --respect-crawl-delay, the longest Crawl-delay obeyed (seconds).", min=0
        ),
    )
    timeout: float = field(
        default=10.0,
        metadata=cli("Seconds to connect, and between bytes of an answer.", min=0.1),
    )
    retries: int = field(
        default=3,
        metadata=cli("Retries for connection errors, 408, 429 and 5xx answers.", min=0, max=10),
    )
    max_pages: int = field(default=500, metadata=cli("Pages stored per site.", min=1))
    max_depth: int = field(default=20, metadata=cli("Link hops from the start URL.", min=0))
    include: tuple[str, ...] = field(
        default=(), metadata=cli("Only URLs matching this regex (repeatable).")
    )
    exclude: tuple[str, ...] = field(
        default=(), metadata=cli("Skip URLs matching this regex (repeatable).")
    )
    path_prefix: str = field(
        default="",
        metadata=cli("Stay under this path (e.g. /intranet/); default: the whole host."),
    )
    ignore_robots: bool = field(
        default=False,
        metadata=cli("Do not honour robots.txt (only with the site owner's consent)."),
    )
    max_bytes: int = field(
        default=5_000_000,
        metadata=cli(
            "Largest answer read per URL (decompressed); larger ones are recorded.", min=10_000
        ),
    )
    max_redirects: int = 10
    """Longest redirect chain followed."""
    per_pattern_cap: int = 50
    """Most URLs per trap-prone pattern (``/events/N/N``, ``/search?q``)."""
    auth: tuple[str, str] | None = None
    """(user, password) for HTTP auth or the Drupal login form (``--auth USER``)."""
    auth_type: str = "basic"
    """``basic``, ``digest`` or ``form`` (implied by ``login_url``)."""
    cookies: tuple[tuple[str, str], ...] = ()
    """Cookies to send (``--cookie NAME=VALUE``)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Extra request headers (``--header 'Name: value'``)."""
    login_url: str = field(
        default="",
        metadata=cli("Drupal login form URL (user/login); uses --auth credentials."),
    )
    probe: bool = field(
        default=True,
        metadata=cli(
            "After the pages, ask for the files of the most used modules (and a WordPress "
            "site's plugin readmes and REST index), within --probe-budget.",
            flag="--probe/--no-probe",
        ),
    )
    probe_budget: int = field(
        default=PROBE_BUDGET,
        metadata=cli(
            "Most module and plugin probe requests per site (the summary line counts every "
            "request beyond the pages: version files too).",
            min=0,
            max=10_000,
        ),
    )
    read_time: float = 60.0
    """Longest seconds to read one response body: ``timeout`` only bounds the
    gap between bytes, so a server trickling a byte a second would hold a
    worker for days without this."""
    parse_processes: int | None = field(
        default=None,
        metadata=cli(
            "Helper processes that parse pages; 0 parses in the crawl's own threads. "
            "Default: one, on a machine with two or more cores, once a crawl passes 200 pages.",
            min=0,
            max=16,
        ),
    )
    """Helper processes that parse pages (`drupalscan.collect.parseproc`):
    0 parses in the worker threads; N starts N helpers at once; None (auto)
    starts one on a machine with two cores or more, once a crawl has handled
    `crawl.PARSE_HELPERS_AFTER` pages: starting it costs more than parsing a
    small site's pages.  One helper parses about 2,000 typical pages a second,
    more than one process fetches with requests; a second one only competes
    for the cores (bench/bench_crawl.py, 2 cores)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanOptions:
    """Options of a local scan."""

    db: str | None = field(
        default=None,
        metadata=cli(
            "sqlite:///file, mysql://user@host/db, pgsql://user@host/db, or a mysqldump "
            ".sql[.gz]; password from the URL or DRUPALSCAN_DB_PASSWORD."
        ),
    )
    db_prefix: str = field(default="", metadata=cli("Drupal table prefix."))
    drush: tuple[str, ...] = field(
        default=(),
        metadata=cli(
            "JSON of `drush pm-list --format=json` (enabled state without a database) "
            "or `drush status --format=json` (core version); repeatable."
        ),
    )
    site_dir: str = field(
        default="",
        metadata=cli(
            "Multisite directory, host name or sites.php alias to inventory "
            "(default: every site with a settings.php, or sites/default).",
            flag="--site",
        ),
    )


SITES_AT_ONCE = 4
"""Sources `plan` collects at the same time (sources on one host one after another)."""
MAX_REQUESTS = 16
"""HTTP requests in flight across all the crawls of a portfolio run."""


TARGET_CORES = (10, 11)
"""Drupal majors a new site may target; the supported ones at the time of writing."""

TARGET_CORE = 11
"""The default target: the newest major, so a plan does not start on a shorter runway."""


MERGE_SIMILARITY = 0.5
"""Field-signature similarity under which a merge of content types is the client's
call (``[plan] merge_similarity``): below half the fields shared, the two types
are as much different things as one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    """The client's answer to one plan decision, as ``[decisions."ID"]`` records it."""

    choice: str
    by: str = ""
    """Who decided (free text: a name, a role, a meeting)."""
    on: str = ""
    """When (free text, usually a date)."""
    note: str = ""
    name: str = ""
    """For ``rename``: the target content type's new machine name."""


BUSINESS_ASSUMPTIONS = (
    ("hosting_per_site", "Hosting and maintenance per site today", "per site per year"),
    (
        "d7_support_per_site",
        "Keeping a Drupal 7 site alive after its end of life (extended support, security reviews)",
        "per Drupal 7 site per year",
    ),
    ("target_run_cost", "Running the one new site (hosting, maintenance, support)", "per year"),
)
"""The business case's inputs ``[business]`` takes: key, what it is, unit (in the
``[cost] currency``).  None has a default: the client's own figures or nothing."""

BUSINESS_HORIZON = 5
"""Years the business-case chart runs over (``[business] years``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a run may be told, with documented defaults."""

    client: str = ""
    agency: str = ""
    logo: str = ""
    rate: float | None = None
    currency: str = "EUR"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    rule_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    effort: dict[str, dict[str, float]] = field(default_factory=dict)
    rule_paths: tuple[str, ...] = ()
    """Folders of the agency's own rules, loaded beside the shipped ones."""
    target_core: int = TARGET_CORE
    """Drupal major of the target site (``[target] core``, ``--core``): a module
    release counts as an answer only if it runs on this major."""
    source: str = ""
    """The file these settings came from, if any."""
    merge_similarity: float = MERGE_SIMILARITY
    decisions: dict[str, DecisionRecord] = field(default_factory=dict)
    """The client's answers to plan decisions, by decision id (``[decisions]``)."""
    business: dict[str, float] = field(default_factory=dict)
    """``[business]`` inputs that are set (see BUSINESS_ASSUMPTIONS)."""
    business_years: int = BUSINESS_HORIZON


def find_config(store: str | Path | None = None) -> Path | None:
    """The `drupalscan.toml` that applies: beside the store, else in the current folder.

    A consultant keeps one folder per client engagement with the store and its
    config side by side, and may run drupalscan from anywhere with --store.
    """
    candidates = []
    if store is not None:
        candidates.append(Path(store).expanduser().resolve().parent / DEFAULT_CONFIG)
    candidates.append(Path(DEFAULT_CONFIG).resolve())
    return next((c for c in candidates if c.is_file()), None)


def load_settings(path: str | Path | None = None, *, store: str | Path | None = None) -> Settings:
    """Read `drupalscan.toml`: the explicit path, else the one `find_config` finds."""
    if path is None:
        found = find_config(store)
        if found is None:
            return Settings()
        path = found
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    report = _table(data, "report", path)
    cost = _table(data, "cost", path)
    rules = _table(data, "rules", path)
    effort = _table(data, "effort", path)
    target = _table(data, "target", path)
    core = target.get("core", TARGET_CORE)
    if core not in TARGET_CORES or isinstance(core, bool):
        choices = " or ".join(str(c) for c in TARGET_CORES)
        raise ConfigError(f"{path}: [target] core must be {choices}, not {core!r}")
    for key in ("select", "ignore", "paths"):
        value = rules.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            what = "folders" if key == "paths" else "rule ids"
            raise ConfigError(f"{path}: [rules] {key} must be a list of {what}")
    for rule_id, rates in effort.items():
        if not isinstance(rates, dict) or not {"low", "high"} <= set(rates):
            raise ConfigError(f"{path}: [effort.{rule_id}] needs low and high")
        if not (isinstance(rates["low"], (int, float)) and isinstance(rates["high"], (int, float))):
            raise ConfigError(f"{path}: [effort.{rule_id}] low and high must be numbers")
        if not 0 <= rates["low"] <= rates["high"]:
            raise ConfigError(f"{path}: [effort.{rule_id}] needs 0 <= low <= high")
    plan = _table(data, "plan", path)
    similarity = plan.get("merge_similarity", MERGE_SIMILARITY)
    if isinstance(similarity, bool) or not isinstance(similarity, (int, float)):
        raise ConfigError(f"{path}: [plan] merge_similarity must be a number from 0 to 1")
    if not 0 <= similarity <= 1:
        raise ConfigError(f"{path}: [plan] merge_similarity must be a number from 0 to 1")
    decisions = _decisions(_table(data, "decisions", path), path)
    business, years = _business(_table(data, "business", path), path)
    try:
        rate = cost.get("rate")
        return Settings(
            client=str(report.get("client", "")),
            agency=str(report.get("agency", "")),
            logo=str(report.get("logo", "")),
            rate=float(rate) if rate is not None else None,
            currency=str(cost.get("currency", "EUR")),
            select=tuple(str(r) for r in rules.get("select", [])),
            ignore=tuple(str(r) for r in rules.get("ignore", [])),
            rule_paths=tuple(
                str((path.parent / folder).resolve()) for folder in rules.get("paths", [])
            ),
            rule_settings={str(k): dict(v) for k, v in rules.get("settings", {}).items()},
            effort={
                str(k): {"low": float(v["low"]), "high": float(v["high"])}
                for k, v in effort.items()
            },
            target_core=int(core),
            source=str(path),
            merge_similarity=float(similarity),
            decisions=decisions,
            business=business,
            business_years=years,
        )
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ConfigError(f"{path}: a value has the wrong type ({exc})") from None


def _decisions(table: dict[str, Any], path: Path) -> dict[str, DecisionRecord]:
    """``[decisions."ID"]`` tables: a choice, and who decided, when and why."""
    out = {}
    for key, entry in table.items():
        where = f'{path}: [decisions."{key}"]'
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table with choice = ...")
        unknown = set(entry) - {"choice", "by", "on", "note", "name"}
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if not isinstance(entry.get("choice"), str) or not entry["choice"]:
            raise ConfigError(f"{where} needs choice = one of the options the report lists")
        values = {k: entry.get(k, "") for k in ("by", "on", "note", "name")}
        if isinstance(values["on"], (dt.date, dt.datetime)):
            values["on"] = values["on"].isoformat()
        if not all(isinstance(v, str) for v in values.values()):
            raise ConfigError(f"{where}: by, on, note and name are text")
        out[str(key)] = DecisionRecord(choice=entry["choice"], **values)
    return out


def _business(table: dict[str, Any], path: Path) -> tuple[dict[str, float], int]:
    """``[business]``: the client's yearly figures, each a number of at least 0."""
    keys = {key for key, _, _ in BUSINESS_ASSUMPTIONS}
    unknown = set(table) - keys - {"years"}
    if unknown:
        known = ", ".join(sorted([*keys, "years"]))
        raise ConfigError(
            f"{path}: [business] unknown key(s) {', '.join(sorted(unknown))} ({known})"
        )
    out = {}
    for key in keys & set(table):
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{path}: [business] {key} must be an amount of at least 0")
        out[key] = float(value)
    years = table.get("years", BUSINESS_HORIZON)
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 30:
        raise ConfigError(f"{path}: [business] years must be a whole number from 1 to 30")
    return out, years


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{key}] must be a table")
    return value
