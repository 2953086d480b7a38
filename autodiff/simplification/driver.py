"""The driver: passes over the graph in topological order until the outputs no longer change.

Each pass rebuilds every node from its simplified inputs: a region of float algebra goes to
the term collector (`collector`), every other node to the local rules that look at its
class, tried in the order of `RULES` until none applies. Whole passes repeat (at most
`_MAX_PASSES`) until the outputs are the same nodes; every pass is iterative and linear in
the size of the graph. Then the batching pass (`batching`) runs once. `simplify_in_order`
also gives the result's nodes in an order to evaluate them that keeps each where the node it
replaces was built (a batch goes right after the last of its inputs).
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ..node import Leaf, Node, toposort
from . import batching, collector, rules_algebra, rules_einsum, rules_shape
from .base import _MAX_PASSES, _bound, _rebuild, _serial, _size
from .collector import Collecting, _collectable, _Poly
from .registry import Rewrite, Rule

__all__ = ["RULES", "paused_gc", "simplify", "simplify_in_order"]

# Every rule, family by family; the rules of one node class are tried in this order.
RULES: list[Rule] = [
    *rules_algebra.TABLE,
    *rules_shape.TABLE,
    *rules_einsum.TABLE,
    *collector.TABLE,
    *batching.TABLE,
]


def simplify(outputs: Node | Sequence[Node]) -> Node | list[Node]:
    """An equivalent, smaller graph for `outputs` (a node or a list; the same structure back).

    Equivalent for every input, nan and inf included (the rule is in `autodiff.simplification`):
    an identity that fails at inf or nan (``x*0 -> 0``, ``x - x -> 0``, ``x*y + x*z ->
    x*(y + z)``) is used only where the graph shows the values cannot be inf, and an atom
    that cancels out stays as ``0 * atom``, so that nan stays nan.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.simplification import simplify
    >>> v = ad.Variable(np.array([np.nan, np.inf, 2.0]))
    >>> with np.errstate(invalid="ignore"):
    ...     simplify(v - v)(), simplify(v * 0.0)()
    (array([nan, nan,  0.]), array([nan, nan,  0.]))
    >>> x = ad.Variable(np.array(0.5), name="x")
    >>> d = ad.tanh(x)
    >>> for _ in range(4):
    ...     d = ad.grad(d, x)
    >>> ad.count_nodes(d), ad.count_nodes(simplify(d))
    (28, 11)
    >>> bool(np.isclose(simplify(d)(), d()))
    True
    """
    single = isinstance(outputs, Node)
    roots, _ = simplify_in_order([outputs] if isinstance(outputs, Node) else list(outputs))
    return roots[0] if single else roots


def simplify_in_order(outputs: Sequence[Node]) -> tuple[list[Node], list[Node]]:
    """`simplify` for a list, and every node of the result in an order to evaluate them.

    The order keeps each node where the node it replaces was built: a graph's creation order
    is the order eager code would run it in (a backward pass step by step), which keeps few
    arrays alive at once; rewritten nodes are newer and would otherwise all run last.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.simplification import simplify_in_order
    >>> x = ad.Variable(np.array([1.0, 2.0]), name="x")
    >>> (y,), order = simplify_in_order([x * 2.0 + x])   # 3x: one multiply
    >>> [node.name for node in order]
    ['x', 'Constant', 'Multiply']
    """
    roots = list(outputs)
    for i, node in enumerate(roots):
        if not isinstance(node, Node):
            raise TypeError(f"simplify: output {i} is a {type(node).__name__}, not a Node")
    written: dict = {}  # collected regions written in earlier passes: key -> (node, cost)
    place: dict[int, tuple[int, Node]] = {}  # id(node) -> (where its original was built, node)
    with paused_gc():
        for _ in range(_MAX_PASSES):
            new_roots = _Pass(roots, written, place).run()
            if all(a is b for a, b in zip(new_roots, roots, strict=True)):
                break
            roots = new_roots
        roots = batching.batch(roots, place)
        return roots, _schedule(roots, place)


def _schedule(roots: list[Node], place: dict) -> list[Node]:
    """The nodes of `roots` ordered by the place of what they replace, inputs first.

    A node a rewrite made (an add of a running sum, a stack) goes right after the last of
    its inputs, so that what it reads can be dropped. Keys are tuples: (place,) for a node
    that has one, the key of its last input extended by its id for one that has not.
    """
    key: dict[int, tuple] = {}
    nodes = toposort(roots)  # creation order: topological
    for node in nodes:
        ready = max((key[id(x)] for x in node.inputs), default=())
        own = place.get(id(node))
        key[id(node)] = (
            (own[0],) if own is not None and (own[0],) > ready else ready + (_serial(node),)
        )
    return sorted(nodes, key=lambda node: key[id(node)])


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: building many acyclic objects goes twice as fast."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_LOCAL: dict[type, list[Rewrite]] = {}


def _local_rules(kind: type) -> list[Rewrite]:
    """The rewrites of the rules that look at nodes of class `kind`, in the order of `RULES`."""
    rules = _LOCAL.get(kind)
    if rules is None:
        rules = [r.rewrite for r in RULES if r.rewrite is not None and issubclass(kind, r.ops)]
        _LOCAL[kind] = rules
    return rules


class _Pass(Collecting):
    """One visit of the whole graph: rebuild every node from simplified inputs, apply rules."""

    def __init__(self, roots: list[Node], written: dict, place: dict):
        self.roots = roots
        self.written = written
        self.place = place
        self.order = toposort(roots)
        self.uses: dict[int, int] = defaultdict(int)  # consumers in the graph being read
        for node in self.order:
            for x in node.inputs:
                self.uses[id(x)] += 1
        for node in roots:
            self.uses[id(node)] += 1
        self.bounds: dict[int, float] = {}  # id(old node) -> a bound on its values (or inf)
        for node in self.order:
            self.bounds[id(node)] = _bound(node, [self.bounds[id(x)] for x in node.inputs])
        self.new: dict[int, Node] = {}  # id(old node) -> its simplified node
        self.new_uses: dict[int, int] = defaultdict(int)
        self.polys: dict[int, _Poly] = {}  # id(old node) -> its collected polynomial
        self.region_cost: dict[int, int] = {}
        self.atoms: dict[int, Node] = {}  # atom id -> node
        self.atom_bounds: dict[int, float] = {}  # atom id -> a bound on its values (or inf)
        self.inlined: set[int] = set()  # old nodes read into a consumer's polynomial

    def run(self) -> list[Node]:
        for old in self.order:
            if isinstance(old, Leaf) or not old.inputs:
                self._set(old, old)
            elif _collectable(old):
                poly = self._collect(old)
                if poly is None:
                    node = self._apply_rules(_rebuild(old, [self.get(x) for x in old.inputs]))
                    self._set(old, node)
                    self.region_cost[id(old)] = _size(old)
                else:
                    self.polys[id(old)] = poly
            else:
                self._set(old, self._apply_rules(_rebuild(old, [self.get(x) for x in old.inputs])))
        roots = [self.get(r) for r in self.roots]
        self._place_the_rest(roots)
        return roots

    def _set(self, old: Node, node: Node) -> None:
        if node.shape != old.shape or node.dtype != old.dtype:
            raise RuntimeError(
                f"simplify: rewriting {old!r} gave {node!r}; a rule changed the shape or dtype"
            )
        self.new[id(old)] = node
        self.new_uses[id(node)] += self.uses[id(old)]
        if id(node) not in self.place:  # (the node is kept: its id stays its own)
            self.place[id(node)] = (self.place.get(id(old), (_serial(old),))[0], node)

    def place_of(self, node: Node) -> int:
        known = self.place.get(id(node))
        return known[0] if known is not None else _serial(node)

    def as_soon_as_ready(self, node: Node) -> Node:
        """Place a node a rewrite made right after the last of its inputs."""
        if id(node) not in self.place and node.inputs:
            self.place[id(node)] = (max(self.place_of(x) for x in node.inputs), node)
        return node

    def _place_the_rest(self, roots: list[Node]) -> None:
        """Every other node a rewrite made goes where its first reader goes."""
        nodes = toposort(roots)
        first_reader: dict[int, int] = {}
        for node in reversed(nodes):
            if id(node) not in self.place:
                self.place[id(node)] = (first_reader.get(id(node), _serial(node)), node)
            for x in node.inputs:
                first_reader[id(x)] = min(
                    first_reader.get(id(x), math.inf), self.place[id(node)][0]
                )

    def single_use(self, node: Node) -> bool:
        """Whether `node` (of the new graph) has one consumer, as far as this pass knows."""
        return self.new_uses.get(id(node)) == 1

    def get(self, old: Node) -> Node:
        """The simplified node standing for `old` (written out now if it was collected)."""
        node = self.new.get(id(old))
        if node is None:
            node = self._write(old)
            self._set(old, node)
        return node

    def _apply_rules(self, node: Node) -> Node:
        seen = {id(node): node}  # (the nodes are kept so that their ids stay theirs)
        while True:
            for rewrite in _local_rules(type(node)):
                result = rewrite(node, self)
                if result is not None and result is not node:
                    break
            else:
                return node
            if id(result) in seen:  # rules going round in a circle: stop where we are
                return node
            seen[id(result)] = result
            node = result
