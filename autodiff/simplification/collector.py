"""The term collector: float algebra read as sums of monomials, merged, and written back factored.

A region of float sums, differences, products, quotients and integer powers is read as a
sum of monomials over the nodes it is built from (its atoms), like terms are merged, and
the sum is written back factored (Horner's rule, largest arrays multiplied last) when that
is no more work than the region was; sums of like-shaped terms are stacked into one node.
Its identities are the rows of `TABLE` below, rows without a function: the collector
carries them out together. Where a region may hold inf, only what holds for every float is
done (terms reordered, powers gathered, like terms of one sign merged, constants combined);
the full algebra (``x - x -> 0``, expanding, factoring) runs where the graph bounds the
values, and an atom that cancels out is kept as ``0 * atom`` so that nan stays nan.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING, cast

import numpy as np
import opt_einsum

from ..node import Node
from ..node import _counter as _ids
from ..ops.creation import zeros
from ..ops.einsum import Einsum
from ..ops.elementwise import (
    Add,
    Divide,
    Multiply,
    Negative,
    Pow,
    Subtract,
    add,
    negative,
    power,
    subtract,
)
from ..ops.shape import IndexAdjoint, concatenate, reshape
from .base import (
    _ALGEBRA,
    _FINITE,
    _MAX_FACTORS,
    _MAX_TERMS,
    _STACK_BYTES,
    _conform,
    _constant,
    _equation,
    _exponent,
    _fresh_labels,
    _index,
    _out_shape,
    _rebuild,
    _serial,
    _size,
    _split,
    _static_bound,
    _uniform,
    divide,
    einsum,
    multiply,
)
from .registry import RuleTable
from .rules_einsum import _implicit_broadcast

__all__ = ["TABLE", "Collecting"]

# -- the collector's identities: rows without a function, carried out by the code below ---------
TABLE = RuleTable(__name__)
TABLE.row(  # monomials are sorted tuples of atoms (_mono_mul)
    "commute", "a*b and b*a, a+b and b+a are one node (canonical order)", *_ALGEBRA
)
TABLE.row(  # coefficients of the monomials (_Poly.scale, _Poly.mul)
    "combine_constants", "c1*(c2*x) -> (c1*c2)*x, x/c -> (1/c)*x, -(c*x) -> (-c)*x", *_ALGEBRA
)
TABLE.row(  # _Poly.add
    "like_terms", "x + x -> 2*x, x - x -> 0, 2*x*y - y*x -> x*y", *_ALGEBRA
)
TABLE.row(  # _mono_mul, _Poly.power
    "powers", "x*x -> x**2, x**a * x**b -> x**(a+b) for integer powers", *_ALGEBRA
)
TABLE.row(  # _Poly.mul, up to _MAX_TERMS monomials
    "distribute", "(x + y)*z -> x*z + y*z while the sum stays small", *_ALGEBRA
)
TABLE.row(  # _Writer.sum
    "factor",
    "x*y + x*z -> x*(y + z): sums are written factored (Horner), largest arrays last",
    *_ALGEBRA,
)
TABLE.row(  # _Writer.stack, _merge("einsum")
    "stack_einsums",
    "sum of einsums with one equation over same-shaped operands -> one einsum over a stacked axis",
    Add,
    Subtract,
)
TABLE.row(  # _Writer.stack, _merge("scatter")
    "stack_scatters",
    "sum of x_k scattered to distinct positions k of zeros -> the x_k stacked (one scatter)",
    Add,
    Subtract,
)
TABLE.row(  # _Writer.stack, _merge("sum")
    "stack_sum",
    "sum of four or more same-shaped terms -> sum over the stacked axis of their stack",
    Add,
    Subtract,
)


# -- polynomials ----------------------------------------------------------------------------------
# A monomial is a sorted tuple of ((atom id, inverse), power); a polynomial maps monomials to
# float coefficients. An atom is a node of the new graph; "inverse" atoms stand for 1/atom,
# kept apart from the atom so that x/x is never cancelled (it is not 1 at x = 0).
#
# Where a region may hold inf (`exact`), only what holds for every float is done: terms are
# reordered, products gathered into powers, like terms of one sign merged and constants
# combined; a cancellation (x - x, 2x - x), a product of sums and a product with zero end the
# region there. A polynomial keeps the atoms it was read from, so that an atom that cancels
# out is written back as ``0 * atom``: nan where the atom is nan (atoms are kept by id).
class _Poly:
    __slots__ = ("atoms", "terms")

    def __init__(self, terms: dict, atoms: frozenset = frozenset()):
        self.terms = terms
        self.atoms = atoms

    @staticmethod
    def constant(value: float) -> _Poly:
        return _Poly({(): float(value)} if value != 0 else {})

    def is_nonzero_constant(self) -> bool:
        return len(self.terms) == 1 and () in self.terms

    def add(self, other: _Poly, exact: bool) -> _Poly | None:
        atoms = _join(self.atoms, other.atoms)
        if atoms is None:
            return None
        terms = dict(self.terms)
        for mono, c in other.terms.items():
            before = terms.get(mono)
            if before is None:
                terms[mono] = c
                continue
            if exact and mono and (before > 0) != (c > 0):
                return None  # inf - inf is nan, not 0
            total = before + c
            if total == 0:
                del terms[mono]
            else:
                terms[mono] = total
        return _Poly(terms, atoms)

    def scale(self, factor: float) -> _Poly:
        return _Poly({m: c * factor for m, c in self.terms.items()}, self.atoms)

    def mul(self, other: _Poly, exact: bool) -> _Poly | None:
        if len(self.terms) * len(other.terms) > _MAX_TERMS:
            return None
        if exact and not (
            self.is_nonzero_constant()
            or other.is_nonzero_constant()
            or len(self.terms) == len(other.terms) == 1
        ):
            return None  # (x + y) * z and x * 0 differ from their expansions at inf
        atoms = _join(self.atoms, other.atoms)
        if atoms is None:
            return None
        terms: dict = {}
        for m1, c1 in self.terms.items():
            for m2, c2 in other.terms.items():
                mono = _mono_mul(m1, m2)
                if len(mono) > _MAX_FACTORS:
                    return None
                terms[mono] = terms.get(mono, 0.0) + c1 * c2
        return _Poly({m: c for m, c in terms.items() if c != 0}, atoms)

    def power(self, k: int, exact: bool) -> _Poly | None:
        if k == 0:
            return _Poly(_Poly.constant(1.0).terms, self.atoms)
        if len(self.terms) == 1:
            ((mono, c),) = self.terms.items()
            if k < 0:
                if c == 0:
                    return None
                mono, c = _mono_inverse(mono), 1.0 / c
                k = -k
            return _Poly({tuple((a, p * k) for a, p in mono): c**k}, self.atoms)
        if k < 0:
            return None
        result: _Poly | None = _Poly({(): 1.0}, self.atoms)
        for _ in range(k):
            result = result.mul(self, exact) if result is not None else None
        return result


def _join(a: frozenset, b: frozenset) -> frozenset | None:
    """The atoms of two polynomials together (None: too many to keep a region)."""
    if not b or a is b:
        return a
    if not a:
        return b
    joined = a | b
    return joined if len(joined) <= 4 * _MAX_TERMS else None


def _mono_mul(m1: tuple, m2: tuple) -> tuple:
    powers = dict(m1)
    for atom, p in m2:
        powers[atom] = powers.get(atom, 0) + p
    return tuple(sorted(powers.items()))


def _mono_inverse(mono: tuple) -> tuple:
    return tuple(sorted(((atom, not inverse), p) for (atom, inverse), p in mono))


def _integer_power(node: Node) -> int | None:
    if (
        isinstance(node, Pow)
        and abs(_exponent(node)) <= 8  # first: inf and nan have no int
        and _exponent(node) == int(_exponent(node))
    ):
        return int(_exponent(node))
    return None


def _collectable(node: Node) -> bool:
    if node.dtype.kind != "f" or not isinstance(node, _ALGEBRA):
        return False
    return not isinstance(node, Pow) or _integer_power(node) is not None


class Collecting:
    """The collector's part of a pass (`driver._Pass`): reading regions, writing them back."""

    # The pass's state that the collector reads and writes (set by `driver._Pass`).
    uses: dict[int, int]  # id(old node) -> its consumers in the graph being read
    bounds: dict[int, float]  # id(old node) -> a bound on its values (or inf)
    written: dict  # collected regions written in earlier passes: key -> (node, cost)
    polys: dict[int, _Poly]  # id(old node) -> its collected polynomial
    region_cost: dict[int, int]
    atoms: dict[int, Node]  # atom id -> node
    atom_bounds: dict[int, float]  # atom id -> a bound on its values (or inf)
    inlined: set[int]  # old nodes read into a consumer's polynomial

    if TYPE_CHECKING:

        def get(self, old: Node) -> Node: ...
        def _apply_rules(self, node: Node) -> Node: ...
        def place_of(self, node: Node) -> int: ...
        def as_soon_as_ready(self, node: Node) -> Node: ...

    def _atom(self, node: Node, inverse: bool = False, bound: float = math.inf) -> _Poly:
        value = _uniform(node)
        if value is not None and not inverse and math.isfinite(value):
            return _Poly.constant(value)
        broadcast = _implicit_broadcast(node)
        if broadcast is not None:
            node = broadcast
        self.atoms[_serial(node)] = node
        if not inverse:
            self.atom_bounds[_serial(node)] = min(bound, _static_bound(node))
        key = (_serial(node), inverse)
        return _Poly({((key, 1),): 1.0}, frozenset((_serial(node),)))

    def _input(self, x: Node, consumer: Node) -> tuple[_Poly, int]:
        """x as a polynomial for `consumer`, and the cost of the region it brings along."""
        poly = self.polys.get(id(x))
        if (
            poly is not None
            and x.dtype == consumer.dtype
            and (self.uses[id(x)] == 1 or _size(x) == 1 or len(poly.terms) <= 1)
        ):
            self.inlined.add(id(x))
            return poly, self.region_cost[id(x)]
        return self._atom(self.get(x), bound=self.bounds[id(x)]), 0

    def _collect(self, old: Node) -> _Poly | None:
        inputs = [self._input(x, old) for x in old.inputs]
        self.region_cost[id(old)] = _size(old) + sum(cost for _, cost in inputs)
        polys = [p for p, _ in inputs]
        exact = not self.bounds[id(old)] < _FINITE  # the region may hold inf
        kind = type(old)
        if kind is Add:
            result = polys[0].add(polys[1], exact)
        elif kind is Subtract:
            result = polys[0].add(polys[1].scale(-1.0), exact)
        elif kind is Negative:
            result = polys[0].scale(-1.0)
        elif kind is Multiply:
            result = polys[0].mul(polys[1], exact)
        elif kind is Divide:
            if not polys[1].terms:
                return None  # x / 0 keeps its inf and nan
            if len(polys[1].terms) == 1:
                inverse = polys[1].power(-1, exact)
            else:
                inverse = self._atom(self.get(old.inputs[1]), inverse=True)
            result = polys[0].mul(inverse, exact) if inverse is not None else None
        else:
            result = polys[0].power(cast(int, _integer_power(old)), exact)  # (collectable)
        if result is None or len(result.terms) > _MAX_TERMS:
            return None
        return result

    # -- writing collected regions back --------------------------------------------------------
    def _write(self, old: Node) -> Node:
        """The node for a collected region: the factored sum, unless that costs more."""
        poly = self.polys[id(old)]
        items = sorted(poly.terms.items())
        present = {key[0] for mono, _ in items for key, _ in mono}
        vanished = tuple(sorted(poly.atoms - present))  # cancelled out: kept as 0 * atom
        factored = self.bounds[id(old)] < _FINITE
        key = (tuple(items), vanished, factored, old.shape, old.dtype.str)
        if key not in self.written:
            before = next(_ids)
            written = _Writer(self, old, factored).sum(items)
            if vanished:
                guard = self.atoms[vanished[0]]
                for atom in vanished[1:]:
                    guard = add(guard, self.atoms[atom])
                guard = multiply(_constant(0, old.dtype), guard)
                written = guard if written is None else add(written, guard)
            if written is None:
                written = zeros(old.shape, old.dtype)
            written = _conform(written, old)
            cost = self._cost(written, before) if written is not None else math.inf
            self.written[key] = written, cost
        written, cost = self.written[key]
        if cost <= self.region_cost[id(old)]:
            return self._apply_rules(written)
        return self._apply_rules(_rebuild(old, [self.get(x) for x in old.inputs]))

    def _cost(self, root: Node, before: int) -> int:
        """Elements computed between `root` and its atoms by nodes the graph did not have yet.

        A node made before `before` is free unless it belongs to a region being rewritten.
        """
        total, stack, seen = 0, [root], set()
        while stack:
            node = stack.pop()
            if id(node) in seen or _serial(node) in self.atoms or not node.inputs:
                continue
            if _serial(node) < before and id(node) not in self.inlined:
                continue
            seen.add(id(node))
            if not node.view:  # what the op declares: a reshape or index computes nothing
                total += _size(node)
            stack.extend(node.inputs)
        return total


