"""Pictures of graphs: DOT text, graphviz plots, and a self-contained interactive HTML page.

`to_dot` writes a graph (forward or derivative) as DOT text and needs nothing installed;
`plot` returns a `graphviz.Digraph` that shows inline in Jupyter as SVG and writes
png/svg/pdf with the Graphviz `dot` program; `plot_html` writes ONE offline HTML file to pan,
zoom, search and click through a graph. All three draw the same picture: op nodes show the op
and its output shape; Variables (blue ellipses), constants (grey, dashed) and derivative nodes
(orange: first built by `ad.grad`) look different; `ad.name_scope` scopes (modules) are
nested clusters that can be collapsed to one box; constants can be hidden; and big graphs are
cut at `max_nodes`, keeping the nodes nearest the outputs and saying what was cut.
"""

from __future__ import annotations

import html
import json
import os
import pathlib
import shutil
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Iterable

import graphviz
import numpy as np

from .node import Constant, Node, Variable, toposort
from .ops.elementwise import Eye, Fill

MAX_NODES = 500
DOT_LAYOUT_LIMIT = 800  # past this many nodes `dot` takes many seconds: the page lays out itself
RANKDIRS = ("TB", "LR", "BT", "RL")
FILE_FORMATS = ("png", "svg", "pdf")
INSTALL_GRAPHVIZ = (
    "rendering a plot needs the Graphviz `dot` program, which is not on PATH. Install Graphviz: "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
    "`conda install -c conda-forge graphviz`, then restart Python. "
    "(ad.to_dot and ad.plot_html work without it.)"
)

_COLORS = {
    "variable": "#cfe2ff",
    "constant": "#eeeeee",
    "op": "#ffffff",
    "derivative": "#ffe0c2",
    "module": "#e4e0f5",
}


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs the Graphviz `dot` program; the message says how to install it."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, INSTALL_GRAPHVIZ)


