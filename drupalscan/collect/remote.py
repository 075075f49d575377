"""The remote step of a crawl: a bounded set of questions asked after the pages.

The pages say what a site is (`drupalscan.collect.summary`); this step asks
the site what the pages cannot say, within a budget the summary line
reports: the exact core version (CHANGELOG.txt where robots.txt allows it,
else the static files a visitor may fetch, `drupalscan.collect.coreversion`),
the modules that leave no trace on pages (`drupalscan.collect.probe`), and
for a WordPress site its version, plugins, theme, post types and taxonomies
(`drupalscan.collect.wordpress`).  Joomla's version file and SharePoint's
version header are read too.

Every request goes through the crawl's fetcher, so robots.txt, the
throttle and the same-host rule apply to it as to any page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from drupalscan.collect import coreversion as cv
from drupalscan.collect import fingerprint as fp
from drupalscan.collect import wordpress as wp
from drupalscan.collect.probe import Candidate, Prober, layouts_for
from drupalscan.collect.robots import Robots
from drupalscan.collect.summary import PageSummary
from drupalscan.config import PROBE_BUDGET
from drupalscan.inventory import model
from drupalscan.inventory.model import Evidence

ProbeCandidate = Candidate


Fetch = Callable[[str], tuple[int, bytes]]
"""GET an absolute URL through the crawl: (status, body); 0 failed, -1 robots forbids."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    """What the remote step needs to know before asking."""

    base: str
    """The docroot URL, ending in ``/``."""
    kind: str
    summary: PageSummary
    sitemap_styles: Sequence[str] = ()
    fingerprints: dict[str, Any] | None = None
    candidates: Sequence[Candidate] = ()
    budget: int = PROBE_BUDGET
    concurrency: int = 4


@dataclass(slots=True)
class Remote:
    """What the questions found, and what they cost."""

    core_version: str | None = None
    core_candidates: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    signals: list[fp.Signal] = field(default_factory=list)
    versions: dict[tuple[str, str], str] = field(default_factory=dict)
    """(topic, name) -> version, for modules, plugins and themes whose version was seen."""
    projects: dict[str, str] = field(default_factory=dict)
    """Module name -> the project directory it was found in."""
    content_types: list[model.ContentType] = field(default_factory=list)
    vocabularies: list[model.Vocabulary] = field(default_factory=list)
    requests: int = 0
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_site(cls, site: model.Site) -> Remote:
        """An earlier run's answers, for a rerun that fetched nothing new."""
        out = cls(core_version=site.core_version, core_candidates=list(site.core_candidates))
        out.evidence = list(site.kind_evidence)
        out.warnings = list(site.warnings)
        for module in site.modules:
            out.signals.extend(
                fp.Signal("module", module.name, 1, ev, module.type) for ev in module.evidence
            )
            if module.version:
                out.versions[("module", module.name)] = module.version
            if module.project:
                out.projects[module.name] = module.project
        for theme in site.themes:
            out.signals.extend(
                fp.Signal("theme", theme.name, 1, ev, theme.type) for ev in theme.evidence
            )
            if theme.version:
                out.versions[("theme", theme.name)] = theme.version
        out.content_types = [c for c in site.content_types if c.module == "wordpress"]
        out.vocabularies = list(site.vocabularies)
        return out


class _Asker:
    """Counts requests against the budget; paths are relative to the docroot URL."""

    def __init__(self, fetch: Fetch, base: str, robots: Robots, out: Remote) -> None:
        self.fetch = fetch
        self.base = base
        self.robots = robots
        self.out = out
        self.decisions: dict[str, bool] = {}

    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    def allowed(self, path: str) -> bool:
        """robots.txt's answer for a docroot path (remembered: the hash search asks often)."""
        known = self.decisions.get(path)
        if known is None:
            known = self.decisions[path] = self.robots.allowed(self.url(path))
        return known

    def get(self, path: str) -> tuple[int, bytes]:
        if not self.allowed(path):
            return -1, b""
        self.out.requests += 1
        return self.fetch(self.url(path))


def assess(question: Question, fetch: Fetch, robots: Robots) -> Remote:
    """Ask the site what its pages cannot say, within the question's bounds."""
    out = Remote()
    ask = _Asker(fetch, question.base, robots, out)
    kind = question.kind
    if kind.startswith("drupal"):
        _passive_drupal(question, out)
        _core_version(question, ask, out)
        major = (out.core_version or (out.core_candidates or [""])[0]).split(".")[0]
        if kind in ("drupal", "drupal6", "drupal7") and major in ("", "6", "7"):
            _probe_modules(question, ask, out)
    elif kind == "wordpress":
        _wordpress(question, ask, out)
    elif kind == "joomla":
        _joomla(ask, out)
    elif kind == "sharepoint":
        _sharepoint(question, out)
    return out


