"""Activations: sigmoid, softplus, relu, leaky_relu, clip, maximum and minimum.

Elementwise ops like those of `elementwise` (one class each, its factory right under it),
whose derivatives are piecewise: comparisons and `where` choose where the gradient passes.
"""

from __future__ import annotations

import numpy as np

from ..node import Node, as_node
from .elementwise import (
    Elementwise,
    _pair,
    _unary,
    astype,
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    where,
)

__all__ = ["sigmoid", "softplus", "relu", "leaky_relu", "clip", "maximum", "minimum"]


class Sigmoid(Elementwise):
    """1 / (1 + exp(-x)), accurate to a few ulps everywhere.

    For large negative x, exp(-x) is huge and the result is about exp(x), still to full
    relative precision; past x < -709 exp(-x) is inf and the result is 0, the right limit.
    Four passes over one array, done in place.
    """

    latex = "\\sigma"
    fresh = True
    nonnegative = True
    bound = 1.0

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        if not isinstance(x, np.ndarray | np.generic | float):  # a dask or CuPy array: the
            with np.errstate(over="ignore"):  # plain expression (writes with out= are NumPy's)
                return 1 / (1 + np.exp(-x))
        out = np.empty(self.shape, self.dtype)  # an array even when 0-d, to work in place
        np.negative(x, out=out)
        with np.errstate(over="ignore"):
            np.exp(out, out=out)
        out += 1
        return np.reciprocal(out, out=out)

    def grad(self, g):
        return (g * (self * (1 - self)),)


sigmoid = _unary(
    Sigmoid,
    "Logistic sigmoid, stable for any x.\n\n"
    ">>> import autodiff as ad; ad.sigmoid(ad.Variable(0.0))()\narray(0.5)",
)


class Softplus(Elementwise):
    """log(1 + exp(x)), computed without overflow for any x."""

    fresh = True
    nonnegative = True

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)

    def grad(self, g):
        return (g * sigmoid(self.inputs[0]),)


softplus = _unary(
    Softplus,
    "log(1 + exp(x)), stable for any x.\n\n"
    ">>> import autodiff as ad; ad.softplus(ad.Variable(0.0))()\narray(0.69314718)",
)


class Relu(Elementwise):
    float_result = False
    fresh = True
    nonnegative = True

    def value_bound(self, bounds):
        return bounds[0]

    @classmethod
    def infer(cls, x):  # type: ignore[override]  # an op names its own inputs
        return x.shape, np.result_type(x.dtype, 0)  # as np.maximum(x, 0): booleans count

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.maximum(x, 0)

    def grad(self, g):
        return (g * greater(self.inputs[0], 0),)


relu = _unary(
    Relu,
    "max(x, 0); the gradient at 0 is 0.\n\n"
    ">>> import autodiff as ad; ad.relu(ad.Variable(-2.0))()\narray(0.)",
)


class LeakyRelu(Elementwise):
    alpha: float

    fresh = True

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.where(x > 0, x, self.alpha * x)

    def grad(self, g):
        (x,) = self.inputs
        return (where(greater(x, 0), g, g * self.alpha),)


def leaky_relu(x, alpha: float = 0.01) -> Node:
    """x where x > 0, else alpha * x.

    >>> import autodiff as ad
    >>> ad.leaky_relu(ad.Variable(-2.0), 0.1)()
    array(-0.2)
    """
    if isinstance(alpha, Node):  # float() would freeze its current value
        raise TypeError(f"LeakyRelu: alpha must be a number, not a node ({alpha!r})")
    return LeakyRelu(as_node(x), alpha=float(alpha))


class Clip(Elementwise):
    """x limited to [lo, hi] (numbers of x's dtype, or None for no bound on that side); the
    gradient passes where lo <= x <= hi."""

    lo: float | None  # a Python number of x's dtype
    hi: float | None

    float_result = False
    fresh = True

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.clip(x, self.lo, self.hi)

    def print_args(self):
        return (self.lo, self.hi), {}

    def grad(self, g):
        (x,) = self.inputs
        if self.lo is None:
            inside = less_equal(x, self.hi)
        elif self.hi is None:
            inside = greater_equal(x, self.lo)
        else:
            inside = greater_equal(x, self.lo) * less_equal(x, self.hi)
        return (g * inside,)


