"""Products and scans: prod, cumsum, cumprod and diff, and the linear recurrence behind the
derivatives of prod and cumprod (`autodiff.ops.reduce` lists these with the reductions).

`Scan(b, a)` is ``h[i] = b[i] + a[i] * h[i - 1]`` along one axis (``h[-1] = 0``; with
`reverse`, ``h[i] = b[i] + a[i] * h[i + 1]``). Its gradients are scans again, built only from
products, so derivatives of every order never divide by an input: they stay right where
inputs are zero. It is evaluated a step at a time for all rows at once where many rows sit
beside a short axis, else by recursive doubling (about log2(n) NumPy passes). `shift` moves
an array one step along an axis, filling the gap.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..node import Node, as_node
from ._common import broadcast_shapes, like_of, normalize_axes, unbroadcast
from .creation import full, zeros
from .einsum import broadcast_to, masked, transpose
from .elementwise import astype, multiply, not_equal, subtract
from .shape import concatenate, reshape


def shift(x: Node, axis: int, later: bool, fill: float) -> Node:
    """x moved one step along `axis` (negative): to later positions (the first becomes `fill`)
    or, with `later` False, to earlier ones (the last becomes `fill`).

    >>> import numpy as np, autodiff as ad
    >>> from autodiff.ops._scan import shift
    >>> shift(ad.Variable(np.array([1.0, 2.0, 3.0])), -1, True, 9.0)()
    array([9., 1., 2.])
    """
    n = x.shape[axis]
    if n == 0:
        return x
    gap = full(x.shape[:axis] + (1,) + x.shape[axis:][1:], fill, x.dtype)
    key: tuple = (Ellipsis, slice(0, n - 1) if later else slice(1, n)) + (slice(None),) * (
        -axis - 1
    )
    kept = x[key]
    return concatenate([gap, kept] if later else [kept, gap], axis=axis)


def _recurrence(b: np.ndarray, a: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
    """h[i] = b[i] + a[i] * h[i - 1] along `axis` (from the end with `reverse`).

    With many rows beside a short axis, one step a row at a time (each step a vectorized
    operation over all rows); else by recursive doubling (Hillis and Steele): after the pass
    with step s, h[i] and a[i] hold the recurrence over the window of s elements ending at i
    (the sum, and the product of the coefficients), so log2(n) passes suffice.
    """
    dtype = np.result_type(b, a)
    h, coefficient = np.broadcast_arrays(b, a)
    h, coefficient = np.moveaxis(h, axis, 0), np.moveaxis(coefficient, axis, 0)
    if reverse:
        h, coefficient = h[::-1], coefficient[::-1]
    h = h.astype(dtype, order="C")  # a contiguous copy, axis first (of any library)
    n = len(h)
    rows = h.size // builtins.max(n, 1)
    if 8 * rows >= n:
        step_product = np.empty(h.shape[1:], dtype, like=like_of(h))
        for i in range(1, n):
            np.multiply(coefficient[i], h[i - 1], out=step_product)
            h[i] += step_product
    else:
        coefficient = coefficient.astype(dtype, order="C")
        step = 1
        while step < n:
            h[step:] += coefficient[step:] * h[:-step]  # the product is made before the sum
            if 2 * step < n:  # the coefficients of windows reaching the start are read no more
                coefficient[step:] *= coefficient[:-step].copy()
            step *= 2
    if reverse:
        h = h[::-1]
    return np.ascontiguousarray(np.moveaxis(h, 0, axis))


class Scan(Node):
    """``h[i] = b[i] + a[i] * h[i - 1]`` along `axis` (negative; `reverse`: from the end),
    with b and a broadcast; a[0] (with `reverse`, a[-1]) is never read."""

    axis: int  # negative: counted from the end, so leading batch axes do not move it
    reverse: bool

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, b, a, *, axis, reverse):  # type: ignore[override]  # an op names its own inputs
        shape = broadcast_shapes("Scan", b, a)
        if not -len(shape) <= axis < 0:
            raise ValueError(f"Scan: axis {axis} is out of bounds for shape {shape}")
        return shape, np.result_type(b.dtype, a.dtype)

    def eval(self, b, a):  # type: ignore[override]  # an op names its own inputs
        return _recurrence(b, a, self.axis, self.reverse)

    def grad(self, g):
        b, a = self.inputs
        axis, reverse = self.axis, self.reverse
        # the adjoint recurrence runs the other way, each coefficient one step further on
        adjoint = Scan(g, shift(a, axis, later=reverse, fill=0.0), axis=axis, reverse=not reverse)
        before = shift(self, axis, later=not reverse, fill=0.0)  # h[i - 1] (h[i + 1])
        return (
            unbroadcast(adjoint, self.ndim, b.shape),
            unbroadcast(adjoint * before, self.ndim, a.shape),
        )


def kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """`shape` with the reduced `axes` kept, of size 1 (the shape keepdims gives).

    >>> from autodiff.ops._scan import kept_shape
    >>> kept_shape((2, 3, 4), (0, 2))
    (1, 3, 1)
    """
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# -- products and cumulative sums and products --------------------------------------------
def _accumulating(x: Node, dtype) -> Node:
    """x in the dtype np.sum, np.prod, np.cumsum and np.cumprod compute in: `dtype` if given,
    else booleans and narrow integers widened to 64 bits."""
    if dtype is not None:
        return astype(x, dtype)
    if x.dtype.kind in "biu" and x.dtype.itemsize < 8:
        return astype(x, np.uint64 if x.dtype.kind == "u" else np.int64)
    return x


def one_axis(op: str, x: Node, axis) -> tuple[Node, int]:
    """x (flattened when `axis` is None, as NumPy does, and 0-d made 1-d) and one axis of it,
    counted from the end."""
    if axis is None or x.ndim == 0:
        x = reshape(x, (-1,))
        axis = 0 if axis is None else axis
    if isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: axis must be one integer, got {axis!r}")
    (axis,) = normalize_axes(op, axis, x.shape)
    return x, axis - x.ndim


class Cumsum(Node):
    """Running sums along `axis` (counted from the end); with `reverse`, from the last element
    back. The gradient is the running sum of g the other way."""

    axis: int
    reverse: bool

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, x, *, axis, reverse):  # type: ignore[override]  # an op names its own inputs
        return x.shape, x.dtype

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        if self.reverse:
            return np.flip(np.cumsum(np.flip(x, self.axis), self.axis, self.dtype), self.axis)
        return np.cumsum(x, self.axis, self.dtype)  # dtype: NumPy widens narrow integers

    def grad(self, g):
        return (Cumsum(g, axis=self.axis, reverse=not self.reverse),)


def cumsum(x, axis=None, dtype=None) -> Node:
    """Cumulative sum along `axis` (None: of x flattened), as np.cumsum.

    >>> import numpy as np, autodiff as ad
    >>> ad.cumsum(ad.Variable(np.array([[1.0, 2.0], [3.0, 4.0]])), axis=1)()
    array([[1., 3.],
           [3., 7.]])
    """
    x, axis = one_axis("Cumsum", as_node(x), axis)
    return Cumsum(_accumulating(x, dtype), axis=axis, reverse=False)


class Cumprod(Node):
    """Running products along `axis` (counted from the end); with `reverse`, from the last
    element back.

    The derivative of y[k] in x[i] (i <= k) is the product of x[j] for j <= k, j != i: the
    gradient is ``y[i - 1] * r[i]`` with ``r[i] = g[i] + x[i + 1] * r[i + 1]``, a `Scan`. It
    never divides by x, so it is right at zeros, and so are its own derivatives.
    """

    axis: int
    reverse: bool

    fresh = True

    @classmethod
    def infer(cls, x, *, axis, reverse):  # type: ignore[override]  # an op names its own inputs
        return x.shape, x.dtype

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        if self.reverse:
            return np.flip(np.cumprod(np.flip(x, self.axis), self.axis, self.dtype), self.axis)
        return np.cumprod(x, self.axis, self.dtype)  # dtype: NumPy widens narrow integers

    def grad(self, g):
        (x,) = self.inputs
        axis, reverse = self.axis, self.reverse
        before = shift(self, axis, later=not reverse, fill=1.0)  # the product before i
        after = Scan(g, shift(x, axis, later=reverse, fill=0.0), axis=axis, reverse=not reverse)
        return (before * after,)


def cumprod(x, axis=None, dtype=None) -> Node:
    """Cumulative product along `axis` (None: of x flattened), as np.cumprod.

    Its derivatives never divide by x: they are right where x has zeros, at every order.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([2.0, 0.0, 3.0]))
    >>> ad.cumprod(x)()
    array([2., 0., 0.])
    >>> ad.grad(ad.sum(ad.cumprod(x)), x)()   # d/dx1 of 2 + 2 x1 + 2 x1 x2 at x1 = 0
    array([1., 8., 0.])
    """
    x, axis = one_axis("Cumprod", as_node(x), axis)
    return Cumprod(_accumulating(x, dtype), axis=axis, reverse=False)


class Prod(Node):
    """The product along one `axis` (counted from the end, removed).

    The derivative in x[i] is the product of all the other elements, formed as (the product
    of those before i) * (the product of those after i) by two cumulative products: no
    division, so one zero, two zeros or more in a slice give the right gradient, and the
    derivatives of the cumulative products give the right Hessian.
    """

    axis: int

    fresh = True

    @classmethod
    def infer(cls, x, *, axis):  # type: ignore[override]  # an op names its own inputs
        return x.shape[:axis] + x.shape[axis:][1:], x.dtype

    def eval(self, x):  # type: ignore[override]  # an op names its own inputs
        return np.prod(x, axis=self.axis, dtype=self.dtype)  # NumPy widens narrow integers

    def grad(self, g):
        (x,) = self.inputs
        axis = self.axis
        nb = g.ndim - self.ndim
        if x.shape[axis] == 0:
            return (zeros(g.shape[:nb] + x.shape, g.dtype),)
        kept = x.shape[:axis] + (1,) + x.shape[axis:][1:]
        before = shift(Cumprod(x, axis=axis, reverse=False), axis, later=True, fill=1.0)
        after = shift(Cumprod(x, axis=axis, reverse=True), axis, later=False, fill=1.0)
        return (reshape(g, g.shape[:nb] + kept) * (before * after),)


def prod(x, axis=None, dtype=None, keepdims: bool = False, initial=None, where=None) -> Node:
    """Product over `axis` (None: all axes), as np.prod.

    Its derivatives are products of the other elements, never a division: right with one
    or several zeros in a slice, at every order. `initial` multiplies the result; `where`
    (a boolean array broadcast against x) leaves out the elements where it is False.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([[1.0, 2.0], [3.0, 0.0]]))
    >>> ad.prod(x, axis=1)()
    array([2., 0.])
    >>> ad.grad(ad.sum(ad.prod(x, axis=1)), x)()
    array([[2., 1.],
           [0., 3.]])
    """
    x = _accumulating(as_node(x), dtype)
    if where is not None:
        x = masked(where, x, 1)
    axes = normalize_axes("Prod", axis, x.shape)
    rest = tuple(i for i in range(x.ndim) if i not in axes)
    moved = transpose(x, rest + axes)  # the reduced axes last, as one
    size = int(np.prod([x.shape[a] for a in axes]))  # not -1: a size-0 input has no inference
    flat = reshape(moved, moved.shape[: len(rest)] + (size,))
    result: Node = Prod(flat, axis=-1)
    if keepdims:
        result = reshape(result, kept_shape(x.shape, axes))
    if initial is not None:
        # a node is a factor of the graph (np.asarray would freeze its current value)
        if isinstance(initial, Node) and initial.ndim:
            raise ValueError(f"Prod: initial must be a scalar, got a node of shape {initial.shape}")
        factor = initial if isinstance(initial, Node) else np.asarray(initial, result.dtype)
        result = multiply(result, factor)
    return result


def diff(x, n: int = 1, axis: int = -1, prepend=None, append=None) -> Node:
    """The n-th discrete difference along `axis`, as np.diff (`prepend` and `append`, numbers
    or arrays, join x along `axis` first). Booleans differ where they are unequal, as in NumPy.

    >>> import numpy as np, autodiff as ad
    >>> ad.diff(ad.Variable(np.array([1.0, 4.0, 9.0, 16.0])))()
    array([3., 5., 7.])
    >>> ad.diff(ad.Variable(np.array([1.0, 4.0, 9.0])), n=2, prepend=0.0)()
    array([2., 2.])
    """
    x = as_node(x)
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"Diff: n must be an integer, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"Diff: order must be non-negative but got {n}")
    if x.ndim == 0:
        raise ValueError("Diff: diff requires input that is at least one dimensional")
    (axis,) = normalize_axes("Diff", axis, x.shape)
    parts: list[Node | None] = []
    for end in (prepend, append):
        if end is None:
            parts.append(None)
            continue
        end = as_node(end, like=x)
        if end.ndim == 0:
            end = broadcast_to(end, x.shape[:axis] + (1,) + x.shape[axis + 1 :])
        parts.append(end)
    if parts[0] is not None or parts[1] is not None:
        joined = [p for p in (parts[0], x, parts[1]) if p is not None]
        x = concatenate(joined, axis=axis)
    for _ in range(n):
        length = x.shape[axis]
        head = x[(slice(None),) * axis + (slice(1, length),)]
        tail = x[(slice(None),) * axis + (slice(0, builtins.max(length - 1, 0)),)]
        x = not_equal(head, tail) if x.dtype == bool else subtract(head, tail)
    return x
