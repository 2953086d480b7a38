"""Algebra rules: constants fold, zeros propagate, x + 0 and x * 1 vanish, inverses cancel.

Each rule is a function registered with its identity by ``@rule(identity, *classes)``; it
looks at one node whose inputs are already simplified and returns a replacement or None.
What the rules know of an op they read from what the op declares: `constant`,
`uniform_value`, `linear`, `jointly_linear`, `nonnegative`, `keeps_nonnegative`, its `fold`.
Values are kept exactly: a zero absorbs only finite constants (`base.multiply`), an op on
constants folds only where evaluating it raises no floating-point error (an op's warning
belongs to evaluation time), and ``log(exp(x))`` and ``exp(log(x))`` cancel only where the
graph shows the identity holds (no overflow; ``x >= 0``).
"""

from __future__ import annotations

import numpy as np

from ..node import Node
from ..ops.creation import eye, full, zeros
from ..ops.einsum import broadcast_to
from ..ops.elementwise import (
    Divide,
    Elementwise,
    Exp,
    Log,
    Multiply,
    Negative,
    Where,
    astype,
)
from .base import (
    _ALGEBRA,
    _SMALL,
    _absorbed,
    _constant,
    _is_constant,
    _size,
    _static_bound,
    _uniform,
    divide,
    multiply,
)
from .registry import Context, RuleTable

__all__ = [
    "TABLE",
    "uniform_input_as_scalar",
    "where_uniform_condition",
    "add_zero_multiply_one",
    "double_negation",
    "exp_log",
    "fold_constants",
    "log_exp",
    "zero_propagation",
]

TABLE = RuleTable(__name__)
rule = TABLE.rule


@rule("an op on constants only is a constant: a fill where every element is one value", Node)
def fold_constants(node: Node, ctx: Context) -> Node | None:
    if not node.inputs or not all(_is_constant(x) for x in node.inputs):
        return None
    values = [_uniform(x) for x in node.inputs]
    try:
        with np.errstate(all="raise"):
            value = node.uniform_value(values) if None not in values else None
            if value is not None:  # what the op declares: its value on one value per input
                return full(node.shape, value, node.dtype)
            if _size(node) <= _SMALL:
                value = node.eval(*[np.asarray(x.eval()) for x in node.inputs])
                if _is_identity(value):  # kept an identity, so that einsum_eye still sees it
                    return eye(value.shape[0], dtype=node.dtype)
                return _constant(value, node.dtype)
    except (ArithmeticError, ValueError, TypeError, IndexError):
        return None  # an op's warning or error belongs to evaluation time
    return None


def _is_identity(value) -> bool:
    value = np.asarray(value)
    square = value.ndim == 2 and value.shape[0] == value.shape[1] and value.dtype.kind in "iuf"
    return square and bool(np.array_equal(value, np.eye(value.shape[0])))


@rule(
    "an op linear in an input that is zero gives zeros: x*0, einsum(0, y), reshape(0), ...",
    Node,
)
def zero_propagation(node: Node, ctx: Context) -> Node | None:
    """Reads each op's `linear` (the inputs it is linear in) and `jointly_linear`."""
    if not node.linear and not node.jointly_linear:
        return None
    zero = [_uniform(x) == 0 for x in node.inputs]
    for i in node.linear:  # a zero absorbs only finite partners (nan * 0 is nan)
        if zero[i] and all(zero[j] or _absorbed(node.inputs[j]) for j in node.linear):
            return zeros(node.shape, node.dtype)
    if node.jointly_linear and all(zero):
        return zeros(node.shape, node.dtype)
    return None


@rule(
    "x+0 -> x, x-0 -> x, 0-x -> -x, x*1 -> x, x/1 -> x, x**1 -> x (shape and dtype kept)",
    *_ALGEBRA,
)
def add_zero_multiply_one(node: Node, ctx: Context) -> Node | None:
    """The op's own `fold`, which every build applies (same shape and dtype); a product or
    quotient built as written (`Node.unfolded`) refolds only through `base.multiply` and
    `base.divide`, whose zeros absorb finite values only."""
    if isinstance(node, Multiply):
        return multiply(*node.inputs)
    if isinstance(node, Divide):
        return divide(*node.inputs)
    params = {key: getattr(node, key) for key, _ in node.params}
    return type(node).fold(node.shape, node.dtype, *node.inputs, **params)


@rule("where(c, x, y) with c the same everywhere -> x or y, broadcast to the result", Where)
def where_uniform_condition(node: Node, ctx: Context) -> Node | None:
    """A derivative's guard that is constant, as logaddexp's 'both the same infinity' when
    one operand is a finite constant: a mask of zeros the size of the data, otherwise."""
    condition, x, y = node.inputs
    value = _uniform(condition)
    if value is None:
        return None
    chosen = astype(x if value else y, node.dtype)
    return chosen if chosen.shape == node.shape else broadcast_to(chosen, node.shape)


@rule("an elementwise op's input that is one value everywhere is that value, 0-d", Elementwise)
def uniform_input_as_scalar(node: Node, ctx: Context) -> Node | None:
    """where(c, 0, ones(n)) -> where(c, 0, 1) where c gives the shape: no array of n ones is
    made (nor sent to a Dask cluster's workers); a 0-d array keeps the dtype (NEP 50)."""
    if not node.inputs or node.constant:
        return None
    inputs = list(node.inputs)
    for i, x in enumerate(inputs):
        value = _uniform(x) if x.ndim else None
        if value is None:
            continue
        others = [y.shape for j, y in enumerate(inputs) if j != i]
        if np.broadcast_shapes(*others, ()) == node.shape:
            inputs[i] = full((), value, x.dtype)
    if all(a is b for a, b in zip(inputs, node.inputs, strict=True)):
        return None
    params = {key: getattr(node, key) for key, _ in node.params}
    return type(node)(*inputs, **params)


@rule("-(-x) -> x", Negative)
def double_negation(node: Node, ctx: Context) -> Node | None:
    (x,) = node.inputs
    if isinstance(x, Negative):
        return x.inputs[0]
    return None


@rule("log(exp(x)) -> x (exact)", Log)
def log_exp(node: Node, ctx: Context) -> Node | None:
    (x,) = node.inputs
    if isinstance(x, Exp) and x.inputs[0].dtype == node.dtype and _static_bound(x.inputs[0]) <= 700:
        return x.inputs[0]
    return None


@rule("exp(log(x)) -> x where the graph shows x >= 0", Exp)
def exp_log(node: Node, ctx: Context) -> Node | None:
    (x,) = node.inputs
    if isinstance(x, Log) and x.inputs[0].dtype == node.dtype and _nonnegative(x.inputs[0]):
        return x.inputs[0]
    return None


def _nonnegative(x: Node, depth: int = 6) -> bool:
    """Whether the graph shows that `x` is never negative (False when it cannot tell):
    each op's `nonnegative` and `keeps_nonnegative`."""
    if x.nonnegative:
        return True
    if x.keeps_nonnegative and depth > 0:
        return all(_nonnegative(y, depth - 1) for y in x.inputs)
    return False
