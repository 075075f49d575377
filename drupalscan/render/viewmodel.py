"""The shape of the view-model: what the HTML and Markdown templates are given.

The templates only loop and branch, so everything they show is here, already
worded and formatted: hours as "12–32 h", money as "EUR 1,320", labels in the
client's words, pictures as SVG coordinates.  The figures themselves come from
the plan (`model.Display`); the builders (`view`, `siteview`, `planview`,
`clientview`, `charts`) only read and format them.

This module holds the dataclasses and nothing else, so the whole shape can be
read in one place (hence its some 670 lines: splitting it would scatter one
contract over several files), and a template that names a field the view does not have
fails the type check of its builder rather than rendering blank.  Pairs that a
template unpacks (``{% for label, n in v.kinds %}``) stay typed tuples.
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------- findings


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingView:
    """One finding as a table row: what fired, on what, and the hours shown for it."""

    rule: str
    severity: str
    site: str
    """The site's name, not its id."""
    subject: str
    kind: str
    """The subject's kind (``module``, ``code``, ...)."""
    message: str
    evidence: list[str]
    remedy: str
    references: list[str]
    low: int
    """The finding's own range in whole hours (as the plan shows it)."""
    high: int
    effort: str
    """``low``–``high`` as text."""
    counted_low: int
    """What the finding adds to its site's total (0 when counted on another site)."""
    counted_high: int
    counted: str
    shared: bool
    """Whether the work is counted elsewhere (``note`` says where)."""
    note: str
    wave: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CodePlace:
    """One file of a custom-code finding and the lines in it that use the API."""

    file: str
    lines: str
    """``"12, 30"``, or empty when the evidence names no line."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CodePlaces:
    """The places a Drupal 7 API is used, with their common directory said once."""

    dir: str
    """The directory every file shares, with a trailing slash, or empty."""
    files: list[CodePlace]


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeFindingView:
    """A per-call-site API finding: the finding's row, its component, API and places."""

    finding: FindingView
    component: str
    """The module or theme whose code uses the API."""
    symbol: str
    places: CodePlaces


