"""Graphviz pictures: `plot` builds a `graphviz.Digraph` of a graph, `to_dot` gives its DOT text.

Modules (`ad.name_scope`) are nested clusters. Building the Digraph needs only the `graphviz`
Python package; rendering it needs the Graphviz `dot` program, and without it rendering raises
`GraphvizNotFoundError`, which says how to install Graphviz.
"""

from __future__ import annotations

import os
import pathlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import graphviz

from ..node import Node
from .style import COLORS, kind, label_lines
from .view import (
    MAX_NODES,
    View,
    as_outputs,
    build_view,
    check_options,
    cluster_ids,
    is_library,
    output_labels,
)

__all__ = [
    "FILE_FORMATS",
    "RANKDIRS",
    "GraphPlot",
    "GraphvizNotFoundError",
    "digraph",
    "plot",
    "to_dot",
]

RANKDIRS = ("TB", "LR", "BT", "RL")
FILE_FORMATS = ("png", "svg", "pdf")
INSTALL_GRAPHVIZ = (
    "rendering a plot needs the Graphviz `dot` program, which is not on PATH. Install Graphviz: "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
    "`conda install -c conda-forge graphviz`, then restart Python. "
    "(ad.to_dot and ad.plot_html work without it.)"
)


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

        >>> import numpy as np, autodiff as ad
        >>> ad.plot(ad.Variable(np.ones(2), name="x")).write("graph.png")  # doctest: +SKIP
        PosixPath('graph.png')
        """
        path = pathlib.Path(path)
        suffix = path.suffix.lstrip(".").lower()
        if suffix not in FILE_FORMATS:
            raise ValueError(
                f"write: cannot tell the format from {path.name!r}; "
                f"use a name ending in one of {', '.join('.' + f for f in FILE_FORMATS)}"
            )
        path.write_bytes(self.pipe(format=suffix))
        return path


def _dot_text(lines: Iterable[str]) -> str:
    """Lines of user text as one DOT label: backslashes kept literal, centred line breaks."""
    escaped = (line.replace("\\", "\\\\").replace("\n", " ") for line in lines)
    return graphviz.nohtml("\\n".join(escaped))


def _node_attrs(node: Node, is_output: bool, names: list[str], name: str) -> dict[str, str]:
    node_kind = kind(node)
    derivative = " (derivative)" if node.is_derivative else ""
    attrs = {
        "label": _dot_text(names + label_lines(node, name)),
        "fillcolor": COLORS[node_kind],
        "tooltip": _dot_text([f"{name} {node.shape} {node.dtype}{derivative}"]),
    }
    if node_kind == "variable":
        attrs.update(shape="ellipse", style="filled")
    elif node_kind == "constant":
        attrs.update(shape="box", style="filled,dashed", fontcolor="#555555", color="#888888")
    else:
        attrs.update(shape="box", style="rounded,filled")
    if is_output:
        attrs["penwidth"] = "2.5"
    return attrs


def digraph(view: View, rankdir: str) -> GraphPlot:
    """The Digraph of `view`: nodes in nested module clusters, edges with ids ``e<index>``."""
    g = GraphPlot(
        name="autodiff",
        graph_attr={
            "rankdir": rankdir,
            "fontname": "Helvetica",
            "fontsize": "10",
            "nodesep": "0.25",
            "ranksep": "0.35",
        },
        node_attr={
            "fontname": "Helvetica",
            "fontsize": "10",
            "height": "0.3",
            "margin": "0.08,0.04",
        },
        edge_attr={"arrowsize": "0.6", "color": "#555555"},
    )
    caption = view.caption()
    if caption:
        g.attr(label=caption, labelloc="t", fontcolor="#aa3300")

    statements: dict[tuple[str, ...], list[tuple[str, dict[str, str]]]] = defaultdict(list)
    output_ids = {id(n) for n in view.outputs}
    output_units = {view.unit[i] for i in output_ids if i in view.unit}
    for node in view.shown:
        u = view.unit[id(node)]
        if not u.startswith("m"):
            attrs = _node_attrs(
                node, id(node) in output_ids, view.labels.get(u, []), view.name(node)
            )
            statements[view.scope(node)].append((u, attrs))
    for u, path in view.modules.items():
        size = view.module_size[u]
        library = is_library(path)
        what = "library composition" if library else "module"
        box = {
            "label": _dot_text(
                view.labels.get(u, []) + [path[-1], f"{size} node{'s' if size != 1 else ''}"]
            ),
            "shape": "box3d",
            "style": "filled",
            "fillcolor": COLORS["library" if library else "module"],
            "tooltip": _dot_text([f"{what} {'/'.join(path)} (collapsed)"]),
        }
        if u in output_units:
            box["penwidth"] = "2.5"
        statements[path[:-1]].append((u, box))
    for u, count in view.cut.items():
        more = {
            "label": f"... {count} more input{'s' if count != 1 else ''}",
            "shape": "plaintext",
            "fontcolor": "#aa3300",
            "tooltip": f"{count} inputs cut off by max_nodes={view.max_nodes}",
        }
        statements[view.scope_of[u]].append((f"cut_{u}", more))

    children: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)
    for path in list(statements):
        for k in range(len(path), 0, -1):
            children[path[: k - 1]].add(path[:k])
    clusters = cluster_ids(p for kids in children.values() for p in kids)
    cluster_names = {path: f"cluster_{c}" for path, c in clusters.items()}

    def emit(graph: graphviz.Digraph, path: tuple[str, ...]) -> None:  # depth = nesting of scopes
        for name, attrs in statements.get(path, ()):
            graph.node(name, **attrs)
        for child in sorted(children.get(path, ())):
            with graph.subgraph(name=cluster_names[child]) as sub:
                library = is_library(child)
                sub.attr(
                    label=_dot_text([child[-1]]),
                    style="rounded,filled,dashed" if library else "rounded,filled",
                    color="#6a9f72" if library else "#999999",
                    fillcolor=(
                        "#f1f8f2" if library else "#f6f6f6" if len(child) % 2 else "#ffffff"
                    ),
                    fontcolor="#444444",
                    tooltip=_dot_text(
                        [("library composition " if library else "module ") + "/".join(child)]
                    ),
                    labeljust="l",
                )
                emit(sub, child)

    emit(g, ())
    for i, (s, t) in enumerate(view.edges):
        g.edge(s, t, id=f"e{i}")
    for u in view.cut:
        g.edge(f"cut_{u}", u, style="dashed", color="#aa3300")
    return g


def plot(
    nodes: Node | Iterable[Node] | Mapping[str, Node],
    *,
    collapse: bool | str | Iterable[str] = False,
    collapse_library: bool = True,
    hide_constants: bool = False,
    max_nodes: int | None = MAX_NODES,
    rankdir: str = "TB",
) -> GraphPlot:
    r"""The graph that computes `nodes` as a `graphviz.Digraph` (shows inline in Jupyter).

    Op nodes show the op, short parameters and the output shape (and the dtype when it is not
    float64); Variables are blue ellipses, constants grey dashed boxes, derivative nodes orange;
    outputs have a bold border. Each `ad.name_scope` (module) is a cluster, nested as the
    scopes are; a `nn.Module`'s parameters are drawn in its cluster with their dotted names
    (``layers.0.weight``).

    - `nodes` is a Node, a list of Nodes or a dict ``{label: node}``: each output shows its
      label (``{"d loss / d layers.0.weight": g}``), or "output i" in a list of several.
    - Library compositions (softmax, log_softmax, logsumexp, cross_entropy and the other
      losses, layer norm: `ad.node.composition`) are clusters with a dashed green border,
      each drawn as one box while ``collapse_library=True`` (the default).

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
    >>> x = ad.Variable(np.ones(3), name="x")
    >>> with ad.name_scope("layer"):
    ...     y = ad.sum(ad.tanh(x))
    >>> g = ad.plot([y, ad.grad(y, x)], hide_constants=True)
    >>> isinstance(g, graphviz.Digraph), g.source.count("subgraph cluster_")
    (True, 1)
    >>> print(ad.plot(y, collapse=True).source.count('label="layer\\n2 nodes"'))
    1
    >>> g.write("graph.png")  # doctest: +SKIP
    """
    collapse = check_options("plot", collapse, hide_constants, max_nodes)
    if rankdir not in RANKDIRS:
        raise ValueError(f"plot: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if not isinstance(collapse_library, bool):
        raise TypeError(f"plot: collapse_library must be True or False, got {collapse_library!r}")
    outputs = as_outputs(nodes, "plot")
    view = build_view(
        outputs,
        collapse=collapse,
        hide_constants=hide_constants,
        max_nodes=max_nodes,
        caller="plot",
        collapse_library=collapse_library,
        labels=output_labels(nodes, outputs),
    )
    return digraph(view, rankdir)


def to_dot(
    nodes: Node | Iterable[Node] | Mapping[str, Node],
    *,
    collapse: bool | str | Iterable[str] = False,
    collapse_library: bool = True,
    hide_constants: bool = False,
    max_nodes: int | None = MAX_NODES,
    rankdir: str = "TB",
) -> str:
    r"""The DOT text of `plot(nodes, ...)` (same options); needs no Graphviz program.

    >>> import autodiff as ad
    >>> x = ad.Variable(2.0, name="x")
    >>> dot = ad.to_dot(ad.exp(x) * x)
    >>> print(dot.splitlines()[0])
    digraph autodiff {
    >>> 'label="Exp\\n()"' in dot and 'label="x\\n()" fillcolor="#cfe2ff" shape=ellipse' in dot
    True
    """
    graph = plot(
        nodes,
        collapse=collapse,
        collapse_library=collapse_library,
        hide_constants=hide_constants,
        max_nodes=max_nodes,
        rankdir=rankdir,
    )
    return graph.source
