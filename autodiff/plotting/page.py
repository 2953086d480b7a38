"""The interactive HTML page: `plot_html` writes ONE self-contained, offline file.

The page's markup, style and script are the package data files ``page.html``, ``page.css``
and ``page.js`` next to this module; `plot_html` inlines the last two into the first, with the
graph's data as JSON, so the written file needs no server, no network and no other file.
"""

from __future__ import annotations

import html
import json
import os
import pathlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

import numpy as np

from ..node import Constant, Node, Variable
from .layout import layout
from .style import kind, label_lines, params_text, short
from .view import (
    MAX_NODES,
    View,
    as_outputs,
    build_view,
    check_options,
    cluster_ids,
    collapsed_paths,
    is_constant,
    is_library,
    library_paths,
    node_id,
    output_labels,
)

__all__ = ["PAGE_FILES", "page_data", "plot_html", "render_page"]

PAGE_FILES = ("page.html", "page.css", "page.js")  # package data: shipped in the wheel
_SLOT = re.compile(r"__(TITLE|STYLE|SCRIPT|DATA)__")


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


def _more_inputs(count: int) -> str:
    return f"... {count} more input{'s' if count != 1 else ''}"


def start_layout(start: View, clusters: dict[tuple[str, ...], str]) -> dict[str, Any]:
    """Where the page draws things while the modules collapsed at the start stay collapsed.

    `start` is the view with those modules as boxes, so their insides take no room; keys are
    the page's ids (a collapsed module's is its cluster id; an edge's is "source>target").
    """
    labels: dict[str, list[str]] = {}
    for node in start.shown:
        u = start.unit[id(node)]
        if not u.startswith("m"):
            labels[u] = label_lines(node, start.name(node))
    for u, path in start.modules.items():
        size = start.module_size[u]
        labels[u] = ["\u25b8 " + path[-1], f"{size} node{'s' if size != 1 else ''}"]
    for u, count in start.cut.items():
        labels[f"cut_{u}"] = [_more_inputs(count)]
    drawn = {scope[:k] for scope in start.scope_of.values() for k in range(1, len(scope) + 1)}
    placed = layout(start, labels, cluster_ids(drawn))

    def page_id(u: str) -> str:
        return clusters[start.modules[u]] if u in start.modules else u

    return {
        "boxes": {
            page_id(u): box for u, box in placed["boxes"].items() if not u.startswith("cut_")
        },
        "clusters": {clusters[path]: box for path, box in placed["clusters"].items()},
        "splines": {
            f"{page_id(s)}>{page_id(t)}": placed["splines"][i]
            for i, (s, t) in enumerate(start.edges)
            if i in placed["splines"]
        },
    }


def page_data(
    view: View,
    values: bool,
    collapse_at_start: set[tuple[str, ...]],
    start: View | None = None,
) -> dict[str, Any]:
    """Everything the page's script draws: nodes with positions and details, modules, edges.

    `start` (the view with `collapse_at_start` collapsed) gives a second, compact layout the
    page uses while exactly those modules are collapsed.
    """
    output_ids = {id(n) for n in view.outputs}
    shown_ids = {id(n) for n in view.shown}
    consumers: dict[int, list[str]] = defaultdict(list)
    for node in view.shown:
        for x in dict.fromkeys(map(id, node.inputs)):
            if x in shown_ids:
                consumers[x].append(f"n{node_id(node)}")
    arrays: dict[int, Any] = {}
    if values:
        from ..compile import function  # evaluation is asked for: the page shows the numbers

        with np.errstate(all="ignore"):  # a page that shows nan/inf beats an error while debugging
            results = function(view.shown)()
        arrays = {id(n): a for n, a in zip(view.shown, results, strict=True)}

    scopes = {id(node): view.scope(node) for node in view.shown}
    clusters = cluster_ids(scope[:k] for scope in scopes.values() for k in range(1, len(scope) + 1))
    labels = {f"cut_{u}": [_more_inputs(count)] for u, count in view.cut.items()}
    records = []
    for node in view.shown:
        u = f"n{node_id(node)}"
        labels[u] = label_lines(node, view.name(node))
        value = arrays.get(id(node))
        if value is None and isinstance(node, (Variable, Constant)):
            value = node.eval()
        if is_constant(node):
            params = short(", ".join(f"{k}={v!r}" for k, v in node.params), 300)
        else:
            params = params_text(node, 300)
        inputs = [
            {"ref": f"n{node_id(x)}" if id(x) in shown_ids else None, "text": f"{x.name} {x.shape}"}
            for x in node.inputs
        ]
        records.append(
            {
                "id": u,
                "kind": kind(node),
                "label": labels[u],
                "op": type(node).__name__,
                "name": view.name(node),
                "shape": str(node.shape),
                "dtype": str(node.dtype),
                "scope": "/".join(scopes[id(node)]),
                "cluster": clusters.get(scopes[id(node)]),
                "params": params,
                "derivative": node.is_derivative,
                "output": id(node) in output_ids,
                "outputLabels": view.labels.get(u, []),
                "inputs": inputs,
                "consumers": consumers[id(node)],
                "cut": view.cut.get(u, 0),
                "value": None if value is None else _summary(value),
            }
        )
    for u in view.cut:
        records.append(
            {
                "id": f"cut_{u}",
                "kind": "cut",
                "label": labels[f"cut_{u}"],
                "cluster": clusters.get(view.scope_of[u]),
                "target": u,
            }
        )

    placed = layout(view, labels, clusters)
    for record in records:
        record["box"] = placed["boxes"][record["id"]]
    sizes: dict[str, int] = defaultdict(int)
    for scope in scopes.values():
        for k in range(1, len(scope) + 1):
            sizes[clusters[scope[:k]]] += 1
    cluster_records = [
        {
            "id": c,
            "name": path[-1],
            "path": "/".join(path),
            "parent": clusters.get(path[:-1]),
            "library": is_library(path),
            "size": sizes[c],
            "bbox": placed["clusters"].get(path),
        }
        for path, c in clusters.items()
    ]
    edges = [
        {"s": s, "t": t, "path": placed["splines"].get(i)} for i, (s, t) in enumerate(view.edges)
    ]
    edges += [{"s": f"cut_{u}", "t": u, "path": None, "cut": True} for u in view.cut]
    return {
        "caption": view.caption(),
        "total": view.total,
        "shown": len(view.shown),
        "nodes": records,
        "clusters": cluster_records,
        "edges": edges,
        "collapsed": [clusters[p] for p in collapse_at_start if p in clusters],
        "start": None if start is None or not start.modules else start_layout(start, clusters),
    }


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def render_page(data: dict[str, Any], title: str) -> str:
    """The page's text: ``page.html`` with its style, script, `title` and `data` filled in.

    Each slot is filled in one pass, so text put into one slot (a title "__DATA__", a node
    named "__SCRIPT__") is never taken for another.

    >>> page = render_page({"nodes": []}, "a <b> graph")
    >>> "<title>a &lt;b&gt; graph</title>" in page, '{"nodes":[]}' in page
    (True, True)
    """
    template, style, script = (_read(name) for name in PAGE_FILES)
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")  # no "</script>"
    slots = {
        "TITLE": html.escape(title),
        "STYLE": style.rstrip("\n"),
        "SCRIPT": script.rstrip("\n"),
        "DATA": payload,
    }
    return _SLOT.sub(lambda match: slots[match.group(1)], template)