class _Writer:
    """Writes a polynomial as nodes: factored sums, grouped stacks, ordered products."""

    def __init__(self, ctx: Collecting, like: Node, factored: bool):
        self.ctx = ctx
        self.dtype = like.dtype
        self.factored = factored  # sums may be factored: the region holds no inf

    def node(self, key) -> Node:
        return self.ctx.atoms[key[0]]

    def sum(self, items: list) -> Node | None:
        """The sum of the terms `items` (None for none)."""
        if not items:
            return None
        return self.nonempty_sum(items)

    def nonempty_sum(self, items: list) -> Node:
        items = self.stack(items)
        if len(items) == 1:
            return self.monomial(*items[0])
        common = abs(items[0][1])
        if common != 1 and all(abs(c) == common for _, c in items):  # c*x + c*y -> c*(x + y)
            scaled = self.nonempty_sum([(mono, c / common) for mono, c in items])
            return multiply(scaled, _constant(common, self.dtype))
        counts: dict = defaultdict(int)
        for mono, _ in items:
            for key, _ in mono:
                counts[key] += 1
        shared = [k for k, n in counts.items() if n >= 2 and self.may_factor(k)]
        if not shared:  # smaller terms first, then in the order they are computed in
            ordered = sorted(
                items, key=lambda item: (self.monomial_size(item[0]), self.place(item[0]))
            )
            running = len(ordered) >= 3  # a running sum: each term is added as soon as it exists
            soon = self.ctx.as_soon_as_ready if running else (lambda node: node)
            result = soon(self.monomial(*ordered[0]))
            for mono, c in ordered[1:]:
                result = soon(self.combine(result, mono, c, soon))
            return result
        key = max(shared, key=lambda k: (_size(self.node(k)), counts[k], -k[0]))
        low = min(p for mono, _ in items for k, p in mono if k == key)
        inner, rest = [], []
        for mono, c in items:
            if key in dict(mono):
                reduced = tuple((k, p - low if k == key else p) for k, p in mono)
                inner.append((tuple((k, p) for k, p in reduced if p), c))
            else:
                rest.append((mono, c))
        factor = self.power(self.node(key), low)
        inner_node = self.nonempty_sum(inner)
        if key[1]:
            product = divide(inner_node, factor)
        else:
            product = multiply(inner_node, factor)
        if not rest:
            return product
        if len(rest) == 1:
            return self.combine(product, *rest[0])
        return add(product, self.nonempty_sum(rest))

    def may_factor(self, key) -> bool:
        """x*y + x*z -> x*(y + z) is exact unless x is inf (inf*0 + inf*1 is nan, inf*1 is not)."""
        atom, inverse = key
        return self.factored or (not inverse and self.ctx.atom_bounds.get(atom, math.inf) < _FINITE)

    def combine(self, result: Node, mono: tuple, c: float, soon=lambda node: node) -> Node:
        if c < 0:
            return subtract(result, soon(self.monomial(mono, -c)))
        return add(result, soon(self.monomial(mono, c)))

    def monomial_size(self, mono: tuple) -> int:
        return max([_size(self.node(k)) for k, _ in mono], default=1)

    def place(self, mono: tuple) -> int:
        """Where the last atom of `mono` is computed (its place in the original graph)."""
        return max([self.ctx.place_of(self.node(key)) for key, _ in mono], default=-1)

    def power(self, node: Node, p: int) -> Node:
        if p == 1:
            return node
        if node.dtype.kind not in "fc":  # as products, the way the graph had it
            result = node
            for _ in range(p - 1):
                result = multiply(result, node)
            return result
        return power(node, p)

    def monomial(self, mono: tuple, c: float) -> Node:
        factors = [(self.power(self.node(k), p), k[1]) for k, p in mono]
        top = sorted(
            (f for f, inverse in factors if not inverse), key=lambda f: (_size(f), _serial(f))
        )
        bottom = sorted(
            (f for f, inverse in factors if inverse), key=lambda f: (_size(f), _serial(f))
        )
        if top:
            first = top[0]
            if c == -1 and first.dtype == self.dtype:
                first = negative(first)
            elif c != 1 or first.dtype != self.dtype:
                first = multiply(_constant(c, self.dtype), first)
            result = first
            for f in top[1:]:
                result = multiply(result, f)
        else:
            result = _constant(c, self.dtype)
        if bottom:
            denominator = bottom[0]
            for f in bottom[1:]:
                denominator = multiply(denominator, f)
            result = divide(result, denominator)
        return result

    # -- horizontal grouping ------------------------------------------------------------------
    def stack(self, items: list) -> list:
        """Merge groups of single-atom terms into one stacked node each (stack_* rules)."""
        groups: dict = defaultdict(list)
        for index, (mono, c) in enumerate(items):
            if len(mono) == 1 and mono[0][1] == 1 and not mono[0][0][1]:
                key = _group_key(self.node(mono[0][0]))
                if key is not None:
                    groups[(key, c)].append(index)
        merged_items, dropped = [], set()
        for (key, c), indices in groups.items():
            if len(indices) < 2:
                continue
            nodes = sorted(
                (self.node(items[i][0][0][0]) for i in indices), key=lambda x: -_serial(x)
            )
            if key[0] != "scatter" and sum(_stacked_bytes(x) for x in nodes) > _STACK_BYTES:
                continue  # a stack keeps every term alive until the end; fine when small
            merged = _merge(key[0], nodes)
            if merged is None or _uniform(merged) is not None:
                continue
            (mono,) = self.ctx._atom(merged).terms
            merged_items.append((mono, c))
            dropped.update(indices)
        if not dropped:
            return items
        return [item for i, item in enumerate(items) if i not in dropped] + merged_items


