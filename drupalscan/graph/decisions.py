"""Decisions for the client: what merging several sites' content cannot settle alone.

The content model merges types by machine name and field signature.  Some
merges raise a question only the client can answer, and each becomes a
`model.Decision` with options, a default and what each option costs:

* a required target field that some merged source type does not have
  (every migrated item from it would fail validation);
* one field name with different field types, or different cardinalities;
* a merge of types whose fields are less alike than ``[plan] merge_similarity``;
* a text format of one machine name whose filters differ between sites;
* a vocabulary of one machine name whose label differs between sites (two
  things that happen to share a name).

The plan goes ahead with each default until ``[decisions."ID"]`` in
drupalscan.toml records the client's answer.  Answers that keep a type
apart change the content model, so the questions are asked again of the
model they leave, until nothing more is split (each round splits at least
one source off, so this ends).  Each decision in force adds its option's
hours to the plan as a finding (`as_findings`), counted on the first
affected site, so totals, waves and the JSON all carry them.

The hours per option are deliberately small and stated here, next to why:
they are the work a decision adds beyond what the rules already count (the
migration of the content itself is D7-SITE-006's and D7-CT-001's).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from drupalscan.config import DecisionRecord, Settings
from drupalscan.errors import UsageError
from drupalscan.graph.contentmodel import Member, cardinality, merge_groups, unify
from drupalscan.inventory import model

RULE = "PLAN-DECISION"
"""The rule id a decision's hours are filed under (it is not a check: the plan raises it)."""
RULE_TITLE = "Decisions for the client (the answers in force)"

KEEP_APART = model.Effort(low=4, high=12)
"""A source type kept as a content type of its own: its fields, form and
display, its listing and its own migration, per source type kept apart."""
DEFAULT_VALUE = model.Effort(low=1, high=3)
"""A default value agreed with the client and set in the migration's process."""
MAKE_OPTIONAL = model.Effort(low=0.5, high=1)
"""A required flag dropped and the form and display checked."""
CONVERT = model.Effort(low=2, high=6)
"""A process plugin that converts one field type's values into another's,
checked on a sample of migrated items."""
SEPARATE_FIELDS = model.Effort(low=1, high=3)
"""A second field on the target, with its form and display and the views that show it."""
WIDEN = model.Effort(low=0.5, high=1)
"""A single-value field made multi-value: form, display and views checked."""
REVIEW_MAP = model.Effort(low=2, high=6)
"""Walking through a weak field map with the client's editors and fixing it."""
RENAME = model.Effort(low=0.5, high=1)
"""A target type renamed: its path pattern, listings and the redirect map follow."""
MERGE_FORMAT = model.Effort(low=1, high=3)
"""One text format for content written under different filters, with the
markup the stricter filters would strip found and checked."""
SEPARATE = model.Effort(low=0.5, high=1)
"""One more text format or vocabulary on the target, per site beyond the first."""
MERGE_VOCABULARY = model.Effort(low=1, high=4)
"""Two vocabularies made one: terms of one name merged, references remapped."""


def decide(
    sites: Sequence[model.Site], settings: Settings
) -> tuple[list[model.UnifiedType], list[model.Decision], list[str]]:
    """The content model with the answers in force, every decision, and notes.

    A recorded answer that is not one of its decision's options is a usage
    error naming the decision and the options; an answer to a question this
    plan does not ask (the sites changed) is a note, not an error.
    """
    names = {s.id: s.name or s.source for s in sites}
    order = {s.id: k for k, s in enumerate(sorted(sites, key=lambda s: s.source))}
    groups = merge_groups(sites)
    asked: dict[str, model.Decision] = {}
    renames: dict[str, str] = {}
    while True:
        merged = [unify(g) for g in groups]
        found = [
            d
            for g, u in zip(groups, merged, strict=True)
            for d in _type_decisions(u, g, names, order, settings)
        ]
        split = False
        for decision in found:
            answered = _answer(decision, settings)
            asked[answered.id] = answered
            if answered.choice == "keep_apart":
                groups = _keep_apart(groups, answered, decision_sources(answered))
                split = True
                break  # ask again of the model this leaves
            if answered.choice == "rename":
                renames[answered.id.split(":", 1)[1]] = answered.name
        if not split:
            break
    answers = {d.id: d for d in asked.values()}
    unified = [
        _renamed(_field_answers(u, g, answers), renames)
        for g, u in zip(groups, merged, strict=True)
    ]
    unified = _unique_names(unified, names)
    for decision in [
        *_format_decisions(sites, names, order),
        *_vocabulary_decisions(sites, names, order),
    ]:
        answered = _answer(decision, settings)
        asked[answered.id] = answered
    notes = [
        f'drupalscan.toml answers decision "{key}", which this plan does not ask '
        "(the sites or their content changed); the answer is not used."
        for key in sorted(set(settings.decisions) - set(asked))
    ]
    decisions = sorted(asked.values(), key=lambda d: (order.get(d.site, 0), d.kind, d.id))
    return sorted(unified, key=lambda u: u.name), decisions, notes


