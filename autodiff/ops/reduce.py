"""Reductions beyond sums: max and min (ties shared evenly), var, std and norm.

Where std or a norm is 0 it is not differentiable (it grows like |t| along any direction);
its derivative there is defined as 0, the minimum-norm subgradient, at every order: the root
is taken through `where` so that no inf or nan ever enters the derivative graph, and
simplified and unsimplified plans give the same values.
"""

from __future__ import annotations

import numpy as np

from ..node import Node, as_node
from ._common import normalize_axes
from .einsum import mean, sum
from .elementwise import absolute, astype, equal, greater, not_equal, power, sqrt, square, where
from .shape import reshape

__all__ = ["max", "min", "var", "std", "norm"]


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Max(Node):
    """The largest (or with `least` the smallest) element over `axes`; the gradient is shared
    evenly between ties."""

    axes: tuple[int, ...]
    keepdims: bool
    least: bool  # Min instead

    fresh = True

    @classmethod
    def infer(cls, x, *, axes, keepdims, least):  # type: ignore[override]  # an op names its own inputs
        if any(x.shape[a] == 0 for a in axes):
            op = "Min" if least else "Max"
            raise ValueError(
                f"{op}: zero-size reduction over axes {axes} of input of shape {x.shape} "
                "(the maximum or minimum of nothing is not defined)"
            )
        shape = _kept_shape(x.shape, axes)
        if not keepdims:
            shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
        return shape, x.dtype

    @classmethod
    def fold(cls, shape, dtype, x, *, axes, keepdims, least):  # type: ignore[override]  # an op names its own inputs
        return x if not axes else None

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        pick = np.min if self.least else np.max
        return pick(x, axis=self.axes, keepdims=self.keepdims)

    @property
    def print_name(self) -> str:  # type: ignore[override]  # a property where Node has a class attribute
        return "min" if self.least else "max"

    def print_args(self):
        axis = self.axes[0] if len(self.axes) == 1 else self.axes
        return (), {"axis": axis, **({"keepdims": True} if self.keepdims else {})}

    def grad(self, g):
        (x,) = self.inputs
        kept = _kept_shape(x.shape, self.axes)
        winners = astype(equal(x, reshape(self, kept)), g.dtype)
        share = winners / sum(winners, self.axes, keepdims=True)
        nb = g.ndim - self.ndim
        return (reshape(g, g.shape[:nb] + kept) * share,)


def max(x, axis=None, keepdims: bool = False) -> Node:
    """Largest element over `axis`, as np.max; ties share the gradient evenly.

    >>> import numpy as np, autodiff as ad
    >>> ad.max(ad.Variable(np.array([[1.0, 5.0], [7.0, 2.0]])), axis=1)()
    array([5., 7.])
    """
    return _extremum("Max", x, axis, keepdims, least=False)


def _extremum(op: str, x, axis, keepdims: bool, least: bool) -> Node:
    x = as_node(x)
    return Max(x, axes=normalize_axes(op, axis, x.shape), keepdims=bool(keepdims), least=least)


def min(x, axis=None, keepdims: bool = False) -> Node:
    """Smallest element over `axis`, as np.min; ties share the gradient evenly.

    >>> import numpy as np, autodiff as ad
    >>> ad.min(ad.Variable(np.array([3.0, 1.0, 2.0])))()
    array(1.)
    """
    return _extremum("Min", x, axis, keepdims, least=True)


def var(x, axis=None, keepdims: bool = False, ddof: int = 0) -> Node:
    """Variance over `axis`, as np.var.

    >>> import numpy as np, autodiff as ad
    >>> ad.var(ad.Variable(np.array([1.0, 3.0])))()
    array(1.)
    """
    x = as_node(x)
    axes = normalize_axes("Var", axis, x.shape)
    count = int(np.prod([x.shape[a] for a in axes]))
    if count - ddof <= 0:
        raise ValueError(f"Var: ddof={ddof} leaves no degrees of freedom for {count} elements")
    squares = sum(square(x - mean(x, axes, keepdims=True)), axes, keepdims)
    return squares * (1.0 / (count - ddof))


def _root(v: Node, p: float) -> Node:
    """v ** (1/p) for v >= 0, with the derivative 0 (not inf) wherever v is 0, at every order."""
    positive = greater(v, 0)
    safe = where(positive, v, 1.0)  # never 0, so no derivative of the root below is inf
    root = sqrt(safe) if p == 2 else power(safe, 1.0 / p)
    return where(positive, root, 0.0)


