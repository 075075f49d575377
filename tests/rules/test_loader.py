"""Loading and validating rule files: every error names the file."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from drupalscan.inventory.model import SEVERITIES
from drupalscan.rules.loader import RuleError, load_rule_dir, load_rules, parse_rule
from drupalscan.rules.model import APPLIES_TO, EFFORT_PER, RULE_ID
from drupalscan.rules.predicates import PREDICATES

CHECKS = Path(__file__).resolve().parents[2] / "checks"

GOOD = """\
id = "D7-MOD-901"
title = "A test rule"
applies_to = "module"
severity = "low"
category = "modules"
message = "{label} ({name})"
effort = { low = 1, high = 2, per = "module" }
rationale = "Because."
remedy = "Do something."
references = ["https://www.drupal.org/"]
[match]
status = "obsolete"
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _edit(old: str, new: str, text: str = GOOD) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# ------------------------------------------------------------ shipped rules


def test_every_shipped_rule_loads() -> None:
    rules = load_rules()
    files = sorted(p.name for p in CHECKS.glob("*.toml"))
    assert [r.path for r in sorted(rules, key=lambda r: r.path)] == files
    assert [r.id for r in rules] == sorted(r.id for r in rules)
    for rule in rules:
        assert rule.path == f"{rule.id}.toml", "file named after its rule"
        assert RULE_ID.match(rule.id)
        assert rule.applies_to in APPLIES_TO
        assert rule.severity in SEVERITIES
        assert rule.effort.per in EFFORT_PER
        assert 0 <= rule.effort.low <= rule.effort.high
        assert bool(rule.match) != bool(rule.predicate)
        assert rule.references and all(r.startswith("https://") for r in rule.references)
        assert rule.title and rule.rationale and rule.remedy and rule.message


def test_shipped_rule_dir_loads_the_same_rules() -> None:
    from_dir = sorted(load_rule_dir(CHECKS), key=lambda r: r.id)
    assert [replace(r, path=Path(r.path).name) for r in from_dir] == list(load_rules())


def test_shipped_rules_reference_only_their_own_settings() -> None:
    def refs(spec: object) -> list[str]:
        if isinstance(spec, dict):
            return [r for v in spec.values() for r in refs(v)]
        if isinstance(spec, list):
            return [r for v in spec for r in refs(v)]
        return [spec[1:]] if isinstance(spec, str) and spec.startswith("$") else []

    for rule in load_rules():
        assert set(refs(rule.match)) <= set(rule.settings), rule.id


def test_good_rule_parses_with_defaults() -> None:
    rule = parse_rule("D7-MOD-901.toml", GOOD)
    assert rule.id == "D7-MOD-901"
    assert rule.path == "D7-MOD-901.toml"
    assert rule.confidence == "high"
    assert rule.aliases == [] and rule.settings == {} and rule.predicate == ""
    assert (rule.effort.low, rule.effort.high, rule.effort.per, rule.effort.min) == (
        1.0,
        2.0,
        "module",
        1.0,
    )


def test_rationale_and_remedy_whitespace_is_folded() -> None:
    text = _edit('rationale = "Because."', 'rationale = """\nLine one\n   line two.\n"""')
    assert parse_rule("x.toml", text).rationale == "Line one line two."


def test_message_defaults_to_title() -> None:
    text = _edit('message = "{label} ({name})"\n', "")
    assert parse_rule("x.toml", text).message == "A test rule"


def test_effort_defaults_to_per_finding() -> None:
    text = _edit('effort = { low = 1, high = 2, per = "module" }', "effort = { low = 1, high = 2 }")
    assert parse_rule("x.toml", text).effort.per == "finding"


def test_predicate_rule_parses() -> None:
    text = _edit('[match]\nstatus = "obsolete"\n', 'predicate = "fields_without_migration_path"\n')
    text = _edit('applies_to = "module"', 'applies_to = "content_type"', text)
    assert parse_rule("x.toml", text).predicate in PREDICATES


# --------------------------------------------------------- validation errors