def decision_sources(decision: model.Decision) -> list[tuple[str, str]]:
    """(site id, source type) pairs a keep-apart answer splits off, from the decision's id."""
    return [
        (sid, ctype)
        for part in decision.detail.split("\x1f")[1:]
        for sid, _, ctype in [part.partition(":")]
    ]


def as_findings(decisions: Sequence[model.Decision]) -> list[model.Finding]:
    """Each decision's answer in force as a finding: its hours join the plan's totals."""
    out = []
    for d in decisions:
        option = d.chosen()
        state = (
            f"decided by {d.decided_by}" if d.decided_by else "decided" if d.decided else "default"
        )
        out.append(
            model.Finding(
                rule=RULE,
                severity="medium" if d.choice == d.default and not d.decided else "info",
                site=d.site,
                subject=model.Subject(kind="decision", name=d.id),
                message=f"{d.question} In force ({state}): {option.label}.",
                category="decision",
                evidence=[plain_detail(d)],
                effort_hours=option.effort_hours,
                quantity=1.0,
                unit="decision",
                remedy=option.consequence,
            )
        )
    return out


def plain_detail(decision: model.Decision) -> str:
    """What the planner found, without the machine-readable source list."""
    return decision.detail.split("\x1f")[0]


def apply_to_target(target: model.Target, decisions: Sequence[model.Decision]) -> model.Target:
    """The target's vocabularies as the vocabulary answers leave them."""
    vocabularies = list(target.vocabularies)
    for d in decisions:
        if d.kind == "vocabulary" and d.choice == "keep_apart":
            name = d.id.split(":", 1)[1]
            extra = d.detail.split("\x1f")[1:]
            vocabularies = [v for v in vocabularies if v != name] + [name, *extra]
    replaced: model.Target = model.replace(target, vocabularies=sorted(set(vocabularies)))
    return replaced


# -- finding the questions -------------------------------------------------------