# --------------------------------------------------------------------------- one site


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleEvidence:
    """How a crawled site gave a module away: one short line and the observations."""

    summary: str
    """``"seen in page assets (3), CSS classes (1)"``."""
    details: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class ModuleRow:
    """One module of a site's module table."""

    name: str
    label: str
    project: str
    version: str
    type: str
    enabled: str
    """``yes``, ``no`` or ``unknown``."""
    status: str
    """The Drupal 8+ status in words."""
    status_key: str
    release: str
    """The newest Drupal 8+ release known and its majors (``4.1.1, Drupal 9–11``), or empty."""
    origin: str
    """A ``kb refresh`` the status comes from, with its date; empty for the bundled
    data (stated once for the report), core and custom code."""
    source: str
    """The full provenance: ``origin`` and the first cited source."""
    replacement: str
    action: str
    """The target action in words, or "Not migrated" / empty."""
    evidence: ModuleEvidence | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ThemeRow:
    """One theme of a site (enabled ones, and custom ones either way)."""

    name: str
    type: str
    enabled: str
    default: bool
    base_theme: str
    engine: str
    templates: int
    status: str
    """A contrib theme's Drupal 8+ status in words; empty for core and custom themes."""
    release: str
    origin: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentTypeRow:
    """One content type of a site with its fields."""

    name: str
    label: str
    count: str
    """The node count, or empty when unknown (a crawl cannot count nodes)."""
    fields: list[str]
    """``"field_name (type)"`` for each field."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleRow:
    """A fielded bundle of an entity type other than node (field collections, ...)."""

    entity_type: str
    name: str
    label: str
    count: str
    """The item count, or empty when unknown."""
    fields: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class PageLink:
    """A crawled page named by its title, for "for example" lists."""

    title: str
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateRow:
    """Crawled HTML pages grouped by the template that renders them."""

    label: str
    """A client-readable name ("Content: Policy", "Page layout 2")."""
    signature: str
    pages: int
    examples: list[PageLink]


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRow:
    """One crawled page of the page table (the first pages in URL order)."""

    url: str
    status: int
    title: str
    template: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokenLinkRow:
    """A link that failed, and (up to five of) the pages that link to it."""

    url: str
    status: int
    referrers: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class RedirectChainRow:
    """A chain of redirects from the first URL to the final one."""

    first: str
    final: str
    hops: int
    via: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class EffortBar:
    """A site's bar in the summary's effort chart (SVG user units)."""

    low: float
    """Width of the dark (low estimate) part."""
    high: float
    """Width of the whole (high estimate) bar."""
    label_x: float


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteView:
    """Everything the report says about one site."""

    id: str
    name: str
    source: str
    origin: str
    """How it was collected, in words."""
    kind: str
    core_version: str
    core_candidates: list[str]
    """Candidate core releases, only when the version itself is unknown."""
    kind_evidence: list[str]
    readiness: str
    readiness_class: str
    """``good``, ``warn`` or ``bad``: the colour of the readiness label."""
    effort_low: int
    effort_high: int
    effort_text: str
    cost_text: str
    cost_sort: float
    """The high cost as a number, for sorting the table."""
    bar: EffortBar
    severity: list[tuple[str, int]]
    """Findings per severity, worst last, every severity listed."""
    counts: list[tuple[str, int]]
    modules: list[ModuleRow]
    other_modules: list[str]
    """Names of the modules left out of the table (disabled, no finding)."""
    themes: list[ThemeRow]
    content_types: list[ContentTypeRow]
    bundles: list[BundleRow]
    vocabularies: list[tuple[str, int | None]]
    """Each vocabulary's label and term count (None when unknown)."""
    findings: list[FindingView]
    other_findings: list[FindingView]
    """The findings that are not per-call-site API uses."""
    other_total: str
    code_findings: list[CodeFindingView]
    code_total: str
    shared_findings: int
    pages: int
    crawl_counts: list[str]
    """How the crawled URLs split up ("17 HTML pages", "2 redirects", ...)."""
    templates: list[TemplateRow]
    html_pages: int
    """The crawled HTML pages, the sum of the template rows."""
    sections: list[tuple[str, int]]
    broken_links: list[BrokenLinkRow]
    redirect_chains: list[RedirectChainRow]
    duplicate_titles: list[tuple[str, list[str]]]
    """Each title shared by several pages, with their URLs."""
    page_rows: list[PageRow]
    warnings: list[str]
    multisite: list[str]


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetModuleRow:
    """One module of the target site and what happens to it."""

    name: str
    action: str
    action_key: str
    status: str
    replacement: str
    releases: str
    """``"Drupal 10, 11"``, or empty."""
    sites: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class DependencyIssueRow:
    """A missing dependency, a cycle or a removal candidate on one site."""

    site: str
    kind: str
    kind_key: str
    modules: list[str]
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetFieldView:
    """One field of a target content type."""

    name: str
    type: str
    cardinality: str
    """``"1"``, another number, or ``"unlimited"``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceView:
    """One source site's content type merged into a target content type."""

    site: str
    type: str
    nodes: str
    """The node count, or empty when unknown."""
    similarity: str
    """The match as a percentage, or "–" for a type seen only in a crawl."""
    field_map: list[tuple[str, str]]
    """Source field -> target field."""
    crawled: bool
    pages: int
    """Crawled pages of this type."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetTypeView:
    """A content type of the target site and the source types merged into it."""

    name: str
    label: str
    fields: list[TargetFieldView]
    sources: list[SourceView]
    conflicts: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupView:
    """A consolidation group: its sites, what they share, what each has alone."""

    index: int
    sites: list[str]
    shared: list[str]
    unique: list[tuple[str, list[str]]]
    """Each site's name and the features only it has."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WaveView:
    """One migration wave: who moves, what it costs, and why in this order."""

    index: int
    sites: list[str]
    modules: list[str]
    content_types: list[str]
    nodes: int
    nodes_text: str
    findings: int
    effort: str
    low: int
    high: int
    cost: str
    rationale: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskRow:
    """One risk of the plan."""

    severity: str
    title: str
    detail: str
    sites: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleRow:
    """One rule of the appendix, in general words, with a real finding as example."""

    id: str
    title: str
    severity: str
    category: str
    rationale: str
    remedy: str
    """The remedy with its blanks read as "the replacement", "this module", ..."""
    example: str
    """One finding's filled-in remedy, when the rule's remedy has blanks."""
    references: list[str]
    effort: str
    fired: int
    """How many findings the rule made."""


# --------------------------------------------------------------------------- pictures


