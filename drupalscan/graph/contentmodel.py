"""The unified content model: source content types merged into target types.

Connected components of the content graph become one target type each;
every source type's fields are mapped onto the target type's fields, and
conflicts (the same name with other types or cardinalities) are resolved
towards the broader type and reported.
"""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Sequence

import networkx as nx

from drupalscan.graph import build
from drupalscan.inventory import model

FIELD_NAME_SIMILARITY = 0.6
"""difflib ratio from which a field of a renamed content type maps onto a
target field of the same type and a different name.

Names are compared without the ``field_`` prefix every field shares, which
would otherwise lift unrelated names over the bar (``field_summary`` and
``field_subtitle`` score 0.67 with it, 0.27 without).  At 0.6 a prefixed or
shortened copy matches (``news_image`` -> ``image`` 0.67, ``staff_phone`` ->
``phone`` 0.63) while different words do not (``tags`` / ``topics`` 0.4).
"""

TYPE_BREADTH = {
    "text": 0,
    "text_long": 1,
    "text_with_summary": 2,
    "list_integer": 0,
    "list_float": 1,
    "list_text": 2,
    "number_integer": 0,
    "number_decimal": 1,
    "number_float": 1,
    "image": 0,
    "file": 1,
}
"""How much a field type holds, within its family: a conflict tied on nodes
resolves to the broader type, into which the narrower one's values fit."""


Member = tuple[str, model.ContentType]
"""A source content type: (site id, the type)."""


def content_model(sites: Sequence[model.Site]) -> list[model.UnifiedType]:
    """One unified type per connected component of the content graph."""
    return sorted((unify(group) for group in merge_groups(sites)), key=lambda u: u.name)


def merge_groups(sites: Sequence[model.Site]) -> list[list[Member]]:
    """The source types judged the same thing: one list per connected component."""
    graph = build.content_graph(sites)
    groups = []
    for component in nx.connected_components(graph):
        members = sorted(n for n in component if n[0] != "name")
        if members:
            groups.append([(sid, graph.nodes[(sid, name)]["ct"]) for sid, name in members])
    return sorted(groups, key=lambda g: (g[0][0], g[0][1].name))


def unify(cts: Sequence[tuple[str, model.ContentType]]) -> model.UnifiedType:
    """The target type for content types judged the same thing.

    The target takes the most common machine name; its fields are the union
    by name of the types with that name.  Types joined by field signature
    under another name map their fields by name, then by similar name and
    same type, else bring a field of their own.  Fields meeting under one
    target name with different types or cardinalities are conflicts, each
    resolved (see `resolve`) and said how.
    """
    name_counts = Counter(ct.name for _, ct in cts)
    target_name = sorted(name_counts, key=lambda n: (-name_counts[n], n))[0]
    fields: dict[str, model.Field] = {}
    for _, ct in cts:
        if ct.name == target_name:
            for fld in ct.fields:
                fields.setdefault(fld.name, fld)
    maps: dict[tuple[str, str], dict[str, str]] = {}
    # Same-named sources first: their fields define the target, then the
    # renamed ones map onto it (in site order, so the result is stable).
    for site_id, ct in sorted(cts, key=lambda sc: (sc[1].name != target_name, sc[0], sc[1].name)):
        if ct.name == target_name:
            maps[(site_id, ct.name)] = {f.name: f.name for f in ct.fields}
        else:
            maps[(site_id, ct.name)] = map_fields(ct.fields, fields)
    uses: dict[str, list[tuple[model.Field, int | None]]] = defaultdict(list)
    for site_id, ct in cts:
        for fld in ct.fields:
            uses[maps[(site_id, ct.name)][fld.name]].append((fld, ct.count))
    conflicts: list[str] = []
    target_fields = []
    for fname in sorted(fields):
        resolved, text = resolve(fname, uses[fname])
        target_fields.append(resolved)
        conflicts.extend(text)
    target_sig = {f"{f.name}:{f.type}" for f in target_fields}
    sources = [
        model.TypeSource(
            site=site_id,
            type=ct.name,
            field_map=maps[(site_id, ct.name)],
            nodes=ct.count,
            similarity=round(
                build.jaccard(
                    {f"{maps[(site_id, ct.name)][f.name]}:{f.type}" for f in ct.fields},
                    target_sig,
                ),
                2,
            ),
        )
        for site_id, ct in cts
    ]
    label = next((ct.label for _, ct in cts if ct.name == target_name and ct.label), target_name)
    return model.UnifiedType(
        name=target_name, label=label, fields=target_fields, sources=sources, conflicts=conflicts
    )


