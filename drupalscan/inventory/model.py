"""The typed inventory model every stage shares.

Collectors produce `Site` records, the rule engine turns them into `Finding`
records, and the planner produces a `Plan`.  Everything here holds JSON-native
values only (str, int, float, bool, None, list, dict) so that the same objects
round-trip through the SQLite store and the JSON output without adapters.

Dataclasses are frozen so that a stage cannot quietly change what an earlier
stage produced; lists inside them are never mutated after construction.

Long (some 700 lines) on purpose: this is the contract between the stages and
the shape of the JSON output, and a contract read in one place is one a
newcomer can check a change against.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

_D = TypeVar("_D")

SCHEMA_VERSION = 1
"""Bumped whenever a field is renamed or its meaning changes."""

SEVERITIES = ("blocker", "high", "medium", "low", "info")
"""Finding severities, most serious first."""

MODULE_TYPES = ("core", "contrib", "custom", "unverified", "unknown", "plugin")
"""``unverified``: says it belongs to a project, but drupal.org did not package it
and the knowledge base does not know the project (custom code until shown otherwise);
``plugin``: an extension of another platform (a WordPress plugin), seen from outside."""

MODULE_STATUSES = (
    "core",
    "in_core",
    "has_release",
    "replaced",
    "obsolete",
    "no_release",
    "custom",
    "unknown",
)
"""Knowledge-base verdicts on a module's Drupal 8+ future (see drupalscan.kb)."""

SITE_KINDS = (
    "drupal6",
    "drupal7",
    "drupal8+",
    "drupal",
    "wordpress",
    "joomla",
    "sharepoint",
    "other",
    "static",
    "unknown",
)


PLATFORMS = ("drupal", "wordpress", "joomla", "sharepoint", "static", "other")
"""What a site's extensions are extensions of; rules say which one they are about."""


