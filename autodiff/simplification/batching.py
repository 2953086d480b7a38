"""Batching: independent einsums of one equation that share an operand become one einsum.

K einsums with the same equation, the same operand shapes and dtypes, and one operand in
common (the same node at the same position), none of which depends on another, are the K
rows of ONE einsum over the stack of their other operands: ``A @ x_k -> (stack(x_k) @ A.T)[k]``.
Then the readers that do the same to each row (one op, the same parameters, the same shared
operands; elementwise ops, einsums, reshapes, max) become one op over all the rows, and
theirs, as far as that goes. Each member is then a view (an `Index`) of its batch, and a
stack of all of a batch's rows in order is the batch. In a recurrent net written one
Variable per step, the 25 products ``Wxh @ x_t`` and their bias, the 25 read-outs
``Why @ h_t`` with their log-softmax and its gradient, and the gradients' products with
``Why`` run as a few ops over 25 rows instead of 25 ops each.

Only nodes that do not depend on each other are batched: a group of einsums is split into
levels (`_levels`: 1 + the level of the deepest member it depends on; the members of one
level are independent), and a batch that stacks operands is kept only where the graph with
every batch merged into one node stays acyclic (`_Batches.merged_order`), so that each batch
can go after all its inputs and before all its readers, and no two batches wait on each
other. A stack the graph already holds (the collector's `stack_einsums` builds one for a
summed gradient) is reused. Values are those of the graph, nan and inf included: stacking
and indexing are exact, and a batched product sums in another order (rounding only). Stacks
and batches stay small (`_STACK_BYTES`): calls cost the most on small arrays. The pass runs
once, after the rule passes (`driver.simplify_in_order`), and costs a few visits of the
graph (bounded by `_MAX_SEEDS` and `_MAX_CHECKS`).
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable

from ..node import Leaf, Node, toposort
from ..ops.einsum import Einsum
from ..ops.elementwise import Elementwise
from ..ops.reduce import Max
from ..ops.shape import Concatenate, Index, Reshape
from .base import (
    _STACK_BYTES,
    _equation,
    _fresh_labels,
    _index,
    _rebuild,
    _serial,
    _size,
    _split,
    einsum,
)
from .collector import _stack
from .registry import BATCHING, RuleTable

__all__ = ["TABLE", "batch"]

# Op parameters, read through these because the classes do not declare them to a type checker.
_axis: Callable[[Node], int] = operator.attrgetter("axis")  # of a Concatenate
_axes: Callable[[Node], tuple[int, ...]] = operator.attrgetter("axes")  # of a Max
_keepdims: Callable[[Node], bool] = operator.attrgetter("keepdims")  # of a Max
_least: Callable[[Node], bool] = operator.attrgetter("least")  # of a Max

TABLE = RuleTable(__name__)
TABLE.row(
    "batch_einsums",
    "K independent einsums e(A, x_k) of one equation -> one e(A, stack(x_k)), then its rows",
    Einsum,
    by=BATCHING,
)
TABLE.row(
    "batch_readers",
    "f(row_k of a batch, shared) for every row k -> f(batch, shared), then its rows",
    Einsum,
    Elementwise,
    Reshape,
    Max,
    by=BATCHING,
)

_MIN_BATCH = 2  # the fewest einsums batched together
_MAX_GROUPS = 256  # batches made per graph at most
_MAX_SEEDS = 64  # groups of einsums sharing an operand looked at (each costs a visit of the graph)
_MAX_CHECKS = 64  # batches with stacked operands checked for cycles (each costs a visit)

_SHARED, _STACKED = "shared", "stacked"  # how a batch reads an operand (else: a batch's number)


class _Batches:
    """Groups of K nodes computed together as the K rows of one node (a batch), each with
    how it reads each operand: the same node for all (shared), the rows of an earlier batch
    in the same order (its number), or the K operands stacked."""

    def __init__(self, nodes: list[Node]):
        self.nodes = nodes
        self.readers: dict[int, list[Node]] = defaultdict(list)
        for node in nodes:
            for x in dict.fromkeys(node.inputs):
                self.readers[id(x)].append(node)
        self.index = {id(node): i for i, node in enumerate(nodes)}
        self.stacks = {  # the stacks the graph holds, by what they stack
            tuple(id(x) for x in rows)
            for rows in (n.plan_reads() for n in nodes if isinstance(n, Concatenate))
            if rows is not None
        }
        self.inputs_of = [[self.index[id(x)] for x in node.inputs] for node in nodes]
        self.groups: list[list[Node]] = []
        self.specs: list[list] = []
        self.member_of: dict[int, int] = {}  # id(node) -> its batch
        self.row_of: dict[int, int] = {}  # id(node) -> its row in its batch
        self.checks = 0  # cycle checks made

    def add(self, members: list[Node]) -> bool:
        """Make `members` a batch where the graph stays acyclic and the arrays small."""
        if len(self.groups) >= _MAX_GROUPS or not _fits(members):
            return False
        spec = self.spec(members)
        if not _liftable(members[0], spec):
            return False
        g = len(self.groups)
        for row, m in enumerate(members):
            self.member_of[id(m)] = g
            self.row_of[id(m)] = row
        # Shared operands and rows of batches made before cannot close a cycle (each is an
        # input of every member); stacked ones can (one may depend on another member).
        if _STACKED in spec and self.groups and (self.checks >= _MAX_CHECKS or self.cyclic()):
            for m in members:
                del self.member_of[id(m)], self.row_of[id(m)]
            return False
        self.groups.append(members)
        self.specs.append(spec)
        return True

    def cyclic(self) -> bool:
        self.checks += 1
        return self.merged_order() is None

    def merged_order(self) -> list | None:
        """The nodes in an order that keeps each batch's members together (one entry, the
        batch's number) after the inputs of them all; None where the batches make a cycle."""
        n = len(self.nodes)
        rep = list(range(n))
        for key, g in self.member_of.items():
            rep[self.index[key]] = n + g
        waiting = [0] * (n + len(self.groups) + 1)
        readers: list[list[int]] = [[] for _ in waiting]
        for i, inputs in enumerate(self.inputs_of):
            r = rep[i]
            for j in inputs:
                if rep[j] != r:
                    readers[rep[j]].append(r)
                    waiting[r] += 1
        entries = set(rep)
        ready = [r for r in entries if not waiting[r]]
        order: list = []
        while ready:
            r = ready.pop()
            order.append(self.nodes[r] if r < n else r - n)
            for reader in readers[r]:
                waiting[reader] -= 1
                if not waiting[reader]:
                    ready.append(reader)
        return order if len(order) == len(entries) else None

    def spec(self, members: list[Node]) -> list:
        first = members[0]
        spec: list[str | int] = []
        for j, x in enumerate(first.inputs):
            column = [m.inputs[j] for m in members]
            g = self.member_of.get(id(x))
            if all(y is x for y in column):
                spec.append(_SHARED)
            elif (
                g is not None
                and len(self.groups[g]) == len(members)
                and all(
                    self.member_of.get(id(y)) == g and self.row_of[id(y)] == row
                    for row, y in enumerate(column)
                )
            ):
                spec.append(g)
            else:
                spec.append(_STACKED)
        return spec

    def seed(self, members: list[Node]) -> None:
        """Batch the einsums `members` (independent, sharing an operand), then their readers."""
        stacked = [
            j for j, x in enumerate(members[0].inputs) if any(m.inputs[j] is not x for m in members)
        ]
        column = tuple(id(m.inputs[stacked[0]]) for m in members)
        if column[::-1] in self.stacks and column not in self.stacks:
            members = members[::-1]  # the order of a stack the graph already holds
        if self.add(members):
            self.lift(len(self.groups) - 1)

    def lift(self, g: int) -> None:
        """Batch the readers of batch `g`'s rows that do the same to each row, and theirs."""
        work = [g]
        while work:
            members = self.groups[work.pop()]
            for first in self.readers[id(members[0])]:
                if id(first) in self.member_of or not isinstance(first, _LIFTED):
                    continue
                found = self.alike(first, members)
                if found is not None and self.add(found):
                    work.append(len(self.groups) - 1)

    def alike(self, first: Node, members: list[Node]) -> list[Node] | None:
        """For each row of `members`, a reader doing to it what `first` does to the first."""
        at = [j for j, x in enumerate(first.inputs) if x is members[0]]
        found = [first]
        for m in members[1:]:
            match = None
            for c in self.readers[id(m)]:
                if (
                    type(c) is type(first)
                    and id(c) not in self.member_of
                    and c.shape == first.shape
                    and c.dtype == first.dtype
                    and len(c.inputs) == len(first.inputs)
                    and all(c.inputs[j] is m for j in at)
                    and all(
                        x.shape == y.shape and x.dtype == y.dtype
                        for x, y in zip(c.inputs, first.inputs, strict=True)
                    )
                    and _same_params(c, first)
                ):
                    match = c
                    break
            if match is None:
                return None
            found.append(match)
        ids = {id(c) for c in found}
        if len(ids) < len(found) or any(id(x) in ids for c in found for x in c.inputs):
            return None
        return found


