"""Run rules over an inventory and produce findings with effort ranges."""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from drupalscan.config import Settings
from drupalscan.inventory import model
from drupalscan.rules import matchers
from drupalscan.rules.facts import SubjectFacts, subjects
from drupalscan.rules.model import Rule
from drupalscan.rules.predicates import PREDICATES

SEVERITY_ORDER = {s: i for i, s in enumerate(model.SEVERITIES)}

EFFORT_DECIMALS = 2
"""Findings keep hours to 2 decimals: a 0.25 h rate must not become 0.3 h."""


class _Facts(dict[str, Any]):
    """Message formatting that shows a missing fact as '?' instead of failing."""

    def __missing__(self, key: str) -> str:
        return "?"


def _rule_names(rule: Rule) -> set[str]:
    """Every name a rule answers to (id and aliases), case-folded."""
    return {n.casefold() for n in (rule.id, *rule.aliases)}


def select_rules(rules: Iterable[Rule], select: Sequence[str], ignore: Sequence[str]) -> list[Rule]:
    """Apply --select/--ignore (by id or alias, case-insensitive, no prefixes)."""
    wanted = {n.casefold() for n in select}
    dropped = {n.casefold() for n in ignore}
    return [
        r for r in rules if (not wanted or _rule_names(r) & wanted) and not _rule_names(r) & dropped
    ]


def unknown_rule_ids(rules: Iterable[Rule], names: Iterable[str]) -> list[str]:
    """The names (as given, first occurrence, in order) that match no rule id or alias.

    A typo in --ignore would silently keep the rule and one in --select would
    silently drop every rule, so callers turn a non-empty result into an error.
    Matching is case-insensitive, like `select_rules`.
    """
    known = set().union(*(_rule_names(r) for r in rules))
    out: list[str] = []
    for name in names:
        if name.casefold() not in known and name not in out:
            out.append(name)
    return out


def _resolve(spec: Any, settings: Mapping[str, Any]) -> Any:
    """Replace ``"$name"`` values in a match table by the rule's settings."""
    if isinstance(spec, dict):
        return {k: _resolve(v, settings) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_resolve(v, settings) for v in spec]
    if isinstance(spec, str) and matchers.SETTING_REF.match(spec):
        return settings[spec[1:]]
    return spec


def quantity(rule: Rule, facts: Mapping[str, Any]) -> float:
    """How many effort units one finding of this rule stands for."""
    per = rule.effort.per
    if per == "kloc":
        qty = float(facts.get("kloc") or 0)
    elif per == "1000_nodes":
        qty = float(facts.get("count") or facts.get("nodes") or 0) / 1000
    elif per == "template":
        qty = float(facts.get("templates") or 0)
    elif per == "use":
        qty = float(facts.get("uses") or 0)
    elif per == "patch":
        qty = float(facts.get("patches") or 0)
    elif per == "item":
        qty = float(facts.get("items") or 0)
    else:
        qty = 1.0
    return max(rule.effort.min, qty)


def evaluate(
    rule: Rule,
    site: model.Site,
    kb: Any,
    settings: Settings | None = None,
    seen: dict[str, list[SubjectFacts]] | None = None,
) -> list[model.Finding]:
    """All findings of one rule on one site.

    ``seen`` keeps a site's subjects (with their facts) between its rules:
    fifteen module rules would otherwise build every module's facts fifteen
    times, which was most of the time a portfolio's checks took.  The facts
    are read, never changed, so sharing them is safe.
    """
    if rule.platform != "any" and rule.platform != model.platform_of(site.kind):
        return []  # a Drupal module rule says nothing about a WordPress plugin
    settings = settings or Settings()
    rule_settings = {**rule.settings, **settings.rule_settings.get(rule.id, {})}
    spec = _resolve(rule.match, rule_settings) if rule.match else None
    rates = settings.effort.get(rule.id, {"low": rule.effort.low, "high": rule.effort.high})
    out = []
    found = seen.get(rule.applies_to) if seen is not None else None
    if found is None:
        found = list(subjects(rule.applies_to, site, kb, settings.target_core))
        if seen is not None:
            seen[rule.applies_to] = found
    for subject in found:
        evidence = _fires(rule, subject, site, rule_settings, kb, spec)
        if evidence is None:
            continue
        qty = quantity(rule, subject.facts)
        facts = _Facts(subject.facts)
        for key, value in rule_settings.items():
            facts.setdefault(key, value)  # a setting never hides a fact
        out.append(
            model.Finding(
                rule=rule.id,
                severity=rule.severity,
                site=site.id,
                subject=_subject(subject),
                message=string.Formatter().vformat(rule.message, (), facts),
                category=rule.category,
                evidence=evidence,
                effort_hours=model.Effort(
                    low=round(rates["low"] * qty, EFFORT_DECIMALS),
                    high=round(rates["high"] * qty, EFFORT_DECIMALS),
                ),
                quantity=round(qty, EFFORT_DECIMALS),
                unit=rule.effort.per,
                remedy=string.Formatter().vformat(rule.remedy, (), facts),
                references=list(rule.references),
                shared=rule.shared,
                shared_key=codebase_key(site, subject) if rule.per_codebase else "",
                risk=rule.risk,
            )
        )
    return out