def stem(name: str) -> str:
    """A field name without the ``field_`` prefix all fields share."""
    return name.removeprefix("field_")


def map_fields(source: Sequence[model.Field], target: dict[str, model.Field]) -> dict[str, str]:
    """Source field -> target field for a type merged under another name.

    Adds the fields that match nothing to `target`.  A target field receives
    at most one field of a given source, so two source fields never merge.
    """
    mapping = {f.name: f.name for f in source if f.name in target}
    used = set(mapping)
    for fld in source:
        if fld.name in mapping:
            continue
        scored = sorted(
            (-difflib.SequenceMatcher(None, stem(fld.name), stem(t.name)).ratio(), t.name)
            for t in target.values()
            if t.type == fld.type and t.name not in used
        )
        if scored and -scored[0][0] >= FIELD_NAME_SIMILARITY:
            mapping[fld.name] = scored[0][1]
        else:
            target[fld.name] = fld
            mapping[fld.name] = fld.name
        used.add(mapping[fld.name])
    return mapping


def cardinality(value: int) -> str:
    return "unlimited" if value == -1 else str(value)


def resolve(
    name: str, uses: Sequence[tuple[model.Field, int | None]]
) -> tuple[model.Field, list[str]]:
    """The target field for every source field mapped to `name`, and the conflicts.

    Type: the one holding most nodes, since converting the most content is
    the most work and risk; on a tie, the broader type (text_long over
    text), into which the other's values fit; then the one more source types
    use.  Cardinality: the largest (unlimited first), because a narrower
    target would drop values, whatever most nodes use.
    """
    nodes: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    for fld, count in uses:
        nodes[fld.type] += count or 0
        sources[fld.type] += 1
    types = sorted(sources)
    chosen = sorted(types, key=lambda t: (-nodes[t], -TYPE_BREADTH.get(t, 0), -sources[t], t))[0]
    conflicts = []
    if len(types) > 1:
        runner_up = sorted(
            (t for t in types if t != chosen),
            key=lambda t: (-nodes[t], -TYPE_BREADTH.get(t, 0), -sources[t], t),
        )[0]
        if nodes[chosen] != nodes[runner_up]:
            why = f"used by most nodes ({nodes[chosen]:,} of {sum(nodes.values()):,} known)"
        elif TYPE_BREADTH.get(chosen, 0) != TYPE_BREADTH.get(runner_up, 0):
            why = "node counts tie, so the broader type"
        elif sources[chosen] != sources[runner_up]:
            why = "node counts tie, so the type more source types use"
        else:
            why = "nothing tells them apart, so the first by name; check it"
        detail = "; ".join(
            f"{t} on {sources[t]} source type(s), {nodes[t]:,} node(s)" for t in types
        )
        conflicts.append(f"{name}: field types differ ({detail}); target uses {chosen}: {why}")
    cards = sorted({fld.cardinality for fld, _ in uses}, key=lambda c: (c != -1, -c))
    if len(cards) > 1:
        shown = ", ".join(cardinality(c) for c in sorted(cards, key=lambda c: (c == -1, c)))
        conflicts.append(
            f"{name}: cardinality differs ({shown}); target uses {cardinality(cards[0])} "
            "so no values are dropped"
        )
    base = next(fld for fld, _ in uses if fld.type == chosen)
    return model.replace(base, name=name, cardinality=cards[0]), conflicts
