"""Algebra rules: constants fold, zeros propagate, x + 0 and x * 1 vanish, inverses cancel.

Each rule is a function registered with its identity by ``@rule(identity, *classes)``; it
looks at one node whose inputs are already simplified and returns a replacement or None.
Values are kept exactly: a zero absorbs only finite constants (`base.multiply`), an op on
constants folds only where evaluating it raises no floating-point error (an op's warning
belongs to evaluation time), and ``log(exp(x))`` and ``exp(log(x))`` cancel only where the
graph shows the identity holds (no overflow; ``x >= 0``).
"""

from __future__ import annotations

import math

import numpy as np

from ..node import Constant, Node
from ..ops.einsum import Einsum
from ..ops.elementwise import (
    Abs,
    Add,
    Divide,
    Elementwise,
    Exp,
    Log,
    Multiply,
    Negative,
    Pow,
    Relu,
    Sigmoid,
    Softplus,
    Sqrt,
    StopGradient,
    full,
    power,
    zeros,
)
from ..ops.shape import Concatenate, Index, IndexAdjoint, Pad, Reshape, Take, TakeAdjoint
from .base import (
    _ALGEBRA,
    _FACTORIES,
    _SMALL,
    _absorbed,
    _constant,
    _equation,
    _exponent,
    _is_constant,
    _size,
    _split,
    _static_bound,
    _uniform,
)
from .registry import Context, RuleTable

__all__ = [
    "TABLE",
    "add_zero_multiply_one",
    "double_negation",
    "exp_log",
    "fold_constants",
    "log_exp",
    "zero_propagation",
]

TABLE = RuleTable(__name__)
rule = TABLE.rule

_LINEAR_IN_FIRST = (Negative, Reshape, Index, IndexAdjoint, Take, TakeAdjoint, Pad, StopGradient)


@rule("an op on constants only is a constant: a fill where every element is one value", Node)
def fold_constants(node: Node, ctx: Context) -> Node | None:
    if not node.inputs or not all(_is_constant(x) for x in node.inputs):
        return None
    values = [_uniform(x) for x in node.inputs]
    try:
        with np.errstate(all="raise"):
            if None not in values and isinstance(node, (Elementwise, Einsum, Reshape, Index)):
                return full(node.shape, _uniform_value(node, values), node.dtype)
            if _size(node) <= _SMALL:
                value = node.eval(*[np.asarray(x.eval()) for x in node.inputs])
                return _constant(value, node.dtype)
    except (ArithmeticError, ValueError, TypeError, IndexError):
        return None  # an op's warning or error belongs to evaluation time
    return None


def _uniform_value(node: Node, values: list):
    """The value of `node` when every input holds one value everywhere."""
    if isinstance(node, Elementwise):
        arrays = [np.asarray(v, dtype=x.dtype) for v, x in zip(values, node.inputs, strict=True)]
        return np.asarray(node.eval(*arrays)).item()
    if isinstance(node, Einsum):
        terms, out = _split(_equation(node))
        sizes = {
            label: n
            for t, x in zip(terms, node.inputs, strict=True)
            for label, n in zip(t, x.shape, strict=False)
        }
        count = math.prod(sizes[label] for label in set("".join(terms)) - set(out))
        return np.asarray(math.prod(values) * count, dtype=node.dtype).item()
    return values[0]  # Reshape, Index: the same value, rearranged


@rule(
    "an op linear in an input that is zero gives zeros: x*0, einsum(0, y), reshape(0), ...",
    Multiply,
    Einsum,
    Concatenate,
    *_LINEAR_IN_FIRST,
)
def zero_propagation(node: Node, ctx: Context) -> Node | None:
    zero = [_uniform(x) == 0 for x in node.inputs]
    others_finite = all(z or _absorbed(x) for z, x in zip(zero, node.inputs, strict=True))
    linear_in_all = isinstance(node, (Multiply, Einsum)) and any(zero) and others_finite
    linear_in_first = isinstance(node, _LINEAR_IN_FIRST) and zero[0]
    if linear_in_all or linear_in_first or (isinstance(node, Concatenate) and all(zero)):
        return zeros(node.shape, node.dtype)
    return None


@rule(
    "x+0 -> x, x-0 -> x, 0-x -> -x, x*1 -> x, x/1 -> x, x**1 -> x (shape and dtype kept)",
    *_ALGEBRA,
)
def add_zero_multiply_one(node: Node, ctx: Context) -> Node | None:
    """Rebuild through the factory, which folds the identities (same shape and dtype)."""
    kind = type(node)
    if kind in _FACTORIES:
        return _FACTORIES[kind](*node.inputs)
    return power(node.inputs[0], _exponent(node))


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
    """Whether the graph shows that `x` is never negative (False when it cannot tell)."""
    if isinstance(x, (Exp, Sigmoid, Softplus, Sqrt, Abs, Relu)):
        return True
    if isinstance(x, Pow):
        return _exponent(x) == int(_exponent(x)) and int(_exponent(x)) % 2 == 0
    if _uniform(x) is not None:
        return _uniform(x) >= 0
    if isinstance(x, Constant):
        return bool(np.all(x.eval() >= 0))
    if isinstance(x, (Add, Multiply, Divide)) and depth > 0:
        return all(_nonnegative(y, depth - 1) for y in x.inputs)
    return False
