"""What a plot draws: the nodes kept, collapsed modules and inputs cut off by `max_nodes`.

`build_view` walks a graph once, breadth-first from its outputs, and resolves every option of
`plot`, `to_dot` and `plot_html` into a `View` that the DOT writer and the HTML page both draw.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..node import Composition, Node, Variable, toposort

__all__ = [
    "MAX_NODES",
    "View",
    "as_outputs",
    "build_view",
    "check_options",
    "cluster_ids",
    "collapsed_paths",
    "owners",
    "place_parameters",
    "is_constant",
    "is_library",
    "library_paths",
    "node_id",
    "output_labels",
]

MAX_NODES = 500


def node_id(node: Node) -> int:
    """A node's serial number: unique, and larger than those of the node's inputs."""
    return node._id


def owners(node: Node) -> dict[tuple[str, ...], str]:
    """The modules that called `node` as a parameter: {scope: dotted name}, the latest last.

    A parameter is made in its module's constructor, outside the scope the module is called in;
    calling a `nn.Module` records on its parameters its scope and their dotted names
    (``_owner``), and the picture puts them there.
    """
    return getattr(node, "_owner", None) or {} if isinstance(node, Variable) else {}


def place_parameters(nodes: list[Node]) -> dict[int, tuple[tuple[str, ...], str]]:
    """id(parameter) -> (the module path it is drawn in, its dotted name), for a graph's nodes.

    Of the modules that called it, the latest whose scope holds one of its consumers here: a
    model called in two scopes (a training and an evaluation graph) draws each graph's
    parameters in that graph's cluster.
    """
    consumers: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for node in nodes:
        for x in node.inputs:
            if isinstance(x, Variable):
                consumers[id(x)].append(node.scope)
    placed = {}
    for node in nodes:
        found = owners(node)
        if found:
            choices = list(found.items())
            used = [
                (scope, name)
                for scope, name in choices
                if any(c[: len(scope)] == scope for c in consumers[id(node)])
            ]
            placed[id(node)] = (used or choices)[-1]
    return placed


def is_library(path: tuple[str, ...]) -> bool:
    """Whether a module path is a library composition (softmax, cross_entropy, layer_norm)."""
    return bool(path) and isinstance(path[-1], Composition)


def library_paths(scopes: Iterable[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """Every library composition (`ad.node.composition`) among the modules of `scopes`."""
    paths = {scope[:k] for scope in scopes for k in range(1, len(scope) + 1)}
    return {path for path in paths if is_library(path)}


def is_constant(node: Node) -> bool:
    """Whether `node` is drawn as a constant (and left out by ``hide_constants=True``)."""
    return node.constant


@dataclass
class View:
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
    labels: dict[str, list[str]]  # drawn id -> the names of the outputs it shows
    owned: dict[int, tuple[tuple[str, ...], str]]  # id(parameter) -> (module path, dotted name)

    def scope(self, node: Node) -> tuple[str, ...]:
        """The module path `node` is drawn in: a parameter's is its module's."""
        return self.owned[id(node)][0] if id(node) in self.owned else node.scope

    def name(self, node: Node) -> str:
        """The name `node` is shown with: a parameter's dotted name (``layers.0.weight``)."""
        return self.owned[id(node)][1] if id(node) in self.owned else node.name

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


def as_outputs(nodes: Node | Iterable[Node] | Mapping[str, Node], caller: str) -> list[Node]:
    """`nodes` as a list of distinct Nodes, in order; a TypeError or ValueError otherwise.

    A dict ``{label: node}`` gives its nodes (the labels are read by `output_labels`).
    """
    if isinstance(nodes, Node):
        return [nodes]
    if isinstance(nodes, Mapping):
        for label in nodes:
            if not isinstance(label, str):
                raise TypeError(
                    f"{caller}: the labels of a dict of outputs must be strings, got {label!r}"
                )
        nodes = list(nodes.values())
    if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Iterable):
        raise TypeError(
            f"{caller}: expected a Node, a list of Nodes or a dict of labels to Nodes, "
            f"got {type(nodes).__name__}"
        )
    outputs = list(nodes)
    if not outputs:
        raise ValueError(f"{caller}: nothing to draw: the list of nodes is empty")
    for i, node in enumerate(outputs):
        if not isinstance(node, Node):
            raise TypeError(f"{caller}: item {i} is a {type(node).__name__}, not a Node")
    return list({id(node): node for node in outputs}.values())