INVALID = {
    "bad id": _edit('id = "D7-MOD-901"', 'id = "D8-MOD-1"'),
    "lower-case id": _edit('id = "D7-MOD-901"', 'id = "d7-mod-901"'),
    "unknown prefix": _edit('id = "D7-MOD-901"', 'id = "D7-FOO-901"'),
    "unknown key": _edit('category = "modules"', 'category = "modules"\nseverty = "low"'),
    "missing key": _edit('rationale = "Because."\n', ""),
    "bad applies_to": _edit('applies_to = "module"', 'applies_to = "modules"'),
    "bad severity": _edit('severity = "low"', 'severity = "critical"'),
    "bad effort unit": _edit('per = "module"', 'per = "hour"'),
    "effort not a table": _edit('effort = { low = 1, high = 2, per = "module" }', "effort = 3"),
    "effort missing high": _edit("low = 1, high = 2", "low = 1"),
    "effort not numeric": _edit("low = 1, high = 2", 'low = "one", high = 2'),
    "effort low > high": _edit("low = 1, high = 2", "low = 3, high = 2"),
    "negative effort": _edit("low = 1, high = 2", "low = -1, high = 2"),
    "both match and predicate": _edit(
        "[match]", 'predicate = "fields_without_migration_path"\n[match]'
    ),
    "neither match nor predicate": _edit('[match]\nstatus = "obsolete"\n', ""),
    "unknown predicate": _edit('[match]\nstatus = "obsolete"\n', 'predicate = "no_such_check"\n'),
    "empty predicate": _edit('[match]\nstatus = "obsolete"\n', 'predicate = ""\n'),
    "unknown operator": _edit('status = "obsolete"', 'status = { like = "obs%" }'),
    "nested any inside any": _edit(
        'status = "obsolete"', 'any = [ { any = [ { status = "x" } ] }, { status = "y" } ]'
    ),
    "nested all inside any": _edit(
        'status = "obsolete"', 'any = [ { all = [ { status = "x" } ] } ]'
    ),
    "any not a list of tables": _edit('status = "obsolete"', 'any = ["obsolete"]'),
    "unknown operator inside any": _edit(
        'status = "obsolete"', "any = [ { patches = { over = 1 } } ]"
    ),
    "http reference": _edit('"https://www.drupal.org/"', '"http://www.drupal.org/"'),
    "http link in remedy": _edit('remedy = "Do something."', 'remedy = "http://example.org/fix"'),
    "reference not a link": _edit('"https://www.drupal.org/"', '"www.drupal.org"'),
    "invalid toml": GOOD + "this is = = not toml\n",
}


@pytest.mark.parametrize("text", INVALID.values(), ids=INVALID.keys())
def test_parse_rule_rejects_with_file_name(text: str) -> None:
    with pytest.raises(RuleError, match=r"^D7-MOD-901\.toml: "):
        parse_rule("D7-MOD-901.toml", text)


@pytest.mark.parametrize("text", INVALID.values(), ids=INVALID.keys())
def test_load_rule_dir_rejects_with_file_name(tmp_path: Path, text: str) -> None:
    _write(tmp_path, "D7-MOD-900.toml", _edit("D7-MOD-901", "D7-MOD-900"))
    _write(tmp_path, "broken.toml", text)
    with pytest.raises(RuleError, match=r"broken\.toml: "):
        load_rule_dir(tmp_path)


def test_missing_key_names_the_key() -> None:
    with pytest.raises(RuleError, match=r"missing key\(s\) \['rationale'\]"):
        parse_rule("x.toml", INVALID["missing key"])


def test_unknown_key_names_the_key() -> None:
    with pytest.raises(RuleError, match=r"unknown key\(s\) \['severty'\]"):
        parse_rule("x.toml", INVALID["unknown key"])


def test_invalid_toml_says_so() -> None:
    with pytest.raises(RuleError, match="not valid TOML"):
        parse_rule("x.toml", INVALID["invalid toml"])


def test_load_rule_dir_reads_only_toml(tmp_path: Path) -> None:
    _write(tmp_path, "D7-MOD-901.toml", GOOD)
    _write(tmp_path, "README.md", "not a rule")
    assert [r.id for r in load_rule_dir(tmp_path)] == ["D7-MOD-901"]


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", GOOD)
    _write(tmp_path, "b.toml", GOOD)
    with pytest.raises(RuleError, match=r"b\.toml: id D7-MOD-901 already used by \S*a\.toml"):
        load_rule_dir(tmp_path)