def _type_decisions(
    unified: model.UnifiedType,
    members: Sequence[Member],
    names: Mapping[str, str],
    order: Mapping[str, int],
    settings: Settings,
) -> list[model.Decision]:
    """The questions one merged content type raises."""
    if len(members) < 2:
        return []
    out = []
    sources = sorted(unified.sources, key=lambda s: (order.get(s.site, 0), s.type))
    by_source = {(sid, ct.name): ct for sid, ct in members}
    label = f"{unified.label or unified.name} ({unified.name})"
    # A type whose fields are not known (a crawled site's) has no signature to
    # compare: its similarity says nothing, so it raises no weak-merge question.
    weak = [
        s
        for s in sources
        if s.similarity < settings.merge_similarity and by_source[(s.site, s.type)].fields
    ]
    if weak:
        anchor = max(sources, key=lambda s: (s.similarity, s.nodes or 0, -order.get(s.site, 0)))
        apart = [s for s in sources if s is not anchor and s in weak]
        if apart:
            shown = ", ".join(
                f"{s.type} on {names.get(s.site, s.site)} ({s.similarity:.2f})" for s in sources
            )
            out.append(
                _decision(
                    f"weak_merge:{unified.name}",
                    "weak_merge",
                    f"Merge the content types behind {label}? Their fields are less alike "
                    f"than {settings.merge_similarity:.2f}.",
                    f"Field-signature similarity to the merged type: {shown}.",
                    apart,
                    [
                        (
                            "merge",
                            "Merge them as planned",
                            REVIEW_MAP,
                            "The field map is walked through with the editors and corrected.",
                        ),
                        (
                            "rename",
                            "Merge them under another name (name = ...)",
                            REVIEW_MAP + RENAME,
                            "The merged type takes the name the client gives; URLs follow.",
                        ),
                        (
                            "keep_apart",
                            "Keep them as separate content types",
                            times(KEEP_APART, len(apart)),
                            "Each kept apart becomes a content type of its own on the target.",
                        ),
                    ],
                    "merge",
                )
            )
    mapped: dict[str, list[tuple[model.TypeSource, model.Field]]] = defaultdict(list)
    for src in sources:
        ct = by_source[(src.site, src.type)]
        for fld in ct.fields:
            mapped[src.field_map.get(fld.name, fld.name)].append((src, fld))
    for target_field in unified.fields:
        uses = mapped.get(target_field.name, [])
        fname = target_field.name
        if target_field.required:
            having = {id(u[0]) for u in uses}
            lacking = [s for s in sources if id(s) not in having]
            if lacking:
                where = ", ".join(f"{s.type} on {names.get(s.site, s.site)}" for s in lacking)
                out.append(
                    _decision(
                        f"required_field:{unified.name}.{fname}",
                        "required_field",
                        f"{fname} is required on the target {label}, but {where} has no "
                        "such field known. What do its items get?",
                        _lacking_text(lacking, by_source),
                        lacking,
                        [
                            (
                                "default_value",
                                "Keep it required; migrated items get a default "
                                "value the client names",
                                DEFAULT_VALUE,
                                "The migration sets the agreed value on every item without one.",
                            ),
                            (
                                "optional",
                                "Make the field optional",
                                MAKE_OPTIONAL,
                                "Items from the sites without the field have it empty.",
                            ),
                            (
                                "keep_apart",
                                "Keep those types apart",
                                times(KEEP_APART, len(lacking)),
                                "Each type without the field stays a content type of its own.",
                            ),
                        ],
                        "default_value",
                    )
                )
        types = sorted({f.type for _, f in uses})
        if len(types) > 1:
            others = [s for s, f in uses if f.type != target_field.type]
            detail = "; ".join(
                f"{f.type} on {s.type} of {names.get(s.site, s.site)}" for s, f in uses
            )
            out.append(
                _decision(
                    f"field_type:{unified.name}.{fname}",
                    "field_conflict",
                    f"{fname} has different field types across the merged {label}: one "
                    "field, converted, or two?",
                    f"{detail}; the plan uses {target_field.type}.",
                    others,
                    [
                        (
                            "convert",
                            f"One {target_field.type} field; the migration converts "
                            "the others' values",
                            CONVERT,
                            "Values are converted; ones that do not fit are listed for editors.",
                        ),
                        (
                            "separate_fields",
                            "Two fields on the target",
                            SEPARATE_FIELDS,
                            f"The others' values go to a field of their own beside {fname}.",
                        ),
                        (
                            "keep_apart",
                            "Keep those types apart",
                            times(KEEP_APART, len(others)),
                            "Each type with the other field type stays a content type of its own.",
                        ),
                    ],
                    "convert",
                )
            )
        cards = sorted({f.cardinality for _, f in uses}, key=lambda c: (c == -1, c))
        if len(cards) > 1:
            narrow = [s for s, f in uses if f.cardinality != target_field.cardinality]
            shown = ", ".join(
                f"{cardinality(f.cardinality)} on {s.type} of {names.get(s.site, s.site)}"
                for s, f in uses
            )
            out.append(
                _decision(
                    f"cardinality:{unified.name}.{fname}",
                    "field_conflict",
                    f"{fname} takes a different number of values across the merged {label}.",
                    f"Values allowed: {shown}; the plan allows "
                    f"{cardinality(target_field.cardinality)} so none is dropped.",
                    narrow,
                    [
                        (
                            "widen",
                            f"Allow {cardinality(target_field.cardinality)} values",
                            WIDEN,
                            "No value is dropped; forms and displays are checked for several.",
                        ),
                        (
                            "keep_apart",
                            "Keep those types apart",
                            times(KEEP_APART, len(narrow)),
                            "Each type with the other limit stays a content type of its own.",
                        ),
                    ],
                    "widen",
                )
            )
    return out


