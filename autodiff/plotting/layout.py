"""Where the HTML page draws each node, module box and edge.

`layout` asks the Graphviz `dot` program when it is installed and the graph is small enough
for it to be quick, and otherwise lays the graph out itself in layers (`simple_layout`).
Both return ``{"boxes": {id: [x, y, width, height]}, "clusters": {path: [x0, y0, x1, y1]},
"splines": {edge index: SVG path}}`` in page coordinates (y grows downwards).
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from typing import Any

from .dot import digraph
from .view import View

__all__ = ["DOT_LAYOUT_LIMIT", "dot_layout", "layout", "simple_layout"]

DOT_LAYOUT_LIMIT = 800  # past this many nodes `dot` takes many seconds: the page lays out itself


def layout(
    view: View, labels: dict[str, list[str]], clusters: dict[tuple[str, ...], str]
) -> dict[str, Any]:
    """The `dot` layout when `dot` is on PATH and there are at most DOT_LAYOUT_LIMIT boxes."""
    if shutil.which("dot") and len(labels) <= DOT_LAYOUT_LIMIT:
        return dot_layout(view, clusters)
    return simple_layout(view, labels, clusters)


def dot_layout(view: View, clusters: dict[tuple[str, ...], str]) -> dict[str, Any]:
    """Positions from the `dot` program (y grows downwards), module boxes, edge splines by index.

    `clusters` must be `cluster_ids` of the modules that `digraph(view)` draws.
    """
    g = digraph(view, "TB")
    g.attr(label="")
    placed = json.loads(g.pipe(format="json", encoding="utf-8"))
    height = float(placed["bb"].split(",")[3])

    def point(text: str) -> tuple[float, float]:
        x, y = text.split(",")[:2]
        return round(float(x), 1), round(height - float(y), 1)

    boxes: dict[str, list[float]] = {}
    cluster_boxes: dict[tuple[str, ...], list[float]] = {}
    by_name = {f"cluster_{c}": path for path, c in clusters.items()}
    for obj in placed.get("objects", []):
        if "nodes" in obj or "subgraphs" in obj:
            if obj.get("name") in by_name and "bb" in obj:
                x0, y0, x1, y1 = map(float, obj["bb"].split(","))
                cluster_boxes[by_name[obj["name"]]] = [x0, height - y1, x1, height - y0]
        elif "pos" in obj:
            x, y = point(obj["pos"])
            boxes[obj["name"]] = [x, y, float(obj["width"]) * 72, float(obj["height"]) * 72]
    splines: dict[int, str] = {}
    for edge in placed.get("edges", []):
        if "pos" not in edge or not str(edge.get("id", "")).startswith("e"):
            continue
        start, end, points = None, None, []
        for token in edge["pos"].split():
            if token.startswith("e,"):
                end = point(token[2:])
            elif token.startswith("s,"):
                start = point(token[2:])
            else:
                points.append(point(token))
        if len(points) < 4 or (len(points) - 1) % 3:
            continue
        path = f"M{points[0][0]},{points[0][1]}"
        if start is not None:
            path = f"M{start[0]},{start[1]}L{points[0][0]},{points[0][1]}"
        for i in range(1, len(points), 3):
            path += "C" + " ".join(f"{x},{y}" for x, y in points[i : i + 3])
        if end is not None:
            path += f"L{end[0]},{end[1]}"
        splines[int(edge["id"][1:])] = path
    return {"boxes": boxes, "clusters": cluster_boxes, "splines": splines}


def _mean(numbers: list[float], default: float) -> float:
    return sum(numbers) / len(numbers) if numbers else default


def simple_layout(
    view: View, labels: dict[str, list[str]], clusters: dict[tuple[str, ...], str]
) -> dict[str, Any]:
    """A layered layout without Graphviz.

    Rows are ranks (longest path from the inputs); each module gets its own column, nested as
    the modules are, so a module's box never covers a node outside it; inside a column the
    nodes of a row are ordered by a few barycenter sweeps.
    """
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for s, t in view.edges:
        preds[t].append(s)
        succs[s].append(t)
    rank: dict[str, int] = {}
    for node in view.shown:  # topological order
        u = view.unit[id(node)]
        rank[u] = 1 + max((rank[s] for s in preds[u]), default=-1)
    for u in view.cut:
        rank[f"cut_{u}"] = rank[u] - 1
        preds[u].append(f"cut_{u}")
        succs[f"cut_{u}"].append(u)
    rows: dict[int, list[str]] = defaultdict(list)
    for u in labels:
        rows[rank[u]].append(u)
    size = {
        u: (max(40.0, 6.2 * max(map(len, lines)) + 16), 13.0 * len(lines) + 10)
        for u, lines in labels.items()
    }
    order = {u: float(i) for row in rows.values() for i, u in enumerate(row)}
    for sweep in range(4):
        neighbours = preds if sweep % 2 == 0 else succs
        for r in sorted(rows, reverse=sweep % 2 == 1):
            barycenter = {u: _mean([order[v] for v in neighbours[u]], order[u]) for u in rows[r]}
            rows[r].sort(key=barycenter.__getitem__)
            for i, u in enumerate(rows[r]):
                order[u] = float(i)

    gap, pad = 24.0, 12.0
    kids: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
    for path in sorted(clusters):
        kids[path[:-1]].append(path)
    direct: dict[tuple[str, ...], dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r, row in rows.items():
        for u in row:
            direct[view.scope_of[u]][r].append(u)

    def own_width(path: tuple[str, ...]) -> float:
        """The widest row of the nodes directly in `path` (not in a module inside it)."""
        rows_here = direct[path].values()
        return max((sum(size[u][0] + gap for u in row) for row in rows_here), default=0.0)

    width: dict[tuple[str, ...], float] = {}
    for path in sorted(set(clusters) | {()}, key=len, reverse=True):  # innermost first
        inner = sum(width[k] + gap for k in kids[path])
        width[path] = own_width(path) + inner + (2 * pad if path else 0.0)
    left: dict[tuple[str, ...], float] = {(): 0.0}
    for path in sorted(set(clusters) | {()}, key=len):  # outermost first: columns left to right
        x = left[path] + (pad if path else 0.0) + own_width(path)
        for k in kids[path]:
            left[k] = x
            x += width[k] + gap

    heights = {r: max(size[u][1] for u in row) for r, row in rows.items()}
    top, y = {}, 20.0
    for r in sorted(rows):
        top[r] = y
        y += heights[r] + 56
    boxes: dict[str, list[float]] = {}
    for path, by_row in direct.items():
        for r, row in by_row.items():
            x = left[path] + (pad if path else 0.0)
            for u in row:
                boxes[u] = [x + size[u][0] / 2, top[r] + heights[r] / 2, size[u][0], size[u][1]]
                x += size[u][0] + gap
    cluster_boxes: dict[tuple[str, ...], list[float]] = {}
    for path in clusters:
        inside = [u for u in boxes if view.scope_of[u][: len(path)] == path]
        if inside:
            nesting = max(len(view.scope_of[u]) for u in inside) - len(path)  # modules inside
            cluster_boxes[path] = [
                left[path],
                min(boxes[u][1] - boxes[u][3] / 2 for u in inside) - 22 - 18 * nesting,
                left[path] + width[path],
                max(boxes[u][1] + boxes[u][3] / 2 for u in inside) + 10 + 8 * nesting,
            ]
    return {"boxes": boxes, "clusters": cluster_boxes, "splines": {}}