def clip(x, a_min=None, a_max=None) -> Node:
    """x limited to the interval [a_min, a_max], as np.clip; either bound may be None.

    Bounds may be numbers, arrays or Nodes (broadcast with x). The gradient passes to x where
    a_min <= x <= a_max and to a bound where it is the result. With array bounds where
    a_min > a_max the result is a_max, as in NumPy.

    >>> import numpy as np, autodiff as ad
    >>> ad.clip(ad.Variable(5.0), 0, 1)()
    array(1.)
    >>> ad.clip(ad.Variable(np.array([-2.0, 0.5, 3.0])), None, np.array([0.0, 1.0, 2.0]))()
    array([-2. ,  0.5,  2. ])
    """
    x = as_node(x)
    for name, bound in (("a_min", a_min), ("a_max", a_max)):
        kinds = (Node, np.ndarray, np.generic, int, float, list)
        if bound is not None and not isinstance(bound, kinds):
            raise TypeError(
                f"Clip: {name} must be None, a number, an array or a Node, "
                f"got {type(bound).__name__}"
            )
        if isinstance(bound, (bool, np.bool_)):
            raise TypeError(f"Clip: {name} must be a number, got {bound!r}")
    numbers = (b is None or (not isinstance(b, Node) and np.ndim(b) == 0) for b in (a_min, a_max))
    if all(numbers):
        lo = None if a_min is None else np.asarray(a_min).item()
        hi = None if a_max is None else np.asarray(a_max).item()
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"Clip: a_min={a_min} is greater than a_max={a_max}")
        # Python numbers adapt to x's dtype; NumPy scalars and 0-d arrays keep their own
        given = [b for b in (a_min, a_max) if b is not None]
        bound_types = [b if type(b) in (int, float) else np.asarray(b).dtype for b in given]
        dtype = np.result_type(x.dtype, *bound_types)
        if x.dtype != dtype:
            x = astype(x, dtype)
        if lo is None and hi is None:
            return x
        convert = dtype.type
        return Clip(
            x,
            lo=None if lo is None else convert(lo).item(),
            hi=None if hi is None else convert(hi).item(),
        )
    result = x
    if a_min is not None:
        lo = as_node(a_min, like=x)
        result = where(less(result, lo), lo, result)
    if a_max is not None:
        hi = as_node(a_max, like=x)
        result = where(greater(result, hi), hi, result)
    return result


class Maximum(Elementwise):
    """Elementwise max (or min, with `least`); where x == y the gradient is split evenly."""

    least: bool  # the minimum instead

    float_result = False
    fresh = True

    def eval(self, x, y):  # type: ignore[override]  # an op names its own inputs
        return np.minimum(x, y) if self.least else np.maximum(x, y)

    @property
    def print_name(self) -> str:  # type: ignore[override]  # a property where Node has a class attribute
        return "minimum" if self.least else "maximum"

    def print_args(self):
        return (), {}

    def grad(self, g):
        x, y = self.inputs
        wins = less(x, y) if self.least else greater(x, y)
        share = astype(wins, g.dtype) + astype(equal(x, y), g.dtype) * 0.5
        return self.to_input(g * share, 0), self.to_input(g * (1 - share), 1)


def maximum(x, y) -> Node:
    """Elementwise maximum; at ties the gradient is split evenly.

    >>> import autodiff as ad
    >>> ad.maximum(ad.Variable(1.0), 3)()
    array(3.)
    """
    return Maximum(*_pair(x, y), least=False)


def minimum(x, y) -> Node:
    """Elementwise minimum; at ties the gradient is split evenly.

    >>> import autodiff as ad
    >>> ad.minimum(ad.Variable(1.0), 3)()
    array(1.)
    """
    return Maximum(*_pair(x, y), least=True)