_LIFTED = (Einsum, Elementwise, Reshape, Max)  # the ops a batch of rows is made of


def _same_params(a: Node, b: Node) -> bool:
    try:
        return bool(a.params == b.params)
    except (TypeError, ValueError):  # (parameters holding arrays)
        return False


def _liftable(first: Node, spec: list) -> bool:
    """Whether the op of `first`, on operands with a leading axis of rows where `spec` says
    they are not shared, computes the rows."""
    if isinstance(first, Elementwise):  # shared operands broadcast from the right
        return all(
            (x.ndim <= first.ndim) if s == _SHARED else (x.ndim == first.ndim)
            for x, s in zip(first.inputs, spec, strict=True)
        )
    return isinstance(first, _LIFTED)


def batch(roots: list[Node], place: dict) -> list[Node]:
    """`roots` with each batchable group of einsums computed as one einsum (see the module),
    and the readers that do the same to each of its rows as one op on all rows.

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
    groups = _groups(nodes)
    if not groups:
        return roots
    state = _Batches(nodes)
    for _, members in groups[:_MAX_SEEDS]:
        free = [m for m in members if id(m) not in state.member_of]
        if len(free) < _MIN_BATCH:
            continue
        if max(_serial(x) for m in free for x in m.inputs) < min(_serial(m) for m in free):
            level = {id(m): 1 for m in free}  # all inputs older than all members: independent
        else:
            level = _levels(nodes, free)
        by_level: dict[int, list[Node]] = defaultdict(list)
        for m in free:
            by_level[level[id(m)]].append(m)
        for same in by_level.values():
            if len(same) >= _MIN_BATCH:
                state.seed(same)
        if len(state.groups) >= _MAX_GROUPS:
            break
    if not state.groups:
        return roots
    order = state.merged_order()
    if order is None:  # (each batch was added only where the order exists)
        raise RuntimeError("simplify: batching made a cycle")
    return _substitute(roots, order, state, place)


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


def _rows_of(node: Node) -> Node | None:
    """For a stack of the rows x[0], ..., x[K-1] of one array x (K rows), x."""
    if not isinstance(node, Concatenate) or _axis(node) != 0:
        return None
    whole = None
    for k, part in enumerate(node.inputs):
        if not isinstance(part, Reshape) or part.shape[:1] != (1,):
            return None
        row = part.inputs[0]
        if not isinstance(row, Index) or _index(row) != (k,):
            return None
        if whole is None:
            whole = row.inputs[0]
        if row.inputs[0] is not whole:
            return None
    if whole is None or whole.shape != node.shape or whole.dtype != node.dtype:
        return None
    return whole


def _stacked(column: list[Node]) -> Node:
    stack = _stack(column)
    whole = _rows_of(stack)
    return stack if whole is None else whole


def _lifted(first: Node, operands: list[Node], spec: list, rows: int) -> Node:
    """`first`'s op on operands with a leading axis of `rows` rows (where `spec` says so)."""
    if isinstance(first, Einsum):
        terms, out = _split(_equation(first))
        label = next(_fresh_labels(set(_equation(first))))
        terms = [t if s == _SHARED else label + t for t, s in zip(terms, spec, strict=True)]
        node = einsum(",".join(terms) + "->" + label + out, *operands)
    elif isinstance(first, Reshape):
        node = Reshape(operands[0], new_shape=(rows, *first.shape))
    elif isinstance(first, Max):
        node = Max(
            operands[0],
            axes=tuple(a + 1 for a in _axes(first)),
            keepdims=_keepdims(first),
            least=_least(first),
        )
    else:  # an elementwise op
        node = _rebuild(first, operands)
    if node.shape != (rows, *first.shape) or node.dtype != first.dtype:
        raise RuntimeError(f"simplify: batching {first!r} gave {node!r}")
    return node


