"""Node positions for the report's pictures, computed where networkx lives.

The renderer receives plain coordinates in a unit box, never a graph object.
A fixed seed makes the picture, and the golden files, reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx

MAX_NODES = 80
"""Beyond this a force layout is unreadable; the picture keeps the most connected."""


def positions(
    edges: Iterable[Sequence[str]], nodes: Iterable[str] = ()
) -> dict[str, tuple[float, float]]:
    """Positions in [0, 1] x [0, 1] for the nodes of an undirected view of the edges."""
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((e[0], e[1]) for e in edges)
    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_nodes() > MAX_NODES:
        keep = sorted(graph.degree, key=lambda nd: (-nd[1], nd[0]))[:MAX_NODES]
        graph = graph.subgraph(n for n, _ in keep).copy()
    if graph.number_of_nodes() == 1:
        return {next(iter(graph.nodes)): (0.5, 0.5)}
    raw = nx.spring_layout(graph, seed=7, k=1.5 / max(graph.number_of_nodes(), 1) ** 0.5)
    xs = [p[0] for p in raw.values()]
    ys = [p[1] for p in raw.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    return {
        str(n): (round((p[0] - min(xs)) / span_x, 4), round((p[1] - min(ys)) / span_y, 4))
        for n, p in sorted(raw.items())
    }