class GraphPlot(graphviz.Digraph):
    """The `graphviz.Digraph` that `plot` returns: shows inline in Jupyter, `write`s a file.

    Rendering without the `dot` program raises `GraphvizNotFoundError` (a
    `graphviz.ExecutableNotFound`) saying how to install Graphviz.
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError() from error

    def render(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError() from error

    def write(self, path: str | os.PathLike) -> pathlib.Path:
        """Render to ONE file; the format (png, svg or pdf) comes from the suffix of `path`.

        (Digraph's own `save` writes the DOT source; `render` writes the source and the picture.)
        """
        path = pathlib.Path(path)
        kind = path.suffix.lstrip(".").lower()
        if kind not in FILE_FORMATS:
            raise ValueError(
                f"write: cannot tell the format from {path.name!r}; "
                f"use a name ending in one of {', '.join('.' + f for f in FILE_FORMATS)}"
            )
        path.write_bytes(self.pipe(format=kind))
        return path


# -- what to draw ------------------------------------------------------------------------------


def _is_constant(node: Node) -> bool:
    return isinstance(node, (Constant, Fill, Eye))


@dataclass
class _View:
    """The part of a graph to draw, with collapsed modules and cut inputs resolved.

    Each shown node is drawn as a *unit*: itself (``n<id>``) or the collapsed module it sits in
    (``m<k>``). `cut` counts, per unit, the distinct inputs left out by `max_nodes`.
    """

    outputs: list[Node]
    shown: list[Node]  # in topological order
    unit: dict[int, str]  # id(node) -> drawn id
    modules: dict[str, tuple[str, ...]]  # drawn id of a collapsed module -> its scope path
    module_size: dict[str, int]
    cut: dict[str, int]
    edges: list[tuple[str, str]]
    total: int
    max_nodes: int | None
    scope_of: dict[str, tuple[str, ...]]  # drawn id -> the module path it is drawn in

    @property
    def hidden(self) -> int:
        return self.total - len(self.shown)

    def caption(self) -> str:
        """One line saying what was cut, or '' when everything is drawn."""
        if not self.cut:
            return ""
        return (
            f"showing {len(self.shown)} of {self.total} nodes (max_nodes={self.max_nodes}); "
            f"the {self.hidden} nodes farthest from the outputs are cut off"
        )


def _outputs(nodes: Node | Iterable[Node], caller: str) -> list[Node]:
    if isinstance(nodes, Node):
        return [nodes]
    if isinstance(nodes, (str, bytes, dict)) or not isinstance(nodes, Iterable):
        raise TypeError(f"{caller}: expected a Node or a list of Nodes, got {type(nodes).__name__}")
    outputs = list(nodes)
    if not outputs:
        raise ValueError(f"{caller}: nothing to draw: the list of nodes is empty")
    for i, node in enumerate(outputs):
        if not isinstance(node, Node):
            raise TypeError(f"{caller}: item {i} is a {type(node).__name__}, not a Node")
    return list({id(node): node for node in outputs}.values())


def _check_options(caller: str, collapse: Any, hide_constants: Any, max_nodes: Any) -> bool | tuple[str, ...]:
    """Fail at once on a bad option; returns `collapse` as True/False or a tuple of names."""
    if not isinstance(hide_constants, bool):
        raise TypeError(f"{caller}: hide_constants must be True or False, got {hide_constants!r}")
    if max_nodes is not None and (
        isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)) or max_nodes < 1
    ):
        raise ValueError(f"{caller}: max_nodes must be a positive int or None, got {max_nodes!r}")
    if isinstance(collapse, bool):
        return collapse
    if isinstance(collapse, str):
        return (collapse,)
    names = tuple(collapse) if isinstance(collapse, Iterable) else None
    if names is None or not all(isinstance(name, str) for name in names):
        raise TypeError(
            f"{caller}: collapse must be True/False, a module name or a list of module names, "
            f"got {collapse!r}"
        )
    return names


def _collapsed_paths(
    caller: str, collapse: bool | tuple[str, ...], scopes: set[tuple[str, ...]]
) -> set[tuple[str, ...]]:
    """The scope paths to draw as one box: True = every outermost module; names select modules.

    A name matches a module by its full path ("encoder/layer1") or by its own name ("layer1").
    """
    paths = {scope[:k] for scope in scopes for k in range(1, len(scope) + 1)}
    if collapse is False:
        return set()
    if collapse is True:
        return {p for p in paths if len(p) == 1}
    chosen = set()
    for name in collapse:
        found = {p for p in paths if "/".join(p) == name or p[-1] == name}
        if not found:
            known = sorted("/".join(p) for p in paths)
            listing = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "") or "none"
            raise ValueError(f"{caller}: collapse: no module named {name!r} in this graph (modules: {listing})")
        chosen |= found
    return chosen


def _view(
    outputs: list[Node],
    *,
    collapse: bool | tuple[str, ...],
    hide_constants: bool,
    max_nodes: int | None,
    caller: str,
) -> _View:
    everything = toposort(outputs)
    collapsed = _collapsed_paths(caller, collapse, {n.scope for n in everything})
    output_ids = {id(n) for n in outputs}

    modules: dict[tuple[str, ...], str] = {}

    def unit_key(node: Node) -> Any:
        for k in range(1, len(node.scope) + 1):
            if node.scope[:k] in collapsed:
                return node.scope[:k]
        return id(node)

    # Breadth-first from the outputs: the nodes nearest the outputs are kept when cutting.
    kept: dict[Any, str] = {}
    unit: dict[int, str] = {}
    shown: list[Node] = []
    cut_ids: set[int] = set()
    seen = set(output_ids)
    queue = deque(outputs)
    while queue:
        node = queue.popleft()
        if hide_constants and _is_constant(node) and id(node) not in output_ids:
            continue
        key = unit_key(node)
        if key not in kept:
            if max_nodes is not None and len(kept) >= max_nodes:
                cut_ids.add(id(node))
                continue
            if isinstance(key, tuple):
                kept[key] = modules[key] = f"m{len(modules)}"
            else:
                kept[key] = f"n{node._id}"
        unit[id(node)] = kept[key]
        shown.append(node)
        for x in node.inputs:
            if id(x) not in seen:
                seen.add(id(x))
                queue.append(x)
    shown.sort(key=lambda n: n._id)  # an input is always built before its consumers

    module_size: dict[str, int] = defaultdict(int)
    scope_of: dict[str, tuple[str, ...]] = {}
    for node in shown:
        u = unit[id(node)]
        if u.startswith("m"):
            module_size[u] += 1
        else:
            scope_of[u] = node.scope
    for path, u in modules.items():
        scope_of[u] = path[:-1]

    edges: list[tuple[str, str]] = []
    merged: set[tuple[str, str]] = set()
    cut_inputs: dict[str, set[int]] = defaultdict(set)
    for node in shown:
        t = unit[id(node)]
        for x in node.inputs:
            if id(x) in cut_ids:
                cut_inputs[t].add(id(x))
            s = unit.get(id(x))
            if s is None or s == t:
                continue
            if s.startswith("m") or t.startswith("m"):  # one edge between a module box and a node
                if (s, t) in merged:
                    continue
                merged.add((s, t))
            edges.append((s, t))
    cut = {u: len(ids) for u, ids in cut_inputs.items()}
    for u in cut:
        scope_of[f"cut_{u}"] = scope_of[u]
    return _View(
        outputs=outputs,
        shown=shown,
        unit=unit,
        modules={u: path for path, u in modules.items()},
        module_size=dict(module_size),
        cut=cut,
        edges=edges,
        total=len(everything),
        max_nodes=max_nodes,
        scope_of=scope_of,
    )


# -- how a node looks ----------------------------------------------------------------------------


def _shape_text(node: Node) -> str:
    text = "(" + ", ".join(map(str, node.shape)) + ("," if node.ndim == 1 else "") + ")"
    return text if node.dtype == np.float64 else f"{text} {node.dtype}"


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _params_text(node: Node, limit: int = 40) -> str:
    if not node.params or _is_constant(node):
        return ""
    if len(node.params) == 1 and node.params[0][0] == "equation":
        return _short(node.equation, limit)
    return _short(", ".join(f"{k}={getattr(node, k, v)!r}" for k, v in node.params), limit)


def _kind(node: Node) -> str:
    if isinstance(node, Variable):
        return "variable"
    if _is_constant(node):
        return "constant"
    return "derivative" if node.is_derivative else "op"


def _label_lines(node: Node) -> list[str]:
    if isinstance(node, Constant):
        head = node.name
        if node.size == 1 and np.issubdtype(node.dtype, np.number):
            head = f"{node.value.item():.4g}" if node.name == "Constant" else f"{node.name} = {node.value.item():.4g}"
        return [head, _shape_text(node)]
    if isinstance(node, Fill):
        return [f"fill {node.value:.4g}", _shape_text(node)]
    if isinstance(node, Eye):
        return ["eye", _shape_text(node)]
    params = _params_text(node, 28)
    return [node.name] + ([params] if params else []) + [_shape_text(node)]


def _dot_text(lines: Iterable[str]) -> str:
    """Lines of user text as one DOT label: backslashes kept literal, centred line breaks."""
    return graphviz.nohtml("\\n".join(line.replace("\\", "\\\\").replace("\n", " ") for line in lines))


def _node_attrs(node: Node, is_output: bool) -> dict[str, str]:
    kind = _kind(node)
    attrs = {
        "label": _dot_text(_label_lines(node)),
        "fillcolor": _COLORS[kind],
        "tooltip": _dot_text([f"{node.name} {node.shape} {node.dtype}" + (" (derivative)" if node.is_derivative else "")]),
    }
    if kind == "variable":
        attrs.update(shape="ellipse", style="filled")
    elif kind == "constant":
        attrs.update(shape="box", style="filled,dashed", fontcolor="#555555", color="#888888")
    else:
        attrs.update(shape="box", style="rounded,filled")
    if is_output:
        attrs["penwidth"] = "2.5"
    return attrs


# -- DOT / graphviz ------------------------------------------------------------------------------


def _cluster_ids(paths: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """A stable id per module path, parents first."""
    return {path: f"c{i}" for i, path in enumerate(sorted(set(paths), key=lambda p: (len(p), p)))}


def _digraph(view: _View, rankdir: str) -> GraphPlot:
    g = GraphPlot(
        name="autodiff",
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "10", "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "height": "0.3", "margin": "0.08,0.04"},
        edge_attr={"arrowsize": "0.6", "color": "#555555"},
    )
    caption = view.caption()
    if caption:
        g.attr(label=caption, labelloc="t", fontcolor="#aa3300")

    statements: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]] = defaultdict(list)
    output_ids = {id(n) for n in view.outputs}
    for node in view.shown:
        u = view.unit[id(node)]
        if not u.startswith("m"):
            statements[node.scope].append((u, _node_attrs(node, id(node) in output_ids)))
    for u, path in view.modules.items():
        size = view.module_size[u]
        statements[path[:-1]].append((u, {
            "label": _dot_text([path[-1], f"{size} node{'s' if size != 1 else ''}"]),
            "shape": "box3d", "style": "filled", "fillcolor": _COLORS["module"],
            "tooltip": _dot_text([f"module {'/'.join(path)} (collapsed)"]),
        }))
    for u, count in view.cut.items():
        statements[view.scope_of[u]].append((f"cut_{u}", {
            "label": f"... {count} more input{'s' if count != 1 else ''}",
            "shape": "plaintext", "fontcolor": "#aa3300",
            "tooltip": f"{count} inputs cut off by max_nodes={view.max_nodes}",
        }))

    children: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
    for path in list(statements):
        for k in range(len(path), 0, -1):
            children[path[: k - 1]].add(path[:k])
    cluster_names = {path: f"cluster_{c}" for path, c in _cluster_ids(
        p for kids in children.values() for p in kids).items()}

    def emit(graph: graphviz.Digraph, path: tuple[str, ...]) -> None:  # depth = nesting of scopes
        for name, attrs in statements.get(path, ()):
            graph.node(name, **attrs)
        for child in sorted(children.get(path, ())):
            with graph.subgraph(name=cluster_names[child]) as sub:
                sub.attr(label=_dot_text([child[-1]]), style="rounded,filled", color="#999999",
                         fillcolor="#f6f6f6" if len(child) % 2 else "#ffffff", fontcolor="#444444",
                         tooltip=_dot_text(["module " + "/".join(child)]), labeljust="l")
                emit(sub, child)

    emit(g, ())
    for i, (s, t) in enumerate(view.edges):
        g.edge(s, t, id=f"e{i}")
    for u in view.cut:
        g.edge(f"cut_{u}", u, style="dashed", color="#aa3300")
    return g


def plot(
    nodes: Node | Iterable[Node],
    *,
    collapse: bool | str | Iterable[str] = False,
    hide_constants: bool = False,
    max_nodes: int | None = MAX_NODES,
    rankdir: str = "TB",
) -> GraphPlot:
    r"""The graph that computes `nodes` as a `graphviz.Digraph` (shows inline in Jupyter).

    Op nodes show the op, short parameters and the output shape (and the dtype when it is not
    float64); Variables are blue ellipses, constants grey dashed boxes, derivative nodes orange;
    outputs have a bold border. Each `ad.name_scope` (module) is a cluster, nested as the
    scopes are.

    - ``collapse=True`` draws every outermost module as one box; a name or a list of names
      ("layer1" or the full path "encoder/layer1") collapses just those modules.
    - ``hide_constants=True`` leaves out constants (Constant, fills, identity matrices).
    - ``max_nodes`` caps what is drawn: the nodes (or collapsed modules) nearest the outputs
      are kept, each cut-off input shows as "... k more inputs", and the caption says how many
      nodes were cut. ``None`` draws everything.
    - ``rankdir`` is the direction of flow: "TB" (top to bottom), "LR", "BT" or "RL".

    Rendering (Jupyter display, ``.write("g.png")``, ``.render()``) needs the Graphviz `dot`
    program; building the Digraph and its ``.source`` do not.

    >>> import graphviz, numpy as np, autodiff as ad
    >>> from autodiff.plot import plot
    >>> x = ad.Variable(np.ones(3), name="x")
    >>> with ad.name_scope("layer"):
    ...     y = ad.sum(ad.tanh(x))
    >>> g = plot([y, ad.grad(y, x)], hide_constants=True)
    >>> isinstance(g, graphviz.Digraph), g.source.count("subgraph cluster_")
    (True, 1)
    >>> print(plot(y, collapse=True).source.count('label="layer\\n2 nodes"'))
    1
    >>> g.write("graph.png")  # doctest: +SKIP
    """
    collapse = _check_options("plot", collapse, hide_constants, max_nodes)
    if rankdir not in RANKDIRS:
        raise ValueError(f"plot: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    outputs = _outputs(nodes, "plot")
    view = _view(outputs, collapse=collapse, hide_constants=hide_constants, max_nodes=max_nodes, caller="plot")
    return _digraph(view, rankdir)


def to_dot(
    nodes: Node | Iterable[Node],
    *,
    collapse: bool | str | Iterable[str] = False,
    hide_constants: bool = False,
    max_nodes: int | None = MAX_NODES,
    rankdir: str = "TB",
) -> str:
    r"""The DOT text of `plot(nodes, ...)` (same options); needs no Graphviz program.

    >>> import autodiff as ad
    >>> from autodiff.plot import to_dot
    >>> x = ad.Variable(2.0, name="x")
    >>> dot = to_dot(ad.exp(x) * x)
    >>> print(dot.splitlines()[0])
    digraph autodiff {
    >>> 'label="Exp\\n()"' in dot and 'label="x\\n()" fillcolor="#cfe2ff" shape=ellipse' in dot
    True
    """
    return plot(nodes, collapse=collapse, hide_constants=hide_constants, max_nodes=max_nodes, rankdir=rankdir).source


# -- the interactive HTML page -------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (complex, np.complexfloating)):
        return f"{complex(value):.4g}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value)


def _summary(value: Any) -> dict[str, str]:
    """Shape, dtype, min/max/mean and the first values of an array, as display strings."""
    array = np.asarray(value)
    summary = {"shape": str(array.shape), "dtype": str(array.dtype)}
    if array.size and (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        real = not np.issubdtype(array.dtype, np.complexfloating)
        numbers = array.astype(np.float64) if real else array
        finite = np.isfinite(numbers)
        if not finite.all():
            summary["non-finite"] = f"{int(array.size - finite.sum())} of {array.size}"
        if real:
            summary["min"] = _fmt(numbers.min())
            summary["max"] = _fmt(numbers.max())
        summary["mean"] = _fmt(numbers.mean())
    flat = array.ravel()
    first = ", ".join(_fmt(v) for v in flat[:6])
    summary["values"] = f"[{first}{', ...' if flat.size > 6 else ''}]"
    return summary


def _dot_layout(view: _View, clusters: dict[tuple[str, ...], str]) -> dict[str, Any]:
    """Positions from the `dot` program (y grows downwards), module boxes, edge splines by index.

    `clusters` must be `_cluster_ids` of the modules that `_digraph(view)` draws.
    """
    g = _digraph(view, "TB")
    g.attr(label="")
    layout = json.loads(g.pipe(format="json", encoding="utf-8"))
    height = float(layout["bb"].split(",")[3])

    def point(text: str) -> tuple[float, float]:
        x, y = text.split(",")[:2]
        return round(float(x), 1), round(height - float(y), 1)

    boxes: dict[str, list[float]] = {}
    cluster_boxes: dict[str, list[float]] = {}
    by_name = {f"cluster_{c}": path for path, c in clusters.items()}
    for obj in layout.get("objects", []):
        if "nodes" in obj or "subgraphs" in obj:
            if obj.get("name") in by_name and "bb" in obj:
                x0, y0, x1, y1 = map(float, obj["bb"].split(","))
                cluster_boxes[by_name[obj["name"]]] = [x0, height - y1, x1, height - y0]
        elif "pos" in obj:
            x, y = point(obj["pos"])
            boxes[obj["name"]] = [x, y, float(obj["width"]) * 72, float(obj["height"]) * 72]
    splines: dict[int, str] = {}
    for edge in layout.get("edges", []):
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
        path = f"M{points[0][0]},{points[0][1]}" if start is None else f"M{start[0]},{start[1]}L{points[0][0]},{points[0][1]}"
        for i in range(1, len(points), 3):
            path += "C" + " ".join(f"{x},{y}" for x, y in points[i: i + 3])
        if end is not None:
            path += f"L{end[0]},{end[1]}"
        splines[int(edge["id"][1:])] = path
    return {"boxes": boxes, "clusters": cluster_boxes, "splines": splines}


def _simple_layout(view: _View, labels: dict[str, list[str]], clusters: dict[tuple[str, ...], str]) -> dict[str, Any]:
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
    size = {u: (max(40.0, 6.2 * max(map(len, lines)) + 16), 13.0 * len(lines) + 10) for u, lines in labels.items()}
    order = {u: float(i) for row in rows.values() for i, u in enumerate(row)}
    for sweep in range(4):
        neighbours = preds if sweep % 2 == 0 else succs
        for r in sorted(rows, reverse=sweep % 2 == 1):
            def barycenter(u: str) -> float:
                near = [order[v] for v in neighbours[u]]
                return sum(near) / len(near) if near else order[u]
            rows[r].sort(key=barycenter)
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
    width: dict[tuple[str, ...], float] = {}
    for path in sorted(set(clusters) | {()}, key=len, reverse=True):  # innermost first
        own = max((sum(size[u][0] + gap for u in row) for row in direct[path].values()), default=0.0)
        width[path] = own + sum(width[k] + gap for k in kids[path]) + (2 * pad if path else 0.0)
    left: dict[tuple[str, ...], float] = {(): 0.0}
    for path in sorted(set(clusters) | {()}, key=len):  # outermost first: columns left to right
        x = left[path] + (pad if path else 0.0)
        x += max((sum(size[u][0] + gap for u in row) for row in direct[path].values()), default=0.0)
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
            nesting = max(len(view.scope_of[u]) for u in inside) - len(path)  # modules inside this one
            cluster_boxes[path] = [
                left[path],
                min(boxes[u][1] - boxes[u][3] / 2 for u in inside) - 22 - 18 * nesting,
                left[path] + width[path],
                max(boxes[u][1] + boxes[u][3] / 2 for u in inside) + 10 + 8 * nesting,
            ]
    return {"boxes": boxes, "clusters": cluster_boxes, "splines": {}}


def _page_data(view: _View, values: bool, collapse_at_start: set[tuple[str, ...]]) -> dict[str, Any]:
    """Everything the page's script draws: nodes with positions and details, modules, edges."""
    output_ids = {id(n) for n in view.outputs}
    shown_ids = {id(n) for n in view.shown}
    consumers: dict[int, list[str]] = defaultdict(list)
    for node in view.shown:
        for x in dict.fromkeys(map(id, node.inputs)):
            if x in shown_ids:
                consumers[x].append(f"n{node._id}")
    arrays: dict[int, Any] = {}
    if values:
        from .compile import function  # evaluation is asked for: the page shows the numbers

        with np.errstate(all="ignore"):  # a page that shows nan/inf beats an error while debugging
            results = function(view.shown)()
        arrays = {id(n): a for n, a in zip(view.shown, results)}

    clusters = _cluster_ids(node.scope[:k] for node in view.shown for k in range(1, len(node.scope) + 1))
    labels: dict[str, list[str]] = {f"cut_{u}": [f"... {k} more input{'s' if k != 1 else ''}"] for u, k in view.cut.items()}
    records = []
    for node in view.shown:
        u = f"n{node._id}"
        labels[u] = _label_lines(node)
        value = arrays.get(id(node))
        if value is None and isinstance(node, (Variable, Constant)):
            value = node.value
        records.append({
            "id": u,
            "kind": _kind(node),
            "label": labels[u],
            "op": type(node).__name__,
            "name": node.name,
            "shape": str(node.shape),
            "dtype": str(node.dtype),
            "scope": "/".join(node.scope),
            "cluster": clusters.get(node.scope),
            "params": _params_text(node, 300) if not _is_constant(node) else _short(
                ", ".join(f"{k}={v!r}" for k, v in node.params), 300),
            "derivative": node.is_derivative,
            "output": id(node) in output_ids,
            "inputs": [{"ref": f"n{x._id}" if id(x) in shown_ids else None,
                        "text": f"{x.name} {x.shape}"} for x in node.inputs],
            "consumers": consumers[id(node)],
            "cut": view.cut.get(u, 0),
            "value": None if value is None else _summary(value),
        })
    for u in view.cut:
        records.append({"id": f"cut_{u}", "kind": "cut", "label": labels[f"cut_{u}"],
                        "cluster": clusters.get(view.scope_of[u]), "target": u})

    if shutil.which("dot") and len(labels) <= DOT_LAYOUT_LIMIT:
        layout = _dot_layout(view, clusters)
    else:
        layout = _simple_layout(view, labels, clusters)
    for record in records:
        record["box"] = layout["boxes"][record["id"]]
    sizes: dict[str, int] = defaultdict(int)
    for node in view.shown:
        for k in range(1, len(node.scope) + 1):
            sizes[clusters[node.scope[:k]]] += 1
    cluster_records = [{
        "id": c,
        "name": path[-1],
        "path": "/".join(path),
        "parent": clusters.get(path[:-1]),
        "size": sizes[c],
        "bbox": layout["clusters"].get(path),
    } for path, c in clusters.items()]
    edges = [{"s": s, "t": t, "path": layout["splines"].get(i)} for i, (s, t) in enumerate(view.edges)]
    edges += [{"s": f"cut_{u}", "t": u, "path": None, "cut": True} for u in view.cut]
    return {
        "caption": view.caption(),
        "total": view.total,
        "shown": len(view.shown),
        "nodes": records,
        "clusters": cluster_records,
        "edges": edges,
        "collapsed": [clusters[p] for p in collapse_at_start if p in clusters],
    }


def plot_html(
    nodes: Node | Iterable[Node],
    path: str | os.PathLike,
    *,
    values: bool = False,
    collapse: bool | str | Iterable[str] = False,
    hide_constants: bool = False,
    max_nodes: int | None = MAX_NODES,
    title: str = "autodiff graph",
) -> pathlib.Path:
    """Write ONE self-contained HTML page (no server, no network) to explore a graph.

    Drag to pan, scroll to zoom; click a node to see its op, shape, dtype, parameters, inputs
    and consumers (click those to move along the graph); search nodes by name or op; click
    a module's title to collapse it to one box and the box to expand it again. Variables and
    Constants always show a summary of their value; ``values=True`` evaluates the graph once
    and shows every node's (shape, min/max/mean, first values, count of nan/inf).
    `collapse`, `hide_constants` and `max_nodes` are as in `plot` (here `collapse` only sets
    which modules start collapsed). The layout comes from the Graphviz `dot` program when it is
    installed and the page has at most 800 nodes, else from a fast built-in layered layout.
    Returns the path written.

    >>> import pathlib, tempfile
    >>> import numpy as np, autodiff as ad
    >>> from autodiff.plot import plot_html
    >>> x = ad.Variable(np.arange(3.0), name="x")
    >>> page = plot_html(ad.sum(x * x), pathlib.Path(tempfile.mkdtemp()) / "graph.html", values=True)
    >>> text = page.read_text()
    >>> "<script src" in text, '"name":"x"' in text
    (False, True)
    """
    collapse = _check_options("plot_html", collapse, hide_constants, max_nodes)
    if not isinstance(values, bool):
        raise TypeError(f"plot_html: values must be True or False, got {values!r}")
    if not isinstance(title, str):
        raise TypeError(f"plot_html: title must be a str, got {type(title).__name__}")
    outputs = _outputs(nodes, "plot_html")
    target = pathlib.Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"plot_html: the page is HTML; give a path ending in .html, got {str(path)!r}")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"plot_html: the folder {str(target.parent)!r} does not exist")
    view = _view(outputs, collapse=False, hide_constants=hide_constants, max_nodes=max_nodes, caller="plot_html")
    start = _collapsed_paths("plot_html", collapse, {n.scope for n in view.shown})
    data = _page_data(view, values, start)
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")  # no "</script>" inside
    page = _PAGE.replace("__TITLE__", html.escape(title)).replace("__DATA__", payload)
    target.write_text(page, encoding="utf-8")
    return target


