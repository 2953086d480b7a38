"""Fills and the identity matrix: constants described by parameters, cheap to merge and spot.

`full`, `zeros`, `ones` (and the `_like` forms) make a `Fill`, one value repeated over a
shape; `eye` makes an `Eye`. Both declare `constant` (their values are known when the graph
is built), so plans evaluate them once and simplify folds what they feed. `known_value` and
`structural_zero` read what a graph says about a node's values.
"""

from __future__ import annotations

import numpy as np

from ..node import Constant, Node
from ._common import dims, float_dtype

__all__ = ["full", "zeros", "ones", "eye", "zeros_like", "ones_like"]


class Fill(Node):
    """An array of one repeated value, stored as parameters (shape, value, dtype)."""

    print_form = "fill"
    dims: tuple[int, ...]
    value: float  # a Python scalar of the dtype (bool, int or float)
    kind: str  # the dtype, as np.dtype(...).str

    constant = True

    @classmethod
    def infer(cls, *, dims, value, kind):  # type: ignore[override]  # a leaf op: no inputs, its parameters are required
        return dims, np.dtype(kind)

    def eval(self):  # type: ignore[override]  # a leaf op: it reads no arrays
        return np.broadcast_to(np.asarray(self.value, dtype=self.dtype), self.shape)

    def grad(self, g):
        return ()

    @property
    def nonnegative(self) -> bool:  # type: ignore[override]  # a property where Node has a class attribute
        return self.dtype.kind in "biuf" and self.value >= 0

    @property
    def caption(self) -> str:  # type: ignore[override]  # a property where Node has a class attribute
        return f"fill {self.value:.4g}"


def full(shape, value: float, dtype=np.float64) -> Node:
    """A Node holding `value` everywhere; like np.full.

    >>> import autodiff as ad
    >>> ad.full((2,), 7.0)()
    array([7., 7.])
    """
    shape = dims("Full", shape)
    if isinstance(value, Node):  # np.asarray would freeze its current value
        raise TypeError(
            f"Full: value must be a number, not a node ({value!r}); use "
            "ad.broadcast_to(value, shape)"
        )
    return Fill(dims=shape, value=np.asarray(value, dtype).item(), kind=np.dtype(dtype).str)


def zeros(shape, dtype=np.float64) -> Node:
    """A Node of zeros; like np.zeros.

    >>> import autodiff as ad
    >>> ad.zeros((2, 3))().shape
    (2, 3)
    """
    return full(shape, 0, dtype)


def ones(shape, dtype=np.float64) -> Node:
    """A Node of ones; like np.ones.

    >>> import autodiff as ad
    >>> ad.ones(2)()
    array([1., 1.])
    """
    return full(shape, 1, dtype)


class Eye(Node):
    """The identity matrix of size n."""

    print_form = "fill"
    n: int
    kind: str

    constant = True
    nonnegative = True
    bound = 1.0
    caption = "eye"

    @classmethod
    def infer(cls, *, n, kind):  # type: ignore[override]  # a leaf op: no inputs, its parameters are required
        return (n, n), np.dtype(kind)

    def eval(self):  # type: ignore[override]  # a leaf op: it reads no arrays
        return np.eye(self.n, dtype=self.dtype)

    def print_args(self):
        return (self.n,), {} if self.dtype == np.float64 else {"dtype": self.dtype}

    def grad(self, g):
        return ()


def eye(N: int, M: int | None = None, k: int = 0, dtype=np.float64) -> Node:
    """Ones on the k-th diagonal of an N-by-M matrix (M None: N), as np.eye.

    The square identity (k = 0) is an `Eye`, which the simplifier knows as an identity;
    other shapes and diagonals are a Constant.

    >>> import autodiff as ad
    >>> ad.eye(2)()
    array([[1., 0.],
           [0., 1.]])
    >>> ad.eye(2, 3, k=1)()
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    (n,) = dims("Eye", N)
    (m,) = (n,) if M is None else dims("Eye", M)
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"Eye: k must be an integer, got {type(k).__name__}")
    if m == n and k == 0:
        return Eye(n=n, kind=np.dtype(dtype).str)
    return Constant(np.eye(n, m, int(k), dtype=dtype))


def zeros_like(x: Node, dtype=None) -> Node:
    """Zeros of the shape of x, in `dtype` (None: x's floating dtype), as np.zeros_like.

    >>> import numpy as np, autodiff as ad
    >>> ad.zeros_like(ad.Variable(np.ones(2)))()
    array([0., 0.])
    >>> ad.zeros_like(ad.Variable(np.ones(2)), dtype=np.int32)()
    array([0, 0], dtype=int32)
    """
    return zeros(x.shape, float_dtype(x.dtype) if dtype is None else dtype)


def ones_like(x: Node, dtype=None) -> Node:
    """Ones of the shape of x, in `dtype` (None: x's floating dtype), as np.ones_like.

    >>> import numpy as np, autodiff as ad
    >>> ad.ones_like(ad.Variable(np.zeros(2)))()
    array([1., 1.])
    """
    return ones(x.shape, float_dtype(x.dtype) if dtype is None else dtype)


def structural_zero(x: Node) -> bool:
    """Whether `x` is a Fill of zeros (`zeros`, a zero cotangent of `grad`): an exact zero.

    The factories fold ``x * zeros``, ``zeros / y`` and an einsum with such an operand into
    zeros when the graph is built, whatever `x` and `y` hold (nan and inf included): that is
    the value of a derivative that does not depend on an input. A Constant zero (``x * 0.0``)
    is an IEEE number and folds nothing: ``nan * 0.0`` is nan.
    """
    return isinstance(x, Fill) and x.value == 0


def known_value(x: Node) -> float | None:
    """The single value `x` holds everywhere, if the graph says so (a Fill or 0-d Constant)."""
    if isinstance(x, Fill):
        return x.value
    if isinstance(x, Constant) and x.ndim == 0:
        return x.value.item()
    return None
