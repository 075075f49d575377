"""Decisions for the client: what merging several sites' content cannot settle alone.

The content model merges types by machine name and field signature.  Some
merges raise a question only the client can answer, and each becomes a
`model.Decision` with options, a default and what each option costs:

* a required target field that some merged source type does not have
  (every migrated item from it would fail validation);
* one field name with different field types, or different cardinalities;
* a merge of types whose fields are less alike than ``[plan] merge_similarity``;
* a text format of one machine name whose filters differ between sites;
* one field name that holds different things (allowed values, the
  vocabulary or the entities it references);
* a vocabulary of one machine name whose label differs between sites, or a
  role whose permissions do (two things that happen to share a name);
* paths (URL aliases, crawled pages) that several sites use, so that the
  redirect map never sends two old URLs to one new page.

The plan goes ahead with each default until ``[decisions."ID"]`` in
drupalscan.toml records the client's answer.  Answers that keep a type
apart change the content model, so the questions are asked again of the
model they leave, until nothing more is split (each round splits at least
one source off, so this ends).  Each decision in force adds its option's
hours to the plan as a finding (`as_findings`), counted on the first
affected site, so totals, waves and the JSON all carry them.

`questions` finds and words them, with the hours of each answer.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from drupalscan.config import DecisionRecord, Settings
from drupalscan.errors import UsageError
from drupalscan.graph import questions, redirects
from drupalscan.graph.contentmodel import Member, merge_groups, unify
from drupalscan.inventory import model

RULE = "PLAN-DECISION"
"""The rule id a decision's hours are filed under (it is not a check: the plan raises it)."""
RULE_TITLE = "Decisions for the client (the answers in force)"


def decide(
    sites: Sequence[model.Site],
    settings: Settings,
    paths: Mapping[str, Iterable[str]] | None = None,
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
            for d in questions.type_questions(u, g, names, order, settings)
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
        *questions.format_questions(sites, names, order),
        *questions.vocabulary_questions(sites, names, order),
        *questions.role_questions(sites, names, order),
        *questions.path_questions(paths or {}, names, order),
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
    """The target's vocabularies and roles as the answers leave them: one per site
    where the client keeps them apart."""
    lists = {"vocabulary": list(target.vocabularies), "role": list(target.roles)}
    for d in decisions:
        if d.kind in lists and d.choice == "keep_apart":
            name = d.id.split(":", 1)[1]
            extra = d.detail.split("\x1f")[1:]
            lists[d.kind] = [v for v in lists[d.kind] if v != name] + [name, *extra]
    replaced: model.Target = model.replace(
        target,
        vocabularies=sorted(set(lists["vocabulary"])),
        roles=sorted(set(lists["role"])),
    )
    return replaced


# -- applying the answers ----------------------------------------------------------


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
        held = answers.get(f"field_settings:{unified.name}.{fld.name}")
        if held is not None and held.choice == "union":
            fields[fld.name] = _union(fields[fld.name], unified, types, fld.name)
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


def _union(
    target: model.Field,
    unified: model.UnifiedType,
    types: Mapping[tuple[str, str], Mapping[str, model.Field]],
    name: str,
) -> model.Field:
    """The target field allowing every value and target its sources' fields allow."""
    values: dict[str, None] = {}
    refs: dict[str, dict[str, None]] = {}
    for src in unified.sources:
        for source_name, target_name in src.field_map.items():
            own = types[(src.site, src.type)].get(source_name)
            if target_name != name or own is None:
                continue
            values.update(dict.fromkeys(own.allowed_values))
            if own.references:
                kind, _, bundles = own.references.partition(":")
                refs.setdefault(kind, {}).update(dict.fromkeys(b for b in bundles.split(",") if b))
    references = "; ".join(
        f"{kind}:{','.join(sorted(b))}" if b else kind for kind, b in sorted(refs.items())
    )
    united: model.Field = model.replace(target, allowed_values=list(values), references=references)
    return united


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
            out.append(model.replace(u, name=f"{u.name}_{questions.slug(names.get(site, site))}"))
        else:
            out.append(u)
    return out


def redirect_targets(
    rows: Sequence[dict[str, str]],
    decisions: Sequence[model.Decision],
    paths: Mapping[str, Iterable[str]],
    names: Mapping[str, str],
    order: Mapping[str, int],
) -> list[dict[str, str]]:
    """The redirect map with the path-collision answer applied.

    A page whose path another site's page already has moves under its site's
    prefix (``prefix``) or is left for the editors (``review``), so two old
    URLs never land on one new page unnoticed.
    """
    answer = next((d for d in decisions if d.id == "url_aliases"), None)
    if answer is None:
        return list(rows)
    collisions = redirects.path_collisions(paths, order)
    out = []
    for row in rows:
        owned = collisions.get(urlsplit(row["old_url"]).path.rstrip("/").casefold())
        if owned and row["site"] in owned[1:]:
            first = names.get(owned[0], owned[0])
            kept = f"{first} keeps {row['target']}"
            if answer.choice == "prefix":
                prefix = questions.slug(names.get(row["site"], row["site"]))
                row = {**row, "target": f"/{prefix}{row['target']}", "note": f"moved: {kept}"}
            else:
                row = {**row, "target": "", "note": f"to choose: {kept}"}
        out.append(row)
    return out