_PAGE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>__TITLE__</title>
<style>
  * { box-sizing: border-box; }
  html, body { margin: 0; height: 100%; font: 13px Helvetica, Arial, sans-serif; color: #222; }
  body { display: grid; grid-template-rows: auto 1fr; grid-template-columns: 1fr 340px; height: 100vh; }
  header { grid-column: 1 / 3; display: flex; gap: 12px; align-items: center; flex-wrap: wrap;
           padding: 6px 10px; border-bottom: 1px solid #ccc; background: #fafafa; }
  header h1 { font-size: 15px; margin: 0 8px 0 0; }
  header input { width: 200px; padding: 3px 6px; }
  header button { padding: 3px 8px; }
  #stats { color: #555; }
  #caption { color: #a30; }
  .swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid #888; vertical-align: middle; margin: 0 3px 0 8px; }
  #canvas { width: 100%; height: 100%; background: #fff; cursor: grab; display: block; }
  #canvas.dragging { cursor: grabbing; }
  #details { border-left: 1px solid #ccc; padding: 10px; overflow: auto; background: #fcfcfc; }
  #details h2 { font-size: 15px; margin: 0 0 8px 0; word-break: break-all; }
  #details table { border-collapse: collapse; width: 100%; }
  #details td { padding: 2px 4px; vertical-align: top; border-bottom: 1px solid #eee; word-break: break-all; }
  #details td:first-child { color: #666; width: 80px; }
  #details a { color: #0645ad; cursor: pointer; text-decoration: underline; }
  #details ul { margin: 0; padding-left: 16px; }
  #value { margin-top: 12px; }
  .node { cursor: pointer; }
  .node text, .cluster-title text { font: 10px Helvetica, Arial, sans-serif; pointer-events: none; }
  .node .shape { stroke: #333; stroke-width: 1; }
  .kind-variable .shape { fill: #cfe2ff; }
  .kind-constant .shape { fill: #eee; stroke-dasharray: 3 2; stroke: #888; }
  .kind-constant text { fill: #555; }
  .kind-op .shape { fill: #fff; }
  .kind-derivative .shape { fill: #ffe0c2; }
  .kind-cut text { fill: #a30; }
  .kind-module .shape { fill: #e4e0f5; stroke: #666; }
  .output .shape { stroke-width: 2.5; }
  .node.match .shape { stroke: #0a0; stroke-width: 3; }
  .node.selected .shape { stroke: #d00; stroke-width: 3; }
  .dim { opacity: 0.3; }
  .cluster-box { fill: #f6f6f6; stroke: #999; }
  .cluster-box.even { fill: #fff; }
  .cluster-title { cursor: pointer; }
  .cluster-title text { font-size: 11px; fill: #444; }
  .edge { fill: none; stroke: #555; stroke-width: 1; }
  .edge.cut { stroke: #a30; stroke-dasharray: 4 3; }
  .edge.hot { stroke: #d00; stroke-width: 2; }
</style>
</head>
<body>
<header>
  <h1>__TITLE__</h1>
  <input id="search" type="search" placeholder="search nodes (Enter: next)" autocomplete="off">
  <span id="matches"></span>
  <button id="fit">Fit</button>
  <button id="expand-all">Expand all</button>
  <button id="collapse-all">Collapse all</button>
  <span id="stats"></span>
  <span id="caption"></span>
  <span><span class="swatch" style="background:#cfe2ff"></span>Variable<span class="swatch" style="background:#eee"></span>constant<span class="swatch" style="background:#fff"></span>op<span class="swatch" style="background:#ffe0c2"></span>derivative<span class="swatch" style="background:#e4e0f5"></span>collapsed module</span>
</header>
<svg id="canvas" xmlns="http://www.w3.org/2000/svg">
  <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#555"/></marker></defs>
  <g id="viewport"></g>
</svg>
<aside id="details"><p>Click a node to see its details.</p></aside>
<script type="application/json" id="graph-data">__DATA__</script>
<script>
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const nodes = new Map(data.nodes.map(n => [n.id, n]));
  const clusters = new Map(data.clusters.map(c => [c.id, c]));
  const collapsed = new Set(data.collapsed);
  const svg = document.getElementById("canvas");
  const viewport = document.getElementById("viewport");
  const details = document.getElementById("details");
  const search = document.getElementById("search");
  let selected = null, matches = [], matchIndex = -1;
  let view = { x: 0, y: 0, k: 1 };

  function el(tag, attrs, parent) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }
  function ancestors(clusterId) {
    const out = [];
    for (let c = clusterId; c; c = clusters.get(c).parent) out.push(c);
    return out;
  }
  // What stands for an item now: itself, or the outermost collapsed module around it.
  function rep(id) {
    const start = nodes.has(id) ? nodes.get(id).cluster : clusters.get(id).parent;
    let r = id;
    for (const c of ancestors(start)) if (collapsed.has(c)) r = c;
    return r;
  }
  function collapsedBox(c) {
    const b = c.bbox, w = Math.max(70, Math.min(b[2] - b[0] - 8, 6.5 * (c.name.length + 4)));
    return [(b[0] + b[2]) / 2, b[1] + 24, w, 34];
  }
  function box(id) { return nodes.has(id) ? nodes.get(id).box : collapsedBox(clusters.get(id)); }

  function drawLabel(g, lines, cx, cy) {
    const top = cy - (lines.length - 1) * 6.5 + 3.5;
    lines.forEach((line, i) => {
      const t = el("text", { x: cx, y: top + 13 * i, "text-anchor": "middle" }, g);
      t.textContent = line;
    });
  }

  function render() {
    viewport.replaceChildren();
    const layerClusters = el("g", {}, viewport), layerEdges = el("g", {}, viewport), layerNodes = el("g", {}, viewport);
    for (const c of data.clusters) {
      if (!c.bbox || rep(c.id) !== c.id) continue;
      if (collapsed.has(c.id)) {
        const [x, y, w, h] = collapsedBox(c);
        const g = el("g", { class: "node kind-module cluster-toggle", "data-cluster": c.id, "data-cluster-name": c.name }, layerNodes);
        el("rect", { class: "shape", x: x - w / 2, y: y - h / 2, width: w, height: h, rx: 3 }, g);
        drawLabel(g, ["\u25B8 " + c.name, c.size + (c.size === 1 ? " node" : " nodes")], x, y);
        el("title", {}, g).textContent = "module " + c.path + " (click to expand)";
        g.addEventListener("click", () => toggle(c.id));
      } else {
        const [x0, y0, x1, y1] = c.bbox;
        const depth = ancestors(c.id).length;
        el("rect", { class: "cluster-box" + (depth % 2 ? "" : " even"), x: x0, y: y0, width: x1 - x0, height: y1 - y0, rx: 6, "data-cluster": c.id }, layerClusters);
        const title = el("g", { class: "cluster-title cluster-toggle", "data-cluster": c.id, "data-cluster-name": c.name }, layerClusters);
        el("rect", { x: x0 + 2, y: y0 + 2, width: Math.min(x1 - x0 - 4, 6.5 * (c.name.length + 4)), height: 15, fill: "transparent" }, title);
        el("text", { x: x0 + 6, y: y0 + 13 }, title).textContent = "\u25BE " + c.name;
        el("title", {}, title).textContent = "module " + c.path + " (click to collapse)";
        title.addEventListener("click", () => toggle(c.id));
      }
    }
    const drawn = new Set();
    for (const e of data.edges) {
      const a = rep(e.s), b = rep(e.t);
      if (a === b) continue;
      const key = a + ">" + b;
      const merged = a !== e.s || b !== e.t;
      if (merged && drawn.has(key)) continue;
      drawn.add(key);
      let d = e.path;
      if (!d || merged) {
        const p = box(a), q = box(b);
        const x1 = p[0], y1 = p[1] + p[3] / 2, x2 = q[0], y2 = q[1] - q[3] / 2;
        const dy = Math.max(20, Math.abs(y2 - y1) / 2);
        d = `M${x1},${y1}C${x1},${y1 + dy} ${x2},${y2 - dy} ${x2},${y2}`;
      }
      const hot = selected && (e.s === selected || e.t === selected);
      el("path", { class: "edge" + (e.cut ? " cut" : "") + (hot ? " hot" : ""), d: d, "marker-end": "url(#arrow)", "data-s": a, "data-t": b }, layerEdges);
    }
    const query = search.value.trim().toLowerCase();
    for (const n of data.nodes) {
      if (rep(n.id) !== n.id) continue;
      const [x, y, w, h] = n.box;
      let cls = "node kind-" + n.kind + (n.output ? " output" : "") + (n.id === selected ? " selected" : "");
      if (query) cls += matches.includes(n.id) ? " match" : " dim";
      const g = el("g", { class: cls, "data-id": n.id, "data-name": n.kind === "cut" ? "" : n.name }, layerNodes);
      if (n.kind === "variable") el("ellipse", { class: "shape", cx: x, cy: y, rx: w / 2, ry: h / 2 }, g);
      else if (n.kind !== "cut") el("rect", { class: "shape", x: x - w / 2, y: y - h / 2, width: w, height: h, rx: n.kind === "constant" ? 0 : 4 }, g);
      drawLabel(g, n.label, x, y);
      if (n.kind !== "cut") el("title", {}, g).textContent = n.op + " " + n.shape + " " + n.dtype;
      g.addEventListener("click", ev => { ev.stopPropagation(); select(n.kind === "cut" ? n.target : n.id, false); });
    }
  }

  function toggle(id) {
    if (collapsed.has(id)) collapsed.delete(id); else collapsed.add(id);
    render();
  }

  function row(table, key, value) {
    const tr = document.createElement("tr");
    const a = document.createElement("td"), b = document.createElement("td");
    a.textContent = key;
    if (value instanceof Node) b.appendChild(value); else b.textContent = value;
    tr.append(a, b);
    table.appendChild(tr);
  }
  function links(items) {
    if (!items.length) return "none";
    const ul = document.createElement("ul");
    for (const item of items) {
      const li = document.createElement("li");
      if (item.ref) {
        const a = document.createElement("a");
        a.textContent = item.text;
        a.dataset.ref = item.ref;
        a.addEventListener("click", () => select(item.ref, true));
        li.appendChild(a);
      } else li.textContent = item.text + " (not shown)";
      ul.appendChild(li);
    }
    return ul;
  }
  function showDetails(n) {
    details.replaceChildren();
    const h = document.createElement("h2");
    h.textContent = n.kind === "variable" ? "Variable " + n.name : n.label[0];
    details.appendChild(h);
    const table = document.createElement("table");
    table.id = "details-table";
    row(table, "op", n.op);
    if (n.kind === "variable" || (n.name !== n.op && n.kind === "constant")) row(table, "name", n.name);
    row(table, "shape", n.shape);
    row(table, "dtype", n.dtype);
    row(table, "kind", n.kind + (n.output ? " (output)" : ""));
    if (n.scope) row(table, "module", n.scope);
    if (n.params) row(table, "params", n.params);
    row(table, "inputs", links(n.inputs));
    if (n.cut) row(table, "cut off", n.cut + " input(s) not drawn (raise max_nodes)");
    row(table, "consumers", links(n.consumers.map(id => ({ ref: id, text: nodes.get(id).label[0] + " " + nodes.get(id).shape }))));
    details.appendChild(table);
    const v = document.createElement("div");
    v.id = "value";
    if (n.value) {
      const title = document.createElement("h3");
      title.textContent = "value";
      const vt = document.createElement("table");
      for (const [k, val] of Object.entries(n.value)) row(vt, k, val);
      v.append(title, vt);
    } else {
      v.textContent = "No value: write the page with plot_html(..., values=True) to see values.";
    }
    details.appendChild(v);
  }

  function select(id, center) {
    const n = nodes.get(id);
    if (!n) return;
    selected = id;
    for (const c of ancestors(n.cluster)) collapsed.delete(c);
    render();
    showDetails(n);
    if (center) {
      const r = svg.getBoundingClientRect();
      view.k = Math.max(view.k, 1);  // readable, however small the whole graph was fitted
      view.x = r.width / 2 - n.box[0] * view.k;
      view.y = r.height / 2 - n.box[1] * view.k;
      apply();
    }
  }

  function apply() { viewport.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`); }
  function fit() {
    const bb = viewport.getBBox(), r = svg.getBoundingClientRect();
    if (!bb.width || !r.width) return;
    view.k = Math.min(2, (r.width - 40) / bb.width, (r.height - 40) / bb.height);
    view.x = (r.width - bb.width * view.k) / 2 - bb.x * view.k;
    view.y = (r.height - bb.height * view.k) / 2 - bb.y * view.k;
    apply();
  }

  let drag = null;
  svg.addEventListener("pointerdown", ev => {
    if (ev.target.closest(".node, .cluster-toggle")) return;
    drag = { x: ev.clientX - view.x, y: ev.clientY - view.y };
    svg.classList.add("dragging");
  });
  window.addEventListener("pointermove", ev => {
    if (!drag) return;
    view.x = ev.clientX - drag.x;
    view.y = ev.clientY - drag.y;
    apply();
  });
  window.addEventListener("pointerup", () => { drag = null; svg.classList.remove("dragging"); });
  svg.addEventListener("wheel", ev => {
    ev.preventDefault();
    const r = svg.getBoundingClientRect(), mx = ev.clientX - r.left, my = ev.clientY - r.top;
    const k = Math.min(8, Math.max(0.05, view.k * Math.exp(-ev.deltaY * 0.0015)));
    view.x = mx - (mx - view.x) * k / view.k;
    view.y = my - (my - view.y) * k / view.k;
    view.k = k;
    apply();
  }, { passive: false });

  search.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    matches = q ? data.nodes.filter(n => n.kind !== "cut" && (n.name.toLowerCase().includes(q) || n.op.toLowerCase().includes(q) || n.label.join(" ").toLowerCase().includes(q))).map(n => n.id) : [];
    matchIndex = -1;
    document.getElementById("matches").textContent = q ? matches.length + (matches.length === 1 ? " match" : " matches") : "";
    render();
  });
  search.addEventListener("keydown", ev => {
    if (ev.key !== "Enter" || !matches.length) return;
    matchIndex = (matchIndex + 1) % matches.length;
    select(matches[matchIndex], true);
  });
  document.getElementById("fit").addEventListener("click", fit);
  document.getElementById("expand-all").addEventListener("click", () => { collapsed.clear(); render(); });
  document.getElementById("collapse-all").addEventListener("click", () => {
    for (const c of data.clusters) if (!c.parent) collapsed.add(c.id);
    render();
  });
  window.addEventListener("keydown", ev => { if (ev.key === "Escape") { selected = null; render(); details.replaceChildren("Click a node to see its details."); } });

  document.getElementById("stats").textContent = data.shown + (data.shown === 1 ? " node" : " nodes") + (data.shown < data.total ? " of " + data.total : "");
  document.getElementById("caption").textContent = data.caption;
  render();
  fit();
  window.addEventListener("resize", fit);
  document.body.dataset.ready = "true";
})();
</script>
</body>
</html>
"""