def std(x, axis=None, keepdims: bool = False, ddof: int = 0) -> Node:
    """Standard deviation over `axis`, as np.std.

    Where it is 0 (all entries equal, or a single one) its derivative is defined as 0, the
    minimum-norm subgradient, at every order.

    >>> import numpy as np, autodiff as ad
    >>> ad.std(ad.Variable(np.array([1.0, 3.0])))()
    array(1.)
    >>> x = ad.Variable(np.ones((2, 1)))
    >>> ad.grad(ad.sum(ad.std(x, axis=1)), x)()
    array([[0.],
           [0.]])
    """
    return _root(var(x, axis, keepdims, ddof), 2)


def _vector_norm(x: Node, ord, axes: tuple[int, ...], keepdims: bool) -> Node:
    if isinstance(ord, str):  # NumPy raises ValueError for a bad order, not TypeError
        raise ValueError(f"Norm: invalid norm order {ord!r} for vectors")
    if ord is None or ord == 2:
        return _root(sum(square(x), axes, keepdims), 2)
    if ord == np.inf:
        return max(absolute(x), axes, keepdims)
    if ord == -np.inf:
        return min(absolute(x), axes, keepdims)
    if ord == 0:
        return astype(sum(not_equal(x, 0), axes, keepdims), x.dtype)
    if ord == 1:
        return sum(absolute(x), axes, keepdims)
    return _root(sum(power(absolute(x), ord), axes, keepdims), ord)


def _matrix_norm(x: Node, ord, axes: tuple[int, int], keepdims: bool) -> Node:
    rows, cols = axes
    if ord is None or ord == "fro":
        result = _root(sum(square(x), axes), 2)
    elif ord in (1, -1):
        pick = max if ord == 1 else min
        result = pick(sum(absolute(x), rows), cols - (cols > rows))
    elif ord in (np.inf, -np.inf):
        pick = max if ord == np.inf else min
        result = pick(sum(absolute(x), cols), rows - (rows > cols))
    elif ord in (2, -2, "nuc"):
        raise NotImplementedError(
            f"Norm: ord={ord!r} on a matrix needs singular values, which ad.norm does not "
            "compute; use ord='fro', 1, -1, np.inf or -np.inf"
        )
    else:
        raise ValueError(f"Norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        result = reshape(result, _kept_shape(x.shape, axes))
    return result


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Node:
    """Vector or matrix norm, as np.linalg.norm.

    With `axis` None a 1-D input gets a vector norm and a 2-D input a matrix norm (any other
    input only the default, the 2-norm of all entries); an int axis gives vector norms along
    it, a pair of axes matrix norms. Vector orders: None or 2, 1, any p, 0 (the count of
    non-zeros), np.inf, -np.inf. Matrix orders: None or 'fro', 1, -1, np.inf, -np.inf; 2, -2
    and 'nuc' need singular values and raise NotImplementedError. Where a 2-norm, p-norm or
    Frobenius norm is 0 its derivative is defined as 0, the minimum-norm subgradient, at
    every order. Integer inputs give float64.

    >>> import numpy as np, autodiff as ad
    >>> ad.norm(ad.Variable(np.array([3.0, 4.0])))()
    array(5.)
    >>> ad.norm(ad.Variable(np.array([[1.0, -2.0], [3.0, 4.0]])), 1)()   # the largest column sum
    array(6.)
    """
    x = as_node(x)
    if x.dtype.kind not in "fc":
        x = astype(x, np.float64)
    if axis is None:
        if ord is None:
            result = _root(sum(square(x)), 2)
            return reshape(result, (1,) * x.ndim) if keepdims else result
        if x.ndim not in (1, 2):
            raise ValueError(
                f"Norm: ord={ord!r} needs a 1-d or 2-d input or an axis, got shape {x.shape}"
            )
        axis = tuple(range(x.ndim))
    given = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(normalize_axes("Norm", a, x.shape)[0] for a in given)
    if len(set(axes)) != len(axes):
        raise ValueError(f"Norm: repeated axis in {axis} for input of shape {x.shape}")
    if len(axes) == 1:
        return _vector_norm(x, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"Norm: axis must name 1 or 2 axes, got {axis} for input of shape {x.shape}")