def platform_of(kind: str) -> str:
    """The platform of a site kind: every Drupal major is ``drupal``.

    A site whose kind could not be told is treated as Drupal: a docroot or a
    database that did not say which major still holds Drupal modules.
    """
    if kind.startswith("drupal") or kind == "unknown":
        return "drupal"
    return kind


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One observation backing a conclusion: what was seen and where."""

    kind: str
    """What sort of observation: header, meta, asset-path, info-file, database, ..."""
    detail: str
    """The observation itself, as text (e.g. ``X-Generator: Drupal 7``)."""
    location: str = ""
    """Where it was seen: a URL, a ``path:line``, or a table name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiUse:
    """A call or hook in custom code that changes in Drupal 8+."""

    symbol: str
    """The Drupal 7 function or hook, e.g. ``variable_get`` or ``hook_menu``."""
    file: str
    """Path relative to the docroot."""
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeFacts:
    """Size and shape of custom code, the basis of rewrite estimates."""

    php_files: int = 0
    php_lines: int = 0
    templates: list[str] = field(default_factory=list)
    """``*.tpl.php`` files, relative to the docroot."""
    hooks: list[str] = field(default_factory=list)
    """Hooks implemented, as ``hook_NAME``."""
    api_uses: list[ApiUse] = field(default_factory=list)
    functions: int = 0
    """Functions defined in the hand-written files."""
    generated_files: int = 0
    """Files the Features module wrote (``*.features.inc``, ``*.views_default.inc``
    ...): configuration in code, not counted in ``php_files``/``php_lines``."""
    generated_lines: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Module:
    """A Drupal module as found on disk, in the database or from outside."""

    name: str
    label: str = ""
    project: str | None = None
    version: str | None = None
    type: str = "unknown"
    """core | contrib | custom | unverified | unknown (crawled sites often cannot
    tell), or plugin for another platform's extensions (a WordPress plugin)."""
    enabled: bool | None = None
    """None when no database or drush output says."""
    schema_version: int | None = None
    dependencies: list[str] = field(default_factory=list)
    constraints: dict[str, str] = field(default_factory=dict)
    """Dependency name -> version constraint text, e.g. ``>=3.0``."""
    package: str = ""
    path: str = ""
    """Directory relative to the docroot; empty when seen only from outside."""
    other_paths: list[str] = field(default_factory=list)
    """Further copies of the same module that Drupal would not load."""
    hidden: bool = False
    required: bool = False
    core: str | None = None
    """The ``core`` key of the .info file (``7.x``); another value means Drupal skips it."""
    php: str | None = None
    """Minimum PHP version the .info file asks for."""
    datestamp: str | None = None
    """drupal.org packaging time (Unix seconds, as text) of this release."""
    files: list[str] = field(default_factory=list)
    """``files[]`` entries: classes registered with Drupal 7's autoloader."""
    features: dict[str, list[str]] = field(default_factory=dict)
    """For a Features export: component (``views_view``, ``field_base`` ...) ->
    the items it exports, from the ``.info`` file's ``features[...]`` lines."""
    declared_in: list[str] = field(default_factory=list)
    """Files declaring the project (``composer.lock``, ``site.make``); with no
    ``path``, the code is not in the tree scanned (a composer or make build)."""
    code: CodeFacts | None = None
    """Only for custom modules."""
    patches: list[str] = field(default_factory=list)
    status: str = "unknown"
    """Knowledge-base verdict, one of MODULE_STATUSES."""
    replacement: str | None = None
    d8_majors: list[int] = field(default_factory=list)
    """Drupal majors any known release of the module's project supports."""
    release: str | None = None
    """The newest Drupal 8+ release the knowledge base knows (``8.x-1.17``)."""
    source: str = ""
    """Where the status comes from (knowledge-base provenance)."""
    evidence: list[Evidence] = field(default_factory=list)
    """How a crawler saw the module (empty for local scans)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Theme:
    """A Drupal theme, its engine and its templates."""

    name: str
    label: str = ""
    project: str | None = None
    version: str | None = None
    type: str = "unknown"
    enabled: bool | None = None
    default: bool = False
    base_theme: str | None = None
    engine: str = ""
    path: str = ""
    regions: list[str] = field(default_factory=list)
    stylesheets: dict[str, list[str]] = field(default_factory=dict)
    """Media -> stylesheet files, from ``stylesheets[MEDIA][]``."""
    scripts: list[str] = field(default_factory=list)
    patches: list[str] = field(default_factory=list)
    declared_in: list[str] = field(default_factory=list)
    """Files declaring the project; see `Module.declared_in`."""
    code: CodeFacts | None = None
    status: str = "unknown"
    """Knowledge-base verdict for a contrib theme (custom themes stay ``unknown``)."""
    replacement: str | None = None
    d8_majors: list[int] = field(default_factory=list)
    release: str | None = None
    source: str = ""
    """Where the status comes from (knowledge-base provenance)."""
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """A field instance on a content type."""

    name: str
    type: str
    module: str = ""
    label: str = ""
    cardinality: int = 1
    """-1 means unlimited, as in Drupal's field_config."""
    required: bool = False
    allowed_values: list[str] = field(default_factory=list)
    """A list field's allowed keys (from field_config's settings)."""
    references: str = ""
    """What a reference field points at: ``taxonomy_term:tags``, ``node:article``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentType:
    """A node bundle with its fields and how much content it holds."""

    name: str
    label: str = ""
    count: int | None = None
    """Nodes of this type; None when not known (crawled sites)."""
    fields: list[Field] = field(default_factory=list)
    module: str = "node"
    entity_type: str = "node"
    """``node`` for content types; other bundles (taxonomy terms, users,
    field collection items, comments) live in `Site.bundles`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Vocabulary:
    """A taxonomy vocabulary and its size."""

    name: str
    label: str = ""
    terms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokenLink:
    """A link on a crawled page whose target failed."""

    url: str
    status: int
    referrers: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """Everything known about one site, from whichever collectors saw it."""

    id: str
    """Stable id derived from the source, see ``site_id``."""
    source: str
    """Normalised URL or absolute docroot path."""
    origin: str
    """How it was collected: ``docroot`` or ``url``."""
    name: str = ""
    kind: str = "unknown"
    core_version: str | None = None
    core_candidates: list[str] = field(default_factory=list)
    kind_evidence: list[Evidence] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)
    content_types: list[ContentType] = field(default_factory=list)
    bundles: list[ContentType] = field(default_factory=list)
    """Fielded bundles of other entity types (entity_type says which)."""
    vocabularies: list[Vocabulary] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    """Totals: nodes, users, roles, menus, ... as read from the database."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Selected non-secret settings: site_name, theme_default, languages, ..."""
    text_formats: list[dict[str, Any]] = field(default_factory=list)
    multisite: list[str] = field(default_factory=list)
    """``sites/*`` directories holding a settings.php (multisite installs)."""
    pages: int = 0
    """Pages fetched (crawled sites); the pages themselves live in the store."""
    templates: dict[str, int] = field(default_factory=dict)
    """Template signature -> page count (crawled sites)."""
    sections: dict[str, int] = field(default_factory=dict)
    """First path segment -> page count (crawled sites)."""
    broken_links: int = 0
    """How many internal link targets failed (crawled sites)."""
    broken_link_details: list[BrokenLink] = field(default_factory=list)
    """The failed targets with the pages linking to them."""
    redirect_chains: list[list[str]] = field(default_factory=list)
    """Redirect chains met while crawling: [first URL, ..., final URL]."""
    duplicate_titles: dict[str, list[str]] = field(default_factory=dict)
    """Page title -> the URLs sharing it (crawled sites)."""
    warnings: list[str] = field(default_factory=list)
    """Problems met while collecting that did not stop it."""
    collected: list[str] = field(default_factory=list)
    """Collector stages completed, e.g. ``codebase``, ``database``, ``crawl``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """One fetched URL of a crawled site."""

    url: str
    final_url: str = ""
    status: int = 0
    redirects: list[str] = field(default_factory=list)
    content_type: str = ""
    size: int = 0
    title: str = ""
    description: str = ""
    canonical: str = ""
    language: str = ""
    word_count: int = 0
    headings: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    external_links: list[str] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    last_modified: str = ""
    template: str = ""
    body_classes: list[str] = field(default_factory=list)
    depth: int = 0
    error: str = ""
    # What fingerprinting needs, kept per page so that a resumed crawl
    # re-derives the same kind, version and modules as an uninterrupted one.
    headers: dict[str, str] = field(default_factory=dict)
    """Response headers that identify the software (X-Generator, X-Drupal-Cache,
    X-Powered-By, Server, Link, ...); never Set-Cookie or request headers."""
    cookie_names: list[str] = field(default_factory=list)
    """Names of cookies the response set, never their values."""
    generator: str = ""
    """The meta generator."""
    site_name: str = ""
    """og:site_name."""
    drupal_settings: dict[str, str] = field(default_factory=dict)
    """Top-level Drupal.settings keys -> "" (values are not kept), except
    basePath and ajaxPageState.theme, which keep their values."""
    classes: list[str] = field(default_factory=list)
    """CSS classes that name a module (block-contact, view-id-...), one per module."""
    form_ids: list[str] = field(default_factory=list)
    """form_id values on the page (e.g. contact_site_form)."""
    markers: list[str] = field(default_factory=list)
    """Script tell-tales: drupal-settings, Drupal.settings, wp-content, joomla, ..."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """What a finding is about."""

    kind: str
    """site | module | theme | content_type | field | code | export | text_format."""
    name: str
    status: str | None = None
    """For modules: the knowledge-base status (see MODULE_STATUSES)."""
    replacement: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Effort:
    """An hours range; low <= high."""

    low: float = 0.0
    high: float = 0.0

    def __add__(self, other: Effort) -> Effort:
        return Effort(low=self.low + other.low, high=self.high + other.high)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One rule firing on one subject of one site."""

    rule: str
    severity: str
    site: str
    """Site id."""
    subject: Subject
    message: str
    category: str = ""
    evidence: list[str] = field(default_factory=list)
    effort_hours: Effort = field(default_factory=Effort)
    quantity: float = 0.0
    """How many of its rule's effort units the finding stands for (``effort_hours``
    is the rule's rate times this)."""
    unit: str = ""
    """The rule's effort unit: module, kloc, item, patch, template ..."""
    remedy: str = ""
    references: list[str] = field(default_factory=list)
    shared: bool = False
    """Work the target does once for every site that has it (its rule's ``[plan] shared``)."""
    shared_key: str = ""
    """Where the work lives when sites of one codebase share it (``[plan] shared =
    "codebase"``): findings with the same key and rule are one piece of work."""
    risk: str = ""
    """The plan risk this finding belongs to (its rule's ``[plan] risk``), or ""."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Inventory:
    """All sites of one assessment."""

    sites: list[Site] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION


def normalise_source(source: str) -> str:
    """Return the canonical spelling of a site source.

    URLs lose their fragment, default port and trailing slash noise and get a
    lower-case scheme and host; paths become absolute with symlinks resolved,
    so the same docroot named two ways is one site.  A path may end in
    ``#sites/NAME``, one site of a multisite docroot, which is kept.
    """
    if "://" in source:
        parts = urlsplit(source.strip())
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port
        if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
            host = f"{host}:{port}"
        path = parts.path or "/"
        return urlunsplit((scheme, host, path, parts.query, ""))
    path, mark, site = source.partition(MULTISITE_MARK)
    site = site.strip("/")
    base = os.path.realpath(os.path.expanduser(path))
    return f"{base}{mark}{site}" if site else base


MULTISITE_MARK = "#sites/"
"""Between a docroot and the site directory in the source of one site of a multisite."""


def split_source(source: str) -> tuple[str, str]:
    """A local source as (docroot path, ``sites/*`` directory or "")."""
    path, mark, site = source.partition(MULTISITE_MARK)
    return path, f"sites/{site.strip('/')}" if mark and site.strip("/") else ""


def site_id(source: str) -> str:
    """Stable short id of a site: a readable stem plus a hash of the source."""
    norm = normalise_source(source)
    digest = hashlib.sha256(norm.encode("utf-8")).hexdigest()[:10]
    if "://" in norm:
        stem = urlsplit(norm).netloc
    else:
        stem = os.path.basename(norm.rstrip("/")) or "root"
    stem = "".join(c if c.isalnum() else "-" for c in stem).strip("-")[:32]
    return f"{stem}-{digest}"


def replace(obj: _D, **changes: Any) -> _D:
    """Shorthand for ``dataclasses.replace`` used by collectors merging stages."""
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetModule:
    """A module's fate on the consolidated target site."""

    name: str
    action: str
    """keep_core | contrib | replace | rewrite | drop | review."""
    source_sites: list[str] = field(default_factory=list)
    status: str = "unknown"
    replacement: str | None = None
    d8_majors: list[int] = field(default_factory=list)
    """Drupal majors with a known release of the module (or its replacement)."""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """The consolidated target site: what it runs and what it is organised by."""

    core: int = 11
    """The Drupal major the target runs; a module release counts only if it supports it."""
    modules: list[TargetModule] = field(default_factory=list)
    vocabularies: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    menus: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    """Custom themes to rebuild (their look carries over, their code does not)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TypeSource:
    """One source content type feeding a unified target type."""

    site: str
    type: str
    field_map: dict[str, str] = field(default_factory=dict)
    """Source field -> target field."""
    nodes: int | None = None
    similarity: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class UnifiedType:
    """A content type of the target site and where its content comes from."""

    name: str
    label: str = ""
    fields: list[Field] = field(default_factory=list)
    sources: list[TypeSource] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class Wave:
    """A migration wave: what moves together, after everything it needs."""

    index: int
    sites: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    nodes: int = 0
    effort_hours: Effort = field(default_factory=Effort)
    findings: int = 0
    """Findings whose hours count in this wave (repeats counted earlier are left out)."""
    rationale: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """Sites similar enough to consolidate together."""

    index: int
    sites: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)
    unique: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Risk:
    """A risk or assumption the proposal must state."""

    severity: str
    title: str
    detail: str = ""
    sites: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class DependencyIssue:
    """A problem the module dependency graph shows on one site."""

    site: str
    kind: str
    """missing (a dependency absent or disabled) | cycle | removal_candidate."""
    modules: list[str] = field(default_factory=list)
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HourRange:
    """Whole hours, as the report shows them."""

    low: int = 0
    high: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class MoneyRange:
    """A cost range: whole hours times the blended rate."""

    low: float = 0.0
    high: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class EffortItem:
    """One finding's contribution to the plan's totals, so every figure reconciles."""

    rule: str
    site: str
    subject: str
    wave: int
    subject_kind: str = ""
    """The finding's subject kind (``code`` findings get their own table)."""
    effort_hours: Effort = field(default_factory=Effort)
    """The finding's own range."""
    counted_hours: Effort = field(default_factory=Effort)
    """What the plan adds up: the same, or zero when counted on another site."""
    counted_quantity: float = 0.0
    """The finding's effort units the plan adds up (zero when counted elsewhere)."""
    unit: str = ""
    shown_hours: HourRange = field(default_factory=HourRange)
    """The whole hours the report shows for the finding (its own range when
    counted on another site)."""
    added_hours: HourRange = field(default_factory=HourRange)
    """The whole hours it adds to its site's total (0 when counted elsewhere)."""
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteFigures:
    """What the report shows for one site: its totals, cost, readiness, findings."""

    site: str
    hours: HourRange = field(default_factory=HourRange)
    finding_hours: HourRange = field(default_factory=HourRange)
    """Of ``hours``: the findings other than custom code's API uses."""
    code_hours: HourRange = field(default_factory=HourRange)
    """Of ``hours``: custom code's API uses (their own table)."""
    cost: MoneyRange | None = None
    readiness: str = ""
    findings: dict[str, int] = field(default_factory=dict)
    """Findings per severity."""
    shared_findings: int = 0
    """Findings whose work is counted on another site."""
    other_findings: int = 0
    """Findings in the site's findings table (all but custom code's API uses)."""
    code_findings: int = 0
    """Custom code's API uses (their own table)."""
    modules_listed: int = 0
    """Modules the site's table lists: enabled, custom, or with a finding."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WaveFigures:
    """What the report shows for one wave: the sum of its sites' shown hours, and cost."""

    wave: int
    hours: HourRange = field(default_factory=HourRange)
    cost: MoneyRange | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixRow:
    """One shared feature (``module:views``) and the sites that have it."""

    feature: str
    sites: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureMatrix:
    """Sites (in group order) × the features more than one of them uses."""

    sites: list[str] = field(default_factory=list)
    features: list[MatrixRow] = field(default_factory=list)
    shared: int = 0
    """Features used by two sites or more (only the first rows are listed)."""
    unique: dict[str, int] = field(default_factory=dict)
    """Per site: features no other site has."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Driver:
    """One rule's share of the estimate: what moves the total if its rate is wrong."""

    rule: str
    unit: str
    quantity: float
    """Effort units counted across the plan (modules, KLOC, exported items ...)."""
    rate: Effort = field(default_factory=Effort)
    """Hours per unit, as applied (a ``[effort.RULE]`` override included)."""
    hours: HourRange = field(default_factory=HourRange)
    """Whole hours counted for the rule."""
    share: int = 0
    """Percent of the plan's high total."""
    findings: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Display:
    """Every figure the report shows, computed in the plan (graph/display.py)."""

    hours: HourRange = field(default_factory=HourRange)
    cost: MoneyRange | None = None
    findings: dict[str, int] = field(default_factory=dict)
    """Findings per severity."""
    finding_count: int = 0
    sites: list[SiteFigures] = field(default_factory=list)
    waves: list[WaveFigures] = field(default_factory=list)
    matrix: FeatureMatrix = field(default_factory=FeatureMatrix)
    layout: dict[str, list[float]] = field(default_factory=dict)
    """Dependency picture: module -> [x, y] in [0, 1], dependencies to the right."""
    drivers: list[Driver] = field(default_factory=list)
    """The rules that move the total most, largest first (the sensitivity table)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionOption:
    """One answer to a decision: what it means for the target and what it costs."""

    key: str
    """What ``choice`` says in drupalscan.toml's ``[decisions]``."""
    label: str
    consequence: str
    effort_hours: Effort = field(default_factory=Effort)
    """Work the answer adds to the plan."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """A question the merge of several sites cannot settle alone (graph/decisions.py).

    The plan goes ahead with ``default`` until drupalscan.toml records the
    client's answer; the answer in force shapes the target and its effort
    counts on ``site``.
    """

    id: str
    """Stable key for ``[decisions."ID"]``: kind, then what it is about."""
    kind: str
    """required_field | field_conflict | weak_merge | text_format | vocabulary."""
    question: str
    detail: str
    """What the planner found that raises the question, with the figures."""
    site: str
    """Site id the effort counts on: the first affected, in source order."""
    sites: list[str] = field(default_factory=list)
    options: list[DecisionOption] = field(default_factory=list)
    default: str = ""
    choice: str = ""
    """The option in force: the client's when decided, else ``default``."""
    decided_by: str = ""
    decided_on: str = ""
    note: str = ""
    name: str = ""
    """The new name a ``rename`` answer gives."""

    @property
    def decided(self) -> bool:
        """Whether the client answered (drupalscan.toml), not only the default applies."""
        return bool(self.decided_by or self.decided_on or self.choice != self.default)

    def chosen(self) -> DecisionOption:
        """The option in force."""
        return next(o for o in self.options if o.key == self.choice)


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessCase:
    """Staying on the old sites against moving to one: from the client's own figures.

    Every amount is per year in the plan's currency, or None where the
    assumption it needs is not set; nothing is filled in for the client.
    """

    currency: str = "EUR"
    sites: int = 0
    drupal7_sites: int = 0
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    """``{key, label, unit, value}`` per input, ``value`` None when not set."""
    missing: list[str] = field(default_factory=list)
    """Labels of the inputs still needed for the yearly comparison."""
    stay_yearly: float | None = None
    move_yearly: float | None = None
    saving_yearly: float | None = None
    migration: MoneyRange | None = None
    """The plan's one-off cost (needs ``[cost] rate``)."""
    payback_years: list[float] | None = None
    """[fastest, slowest]: migration low and high over the yearly saving."""
    horizon: int = 5
    cumulative: list[dict[str, float]] = field(default_factory=list)
    """Per year 0..horizon: ``{year, stay, move_low, move_high}`` totals spent."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The consolidation plan derived from the graphs and the findings."""

    target: Target = field(default_factory=Target)
    content_model: list[UnifiedType] = field(default_factory=list)
    waves: list[Wave] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    effort_hours: Effort = field(default_factory=Effort)
    site_effort: dict[str, Effort] = field(default_factory=dict)
    risks: list[Risk] = field(default_factory=list)
    dependency_issues: list[DependencyIssue] = field(default_factory=list)
    effort_items: list[EffortItem] = field(default_factory=list)
    dependency_edges: list[list[str]] = field(default_factory=list)
    """[from, to] module pairs of the merged dependency graph, for pictures."""
    redirects: list[dict[str, str]] = field(default_factory=list)
    """Crawled site URLs mapped to target path patterns."""
    cost: dict[str, Any] = field(default_factory=dict)
    """``{rate, currency, low, high, hours}`` when a blended rate is configured;
    ``hours`` holds the whole hours (halves up) the cost is computed from."""
    notes: list[str] = field(default_factory=list)
    """Assumptions the figures rest on, stated in the report."""
    display: Display = field(default_factory=Display)
    """The figures the report shows (whole hours, costs, readiness, matrix)."""
    decisions: list[Decision] = field(default_factory=list)
    """What the client decides about the merge, each with its answer in force."""
    business: BusinessCase = field(default_factory=BusinessCase)
