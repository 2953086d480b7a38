"""Batching: independent einsums of one equation that share an operand become one einsum.

K einsums with the same equation, the same operand shapes and dtypes, and one operand in
common (the same node at the same position), none of which depends on another, are the K
rows of ONE einsum over the stack of their other operands: ``A @ x_k -> (stack(x_k) @ A.T)[k]``.
Each is then a view (an `Index`) of that result. The 25 products ``Wxh @ x_t`` of a
recurrent net written one Variable per step, its 25 read-outs ``Why @ h_t`` and the products
of their gradients with ``Why`` run as three matmuls instead of 75.

Only einsums that do not depend on each other are batched: a group is split into levels
(`_levels`: 1 + the level of the deepest member it depends on), and the members of one level
are independent, so the stacked einsum can go after all their inputs and before all their
consumers. Groups are batched one at a time, each on the graph the previous one left, so
that two batches can never wait on each other. A stack that the graph already holds (the
collector's `stack_einsums` builds one for a summed gradient) is reused. Values are those
of the graph: stacking and indexing are exact, and a batched product sums in another order
(rounding only). Stacks stay small (`_STACK_BYTES`): calls cost the most on small arrays.
"""

from __future__ import annotations

from collections import defaultdict

from ..node import Leaf, Node, toposort
from ..ops.einsum import Einsum
from ..ops.shape import Index
from .base import _STACK_BYTES, _equation, _fresh_labels, _rebuild, _serial, _size, _split, einsum
from .collector import _stack
from .registry import BATCHING, RuleTable

__all__ = ["TABLE", "batch"]

TABLE = RuleTable(__name__)
TABLE.row(
    "batch_einsums",
    "K independent einsums e(A, x_k) of one equation -> one e(A, stack(x_k)), then its rows",
    Einsum,
    by=BATCHING,
)

_MIN_BATCH = 2  # the fewest einsums batched together
_MAX_GROUPS = 64  # groups tried per graph (each costs one visit of the graph)


def batch(roots: list[Node], place: dict) -> list[Node]:
    """`roots` with each batchable group of einsums computed as one einsum (see the module).

    `place` (id(node) -> (place, node), the driver's) gets the places of the nodes that
    replace the consumers of batched einsums. Returns `roots` itself where nothing changed.

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.simplification.batching import batch
    >>> A = ad.Variable(np.ones((3, 2)), name="A")
    >>> xs = [ad.Variable(np.full(2, float(k)), name=f"x{k}") for k in range(4)]
    >>> batched = batch([A @ x for x in xs], {})
    >>> sorted({type(node).__name__ for node in batched})
    ['Index']
    >>> [float(node()[0]) for node in batched]
    [0.0, 2.0, 4.0, 6.0]
    """
    nodes = toposort(roots)
    batches: list[list[Node]] = []
    member_of: dict[int, int] = {}  # id(einsum) -> the batch it is in
    for _, members in _groups(nodes)[:_MAX_GROUPS]:
        free = [m for m in members if id(m) not in member_of]
        if len(free) < _MIN_BATCH:
            continue
        level = _levels(nodes, free)
        by_level: dict[int, list[Node]] = defaultdict(list)
        for m in free:
            by_level[level[id(m)]].append(m)
        for same in by_level.values():
            if len(same) < _MIN_BATCH or not _fits(same):
                continue
            for m in same:
                member_of[id(m)] = len(batches)
            if (
                batches and _merged_order(nodes, member_of) is None
            ):  # two batches would wait on each other
                for m in same:
                    del member_of[id(m)]
                continue
            batches.append(same)
    if not batches:
        return roots
    order = _merged_order(nodes, member_of)
    assert order is not None  # (each batch was added only where the order exists)
    return _substitute(roots, order, batches, {id(node) for node in nodes}, place)


def _merged_order(nodes: list[Node], member_of: dict[int, int]) -> list | None:
    """The nodes in an order that keeps each batch's members together (one entry, the
    batch's number) after the inputs of them all; None where the batches make a cycle."""
    entries: dict[int, object] = {}

    def merged(node: Node) -> int:
        k = member_of.get(id(node))
        if k is None:
            entries[id(node)] = node
            return id(node)
        entries[-1 - k] = k
        return -1 - k

    waiting: dict[int, int] = defaultdict(int)
    readers: dict[int, list[int]] = defaultdict(list)
    for node in nodes:
        r = merged(node)
        for x in node.inputs:
            rx = merged(x)
            if rx != r:
                readers[rx].append(r)
                waiting[r] += 1
    ready = [r for r in entries if not waiting[r]]
    order = []
    while ready:
        r = ready.pop()
        order.append(entries[r])
        for reader in readers[r]:
            waiting[reader] -= 1
            if not waiting[reader]:
                ready.append(reader)
    return order if len(order) == len(entries) else None