def _group_key(node: Node):
    """Terms with equal keys may be stacked together."""
    if isinstance(node, Einsum):
        return (
            "einsum",
            _equation(node),
            tuple(x.shape for x in node.inputs),
            tuple(x.dtype for x in node.inputs),
        )
    if isinstance(node, IndexAdjoint):
        place = _single_position(_index(node))
        if place is not None:
            axis = place[0]
            g = node.inputs[0]
            keep = g.shape[:axis] + g.shape[axis + (1 if isinstance(place[1], slice) else 0) :]
            return ("scatter", _out_shape(node), axis, keep, node.dtype)
        return None
    return ("sum", node.shape, node.dtype)


def _single_position(index: tuple, length: int | None = None):
    """(axis, position) when `index` is full slices around one integer or one unit-step
    slice, else None; with `length` (of that axis), the position as a range."""
    picks = [i for i, k in enumerate(index) if not _is_full_slice(k)]
    if len(picks) != 1 or not isinstance(index[picks[0]], (int, slice)):
        return None
    axis, key = picks[0], index[picks[0]]
    if isinstance(key, slice) and key.step not in (None, 1):
        return None
    if length is None:
        return axis, key
    return axis, range(length)[key] if isinstance(key, slice) else range(length)[
        key : key + 1 or None
    ]