# -- Drupal ------------------------------------------------------------------------


def _passive_drupal(question: Question, out: Remote) -> None:
    """Module evidence the crawl already holds: sitemap stylesheet, node redirects."""
    for style in question.sitemap_styles:
        if style.rsplit("/", 1)[-1] == "sitemap.xsl":
            out.signals.append(
                fp.Signal(
                    "module",
                    "xmlsitemap",
                    4,
                    Evidence(
                        kind="sitemap",
                        detail=f"sitemap.xml styled with {style} (xmlsitemap's stylesheet)",
                        location=question.base + "sitemap.xml",
                    ),
                    "unknown",
                )
            )
    for node, alias in question.summary.node_redirects[:1]:
        out.signals.append(
            fp.Signal(
                "module",
                "globalredirect",
                3,
                Evidence(
                    kind="redirect",
                    detail=f"{node} answers 301 with its alias {alias} (globalredirect, or "
                    "redirect's equivalent setting)",
                    location=node,
                ),
                "unknown",
            )
        )


def _core_version(question: Question, ask: _Asker, out: Remote) -> None:
    """CHANGELOG.txt if allowed, else the static files; ``?v=`` hints on top."""
    summary = question.summary
    hints = cv.hints_from_assets(summary.assets, summary.assets)
    changelog = "core/CHANGELOG.txt" if question.kind == "drupal8+" else "CHANGELOG.txt"
    if ask.allowed(changelog):
        status, body = ask.get(changelog)
        version = (
            cv.core_from_changelog(body[:4096].decode("utf-8", "replace"))
            if status == 200
            else None
        )
        if version:
            out.core_version, out.core_candidates = version, [version]
            out.evidence.append(
                Evidence(
                    kind="changelog",
                    detail=f"{changelog} first entry: Drupal {version}",
                    location=ask.url(changelog),
                )
            )
            return
    else:
        out.evidence.append(
            Evidence(
                kind="robots",
                detail=f"robots.txt disallows {changelog}; the version comes from the static "
                "files a visitor may fetch",
                location=ask.url("robots.txt"),
            )
        )
    table = question.fingerprints
    candidates: list[str] = []
    if table and table.get("files") and question.kind != "drupal8+":
        major = {"drupal7": "7", "drupal6": "6"}.get(question.kind, "")
        candidates = _hash_candidates(table, major, ask, out)
    candidates, notes = cv.apply_hints(candidates, hints)
    out.evidence.extend(notes)
    if len(candidates) == 1:
        out.core_version, out.core_candidates = candidates[0], candidates
    elif candidates:
        out.core_candidates = candidates
        ordered = sorted(candidates, key=cv.version_key)
        out.warnings.append(
            f"core version narrowed to {len(ordered)} releases ({ordered[0]}–{ordered[-1]}): "
            "the static files a visitor may fetch are identical in these releases"
        )


def _hash_candidates(table: dict[str, Any], major: str, ask: _Asker, out: Remote) -> list[str]:
    """Ask for the static files that split the candidates best; what they leave."""
    candidates = cv.releases(table, major)
    asked: set[str] = set()
    answered = False
    for _ in range(cv.MAX_HASH_REQUESTS):
        path = cv.next_hash_path(table, candidates, ask.allowed, asked)
        if path is None:
            break
        asked.add(path)
        at_root = urlsplit(ask.base).path in ("", "/")
        if path == "robots.txt" and at_root and ask.robots.found and not ask.robots.ignore:
            status, body = 200, ask.robots.text.encode("utf-8")  # read already: no request
        else:
            status, body = ask.get(path)
        if status != 200 or not body:
            continue
        md5 = hashlib.md5(body).hexdigest()  # noqa: S324 - file identity, not security
        candidates, evidence = cv.narrow(table, candidates, path, md5)
        out.evidence.append(evidence)
        answered = answered or "ignored" not in evidence.detail
    return candidates if answered else []


def _probe_modules(question: Question, ask: _Asker, out: Remote) -> None:
    """Probe the most used projects the pages did not already show."""
    if question.budget <= 0 or not question.candidates:
        return
    seen = {key[1] for key in question.summary.signals if key[0] == "module"}
    wanted = [c for c in question.candidates if c.module not in seen and c.project not in seen]
    if not wanted:
        return
    layouts = layouts_for(question.summary.assets)
    prober = Prober(ask.get, question.budget, question.concurrency)
    result = prober.run(wanted, layouts)
    out.warnings.extend(result.warnings)
    for hit in result.found:
        out.signals.append(fp.Signal("module", hit.name, 5, hit.evidence, hit.type))
        out.projects[hit.name] = hit.project
        if hit.version:
            out.versions[("module", hit.name)] = hit.version


# -- other kinds ---------------------------------------------------------------------