def plot_html(
    nodes: Node | Iterable[Node] | Mapping[str, Node],
    path: str | os.PathLike,
    *,
    values: bool = False,
    collapse: bool | str | Iterable[str] = False,
    collapse_library: bool = True,
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
    `nodes`, `collapse`, `collapse_library`, `hide_constants` and `max_nodes` are as in
    `plot` (here `collapse` and `collapse_library` only set which modules start collapsed; the
    page has a compact layout for that start, where those modules' insides take no room).
    Labels stay legible at any zoom: below a readable size they are hidden and shown on
    hover, while module titles and output labels keep a minimum size on screen. The layout
    comes from the Graphviz `dot` program when it is installed and the page has at most 800
    nodes, else from a fast built-in layered layout.
    Returns the path written.

    >>> import pathlib, tempfile
    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.arange(3.0), name="x")
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> page = ad.plot_html(ad.sum(x * x), folder / "graph.html", values=True)
    >>> text = page.read_text()
    >>> "<script src" in text, '"name":"x"' in text
    (False, True)
    """
    collapse = check_options("plot_html", collapse, hide_constants, max_nodes)
    if not isinstance(values, bool):
        raise TypeError(f"plot_html: values must be True or False, got {values!r}")
    if not isinstance(collapse_library, bool):
        raise TypeError(
            f"plot_html: collapse_library must be True or False, got {collapse_library!r}"
        )
    if not isinstance(title, str):
        raise TypeError(f"plot_html: title must be a str, got {type(title).__name__}")
    outputs = as_outputs(nodes, "plot_html")
    target = pathlib.Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(
            f"plot_html: the page is HTML; give a path ending in .html, got {str(path)!r}"
        )
    if not target.parent.is_dir():
        raise FileNotFoundError(f"plot_html: the folder {str(target.parent)!r} does not exist")
    view = build_view(
        outputs,
        collapse=False,
        hide_constants=hide_constants,
        max_nodes=max_nodes,
        caller="plot_html",
        labels=output_labels(nodes, outputs),
    )
    scopes = {view.scope(n) for n in view.shown}
    start = collapsed_paths("plot_html", collapse, scopes)
    if collapse_library:
        start |= library_paths(scopes)
    compact = None
    if start:  # a layout of its own, where the collapsed modules take no room
        compact = build_view(
            outputs,
            collapse=False,
            hide_constants=hide_constants,
            max_nodes=None,
            caller="plot_html",
            paths=start,
        )
        shown = {id(n) for n in view.shown}
        if any(id(n) not in shown for n in compact.shown):  # cut by max_nodes: one layout only
            compact = None
    data = page_data(view, values, start, compact)
    target.write_text(render_page(data, title), encoding="utf-8")
    return target