def _nonempty_or_start(positions: range) -> range:
    """A unit-step range, empty ones as start:start (``x[1:0]`` is range(1, 0), whose stop
    would otherwise end a merged block before its start)."""
    return (
        positions if positions.stop >= positions.start else range(positions.start, positions.start)
    )


def _is_full_slice(key) -> bool:
    """Whether an index entry is ``:`` (an entry may be an integer array, compared by identity)."""
    return isinstance(key, slice) and key == slice(None)


def _stacked_bytes(node: Node) -> int:
    """Bytes a stack of `node`'s operands (or of `node`) would hold for it."""
    parts = node.inputs if isinstance(node, Einsum) else (node,)
    return sum(_size(x) * x.dtype.itemsize for x in parts)


def _stack(nodes: list[Node], axis: int = 0) -> Node:
    return concatenate(
        [reshape(x, x.shape[:axis] + (1,) + x.shape[axis:]) for x in nodes], axis=axis
    )


def _merge(kind: str, nodes: list[Node]) -> Node | None:
    """One node for the sum of `nodes` (all with the same group key), or None if not cheaper."""
    if kind == "einsum":
        terms, out = _split(_equation(nodes[0]))
        label = next(_fresh_labels(set(_equation(nodes[0]))))
        new_terms, operands, copied = [], [], 0
        for k, term in enumerate(terms):
            column = [x.inputs[k] for x in nodes]
            if all(x is column[0] for x in column):
                new_terms.append(term)
                operands.append(column[0])
            else:
                new_terms.append(label + term)
                operands.append(_stack(column))
                copied += sum(_size(x) for x in column)
        if copied > sum(_size(x) for x in nodes):
            return None
        return einsum(",".join(new_terms) + "->" + out, *operands)
    if kind == "scatter":
        first = nodes[0]
        axis, _ = _single_position(_index(first))
        length = _out_shape(first)[axis]
        ranges = sorted(
            ((_nonempty_or_start(_single_position(_index(x), length)[1]), x) for x in nodes),
            key=lambda item: item[0].start,
        )
        blocks = []  # each value with the axis it fills
        for r, x in ranges:
            g = x.inputs[0]
            if isinstance(_single_position(_index(x))[1], int):
                g = reshape(g, g.shape[:axis] + (1,) + g.shape[axis:])
            blocks.append((r, g))
        if any(a[0].stop > b[0].start for a, b in zip(blocks, blocks[1:], strict=False)):
            return None  # overlapping positions
        if all(isinstance(_single_position(_index(x))[1], int) for x in nodes) and (
            [r.start for r, _ in blocks] != list(range(length))
        ):
            index = (
                _index(first)[:axis]
                + (np.array([r.start for r, _ in blocks]),)
                + _index(first)[axis + 1 :]
            )
            return IndexAdjoint(
                _stack([x.inputs[0] for _, x in ranges], axis),
                index=index,
                out_shape=_out_shape(first),
            )
        if any(a[0].stop != b[0].start for a, b in zip(blocks, blocks[1:], strict=False)):
            return None  # gaps between the blocks
        joined = concatenate([g for _, g in blocks], axis=axis)
        start, stop = blocks[0][0].start, blocks[-1][0].stop
        if (start, stop) == (0, length):
            return joined
        index = _index(first)[:axis] + (slice(start, stop),) + _index(first)[axis + 1 :]
        return IndexAdjoint(joined, index=index, out_shape=_out_shape(first))
    if len(nodes) < 4:
        return None
    first = nodes[0]
    letters = "".join(opt_einsum.get_symbol(i) for i in range(first.ndim + 1))
    return einsum(f"{letters}->{letters[1:]}", _stack(nodes))
