"""The dependency picture's layout: dependencies to the right, deterministic."""

from __future__ import annotations

from drupalscan.graph.layout import MAX_NODES, positions


def test_dependencies_sit_right_of_their_dependants() -> None:
    edges = [
        ("views", "ctools"),
        ("panels", "ctools"),
        ("pathauto", "token"),
        ("metatag", "token"),
        ("metatag", "ctools"),
        ("a", "b"),
        ("b", "a"),
    ]
    pos = positions(edges)
    for u, v in edges:
        if {u, v} != {"a", "b"}:
            assert pos[u][0] < pos[v][0]
    assert pos["a"][0] == pos["b"][0]  # a cycle shares a column
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in pos.values())
    assert positions(edges) == pos


def test_large_graphs_are_cut_to_the_most_connected() -> None:
    edges = [(f"m{i}", "hub") for i in range(200)]
    pos = positions(edges)
    assert len(pos) == MAX_NODES and "hub" in pos
    assert positions([]) == {}
