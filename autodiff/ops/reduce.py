"""Reductions beyond sums: max and min (ties shared evenly), var, std and norm."""

from __future__ import annotations

import numpy as np

from ..node import Node, as_node
from ._common import normalize_axes
from .einsum import mean, sum
from .elementwise import absolute, astype, equal, negative, sqrt, square
from .shape import reshape

__all__ = ["max", "min", "var", "std", "norm"]


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Max(Node):
    """The largest element over `axes`; the gradient is shared evenly between ties."""

    fresh = True

    @classmethod
    def infer(cls, x, *, axes, keepdims):
        if x.size == 0:
            raise ValueError(f"Max: input of shape {x.shape} is empty")
        shape = _kept_shape(x.shape, axes)
        if not keepdims:
            shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
        return shape, x.dtype

    @classmethod
    def fold(cls, shape, dtype, x, *, axes, keepdims):
        return x if not axes else None

    def eval(self, x):
        return np.max(x, axis=self.axes, keepdims=self.keepdims)

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
    x = as_node(x)
    return Max(x, axes=normalize_axes("Max", axis, x.shape), keepdims=bool(keepdims))


def min(x, axis=None, keepdims: bool = False) -> Node:
    """Smallest element over `axis`, as np.min; ties share the gradient evenly.

    >>> import numpy as np, autodiff as ad
    >>> ad.min(ad.Variable(np.array([3.0, 1.0, 2.0])))()
    array(1.)
    """
    return negative(max(negative(as_node(x)), axis, keepdims))


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


def std(x, axis=None, keepdims: bool = False, ddof: int = 0) -> Node:
    """Standard deviation over `axis`, as np.std.

    >>> import numpy as np, autodiff as ad
    >>> ad.std(ad.Variable(np.array([1.0, 3.0])))()
    array(1.)
    """
    return sqrt(var(x, axis, keepdims, ddof))


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Node:
    """Vector norm over `axis` (all axes by default): ord 2 (default), 1 or np.inf.

    For a matrix and axis=None this is the Frobenius norm, as np.linalg.norm.

    >>> import numpy as np, autodiff as ad
    >>> ad.norm(ad.Variable(np.array([3.0, 4.0])))()
    array(5.)
    """
    x = as_node(x)
    if ord in (None, 2, "fro"):
        return sqrt(sum(square(x), axis, keepdims))
    if ord == 1:
        return sum(absolute(x), axis, keepdims)
    if ord == np.inf:
        return max(absolute(x), axis, keepdims)
    raise ValueError(f"Norm: ord={ord!r} is not supported (use 1, 2 or np.inf)")