def _substitute(roots: list[Node], order: list, state: _Batches, place: dict) -> list[Node]:
    """`roots` rebuilt along `order` (`_merged_order`): each batch as one node whose rows
    stand for its members, each other node on its rebuilt inputs, in the place of the node
    it stands for; a stack of all the rows of a batch, in order, is the batch."""
    new: dict[int, Node] = {}
    batched: list[Node] = []
    for entry in order:
        if isinstance(entry, int):  # a batch
            members, spec = state.groups[entry], state.specs[entry]
            first = members[0]
            operands = []
            for j, s in enumerate(spec):
                if s == _SHARED:
                    operands.append(new[id(first.inputs[j])])
                elif s == _STACKED:
                    operands.append(_stacked([new[id(m.inputs[j])] for m in members]))
                else:
                    operands.append(batched[s])
            node = _lifted(first, operands, spec, len(members))
            while len(batched) <= entry:
                batched.append(node)
            batched[entry] = node
            for row, m in enumerate(members):
                new[id(m)] = Index(node, index=(row,))
            continue
        node = entry
        if isinstance(node, Leaf) or not node.inputs:
            new[id(node)] = node
            continue
        rebuilt = _rebuild(node, [new[id(x)] for x in node.inputs])
        whole = _rows_of(rebuilt)
        if whole is not None:
            rebuilt = whole
        if rebuilt.shape != node.shape or rebuilt.dtype != node.dtype:
            raise RuntimeError(f"simplify: batching changed {node!r} into {rebuilt!r}")
        if rebuilt is not node and id(rebuilt) not in place:
            old = place.get(id(node))
            place[id(rebuilt)] = (old[0] if old is not None else _serial(node), rebuilt)
        new[id(node)] = rebuilt
    return [new[id(r)] for r in roots]