def _lacking_text(
    lacking: Sequence[model.TypeSource], by_source: Mapping[tuple[str, str], model.ContentType]
) -> str:
    """How many items would arrive without the required field, as far as anyone knows."""
    known = [s for s in lacking if by_source[(s.site, s.type)].fields]
    unknown = [s for s in lacking if not by_source[(s.site, s.type)].fields]
    parts = []
    if known:
        counted = [s.nodes for s in known if s.nodes is not None]
        items = f"{sum(counted):,}" if len(counted) == len(known) else "an unknown number of"
        parts.append(f"{items} item(s) would arrive without a value and fail validation")
    if unknown:
        parts.append(
            f"the fields of {', '.join(s.type for s in unknown)} are not known (a crawled "
            "site; its database would say), so the field may be missing on every item"
        )
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def _format_decisions(
    sites: Sequence[model.Site], names: Mapping[str, str], order: Mapping[str, int]
) -> list[model.Decision]:
    """Text formats of one machine name whose filters differ between sites."""
    seen: dict[str, list[tuple[model.Site, dict[str, Any]]]] = defaultdict(list)
    for site in sites:
        for fmt in site.text_formats:
            if fmt.get("status", 1):
                seen[str(fmt.get("format", ""))].append((site, fmt))
    out = []
    for key, uses in sorted(seen.items()):
        filters = {tuple(sorted(str(f) for f in fmt.get("filters") or [])) for _, fmt in uses}
        if len(uses) < 2 or len(filters) < 2:
            continue
        uses = sorted(uses, key=lambda u: order.get(u[0].id, 0))
        shown = "; ".join(
            f"{names.get(s.id, s.id)}: {', '.join(fmt.get('filters') or []) or 'no filters'} "
            f"({int(fmt.get('nodes_using') or 0):,} item(s))"
            for s, fmt in uses
        )
        extra = [f"{key}_{slug(names.get(s.id, s.id))}" for s, _ in uses[1:]]
        out.append(
            _decision(
                f"text_format:{key}",
                "text_format",
                f"The text format {key} filters differently on each site: one format or one "
                "per site?",
                f"Filters per site: {shown}.",
                [],
                [
                    (
                        "merge",
                        "One format on the target",
                        MERGE_FORMAT,
                        "Content written under looser filters is checked for markup the target "
                        "format strips.",
                    ),
                    (
                        "keep_apart",
                        "One format per site",
                        times(SEPARATE, len(extra)),
                        f"The target gets {', '.join(extra)} beside {key}.",
                    ),
                ],
                "merge",
                site=uses[0][0].id,
                sites=[s.id for s, _ in uses],
            )
        )
    return out


def _vocabulary_decisions(
    sites: Sequence[model.Site], names: Mapping[str, str], order: Mapping[str, int]
) -> list[model.Decision]:
    """Vocabularies of one machine name whose labels say they are different things."""
    seen: dict[str, list[tuple[model.Site, model.Vocabulary]]] = defaultdict(list)
    for site in sorted(sites, key=lambda s: order.get(s.id, 0)):
        for vocabulary in site.vocabularies:
            seen[vocabulary.name].append((site, vocabulary))
    out = []
    for key, uses in sorted(seen.items()):
        labels = {(v.label or v.name).strip().casefold() for _, v in uses}
        if len(uses) < 2 or len(labels) < 2:
            continue
        shown = "; ".join(
            f"{names.get(s.id, s.id)}: {v.label or v.name}"
            + (f" ({v.terms:,} terms)" if v.terms is not None else "")
            for s, v in uses
        )
        extra = [f"{key}_{slug(names.get(s.id, s.id))}" for s, _ in uses[1:]]
        out.append(
            _decision(
                f"vocabulary:{key}",
                "vocabulary",
                f"The vocabulary {key} has a different name on each site: the same thing, or "
                "two that share a machine name?",
                f"Labels per site: {shown}.",
                [],
                [
                    (
                        "keep_apart",
                        "One vocabulary per site",
                        times(SEPARATE, len(extra)),
                        f"The target gets {', '.join(extra)} beside {key}.",
                    ),
                    (
                        "merge",
                        "One vocabulary",
                        MERGE_VOCABULARY,
                        "Terms of the same name are merged and references remapped.",
                    ),
                ],
                "keep_apart",
                site=uses[0][0].id,
                sites=[s.id for s, _ in uses],
                extra=extra,
            )
        )
    return out


# -- building and answering ---------------------------------------------------------