@dataclass(frozen=True, slots=True, kw_only=True)
class WaveBar:
    """One wave's bar of the timeline."""

    index: int
    x: float
    y: int
    width: float
    low_width: float
    text: str
    text_x: float
    anchor: str
    """``start`` or ``end``: late waves put their label left of the bar's end."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AxisTick:
    """A tick of the timeline's hours axis."""

    x: float
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WaveChart:
    """The waves as a Gantt-style timeline (SVG user units, 900 wide)."""

    rows: list[WaveBar]
    ticks: list[AxisTick]
    axis_y: int
    height: int
    label_x: int
    x0: int
    x1: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixColumn:
    """A site's column of the consolidation matrix."""

    name: str
    x: float
    group: int
    unique: int
    """Features only this site uses."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixCell:
    """Whether one site uses one shared feature."""

    x: float
    present: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixLine:
    """A shared feature's row of the consolidation matrix."""

    kind: str
    name: str
    y: float
    cells: list[MatrixCell]


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixBand:
    """The band behind the columns of one consolidation group."""

    index: int
    x: float
    width: float
    centre: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixView:
    """Sites × the features several of them use, in SVG coordinates."""

    columns: list[MatrixColumn]
    rows: list[MatrixLine]
    bands: list[MatrixBand]
    shared: int
    """Features used by two or more sites."""
    more: int
    """Shared features left out of the rows."""
    head: int
    top: int
    label_x: int
    unique_y: float
    group_y: float
    width: int
    height: float


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphNode:
    """A module of the dependency picture."""

    name: str
    x: float
    y: float
    action: str
    """The target action's key, which picks the colour."""
    anchor: str
    label_x: float


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphEdge:
    """A dependency between two drawn modules."""

    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphPicture:
    """The non-core module dependency graph in SVG coordinates."""

    width: int
    height: int
    nodes: list[GraphNode]
    edges: list[GraphEdge]


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True, slots=True, kw_only=True)
class DriverRow:
    """One line of "what drives the estimate": a rule's units, rate and hours."""

    rule: str
    title: str
    counted: str
    """``14 modules``, ``3.2 KLOC``, ``11 exported items``."""
    rate: str
    """``12–32 h per KLOC``."""
    effort: str
    share: int
    """Percent of the high total."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionRow:
    """One answer to a decision, as the decisions table lists it."""

    key: str
    label: str
    consequence: str
    effort: str
    in_force: bool
    default: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRow:
    """A decision for the client: the question, what was found, the answers."""

    id: str
    kind: str
    question: str
    detail: str
    sites: list[str]
    options: list[OptionRow]
    state: str
    """"Default" or "Decided by NAME on DATE", as the client reads it."""
    decided: bool
    note: str
    effort: str
    """Hours the answer in force adds to the plan."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AssumptionRow:
    label: str
    unit: str
    value: str
    """The amount, or "not set"."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChartLine:
    """One polyline of the business-case chart, in SVG coordinates."""

    label: str
    points: str
    css: str
    total: str
    """What the line adds up to at the horizon, for the legend."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelTick:
    """A tick of a chart's vertical (amount) axis."""

    y: float
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessView:
    """The business case in words and one chart; empty figures when inputs are missing."""

    assumptions: list[AssumptionRow]
    missing: list[str]
    sites: int
    drupal7_sites: int
    stay: str
    move: str
    saving: str
    migration: str
    payback: str
    horizon: int
    lines: list[ChartLine]
    ticks: list[AxisTick]
    """Years along the bottom."""
    levels: list[LevelTick]
    """Amounts up the left side."""
    height: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportView:
    """Everything the HTML and Markdown templates show, as ``v``."""

    title: str
    client: str
    agency: str
    logo: str
    generated_at: str
    version: str
    site_count: int
    target_core: int
    """The Drupal major the plan targets."""
    kb_origin: str
    """The bundled knowledge base and its date, as the verdicts cite it."""
    long_table: int
    """Rows a table shows on screen before the rest fold behind "show all"."""
    kinds: list[tuple[str, int]]
    """Site kinds in words and how many sites are of each, most first."""
    total_effort: str
    total_low: int
    total_high: int
    total_cost: str
    cost_low: str
    """The low total cost alone: the summary card shows the range on two lines."""
    cost_high: str
    rate: str
    severity_counts: list[tuple[str, int]]
    finding_count: int
    shared_count: int
    top_findings: list[FindingView]
    """Blockers and high-severity findings, the costliest first."""
    drivers: list[DriverRow]
    """The rules that move the total most (the plan's sensitivity table)."""
    sites: list[SiteView]
    target: list[TargetModuleRow]
    target_counts: list[tuple[str, int]]
    """Target modules per action, in words, every action listed."""
    dependency_issues: list[DependencyIssueRow]
    content_model: list[TargetTypeView]
    groups: list[GroupView]
    waves: list[WaveView]
    wave_chart: WaveChart
    matrix: MatrixView
    risks: list[RiskRow]
    """Worst first, as the planner sorts them."""
    notes: list[str]
    dependency_picture: GraphPicture
    rules: list[RuleRow]
    """The rules that fired: a report is read for what applies, and the whole
    rule set is one command away (``drupalscan rules``)."""
    rules_quiet: int
    """Published rules checked on every site that found nothing."""
    decisions: list[DecisionRow]
    decided_count: int
    business: BusinessView
