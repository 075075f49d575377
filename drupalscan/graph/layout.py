"""Node positions for the report's pictures, computed where networkx lives.

A layered layout: dependencies on the right, the modules that need them on
the left, one column per topological generation.  It reads as "what must be
in place before what", needs no numpy (networkx's force layouts do), and is
deterministic, so the picture and the golden files are reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx

MAX_NODES = 80
"""Beyond this the picture is unreadable; it keeps the most connected nodes."""


def positions(
    edges: Iterable[Sequence[str]], nodes: Iterable[str] = ()
) -> dict[str, tuple[float, float]]:
    """Positions in [0, 1] x [0, 1]; edges point from a module to its dependency."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((e[0], e[1]) for e in edges)
    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_nodes() > MAX_NODES:
        keep = sorted(graph.degree, key=lambda nd: (-nd[1], nd[0]))[:MAX_NODES]
        graph = graph.subgraph(n for n, _ in keep).copy()
    # Cycles are collapsed so every strongly connected group shares a column.
    condensed = nx.condensation(graph)
    columns: list[list[str]] = []
    for layer in nx.topological_generations(condensed):
        members = sorted(m for comp in layer for m in condensed.nodes[comp]["members"])
        columns.append(members)
    # One barycentre pass orders each column by where its neighbours sit,
    # which removes most crossings at no cost.
    rank: dict[str, float] = {}
    for col in columns:

        def weight(node: str) -> tuple[float, str]:
            near = [rank[p] for p in graph.predecessors(node) if p in rank]
            return (sum(near) / len(near) if near else 0.0, node)

        col.sort(key=weight)
        for i, node in enumerate(col):
            rank[node] = i / max(len(col) - 1, 1)
    out: dict[str, tuple[float, float]] = {}
    span = max(len(columns) - 1, 1)
    for x, col in enumerate(columns):
        for i, node in enumerate(col):
            y = (i + 0.5) / len(col)
            out[node] = (round(x / span, 4), round(y, 4))
    return dict(sorted(out.items()))