def _wordpress(question: Question, ask: _Asker, out: Remote) -> None:
    """Version, plugins, theme, post types and taxonomies of a WordPress site."""
    summary = question.summary
    budget = question.budget
    version = next(
        (v for v in (wp.version_from_generator(g) for g in summary.generators) if v), None
    )
    if version:
        out.evidence.append(
            Evidence(
                kind="meta", detail=f'meta generator "WordPress {version}"', location=question.base
            )
        )
    else:
        version, evidence = wp.version_from_assets(summary.assets, summary.assets)
        out.evidence.extend(evidence)
    if version is None and budget > 0:
        status, body = ask.get("feed/")
        version = wp.version_from_feed(body) if status == 200 else None
        if version:
            out.evidence.append(
                Evidence(
                    kind="feed",
                    detail=f"feed generator wordpress.org/?v={version}",
                    location=ask.url("feed/"),
                )
            )
    out.core_version = version
    out.core_candidates = [version] if version else []
    host = re.sub(r"^https?://", "", question.base).split("/", 1)[0]
    plugins, themes = wp.extensions_from_assets(summary.assets, summary.assets, version, host)
    if out.requests < budget:
        status, body = ask.get("wp-json/")
        if status == 200:
            for name, ext in wp.plugins_from_rest_index(body, ask.url("wp-json/")).items():
                known = plugins.setdefault(name, wp.Extension(name))
                known.evidence.extend(ext.evidence)
            for path, parse in (
                ("wp-json/wp/v2/types", "types"),
                ("wp-json/wp/v2/taxonomies", "tax"),
            ):
                if out.requests >= budget:
                    break
                got, answer = ask.get(path)
                if got != 200:
                    continue
                if parse == "types":
                    out.content_types = wp.post_types(answer)
                else:
                    out.vocabularies = wp.taxonomies(answer)
    for name, ext in sorted(plugins.items()):
        if ext.version is None and out.requests < budget and ext.evidence[0].kind == "asset-path":
            status, body = ask.get(f"wp-content/plugins/{name}/readme.txt")
            if status == 200:
                ext.version = wp.plugin_version_from_readme(body)
                if ext.version:
                    ext.evidence.append(
                        Evidence(
                            kind="probe",
                            detail=f"readme.txt Stable tag: {ext.version}",
                            location=ask.url(f"wp-content/plugins/{name}/readme.txt"),
                        )
                    )
        _extension_signal(out, "module", ext)
    for name, ext in sorted(themes.items()):
        if ext.version is None and out.requests < budget:
            status, body = ask.get(f"wp-content/themes/{name}/style.css")
            if status == 200:
                ext.version = wp.theme_version_from_stylesheet(body)
        _extension_signal(out, "theme", ext)


def _extension_signal(out: Remote, topic: str, ext: wp.Extension) -> None:
    kind = "plugin" if topic == "module" else "unknown"
    for evidence in ext.evidence[:5]:
        out.signals.append(fp.Signal(topic, ext.name, 4, evidence, kind))
    if ext.version:
        out.versions[(topic, ext.name)] = ext.version


def _joomla(ask: _Asker, out: Remote) -> None:
    """Joomla's exact version from its files manifest, where robots.txt allows it."""
    path = "administrator/manifests/files/joomla.xml"
    status, body = ask.get(path)
    match = (
        re.search(rb"<version>\s*([0-9][0-9A-Za-z.\-]*)\s*</version>", body[:20000])
        if status == 200
        else None
    )
    if match:
        version = match.group(1).decode("ascii")
        out.core_version, out.core_candidates = version, [version]
        out.evidence.append(
            Evidence(
                kind="manifest",
                detail=f"{path} <version>{version}</version>",
                location=ask.url(path),
            )
        )


def _sharepoint(question: Question, out: Remote) -> None:
    """SharePoint's version from the header every answer carries."""
    value = question.summary.software_headers.get("MicrosoftSharePointTeamServices", "")
    match = re.match(r"\s*(\d+(?:\.\d+){1,3})", value)
    if match:
        out.core_version = match.group(1)
        out.core_candidates = [match.group(1)]
        out.evidence.append(
            Evidence(
                kind="header",
                detail=f"MicrosoftSharePointTeamServices: {value[:40]}",
                location=question.base,
            )
        )


# -- into the Site -------------------------------------------------------------------


def extensions(
    signals: Iterable[fp.Signal], answers: Remote
) -> tuple[list[model.Module], list[model.Theme]]:
    """Modules and themes from all signals, with the versions and projects probes saw."""
    modules, themes = fp.summarise_extensions(signals)
    modules = [
        model.replace(
            m,
            version=answers.versions.get(("module", m.name), m.version),
            project=answers.projects.get(m.name, m.project),
        )
        for m in modules
    ]
    themes = [
        model.replace(t, version=answers.versions.get(("theme", t.name), t.version)) for t in themes
    ]
    return modules, themes
