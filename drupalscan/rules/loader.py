"""Load and validate the rule files shipped in `checks/`.

A bad rule is an error at load time, never a silent no-op at check time:
unknown keys, a malformed id, a duplicate id or alias, an unknown severity,
effort unit or predicate, a non-https reference, a message naming a fact the
subject does not have.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from drupalscan.inventory.model import SEVERITIES
from drupalscan.rules import matchers
from drupalscan.rules.facts import fact_names
from drupalscan.rules.model import (
    APPLIES_TO,
    EFFORT_PER,
    PLAN_RISKS,
    RULE_ID,
    RULE_PLATFORMS,
    EffortSpec,
    Rule,
)
from drupalscan.rules.predicates import PREDICATES

REQUIRED = {"id", "title", "applies_to", "severity", "category", "effort", "rationale", "remedy"}
OPTIONAL = {
    "references",
    "match",
    "predicate",
    "confidence",
    "aliases",
    "settings",
    "message",
    "platform",
    "plan",
}


def _template_fields(text: str) -> set[str]:
    """The ``{name}`` fields of a str.format template."""
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}
    except ValueError:
        return {"<malformed template>"}


class RuleError(ValueError):
    """A rule file that does not validate; the message names the file."""


def _rule_files() -> list[tuple[str, str]]:
    """(name, text) of every shipped rule file, in name order."""
    root = resources.files("drupalscan.checks")
    files = [f for f in root.iterdir() if f.name.endswith(".toml")]
    return [(f.name, f.read_text(encoding="utf-8")) for f in sorted(files, key=lambda f: f.name)]


def parse_rule(name: str, text: str) -> Rule:
    """Parse and validate one rule file's text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{name}: not valid TOML ({exc})") from None
    return _build(name, data)


TEXT_KEYS = ("id", "title", "applies_to", "severity", "category", "rationale", "remedy")
"""Keys whose value must be text."""
CONFIDENCES = ("high", "medium", "low")
SHIPPED_FAMILIES = {
    "D7": ("MOD", "CUS", "FEAT", "THM", "CT", "FLD", "SITE", "API"),
    "WP": ("SITE", "PLG", "CT"),
}
"""The families of drupalscan's own prefixes."""
ALIAS_NAME = re.compile(r"[a-z][a-z0-9-]{2,60}")
"""An alias that is a rule's old name rather than its old id (``views-php-handlers``)."""


