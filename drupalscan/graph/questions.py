"""The questions a merge of sites raises, each with its answers and their hours.

`decisions.decide` asks them of the merged content model and the sites;
this module only finds them and words them (see `decisions` for why they
exist and how answers are applied).  The hours per answer are stated here,
next to why: they are the work an answer adds beyond what the rules already
count (the migration of the content itself is D7-SITE-006's and D7-CT-001's).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from drupalscan.config import Settings
from drupalscan.graph.contentmodel import Member, cardinality
from drupalscan.graph.redirects import path_collisions
from drupalscan.inventory import model

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
UNION = model.Effort(low=1, high=2)
"""A list or reference field opened to every source's values or targets, with
the forms and views that filter on it checked."""
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
MERGE_ROLE = model.Effort(low=1, high=2)
"""One role for two jobs: the union of their permissions reviewed with the client."""
PREFIX_PATH = model.Effort(low=0.02, high=0.05)
"""One page moved under its site's prefix: a redirect row written and checked."""
REVIEW_PATH = model.Effort(low=0.1, high=0.25)
"""One page whose new path the editors choose, agreed and entered in the redirect map."""


def type_questions(
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
                question(
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
                    question(
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
                question(
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
                question(
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
        holds = {_holds(f) for _, f in uses if _holds(f) != ((), "")}
        if len(holds) > 1:
            base = _holds(target_field)
            other = [s for s, f in uses if _holds(f) not in (base, ((), ""))]
            shown = "; ".join(
                f"{_holds_text(f)} on {s.type} of {names.get(s.site, s.site)}" for s, f in uses
            )
            out.append(
                question(
                    f"field_settings:{unified.name}.{fname}",
                    "field_conflict",
                    f"{fname} holds different things across the merged {label}: one field "
                    "for all of them?",
                    f"{shown}.",
                    other,
                    [
                        (
                            "union",
                            "One field that allows what every source allows",
                            UNION,
                            "Every value, vocabulary or bundle of the sources stays valid; "
                            "editors see the longer list.",
                        ),
                        (
                            "keep_apart",
                            "Keep those types apart",
                            times(KEEP_APART, len(other)),
                            "Each type whose field holds something else stays a content type "
                            "of its own.",
                        ),
                    ],
                    "union",
                )
            )
    return out


def _holds(fld: model.Field) -> tuple[tuple[str, ...], str]:
    """What a field may hold: its allowed values and what it references."""
    return tuple(sorted(fld.allowed_values)), fld.references


def _holds_text(fld: model.Field) -> str:
    if fld.references:
        return f"references {fld.references}"
    if fld.allowed_values:
        shown = ", ".join(fld.allowed_values[:6])
        more = f" and {len(fld.allowed_values) - 6} more" if len(fld.allowed_values) > 6 else ""
        return f"values {shown}{more}"
    return "nothing known"


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


def format_questions(
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
            question(
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


def vocabulary_questions(
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
            question(
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


BUILT_IN_ROLES = frozenset({"anonymous user", "authenticated user", "administrator"})
"""Roles that mean the same on every Drupal site, whatever each grants."""
ROLE_OVERLAP = 0.5
"""Permission-set similarity (Jaccard) under which one role name on two sites
is taken for two different jobs: they share less than half of what they grant."""


def role_questions(
    sites: Sequence[model.Site], names: Mapping[str, str], order: Mapping[str, int]
) -> list[model.Decision]:
    """Roles of one name whose permissions say they are different jobs on different sites."""
    seen: dict[str, list[tuple[model.Site, set[str]]]] = defaultdict(list)
    for site in sorted(sites, key=lambda s: order.get(s.id, 0)):
        granted = site.settings.get("role_permissions")
        if isinstance(granted, dict):
            for role, perms in granted.items():
                if role not in BUILT_IN_ROLES and isinstance(perms, list):
                    seen[role].append((site, {str(p) for p in perms}))
    out = []
    for key, uses in sorted(seen.items()):
        if len(uses) < 2:
            continue
        first = uses[0][1]
        overlaps = [_jaccard(first, perms) for _, perms in uses[1:]]
        if min(overlaps) >= ROLE_OVERLAP:
            continue
        common = set.intersection(*(perms for _, perms in uses))
        shown = "; ".join(
            f"{names.get(s.id, s.id)} grants {len(perms)} (e.g. "
            f"{', '.join(sorted(perms - common)[:3]) or 'nothing more'})"
            for s, perms in uses
        )
        extra = [f"{key}_{slug(names.get(s.id, s.id))}" for s, _ in uses[1:]]
        out.append(
            question(
                f"role:{key}",
                "role",
                f"The role {key} grants different things on each site: one job, or several "
                "that share a name?",
                f"Permissions: {shown}; {len(common)} in common.",
                [],
                [
                    (
                        "keep_apart",
                        "One role per site",
                        times(SEPARATE, len(extra)),
                        f"The target gets {', '.join(extra)} beside {key}; users keep what "
                        "they could do.",
                    ),
                    (
                        "merge",
                        "One role with every permission the sites grant it",
                        MERGE_ROLE,
                        "Some users gain permissions they did not have; the list is reviewed "
                        "with the client.",
                    ),
                ],
                "keep_apart",
                site=uses[1][0].id,
                sites=[s.id for s, _ in uses],
                extra=extra,
            )
        )
    return out


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def path_questions(
    paths: Mapping[str, Iterable[str]], names: Mapping[str, str], order: Mapping[str, int]
) -> list[model.Decision]:
    """Where the pages go whose path another site's page already has."""
    collisions = path_collisions(paths, order)
    if not collisions:
        return []
    moved = sum(len(owned) - 1 for owned in collisions.values())
    shown = ", ".join(list(collisions)[:8]) + (
        f" and {len(collisions) - 8} more" if len(collisions) > 8 else ""
    )
    involved = sorted(
        {s for owned in collisions.values() for s in owned}, key=lambda s: order.get(s, 0)
    )
    later = next(owned[1] for owned in collisions.values())
    per_site = "; ".join(
        f"{names.get(sid, sid)}: {sum(1 for owned in collisions.values() if sid in owned)}"
        for sid in involved
    )
    return [
        question(
            "url_aliases",
            "url_alias",
            f"{len(collisions):,} path(s) are used by more than one site ({shown}): where do "
            "the later sites' pages go, so that no two old URLs redirect to one new page?",
            f"Colliding paths per site: {per_site}; {moved:,} page(s) must move.",
            [],
            [
                (
                    "prefix",
                    "The first site keeps each path; the others' pages move under a site prefix",
                    times(PREFIX_PATH, moved),
                    "The redirect map sends each old URL to its own page (/hr/about); "
                    "links to the moved pages are checked.",
                ),
                (
                    "review",
                    "The client's editors choose each moved page's new path",
                    times(REVIEW_PATH, moved),
                    "The redirect map leaves those rows to be filled in with the editors.",
                ),
            ],
            "prefix",
            site=later,
            sites=involved,
        )
    ]


def question(
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


def times(effort: model.Effort, n: int) -> model.Effort:
    """An option's hours for ``n`` types, formats or vocabularies."""
    return model.Effort(low=effort.low * n, high=effort.high * n)


def slug(text: str) -> str:
    """A machine-name fragment from a site name: ``Northwind HR`` -> ``northwind_hr``."""
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")[:24] or "site"