def test_alias_clashing_with_another_rules_id(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", GOOD)
    other = _edit("D7-MOD-901", "D7-MOD-902")
    _write(tmp_path, "b.toml", _edit("[match]", 'aliases = ["D7-MOD-901"]\n[match]', other))
    with pytest.raises(RuleError, match=r"b\.toml: id D7-MOD-901 already used by \S*a\.toml"):
        load_rule_dir(tmp_path)


def test_duplicate_aliases_across_files(tmp_path: Path) -> None:
    one = _edit("[match]", 'aliases = ["old-obsolete"]\n[match]')
    two = _edit("[match]", 'aliases = ["old-obsolete"]\n[match]', _edit("D7-MOD-901", "D7-MOD-902"))
    _write(tmp_path, "a.toml", one)
    _write(tmp_path, "b.toml", two)
    with pytest.raises(RuleError, match=r"b\.toml: id old-obsolete already used by \S*a\.toml"):
        load_rule_dir(tmp_path)


def test_distinct_ids_and_aliases_load(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", _edit("[match]", 'aliases = ["alias-a"]\n[match]'))
    _write(tmp_path, "b.toml", _edit("D7-MOD-901", "D7-MOD-902"))
    rules = load_rule_dir(tmp_path)
    assert [(r.id, r.aliases) for r in rules] == [("D7-MOD-901", ["alias-a"]), ("D7-MOD-902", [])]


# ------------------------------------------------- gaps found by review, now closed

GAPS = {
    "id with trailing newline": (
        _edit('id = "D7-MOD-901"', 'id = "D7-MOD-901\\n"'),
        "RULE_ID.match with '$' accepts a trailing newline; use fullmatch",
    ),
    "id not a string": (
        _edit('id = "D7-MOD-901"', "id = 901"),
        "RULE_ID.match(901) raises TypeError, not RuleError naming the file",
    ),
    "match not a table": (
        _edit('[match]\nstatus = "obsolete"\n', 'match = "obsolete"\n'),
        "matchers.validate('obsolete') raises AttributeError, not RuleError",
    ),
    "message names an unknown fact": (
        _edit('message = "{label} ({name})"', 'message = "{lable} ({name})"'),
        "loader docstring promises to reject a message naming a missing fact; it loads",
    ),
    "match references a missing setting": (
        _edit('status = "obsolete"', 'php_lines = { gt = "$max_lines" }'),
        "'$max_lines' is not in [settings]: loads, then evaluate() raises KeyError",
    ),
    "unknown key in effort": (
        _edit('per = "module"', 'pre = "module"'),
        "effort sub-keys are not checked: the typo 'pre' silently means per = finding",
    ),
}

BROKEN = {
    "match key the subject does not have": (
        _edit('status = "obsolete"', 'statuz = "obsolete"'),
        r"\[match\] statuz: not a fact of a module \(known: .*status",
    ),
    "match key inside any/all": (
        _edit('status = "obsolete"', 'any = [ { status = "obsolete" }, { enabeld = true } ]'),
        r"\[match\] enabeld: not a fact of a module",
    ),
    "title not text": (
        _edit('title = "A test rule"', "title = 7"),
        r"title must be text, not int 7",
    ),
    "rationale not text": (
        _edit('rationale = "Because."', "rationale = 3"),
        r"rationale must be text, not int 3",
    ),
    "confidence out of range": (
        _edit("[match]", 'confidence = "certain"\n[match]'),
        r"confidence must be one of \('high', 'medium', 'low'\)",
    ),
    "alias of the wrong shape": (
        _edit("[match]", 'aliases = ["Old Rule!"]\n[match]'),
        r"alias 'Old Rule!' is neither a rule id",
    ),
    "references not a list": (
        _edit('references = ["https://www.drupal.org/"]', 'references = "https://www.drupal.org/"'),
        r"references must be a list of text",
    ),
    "effort low not a number": (
        _edit("low = 1", 'low = "one"'),
        r"effort needs numeric low and high",
    ),
    "platform unknown": (
        _edit("[match]", 'platform = "joomla"\n[match]'),
        r"platform must be one of \('drupal', 'wordpress', 'any'\)",
    ),
    "plan risk unknown": (
        _edit("[match]", '[plan]\nrisk = "scary"\n[match]'),
        r"\[plan\] risk must be one of \('research', 'manual-content'\)",
    ),
    "plan shared not a boolean or codebase": (
        _edit("[match]", '[plan]\nshared = "yes"\n[match]'),
        r'\[plan\] shared must be true, false or "codebase"',
    ),
    "a shipped prefix with a foreign family": (
        _edit('id = "D7-MOD-901"', 'id = "WP-MOD-901"'),
        r"id 'WP-MOD-901': WP- rules are SITE, PLG, CT",
    ),
}


@pytest.mark.parametrize(("text", "message"), list(BROKEN.values()), ids=list(BROKEN))
def test_broken_rules_are_refused_naming_file_and_key(text: str, message: str) -> None:
    with pytest.raises(RuleError, match="^D7-MOD-901\\.toml: " + message):
        parse_rule("D7-MOD-901.toml", text)


@pytest.mark.parametrize(
    "text",
    [t for t, _why in GAPS.values()],
    ids=GAPS.keys(),
)
def test_closed_validation_gaps(text: str) -> None:
    with pytest.raises(RuleError, match=r"^D7-MOD-901\.toml: "):
        parse_rule("D7-MOD-901.toml", text)


def test_error_messages_match_file_name_pattern() -> None:
    for text in INVALID.values():
        with pytest.raises(RuleError) as info:
            parse_rule("D7-MOD-901.toml", text)
        assert re.match(r"^D7-MOD-901\.toml: \S", str(info.value))