def _build(name: str, data: dict[str, Any]) -> Rule:
    def fail(msg: str) -> RuleError:
        return RuleError(f"{name}: {msg}")

    missing = REQUIRED - set(data)
    if missing:
        raise fail(f"missing key(s) {sorted(missing)}")
    unknown = set(data) - REQUIRED - OPTIONAL
    if unknown:
        raise fail(f"unknown key(s) {sorted(unknown)}")
    for key in (*TEXT_KEYS, "message", "predicate", "platform", "confidence"):
        if key in data and not isinstance(data[key], str):
            raise fail(f"{key} must be text, not {type(data[key]).__name__} {data[key]!r}")
    for key in ("references", "aliases"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"{key} must be a list of text")
    if not RULE_ID.fullmatch(data["id"]):
        raise fail(f"id {data['id']!r} does not look like D7-MOD-001 (PREFIX-FAMILY-NNN)")
    prefix, family, _ = data["id"].split("-")
    if prefix in SHIPPED_FAMILIES and family not in SHIPPED_FAMILIES[prefix]:
        raise fail(
            f"id {data['id']!r}: {prefix}- rules are {', '.join(SHIPPED_FAMILIES[prefix])}; "
            "your own rules take a prefix of their own (ACME-MOD-001)"
        )
    for alias in data.get("aliases", []):
        if not (RULE_ID.fullmatch(alias) or ALIAS_NAME.fullmatch(alias)):
            raise fail(
                f"alias {alias!r} is neither a rule id (PREFIX-FAMILY-NNN) nor a name "
                "(lower case, digits and dashes)"
            )
    if data["applies_to"] not in APPLIES_TO:
        raise fail(f"applies_to must be one of {APPLIES_TO}")
    if data["severity"] not in SEVERITIES:
        raise fail(f"severity must be one of {SEVERITIES}")
    if data.get("confidence", "high") not in CONFIDENCES:
        raise fail(f"confidence must be one of {CONFIDENCES}")
    if data.get("platform", "drupal") not in RULE_PLATFORMS:
        raise fail(f"platform must be one of {RULE_PLATFORMS}")
    role = data.get("plan", {})
    if not isinstance(role, dict):
        raise fail("[plan] must be a table")
    if set(role) - {"shared", "risk"}:
        raise fail(f"unknown [plan] key(s) {sorted(set(role) - {'shared', 'risk'})}")
    if role.get("shared", False) not in (True, False, "codebase"):
        raise fail('[plan] shared must be true, false or "codebase"')
    if role.get("risk", "") not in ("", *PLAN_RISKS):
        raise fail(f"[plan] risk must be one of {PLAN_RISKS}")
    effort = data["effort"]
    if not isinstance(effort, dict) or effort.get("per", "finding") not in EFFORT_PER:
        raise fail(f"effort needs low, high and per (one of {EFFORT_PER})")
    unknown_effort = set(effort) - {"low", "high", "per", "min"}
    if unknown_effort:
        raise fail(f"unknown effort key(s) {sorted(unknown_effort)}")
    numbers = [effort.get(k) for k in ("low", "high")] + (
        [effort["min"]] if "min" in effort else []
    )
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
        raise fail("effort needs numeric low and high (and min)")
    spec = EffortSpec(
        low=float(effort["low"]),
        high=float(effort["high"]),
        per=effort.get("per", "finding"),
        min=float(effort.get("min", 1.0)),
    )
    if not 0 <= spec.low <= spec.high:
        raise fail("effort must have 0 <= low <= high")
    has_match = "match" in data
    has_pred = "predicate" in data
    if has_match == has_pred:
        raise fail("a rule needs exactly one of [match] or predicate")
    if has_pred and data["predicate"] not in PREDICATES:
        raise fail(f"unknown predicate {data['predicate']!r}")
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise fail("[settings] must be a table")
    if has_match:
        if not isinstance(data["match"], dict):
            raise fail("[match] must be a table")
        try:
            matchers.validate(data["match"])
        except matchers.MatchSpecError as exc:
            raise fail(str(exc)) from None
        offered = fact_names(data["applies_to"])
        for key in sorted(matchers.fact_keys(data["match"]) - offered):
            raise fail(
                f"[match] {key}: not a fact of a {data['applies_to']} "
                f"(known: {', '.join(sorted(offered))})"
            )
        missing_settings = matchers.setting_refs(data["match"]) - set(settings)
        if missing_settings:
            raise fail(
                f"[match] names setting(s) {sorted(missing_settings)} missing from [settings]"
            )
    known = fact_names(data["applies_to"]) | set(settings)
    for text_key in ("message", "remedy"):
        for field_name in _template_fields(str(data.get(text_key, ""))):
            if field_name not in known:
                raise fail(
                    f"{text_key} names {{{field_name}}}, not a fact of a {data['applies_to']}"
                )
    for ref in [data["remedy"], *data.get("references", [])]:
        if ref.startswith("http") and not ref.startswith("https://"):
            raise fail(f"link {ref!r} must use https")
    for ref in data.get("references", []):
        if not ref.startswith("https://"):
            raise fail(f"reference {ref!r} must be an https link")
    return Rule(
        id=data["id"],
        title=data["title"],
        applies_to=data["applies_to"],
        severity=data["severity"],
        category=data["category"],
        effort=spec,
        rationale=" ".join(data["rationale"].split()),
        remedy=" ".join(data["remedy"].split()),
        message=data.get("message", data["title"]),
        references=list(data.get("references", [])),
        match=dict(data.get("match", {})),
        predicate=data.get("predicate", ""),
        confidence=data.get("confidence", "high"),
        aliases=list(data.get("aliases", [])),
        platform=data.get("platform", "drupal"),
        shared=role.get("shared", False) is True,
        per_codebase=role.get("shared") == "codebase",
        risk=str(role.get("risk", "")),
        settings=dict(data.get("settings", {})),
        path=name,
    )


def validate_all(rules: Iterable[Rule]) -> list[Rule]:
    """Check ids and aliases are unique across the set."""
    seen: dict[str, str] = {}
    out = []
    for rule in rules:
        for key in (rule.id, *rule.aliases):
            if key in seen:
                raise RuleError(f"{rule.path}: id {key} already used by {seen[key]}")
            seen[key] = rule.path
        out.append(rule)
    return out


@cache
def _shipped() -> tuple[Rule, ...]:
    rules = [parse_rule(name, text) for name, text in _rule_files()]
    return tuple(validate_all(rules))


def load_rules(paths: Iterable[str | Path] = ()) -> tuple[Rule, ...]:
    """Every shipped rule plus the rules in ``paths`` (folders of TOML files), in id order.

    An agency's own rules (a house rate for a module it knows, a client's
    risk) load beside the shipped ones under the same validation; a broken
    one is a RuleError naming its file and key, and an id or alias already
    used anywhere is refused.
    """
    rules = list(_shipped())
    for folder in paths:
        rules.extend(load_rule_dir(Path(folder)))
    return tuple(sorted(validate_all(rules), key=lambda r: r.id))


def load_rule_dir(path: Path) -> list[Rule]:
    """Rules from a folder; each rule's ``path`` is its file's, to say where it came from."""
    if not path.is_dir():
        raise RuleError(f"{path}: no such rules folder")
    rules = []
    for file in sorted(path.glob("*.toml")):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RuleError(f"{file}: cannot read ({exc})") from None
        rules.append(parse_rule(str(file), text))
    return validate_all(rules)