def _decision(
    key: str,
    kind: str,
    question: str,
    detail: str,
    affected: Sequence[model.TypeSource],
    options: Sequence[tuple[str, str, model.Effort, str]],
    default: str,
    *,
    site: str = "",
    sites: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> model.Decision:
    """A decision; the sources a keep-apart answer splits off ride in ``detail``.

    They follow the human text after a unit separator (never in a report:
    `plain_detail` cuts it), so the id stays short enough to type in TOML.
    """
    split = [f"{s.site}:{s.type}" for s in affected] or list(extra)
    return model.Decision(
        id=key,
        kind=kind,
        question=question,
        detail="\x1f".join([detail, *split]),
        site=site or (affected[0].site if affected else ""),
        sites=list(sites) or sorted({s.site for s in affected}),
        options=[
            model.DecisionOption(key=k, label=label, effort_hours=effort, consequence=text)
            for k, label, effort, text in options
        ],
        default=default,
        choice=default,
    )


def _answer(decision: model.Decision, settings: Settings) -> model.Decision:
    """The decision with the client's answer from drupalscan.toml, if any."""
    record: DecisionRecord | None = settings.decisions.get(decision.id)
    if record is None:
        return decision
    keys = [o.key for o in decision.options]
    if record.choice not in keys:
        raise UsageError(
            f'{settings.source or "drupalscan.toml"}: [decisions."{decision.id}"] choice '
            f"must be one of {', '.join(keys)}, not {record.choice!r}"
        )
    if record.choice == "rename" and not re.fullmatch(r"[a-z][a-z0-9_]*", record.name):
        raise UsageError(
            f'{settings.source or "drupalscan.toml"}: [decisions."{decision.id}"] rename '
            'needs name = "machine_name" (lower-case letters, digits, _)'
        )
    answered: model.Decision = model.replace(
        decision,
        choice=record.choice,
        decided_by=record.by,
        decided_on=record.on,
        note=record.note,
        name=record.name,
    )
    return answered


def _keep_apart(
    groups: list[list[Member]], decision: model.Decision, apart: Sequence[tuple[str, str]]
) -> list[list[Member]]:
    """The merge groups with the given source types each in a group of its own."""
    wanted = set(apart)
    out = []
    for group in groups:
        kept = [m for m in group if (m[0], m[1].name) not in wanted]
        if kept:
            out.append(kept)
        out.extend([m] for m in group if (m[0], m[1].name) in wanted)
    return out


def _field_answers(
    unified: model.UnifiedType, members: Sequence[Member], answers: Mapping[str, model.Decision]
) -> model.UnifiedType:
    """The target type as its field answers leave it: optional, or a second field.

    ``optional`` drops the required flag; ``separate_fields`` gives the values
    of another field type a field of their own (``NAME_TYPE``), and the
    sources that had that type map to it.
    """
    types = {(sid, ct.name): {f.name: f for f in ct.fields} for sid, ct in members}
    fields = {f.name: f for f in unified.fields}
    sources = list(unified.sources)
    for fld in unified.fields:
        required = answers.get(f"required_field:{unified.name}.{fld.name}")
        if required is not None and required.choice == "optional":
            fields[fld.name] = model.replace(fields[fld.name], required=False)
        typed = answers.get(f"field_type:{unified.name}.{fld.name}")
        if typed is None or typed.choice != "separate_fields":
            continue
        for i, src in enumerate(sources):
            field_map = dict(src.field_map)
            for source_name, target_name in src.field_map.items():
                own = types[(src.site, src.type)].get(source_name)
                if target_name != fld.name or own is None or own.type == fld.type:
                    continue
                new_name = f"{fld.name}_{own.type}"
                field_map[source_name] = new_name
                fields.setdefault(new_name, model.replace(own, name=new_name))
            sources[i] = model.replace(src, field_map=field_map)
    changed: model.UnifiedType = model.replace(
        unified, fields=sorted(fields.values(), key=lambda f: f.name), sources=sources
    )
    return changed


def _renamed(unified: model.UnifiedType, renames: Mapping[str, str]) -> model.UnifiedType:
    new = renames.get(unified.name)
    if not new:
        return unified
    renamed: model.UnifiedType = model.replace(unified, name=new)
    return renamed


def _unique_names(
    unified: Sequence[model.UnifiedType], names: Mapping[str, str]
) -> list[model.UnifiedType]:
    """Target types with one machine name each: a type kept apart takes its site's name."""
    counts: dict[str, int] = defaultdict(int)
    for u in unified:
        counts[u.name] += 1
    out: list[model.UnifiedType] = []
    for u in sorted(unified, key=lambda u: (-len(u.sources), u.name)):
        if counts[u.name] > 1 and len(u.sources) == 1 and any(o.name == u.name for o in out):
            site = u.sources[0].site
            out.append(model.replace(u, name=f"{u.name}_{slug(names.get(site, site))}"))
        else:
            out.append(u)
    return out


def times(effort: model.Effort, n: int) -> model.Effort:
    """An option's hours for ``n`` types, formats or vocabularies."""
    return model.Effort(low=effort.low * n, high=effort.high * n)


def slug(text: str) -> str:
    """A machine-name fragment from a site name: ``Northwind HR`` -> ``northwind_hr``."""
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:24] or "site"