def codebase_key(site: model.Site, subject: SubjectFacts) -> str:
    """Where a finding's work lives on disk, so the sites of one multisite share it.

    The sites of a multisite docroot are stored as ``DOCROOT`` and
    ``DOCROOT#sites/NAME``; code they share (sites/all, an install profile,
    core) has the same docroot and path in each.  A crawled site has no
    codebase of its own to share, so its key is its own.
    """
    codebase = site.source.partition("#")[0] if site.origin == "docroot" else site.id
    if subject.kind == "site":
        return codebase  # core, the sites/ tree: one per docroot
    return f"{codebase}|{getattr(subject.obj, 'path', '')}|{subject.name}"


def _subject(subject: SubjectFacts) -> model.Subject:
    """The finding's subject; a module carries its knowledge-base verdict.

    Consumers of ``check --json`` and the report need the status, replacement
    and provenance next to the finding, without joining back to the inventory.
    """
    obj = subject.obj
    if subject.kind == "module" and isinstance(obj, model.Module):
        return model.Subject(
            kind=subject.kind,
            name=subject.name,
            status=obj.status,
            replacement=obj.replacement,
            source=obj.source or None,
        )
    return model.Subject(kind=subject.kind, name=subject.name)


def _fires(
    rule: Rule,
    subject: SubjectFacts,
    site: model.Site,
    rule_settings: Mapping[str, Any],
    kb: Any,
    spec: Any,
) -> list[str] | None:
    """Evidence when the rule fires on the subject, None when it does not."""
    if rule.predicate:
        found = PREDICATES[rule.predicate](
            subject.facts, subject.obj, site, dict(rule_settings), kb
        )
        return (subject.evidence + found) if found else None
    if matchers.matches(spec or {}, subject.facts):
        return subject.evidence or [_default_evidence(subject)]
    return None


def _default_evidence(subject: SubjectFacts) -> str:
    """Where the subject was seen: its path, its database row, or its site."""
    path = subject.facts.get("path")
    if path:
        return str(path)
    if subject.kind == "content_type":
        count = subject.facts.get("count")
        nodes = "unknown number of" if count is None else f"{count}"
        return f"node_type {subject.name}: {nodes} nodes, {subject.facts.get('fields', 0)} fields"
    return str(subject.facts.get("source", subject.name))


def run_checks(
    inventory: model.Inventory,
    rules: Iterable[Rule],
    kb: Any,
    settings: Settings | None = None,
) -> list[model.Finding]:
    """Every finding of every selected rule on every site, most severe first."""
    settings = settings or Settings()
    chosen = select_rules(rules, settings.select, settings.ignore)
    findings = []
    for site in inventory.sites:
        seen: dict[str, list[SubjectFacts]] = {}
        for rule in chosen:
            findings.extend(evaluate(rule, site, kb, settings, seen))
    return sort_findings(findings)


def sort_findings(findings: Iterable[model.Finding]) -> list[model.Finding]:
    """Stable report order: severity, site, rule, subject."""
    return sorted(
        findings,
        key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.site, f.rule, f.subject.name),
    )
