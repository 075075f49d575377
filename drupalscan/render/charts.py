"""The report's pictures as SVG coordinates: effort bars, waves timeline, matrix, graph.

The templates draw what they are given; the geometry (bar widths, node and
label positions, where a label flips to stay inside the picture) is worked
out here, where the numbers can be tested.  Only positions are computed: the
hours and counts drawn are the plan's.
"""

from __future__ import annotations

from drupalscan.graph.layout import positions
from drupalscan.inventory import model
from drupalscan.render.viewmodel import (
    AxisTick,
    EffortBar,
    GraphEdge,
    GraphNode,
    GraphPicture,
    MatrixBand,
    MatrixCell,
    MatrixColumn,
    MatrixLine,
    MatrixView,
    WaveBar,
    WaveChart,
    WaveView,
)
from drupalscan.render.wording import FEATURE_KINDS

# Geometry of the summary's effort chart (SVG user units, viewBox 900 wide).
EFFORT_BAR_X = 260
EFFORT_BAR_WIDTH = 520
# Geometry of the waves timeline.
WAVE_X = 110
WAVE_WIDTH = 760
WAVE_ROW = 54
# Geometry of the consolidation matrix.
MATRIX_LABEL = 300
MATRIX_COL = 120
MATRIX_ROW = 22
MATRIX_HEAD = 118


def effort_bar(total: model.HourRange, max_high: int) -> EffortBar:
    """A site's bar in the summary chart, scaled so the largest high estimate fills it."""
    low = round(EFFORT_BAR_WIDTH * total.low / max_high, 1)
    high = round(EFFORT_BAR_WIDTH * total.high / max_high, 1)
    return EffortBar(low=low, high=high, label_x=round(EFFORT_BAR_X + high + 8, 1))


def graph_picture(plan: model.Plan) -> GraphPicture:
    """Nodes and edges of the non-core dependency graph in SVG coordinates."""
    actions = {t.name: t.action for t in plan.target.modules}
    pos = {name: (xy[0], xy[1]) for name, xy in plan.display.layout.items()}
    if not pos and plan.dependency_edges:  # an older plan, without the layout
        pos = positions(plan.dependency_edges)
    width, height, pad = 900, 520, 40
    nodes = [
        GraphNode(
            name=name,
            x=round(pad + x * (width - 2 * pad), 1),
            y=round(pad + y * (height - 2 * pad), 1),
            action=actions.get(name, "keep_core"),
            # Labels near the right edge go left of their dot so they stay inside.
            anchor="end" if x > 0.8 else "start",
            label_x=round(pad + x * (width - 2 * pad) + (-9 if x > 0.8 else 9), 1),
        )
        for name, (x, y) in pos.items()
    ]
    at = {n.name: n for n in nodes}
    edges = [
        GraphEdge(x1=at[u].x, y1=at[u].y, x2=at[v].x, y2=at[v].y)
        for u, v in plan.dependency_edges
        if u in at and v in at
    ]
    return GraphPicture(width=width, height=height, nodes=nodes, edges=edges)


def wave_chart(waves: list[WaveView]) -> WaveChart:
    """A Gantt-style timeline: waves run one after another, length = high estimate.

    The dark part of each bar is the low estimate, as in the effort chart, so a
    reader sees both how long the programme may take and how uncertain it is.
    """
    total = sum(w.high for w in waves)
    scale = WAVE_WIDTH / total if total else 0.0
    equal = WAVE_WIDTH / max(len(waves), 1)
    rows = []
    cursor = 0.0
    for i, w in enumerate(waves):
        width = w.high * scale if total else equal
        low = w.low * scale if total else 0.0
        x = WAVE_X + cursor
        y = 28 + i * WAVE_ROW
        text = ", ".join(w.sites) + f" · {w.effort}"
        # Labels are placed above their bar; late waves would run off the right
        # edge, so their label ends where the bar ends instead.
        flip = x + 6.8 * len(text) > WAVE_X + WAVE_WIDTH + 20
        rows.append(
            WaveBar(
                index=w.index,
                x=round(x, 1),
                y=y,
                width=round(max(width, 3.0), 1),
                low_width=round(min(low, width), 1),
                text=text,
                text_x=round(x + width if flip else x, 1),
                anchor="end" if flip else "start",
            )
        )
        cursor += width
    axis_y = 28 + len(waves) * WAVE_ROW - 14
    ticks = [
        AxisTick(
            x=round(WAVE_X + WAVE_WIDTH * q, 1),
            label=f"{total * q:,.0f} h" if total else "",
        )
        for q in (0, 0.25, 0.5, 0.75, 1)
    ]
    return WaveChart(
        rows=rows,
        ticks=ticks,
        axis_y=axis_y,
        height=axis_y + 26,
        label_x=0,
        x0=WAVE_X,
        x1=WAVE_X + WAVE_WIDTH,
    )


def feature_matrix(sites: list[model.Site], plan: model.Plan, names: dict[str, str]) -> MatrixView:
    """Sites × the features more than one of them uses, as matrix coordinates.

    This is the picture behind the consolidation groups: a full row of dots is
    something built once on the target platform and reused by every site.
    """
    matrix = plan.display.matrix
    order = matrix.sites or [s.id for s in sites]
    shown = [row.feature for row in matrix.features]
    has = {row.feature: set(row.sites) for row in matrix.features}
    group_of = {sid: g.index for g in plan.groups for sid in g.sites}
    columns = [
        MatrixColumn(
            name=names.get(sid, sid),
            x=MATRIX_LABEL + i * MATRIX_COL + MATRIX_COL / 2,
            group=group_of.get(sid, 0),
            unique=matrix.unique.get(sid, 0),
        )
        for i, sid in enumerate(order)
    ]
    top = MATRIX_HEAD + 8
    rows = []
    for j, feat in enumerate(shown):
        kind, name = feat.split(":", 1)
        rows.append(
            MatrixLine(
                kind=FEATURE_KINDS[kind],
                name=name if len(name) <= 34 else name[:33] + "…",
                y=top + j * MATRIX_ROW + MATRIX_ROW / 2,
                cells=[
                    MatrixCell(x=c.x, present=sid in has[feat])
                    for c, sid in zip(columns, order, strict=True)
                ],
            )
        )
    bands = []
    for g in plan.groups:
        xs = [c.x for c in columns if c.group == g.index]
        if xs:
            bands.append(
                MatrixBand(
                    index=g.index,
                    x=min(xs) - MATRIX_COL / 2 + 4,
                    width=max(xs) - min(xs) + MATRIX_COL - 8,
                    centre=(min(xs) + max(xs)) / 2,
                )
            )
    unique_y = top + len(shown) * MATRIX_ROW + MATRIX_ROW / 2 + 4
    return MatrixView(
        columns=columns,
        rows=rows,
        bands=bands,
        shared=matrix.shared,
        more=matrix.shared - len(shown),
        head=MATRIX_HEAD,
        top=top - 4,
        label_x=MATRIX_LABEL - 12,
        unique_y=unique_y,
        group_y=unique_y + MATRIX_ROW,
        width=MATRIX_LABEL + len(columns) * MATRIX_COL + 160,
        height=unique_y + MATRIX_ROW + 14,
    )