def _groups(nodes: list[Node]) -> list[tuple[tuple, list[Node]]]:
    """Einsums of one equation, operand shapes and dtypes that share the operand at one
    position, largest groups first."""
    groups: dict[tuple, list[Node]] = defaultdict(list)
    for node in nodes:
        if not isinstance(node, Einsum) or len(node.inputs) < 2:
            continue
        common = (
            _equation(node),
            tuple(x.shape for x in node.inputs),
            tuple(x.dtype.str for x in node.inputs),
        )
        for position, x in enumerate(node.inputs):
            groups[(*common, position, _serial(x))].append(node)
    found = [(key, members) for key, members in groups.items() if len(members) >= _MIN_BATCH]
    return sorted(found, key=lambda item: -len(item[1]))


def _levels(nodes: list[Node], members: list[Node]) -> dict[int, int]:
    """For each member, 1 + the largest level of the members it depends on (1 for none):
    members of one level never depend on each other."""
    wanted = {id(m) for m in members}
    depth: dict[int, int] = {}
    level: dict[int, int] = {}
    for node in nodes:
        deepest = max((depth[id(x)] for x in node.inputs), default=0)
        if id(node) in wanted:
            deepest += 1
            level[id(node)] = deepest
        depth[id(node)] = deepest
    return level


def _fits(members: list[Node]) -> bool:
    """Whether the stacks and the result of batching `members` stay small."""
    first = members[0]
    if sum(_size(m) for m in members) * first.dtype.itemsize > _STACK_BYTES:
        return False
    for k, x in enumerate(first.inputs):
        if any(m.inputs[k] is not x for m in members):
            if sum(_size(m.inputs[k]) * m.inputs[k].dtype.itemsize for m in members) > _STACK_BYTES:
                return False
    return True


def _batched(members: list[Node], existing: set[int]) -> tuple[Node, list[int]]:
    """One einsum over stacks of the operands that distinct `members` (einsums sharing an
    operand) do not share, and for each member its row: a stack the graph already holds is
    reused, in its order (which may be the members' order reversed)."""
    first = members[0]
    terms, out = _split(_equation(first))
    stacked = [
        k for k in range(len(terms)) if any(m.inputs[k] is not first.inputs[k] for m in members)
    ]
    rows = list(range(len(members)))
    backward = _stack([m.inputs[stacked[0]] for m in reversed(members)])
    if id(backward) in existing and id(_stack([m.inputs[stacked[0]] for m in members])) not in (
        existing
    ):
        rows.reverse()  # the order of a stack the graph already holds
    ordered = [members[k] for k in rows]
    label = next(_fresh_labels(set(_equation(first))))
    new_terms = [label + t if k in stacked else t for k, t in enumerate(terms)]
    operands = [
        _stack([m.inputs[k] for m in ordered]) if k in stacked else first.inputs[k]
        for k in range(len(terms))
    ]
    batched = einsum(",".join(new_terms) + "->" + label + out, *operands)
    return batched, [rows.index(k) for k in range(len(members))]


def _substitute(
    roots: list[Node], order: list, batches: list[list[Node]], existing: set[int], place: dict
) -> list[Node]:
    """`roots` rebuilt along `order` (`_merged_order`): each batch as one einsum whose rows
    stand for its members, each other node on its rebuilt inputs, in the place of the node
    it stands for."""
    new: dict[int, Node] = {}
    for entry in order:
        if isinstance(entry, int):  # a batch
            members = batches[entry]
            rebuilt = [_rebuild(m, [new[id(x)] for x in m.inputs]) for m in members]
            batched, rows = _batched(rebuilt, existing)
            for m, row in zip(members, rows, strict=True):
                new[id(m)] = Index(batched, index=(row,))
            continue
        node = entry
        if isinstance(node, Leaf) or not node.inputs:
            new[id(node)] = node
            continue
        rebuilt_node = _rebuild(node, [new[id(x)] for x in node.inputs])
        if rebuilt_node.shape != node.shape or rebuilt_node.dtype != node.dtype:
            raise RuntimeError(f"simplify: batching changed {node!r} into {rebuilt_node!r}")
        if rebuilt_node is not node and id(rebuilt_node) not in place:
            old = place.get(id(node))
            place[id(rebuilt_node)] = (old[0] if old is not None else _serial(node), rebuilt_node)
        new[id(node)] = rebuilt_node
    return [new[id(r)] for r in roots]