def output_labels(nodes: Any, outputs: list[Node]) -> dict[int, list[str]]:
    """id(output) -> its labels: a dict's keys, else "output i" when there are several outputs.

    Label gradients by what they are: ``{f"d loss / d {name}": g for ...}``; a node given
    under several labels shows them all.
    """
    labels: dict[int, list[str]] = defaultdict(list)
    if isinstance(nodes, Mapping):
        for label, node in nodes.items():
            labels[id(node)].append(label)
    elif not isinstance(nodes, Node) and len(outputs) > 1:
        for i, node in enumerate(nodes):
            if not labels[id(node)]:
                labels[id(node)].append(f"output {i}")
    return dict(labels)


def check_options(
    caller: str, collapse: Any, hide_constants: Any, max_nodes: Any
) -> bool | tuple[str, ...]:
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


def collapsed_paths(
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
            raise ValueError(
                f"{caller}: collapse: no module named {name!r} in this graph (modules: {listing})"
            )
        chosen |= found
    return chosen


def cluster_ids(paths: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """A stable id per module path, parents first."""
    ordered = sorted(set(paths), key=lambda p: (len(p), p))
    return {path: f"c{i}" for i, path in enumerate(ordered)}


def build_view(
    outputs: list[Node],
    *,
    collapse: bool | tuple[str, ...],
    hide_constants: bool,
    max_nodes: int | None,
    caller: str,
    collapse_library: bool = False,
    labels: dict[int, list[str]] | None = None,
    paths: set[tuple[str, ...]] | None = None,
) -> View:
    """What to draw of the graph that computes `outputs` (options as checked by the callers).

    `collapse_library` draws each library composition as one box too, as `paths` does the
    modules it lists; `labels` names outputs.
    """
    everything = toposort(outputs)
    owned = place_parameters(everything)

    def drawn_scope(node: Node) -> tuple[str, ...]:
        return owned[id(node)][0] if id(node) in owned else node.scope

    scopes = {drawn_scope(n) for n in everything}
    collapsed = collapsed_paths(caller, collapse, scopes) | (paths or set())
    if collapse_library:
        collapsed |= library_paths(scopes)
    output_ids = {id(n) for n in outputs}

    modules: dict[tuple[str, ...], str] = {}

    def unit_key(node: Node) -> Any:
        scope = drawn_scope(node)
        for k in range(1, len(scope) + 1):
            if scope[:k] in collapsed:
                return scope[:k]
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
        if hide_constants and is_constant(node) and id(node) not in output_ids:
            continue
        key = unit_key(node)
        if key not in kept:
            if max_nodes is not None and len(kept) >= max_nodes:
                cut_ids.add(id(node))
                continue
            if isinstance(key, tuple):
                kept[key] = modules[key] = f"m{len(modules)}"
            else:
                kept[key] = f"n{node_id(node)}"
        unit[id(node)] = kept[key]
        shown.append(node)
        for x in node.inputs:
            if id(x) not in seen:
                seen.add(id(x))
                queue.append(x)
    shown.sort(key=node_id)  # an input is always built before its consumers

    module_size: dict[str, int] = defaultdict(int)
    scope_of: dict[str, tuple[str, ...]] = {}
    for node in shown:
        u = unit[id(node)]
        if u.startswith("m"):
            module_size[u] += 1
        else:
            scope_of[u] = drawn_scope(node)
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
    unit_labels: dict[str, list[str]] = defaultdict(list)
    for node in outputs:
        if id(node) in unit:
            unit_labels[unit[id(node)]] += (labels or {}).get(id(node), [])
    return View(
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
        labels={u: names for u, names in unit_labels.items() if names},
        owned=owned,
    )
