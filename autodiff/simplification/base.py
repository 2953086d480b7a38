"""What the simplifier's modules share: its thresholds, bounds on values, IEEE-safe factories.

The thresholds keep every pass linear: regions, monomials, fused einsums and stacks stop
growing at a fixed size. A bound on ``|x|`` that the graph shows (`_static_bound`, `_bound`)
says where values cannot be inf, which is where the collector's full algebra is exact.
`multiply`, `divide` and `einsum` are the op factories, except that a zero absorbs only
finite constants (``nan * 0`` is nan); `_rebuild` applies a node's op to new inputs, through
them for those three ops and through the op's own `fold` otherwise. What the passes know of
an op they read from what it declares (`constant`, `bound`, `value_bound`, ...).
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable

import numpy as np
import opt_einsum

from ..node import Constant, Node
from ..ops.creation import known_value
from ..ops.einsum import Einsum, broadcast_to, parse
from ..ops.einsum import einsum as _einsum_factory
from ..ops.elementwise import Add, Divide, Multiply, Negative, Pow, Subtract
from ..ops.elementwise import divide as _divide_factory
from ..ops.elementwise import multiply as _multiply_factory

__all__ = ["divide", "einsum", "multiply"]

_MAX_TERMS = 64  # a collected region with more monomials than this is left as it is
_MAX_OPERANDS = 8  # einsum fusion stops at this many operands
_MAX_PASSES = 12
_SMALL = 64  # constant results up to this many elements are folded into Constants
_STACK_BYTES = 1 << 20  # stacks up to this size: many small arrays, where calls cost the most
_MAX_FACTORS = 32  # a monomial of more atoms than this ends a collected region
_FINITE = 1e300  # a node whose values the graph bounds by less than this is never inf

_ALGEBRA = (Add, Subtract, Multiply, Divide, Negative, Pow)  # what the collector reads

# Op parameters and a node's serial number, read through these because the classes do not
# declare them (a type checker cannot see them); plain attribute reads once they do.
_serial: Callable[[Node], int] = operator.attrgetter("_id")  # larger than its inputs' numbers
_equation: Callable[[Node], str] = operator.attrgetter("equation")  # of an Einsum (canonical)
_exponent: Callable[[Node], float] = operator.attrgetter("p")  # of a Pow
_index: Callable[[Node], tuple] = operator.attrgetter("index")  # of an Index or IndexAdjoint
_out_shape: Callable[[Node], tuple[int, ...]] = operator.attrgetter("out_shape")  # IndexAdjoint
_eye_kind: Callable[[Node], str] = operator.attrgetter("kind")  # the dtype of an Eye


def _size(x: Node) -> int:
    return math.prod(x.shape)


def _is_constant(x: Node) -> bool:
    return x.constant  # what the op declares: a Constant, a fill, an identity matrix


def _uniform(x: Node):
    """The one value every element of `x` has, if the graph says so (numbers only)."""
    if x.dtype.kind not in "biuf":
        return None
    return known_value(x)


def _static_bound(x: Node) -> float:
    """A bound on ``|x|`` (where x is not nan) that `x` alone shows; inf where it shows none."""
    if x.bound < math.inf:  # what the op declares (tanh, sin, cos, sigmoid, an identity)
        return x.bound
    value = _uniform(x)
    if value is not None:
        return abs(value) if math.isfinite(value) else math.inf
    if isinstance(x, Constant) and x.size <= _SMALL and x.dtype.kind in "biuf":
        largest = float(np.max(np.abs(x.eval()), initial=0.0))
        return largest if math.isfinite(largest) else math.inf
    return math.inf


def _absorbed(x: Node) -> bool:
    """Whether ``0 * x`` is 0: `x` holds integers, or is a constant without inf or nan."""
    return x.dtype.kind in "biu" or (_is_constant(x) and _static_bound(x) < _FINITE)


def _bound(node: Node, bounds: list[float]) -> float:
    """A bound on ``|node|`` from bounds on its inputs (inf where there is none): each op's
    `bound` and `value_bound`.

    A finite bound means the node and every node of its collected region hold finite values
    or nan, never inf: there the collector's algebra (x - x -> 0, factoring) is exact.
    """
    bound = _static_bound(node)
    if bound < math.inf or not bounds:
        return bound
    bound = node.value_bound(bounds)  # what the op declares
    return bound if bound < _FINITE else math.inf  # (a nan bound, from inf * 0, is none)


def multiply(x: Node, y: Node) -> Node:
    """x * y through the factory, but a zero absorbs only a finite constant factor.

    (The factory folds a structural zero whatever the other factor holds; a graph being
    simplified keeps its IEEE values: ``zeros * nan`` stays nan if the graph computes it.)
    """
    if (known_value(x) == 0 and not _absorbed(y)) or (known_value(y) == 0 and not _absorbed(x)):
        return Multiply.unfolded(x, y)
    return _multiply_factory(x, y)


def divide(x: Node, y: Node) -> Node:
    """x / y through the factory, but 0 / y -> 0 only where y is a finite nonzero number."""
    value = _uniform(y)
    if known_value(x) == 0 and not (value and math.isfinite(value)):
        return Divide.unfolded(x, y)
    return _divide_factory(x, y)


def einsum(equation: str, *operands: Node) -> Node:
    """The einsum factory, but a zero operand absorbs only finite constant operands."""
    zero = [known_value(x) == 0 for x in operands]
    if any(zero) and not all(z or _absorbed(x) for z, x in zip(zero, operands, strict=True)):
        canonical, _ = parse(equation, tuple(x.shape for x in operands))
        return Einsum.unfolded(*operands, equation=canonical)
    return _einsum_factory(equation, *operands)


def _constant(value, dtype) -> Node:
    return Constant(np.asarray(value, dtype=dtype))


def _conform(node: Node, like: Node) -> Node | None:
    """`node` with the shape and dtype of `like`, or None where it cannot be had."""
    if node.dtype != like.dtype:
        if np.result_type(node.dtype, like.dtype) != like.dtype:
            return None
        node = multiply(node, _constant(1, like.dtype))
    if node.shape != like.shape:
        node = broadcast_to(node, like.shape)
    return node


def _split(equation: str) -> tuple[list[str], str]:
    lhs, out = equation.split("->")
    return lhs.split(","), out


def _fresh_labels(used: set[str]):
    return (s for s in (opt_einsum.get_symbol(i) for i in itertools.count()) if s not in used)


def _rebuild(old: Node, inputs: list[Node]) -> Node:
    """`old`'s op on simplified inputs, folded by its op's `fold` (`Node.with_inputs`).

    Products, quotients and einsums go through `multiply`, `divide` and `einsum` instead:
    the ops' folds let a structural zero absorb anything (a derivative that does not depend
    on an input is 0), while a graph being simplified keeps its IEEE values.
    """
    if all(a is b for a, b in zip(inputs, old.inputs, strict=True)):
        return old
    if isinstance(old, Multiply):
        return multiply(*inputs)
    if isinstance(old, Divide):
        return divide(*inputs)
    if isinstance(old, Einsum):
        return einsum(_equation(old), *inputs)
    return old.with_inputs(inputs)
