"""NumPy's array-manipulation functions, built on the shape ops so the simplifier and the
planner see few ops.

flip is a slice with step -1, roll a concatenation of two slices, swapaxes and moveaxis
transposes, tile and repeat broadcasts and reshapes (repeat with counts per element,
take_along_axis with fixed indices, and pad in the modes "edge", "reflect", "symmetric" and
"wrap" gather with an integer array, whose adjoint adds where a position repeats), the
stacks concatenate, triu and tril select with a constant mask, diag of a vector scatters
into zeros, kron is a broadcast product, cross a product of components, meshgrid a
broadcast, pad with a constant `Pad` (zeros; other constants through a mask). One pair of
ops is new here: `TakeAlongAxis` gathers by indices that are a node (read when evaluated, as
`argsort` gives them), with adjoint `TakeAlongAxisAdjoint`.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import cast

import numpy as np

from ..node import Constant, Node, as_node
from ._common import like_of, normalize_axes
from .creation import zeros
from .einsum import broadcast_to, diagonal, transpose
from .elementwise import multiply, where
from .shape import (
    IndexAdjoint,
    Pad,
    _integer,
    _read_only,
    concatenate,
    getitem,
    reshape,
    stack,
)

__all__ = [
    "take_along_axis",
    "flip",
    "flipud",
    "fliplr",
    "roll",
    "swapaxes",
    "moveaxis",
    "tile",
    "repeat",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "hstack",
    "vstack",
    "dstack",
    "column_stack",
    "tril",
    "triu",
    "diag",
    "kron",
    "cross",
    "meshgrid",
    "pad",
]


# -- rearranging: flip, roll, swapaxes, moveaxis, tile, repeat ------------------------------------
def _one_axis(op: str, axis, shape: tuple[int, ...], what: str = "axis") -> int:
    """`axis` (one integer) as a non-negative axis of `shape`."""
    axis = _integer(op, what, axis)
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"{op}: {what} {axis} is out of bounds for input of shape {shape}")
    return axis % len(shape)


def _ordered_axes(op: str, axis, shape: tuple[int, ...], what: str) -> list[int]:
    """`axis` (an int or a sequence) as non-negative axes of `shape`, in the order given."""
    given = list(axis) if isinstance(axis, (tuple, list)) else [axis]
    axes = [_one_axis(op, a, shape, what) for a in given]
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: repeated axis in {what} {axis!r} for input of shape {shape}")
    return axes


def _holds_node(value) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_holds_node(v) for v in value)
    return isinstance(value, Node)


def _integers(op: str, what: str, value) -> np.ndarray:
    """`value` as an array; an empty list as integers (it holds no floats), as NumPy takes it.
    A node is refused: np.asarray would freeze its current value into the graph."""
    if _holds_node(value):
        raise TypeError(f"{op}: {what} must be integers, not a node ({value!r})")
    array = np.asarray(value)
    if array.size == 0 and not isinstance(value, np.ndarray):
        array = array.astype(np.intp)
    return array


def flip(m, axis=None) -> Node:
    """m with the order of elements reversed along `axis` (None: every axis; an int or a
    tuple), as np.flip: a slice with step -1, so a view.

    >>> import numpy as np, autodiff as ad
    >>> ad.flip(ad.Variable(np.arange(6.0).reshape(2, 3)), axis=1)()
    array([[2., 1., 0.],
           [5., 4., 3.]])
    """
    m = as_node(m)
    axes = normalize_axes("Flip", axis, m.shape)
    reverse = slice(None, None, -1)
    return getitem(m, tuple(reverse if a in axes else slice(None) for a in range(m.ndim)))


def flipud(m) -> Node:
    """m upside down (axis 0 reversed), as np.flipud.

    >>> import numpy as np, autodiff as ad
    >>> ad.flipud(ad.Variable(np.array([1.0, 2.0, 3.0])))()
    array([3., 2., 1.])
    """
    m = as_node(m)
    if m.ndim < 1:
        raise ValueError(f"Flipud: input must be at least 1-d, got shape {m.shape}")
    return flip(m, 0)


def fliplr(m) -> Node:
    """m left to right (axis 1 reversed), as np.fliplr.

    >>> import numpy as np, autodiff as ad
    >>> ad.fliplr(ad.Variable(np.array([[1.0, 2.0], [3.0, 4.0]])))()
    array([[2., 1.],
           [4., 3.]])
    """
    m = as_node(m)
    if m.ndim < 2:
        raise ValueError(f"Fliplr: input must be at least 2-d, got shape {m.shape}")
    return flip(m, 1)


def roll(a, shift, axis=None) -> Node:
    """a with its elements shifted by `shift` along `axis`, those that fall off one end
    coming back at the other, as np.roll. `shift` and `axis` may be tuples (broadcast
    together; shifts of one axis add up); `axis` None rolls the flattened array.

    >>> import numpy as np, autodiff as ad
    >>> ad.roll(ad.Variable(np.arange(5.0)), 2)()
    array([3., 4., 0., 1., 2.])
    >>> ad.roll(ad.Variable(np.arange(6.0).reshape(2, 3)), (1, -1), axis=(0, 1))()
    array([[4., 5., 3.],
           [1., 2., 0.]])
    """
    a = as_node(a)
    if axis is None:
        return reshape(roll(reshape(a, (-1,)), shift, 0), a.shape)
    shifts, axes = _integers("Roll", "shift", shift), _integers("Roll", "axis", axis)
    if shifts.dtype.kind not in "iu" or shifts.dtype == bool:
        raise TypeError(f"Roll: shift must be integers, got {shift!r}")
    if axes.dtype.kind not in "iu" or axes.dtype == bool:
        raise TypeError(f"Roll: axis must be integers, got {axis!r}")
    try:
        pairs = np.broadcast(shifts, axes)
    except ValueError:
        raise ValueError(
            f"Roll: shift {shift!r} and axis {axis!r} do not broadcast together"
        ) from None
    if pairs.nd > 1:
        raise ValueError(f"Roll: shift and axis must be integers or 1-d sequences, got {shift!r}")
    total = dict.fromkeys(range(a.ndim), 0)
    for s, ax in pairs:
        total[_one_axis("Roll", int(ax), a.shape)] += int(s)
    for ax, s in total.items():
        n = a.shape[ax]
        if n and s % n:
            cut = n - s % n
            lead = (slice(None),) * ax
            a = concatenate([a[lead + (slice(cut, None),)], a[lead + (slice(None, cut),)]], ax)
    return a


def swapaxes(a, axis1: int, axis2: int) -> Node:
    """a with two axes interchanged, as np.swapaxes (a transpose).

    >>> import numpy as np, autodiff as ad
    >>> ad.swapaxes(ad.Variable(np.zeros((2, 3, 4))), 0, -1).shape
    (4, 3, 2)
    """
    a = as_node(a)
    i = _one_axis("Swapaxes", axis1, a.shape, "axis1")
    j = _one_axis("Swapaxes", axis2, a.shape, "axis2")
    axes = list(range(a.ndim))
    axes[i], axes[j] = j, i
    return transpose(a, axes)


def moveaxis(a, source, destination) -> Node:
    """a with the axes `source` moved to the places `destination` (ints or sequences of
    one length), the others keeping their order, as np.moveaxis (a transpose).

    >>> import numpy as np, autodiff as ad
    >>> ad.moveaxis(ad.Variable(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    >>> ad.moveaxis(ad.Variable(np.zeros((2, 3, 4))), [0, 1], [-1, -2]).shape
    (4, 3, 2)
    """
    a = as_node(a)
    sources = _ordered_axes("Moveaxis", source, a.shape, "source")
    destinations = _ordered_axes("Moveaxis", destination, a.shape, "destination")
    if len(sources) != len(destinations):
        raise ValueError(
            f"Moveaxis: source {source!r} and destination {destination!r} must have the same "
            "number of elements"
        )
    order = [n for n in range(a.ndim) if n not in sources]
    for dest, src in sorted(zip(destinations, sources, strict=True)):
        order.insert(dest, src)
    return transpose(a, order)


def _repetitions(op: str, reps) -> tuple[int, ...]:
    given = reps.tolist() if isinstance(reps, np.ndarray) else reps
    counts = tuple(given) if isinstance(given, (tuple, list)) else (given,)
    counts = tuple(_integer(op, "each repetition count", r) for r in counts)
    if builtins.any(r < 0 for r in counts):
        raise ValueError(f"{op}: negative repetition count in {reps!r}")
    return counts


def tile(A, reps) -> Node:
    """A repeated `reps` times along each axis, as np.tile (`reps` longer than A.ndim adds
    leading axes; shorter applies to the last axes). A broadcast and a reshape: its gradient
    sums over the copies.

    >>> import numpy as np, autodiff as ad
    >>> ad.tile(ad.Variable(np.array([1.0, 2.0])), (2, 2))()
    array([[1., 2., 1., 2.],
           [1., 2., 1., 2.]])
    """
    x = as_node(A)
    counts = _repetitions("Tile", reps)
    if x.ndim < len(counts):
        x = reshape(x, (1,) * (len(counts) - x.ndim) + x.shape)
    counts = (1,) * (x.ndim - len(counts)) + counts
    if builtins.all(r == 1 for r in counts):
        return x
    target = tuple(r * n for r, n in zip(counts, x.shape, strict=True))
    if math.prod(target) == 0:  # no element: x's empty part, reshaped
        empty = getitem(x, tuple(slice(0, 0) if r == 0 else slice(None) for r in counts))
        return reshape(empty, target)
    spread = reshape(x, builtins.sum(((1, n) for n in x.shape), ()))
    copies = broadcast_to(
        spread, builtins.sum(((r, n) for r, n in zip(counts, x.shape, strict=True)), ())
    )
    return reshape(copies, target)


def repeat(a, repeats, axis: int | None = None) -> Node:
    """Each element of a repeated `repeats` times along `axis` (None: of a flattened), as
    np.repeat; `repeats` is one count or one per element of the axis. One count is a
    broadcast and a reshape; counts per element gather with an integer array, whose adjoint
    adds the copies back.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> ad.repeat(x, 2)()
    array([1., 1., 2., 2., 3., 3., 4., 4.])
    >>> ad.repeat(x, [1, 2], axis=0)()
    array([[1., 2.],
           [3., 4.],
           [3., 4.]])
    """
    x = as_node(a)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = _one_axis("Repeat", axis, x.shape)
    n = x.shape[axis]
    counts = _integers("Repeat", "repeats", repeats)
    if counts.dtype.kind not in "iu" or counts.dtype == bool:
        raise TypeError(f"Repeat: repeats must be integers, got {repeats!r}")
    if counts.ndim > 1:
        raise ValueError(f"Repeat: repeats must be an integer or a 1-d sequence, got {repeats!r}")
    if (counts < 0).any():
        raise ValueError(f"Repeat: negative count in repeats {repeats!r}")
    if counts.size == 1:
        counts = counts.reshape(())
    elif counts.size != n:
        raise ValueError(
            f"Repeat: {counts.size} repeats do not fit axis {axis} of length {n} "
            f"(input of shape {x.shape})"
        )
    lead = (slice(None),) * axis
    if counts.ndim == 0 and counts > 0 and x.size:
        r = int(counts)
        spread = reshape(x, x.shape[: axis + 1] + (1,) + x.shape[axis + 1 :])
        copies = broadcast_to(spread, x.shape[: axis + 1] + (r,) + x.shape[axis + 1 :])
        return reshape(copies, x.shape[:axis] + (n * r,) + x.shape[axis + 1 :])
    return getitem(x, lead + (np.repeat(np.arange(n), counts),))


# -- at least so many axes, and joining along the first three ------------------------------------
def _atleast_shape(shape: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    """NumPy's shape for `atleast_{ndim}d`: leading ones, except that a 3-d view of a vector
    (n,) is (1, n, 1) and of a matrix (m, n) is (m, n, 1)."""
    if len(shape) >= ndim:
        return shape
    if ndim == 3 and len(shape) == 1:
        return (1, *shape, 1)
    if ndim == 3 and len(shape) == 2:
        return (*shape, 1)
    return (1,) * (ndim - len(shape)) + shape


def _atleast(arys: tuple, ndim: int) -> Node | tuple[Node, ...]:
    results = []
    for value in arys:
        x = as_node(value)
        results.append(reshape(x, _atleast_shape(x.shape, ndim)))
    return results[0] if len(results) == 1 else tuple(results)


def atleast_1d(*arys) -> Node | tuple[Node, ...]:
    """Each input with at least one axis (0-d becomes shape (1,)), as np.atleast_1d: one
    node for one input, else a tuple.

    >>> import numpy as np, autodiff as ad
    >>> ad.atleast_1d(ad.Variable(np.array(2.0))).shape
    (1,)
    """
    return _atleast(arys, 1)


def atleast_2d(*arys) -> Node | tuple[Node, ...]:
    """Each input with at least two axes (a vector becomes a row), as np.atleast_2d.

    >>> import numpy as np, autodiff as ad
    >>> [x.shape for x in ad.atleast_2d(np.zeros(3), ad.Variable(np.array(1.0)))]
    [(1, 3), (1, 1)]
    """
    return _atleast(arys, 2)


def atleast_3d(*arys) -> Node | tuple[Node, ...]:
    """Each input with at least three axes, as np.atleast_3d: (n,) becomes (1, n, 1),
    (m, n) becomes (m, n, 1).

    >>> import numpy as np, autodiff as ad
    >>> [x.shape for x in ad.atleast_3d(np.zeros(3), np.zeros((2, 3)))]
    [(1, 3, 1), (2, 3, 1)]
    """
    return _atleast(arys, 3)


def _sequence(op: str, tup) -> list[Node]:
    if isinstance(tup, (Node, np.ndarray)):  # one array is the sequence of its rows, as NumPy
        if not tup.ndim:
            raise TypeError(f"{op}: a 0-d array is not a sequence of arrays")
        tup = as_node(tup)
        return [tup[i] for i in range(tup.shape[0])]
    if not isinstance(tup, (list, tuple)):
        raise TypeError(f"{op}: expects a list or tuple of arrays, got {type(tup).__name__}")
    if not tup:
        raise ValueError(f"{op}: needs at least one array")
    return [as_node(x) for x in tup]


def vstack(tup: Sequence) -> Node:
    """Inputs stacked as rows (along axis 0, vectors as rows), as np.vstack.

    >>> import numpy as np, autodiff as ad
    >>> ad.vstack([ad.Variable(np.zeros(3)), np.ones(3)]).shape
    (2, 3)
    """
    return concatenate([reshape(x, _atleast_shape(x.shape, 2)) for x in _sequence("Vstack", tup)])


def hstack(tup: Sequence) -> Node:
    """Inputs joined along axis 1 (axis 0 for vectors), as np.hstack.

    >>> import numpy as np, autodiff as ad
    >>> ad.hstack([ad.Variable(np.zeros(3)), np.ones(2)]).shape
    (5,)
    """
    xs = [reshape(x, _atleast_shape(x.shape, 1)) for x in _sequence("Hstack", tup)]
    return concatenate(xs, axis=0 if xs[0].ndim == 1 else 1)


def dstack(tup: Sequence) -> Node:
    """Inputs joined along axis 2 (depth), each made at least 3-d first, as np.dstack.

    >>> import numpy as np, autodiff as ad
    >>> ad.dstack([ad.Variable(np.zeros((2, 3))), np.ones((2, 3))]).shape
    (2, 3, 2)
    """
    return concatenate(
        [reshape(x, _atleast_shape(x.shape, 3)) for x in _sequence("Dstack", tup)], axis=2
    )


def column_stack(tup: Sequence) -> Node:
    """Vectors as columns (and matrices as they are) joined along axis 1, as np.column_stack.

    >>> import numpy as np, autodiff as ad
    >>> ad.column_stack([ad.Variable(np.zeros(3)), np.ones((3, 2))]).shape
    (3, 3)
    """
    xs = _sequence("ColumnStack", tup)
    columns = [reshape(x, (x.size, 1) if x.ndim < 2 else x.shape) for x in xs]
    return concatenate(columns, axis=1)


# -- gathering along an axis ------------------------------------------------------------------
def _along_axis_key(shape: tuple[int, ...], indices: np.ndarray, axis: int) -> tuple:
    """The integer-array key that takes `indices` along `axis` of an array of `shape`, whose
    axes beyond ``indices.ndim`` lead (batch axes); the other axes broadcast against it."""
    nb = len(shape) - indices.ndim
    key: list = []
    for d, n in enumerate(shape):
        if d == axis + nb:
            key.append(indices.reshape((1,) * nb + indices.shape))
        else:
            key.append(np.arange(n).reshape((n,) + (1,) * (len(shape) - 1 - d)))
    return tuple(key)


class TakeAlongAxis(Node):
    """np.take_along_axis(x, indices, axis) where `indices` is an integer node; x may have
    leading batch axes that `indices` lacks."""

    axis: int

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, x, indices, *, axis):  # type: ignore[override]  # an op names its own inputs
        if indices.dtype.kind not in "iu":
            raise TypeError(
                f"TakeAlongAxis: indices must be integers, got {indices.dtype} (input 1)"
            )
        nb = x.ndim - indices.ndim
        spread = x.shape[: nb + axis] + (1,) + x.shape[nb + axis + 1 :]
        try:
            shape = np.broadcast_shapes(spread, indices.shape)
        except ValueError:
            raise ValueError(
                f"TakeAlongAxis: indices of shape {indices.shape} do not broadcast with input "
                f"of shape {x.shape} outside axis {axis}"
            ) from None
        return shape, x.dtype

    def eval(self, x, indices):  # type: ignore[override]  # an op names its own inputs
        return x[_along_axis_key(x.shape, indices, self.axis)]

    def value_bound(self, bounds):
        return bounds[0]

    def grad(self, g):
        x, indices = self.inputs
        batch = g.shape[: g.ndim - self.ndim]
        return TakeAlongAxisAdjoint(g, indices, axis=self.axis, out_shape=batch + x.shape), None


class TakeAlongAxisAdjoint(Node):
    """Zeros of `out_shape` with g added where TakeAlongAxis read (np.add.at): its transpose."""

    dispatches = False  # np.add.at with NumPy index arrays

    axis: int
    out_shape: tuple[int, ...]

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, g, indices, *, axis, out_shape):  # type: ignore[override]  # an op names its own inputs
        return out_shape, g.dtype

    def eval(self, g, indices):  # type: ignore[override]  # an op names its own inputs
        out = np.zeros(self.shape, g.dtype, like=like_of(g))
        np.add.at(out, _along_axis_key(self.shape, indices, self.axis), g)
        return out

    def grad(self, g):
        return TakeAlongAxis(g, self.inputs[1], axis=self.axis), None


def take_along_axis(arr, indices, axis: int | None = -1) -> Node:
    """Elements of arr at integer `indices` along `axis`, as np.take_along_axis: `indices`
    has arr's number of axes and broadcasts with it on the others (`axis` None: arr
    flattened, 1-d indices). Fixed indices (arrays, Constants) are one integer-array index;
    the indices of a node (say `argsort` of a Variable) are read when it is evaluated. The
    adjoint adds where an index repeats.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]]))
    >>> ad.take_along_axis(x, np.array([[1], [0]]), axis=1)()
    array([[1.],
           [0.]])
    """
    x = as_node(arr)
    if isinstance(indices, Node) and not isinstance(indices, Constant):
        fixed = None
        index_shape, index_dtype = indices.shape, indices.dtype
    else:
        fixed = np.asarray(indices.value if isinstance(indices, Constant) else indices)
        index_shape, index_dtype = fixed.shape, fixed.dtype
    kind = index_dtype.kind
    if kind not in "iu":
        raise TypeError(f"TakeAlongAxis: indices must be integers, got {index_dtype}")
    if axis is None:
        if len(index_shape) != 1:
            raise ValueError(
                f"TakeAlongAxis: with axis None indices must be 1-d, got shape {index_shape}"
            )
        x, axis = reshape(x, (-1,)), 0
    if len(index_shape) != x.ndim:
        raise ValueError(
            f"TakeAlongAxis: indices of shape {index_shape} and input of shape {x.shape} must "
            "have the same number of axes"
        )
    axis = _one_axis("TakeAlongAxis", axis, x.shape)
    if fixed is None:
        return TakeAlongAxis(x, as_node(indices), axis=axis)
    try:
        np.broadcast_shapes(x.shape[:axis] + (1,) + x.shape[axis + 1 :], index_shape)
    except ValueError:
        raise ValueError(
            f"TakeAlongAxis: indices of shape {index_shape} do not broadcast with input of "
            f"shape {x.shape} outside axis {axis}"
        ) from None
    return getitem(x, _along_axis_key(x.shape, fixed.astype(np.intp), axis))


# -- triangles, diagonals and products of blocks -----------------------------------------------
def _triangle(op: str, m, k, lower: bool) -> Node:
    x = as_node(m)
    k = _integer(op, "k", k)
    if x.ndim < 1:
        raise ValueError(f"{op}: input must be at least 1-d, got shape {x.shape}")
    rows, cols = x.shape[-2:] if x.ndim >= 2 else (x.shape[-1], x.shape[-1])
    keep = np.tri(rows, cols, k if lower else k - 1, dtype=bool)
    if not lower:
        keep = ~keep
    return where(Constant(keep), x, zeros((), x.dtype))


def tril(m, k: int = 0) -> Node:
    """m with the elements above the k-th diagonal zeroed (of the last two axes; a vector
    is the rows of a square matrix), as np.tril.

    >>> import numpy as np, autodiff as ad
    >>> ad.tril(ad.Variable(np.ones((2, 3))), k=1)()
    array([[1., 1., 0.],
           [1., 1., 1.]])
    """
    return _triangle("Tril", m, k, lower=True)


def triu(m, k: int = 0) -> Node:
    """m with the elements below the k-th diagonal zeroed, as np.triu (see `tril`).

    >>> import numpy as np, autodiff as ad
    >>> ad.triu(ad.Variable(np.ones((3, 3))), k=-1)()
    array([[1., 1., 1.],
           [1., 1., 1.],
           [0., 1., 1.]])
    """
    return _triangle("Triu", m, k, lower=False)


def diag(v, k: int = 0) -> Node:
    """As np.diag: a vector v gives the square matrix with v on its k-th diagonal (a
    scatter into zeros); a matrix gives its k-th diagonal.

    >>> import numpy as np, autodiff as ad
    >>> ad.diag(ad.Variable(np.array([1.0, 2.0])), k=1)()
    array([[0., 1., 0.],
           [0., 0., 2.],
           [0., 0., 0.]])
    >>> ad.diag(ad.Variable(np.arange(9.0).reshape(3, 3)), k=-1)()
    array([3., 7.])
    """
    x = as_node(v)
    k = _integer("Diag", "k", k)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"Diag: input must be 1-d or 2-d, got shape {x.shape}")
    n = x.shape[0] + builtins.abs(k)
    positions = np.arange(x.shape[0])
    rows = _read_only(positions + builtins.max(-k, 0))
    cols = _read_only(positions + builtins.max(k, 0))
    return IndexAdjoint(x, index=(rows, cols), out_shape=(n, n))


def kron(a, b) -> Node:
    """The Kronecker product, as np.kron: blocks ``a[i, j] * b``; the input with fewer axes
    gets leading ones. A broadcast product and a reshape.

    >>> import numpy as np, autodiff as ad
    >>> ad.kron(ad.Variable(np.array([1.0, 10.0])), np.array([1.0, 2.0, 3.0]))()
    array([ 1.,  2.,  3., 10., 20., 30.])
    """
    x, y = as_node(a), as_node(b)
    ndim = builtins.max(x.ndim, y.ndim)
    x_shape = (1,) * (ndim - x.ndim) + x.shape
    y_shape = (1,) * (ndim - y.ndim) + y.shape
    spread_x = reshape(x, builtins.sum(((n, 1) for n in x_shape), ()))
    spread_y = reshape(y, builtins.sum(((1, n) for n in y_shape), ()))
    product = multiply(spread_x, spread_y)
    return reshape(product, tuple(m * n for m, n in zip(x_shape, y_shape, strict=True)))


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None):
    """The cross product of vectors of 3 (or 2) components along `axisa` of a and `axisb`
    of b, broadcast over the other axes, as np.cross. The result's vectors lie along
    `axisc`; `axis` sets all three. A 2-vector has a zero third component; when both are
    2-vectors the result is the scalar third component (NumPy deprecates 2-vectors; they
    work here as there).

    >>> import numpy as np, autodiff as ad
    >>> ad.cross(ad.Variable(np.array([1.0, 0.0, 0.0])), np.array([0.0, 1.0, 0.0]))()
    array([0., 0., 1.])
    """
    x, y = as_node(a), as_node(b)
    a_shape, b_shape = x.shape, y.shape
    if axis is not None:
        axisa = axisb = axisc = axis
    for i, v in enumerate((x, y)):
        if v.ndim == 0:
            raise ValueError(f"Cross: input {i} is 0-d, not an array of vectors")
    x = moveaxis(x, _one_axis("Cross", axisa, x.shape, "axisa"), -1)
    y = moveaxis(y, _one_axis("Cross", axisb, y.shape, "axisb"), -1)
    if x.shape[-1] not in (2, 3) or y.shape[-1] not in (2, 3):
        raise ValueError(
            f"Cross: incompatible dimensions for cross product: vectors of {x.shape[-1]} and "
            f"{y.shape[-1]} components (each must have 2 or 3)"
        )
    try:
        np.broadcast_shapes(x.shape[:-1], y.shape[:-1])
    except ValueError:
        raise ValueError(
            f"Cross: the vectors of input 0 of shape {a_shape} and input 1 of shape {b_shape} "
            "do not broadcast"
        ) from None
    xs = [x[..., i] for i in range(x.shape[-1])] + [None]
    ys = [y[..., i] for i in range(y.shape[-1])] + [None]

    def minor(i: int, j: int) -> Node:
        """x_i * y_j - x_j * y_i, with a missing third component as zero."""
        left = None if xs[i] is None or ys[j] is None else multiply(xs[i], ys[j])
        right = None if xs[j] is None or ys[i] is None else multiply(xs[j], ys[i])
        if left is None:  # never both: at most one vector lacks a third component
            return -cast(Node, right)
        return left if right is None else left - right

    if x.shape[-1] == y.shape[-1] == 2:
        return minor(0, 1)
    vectors = stack([minor(1, 2), minor(2, 0), minor(0, 1)], axis=-1)
    return moveaxis(vectors, -1, _one_axis("Cross", axisc, vectors.shape, "axisc"))


def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy"):
    """Coordinate arrays from coordinate vectors, as np.meshgrid: with ``indexing="xy"``
    (Cartesian) the first two axes are swapped against ``"ij"`` (matrix); `sparse` keeps
    size-1 axes instead of broadcasting. Inputs are flattened first. Returns a tuple (`copy`
    is accepted for NumPy's signature: nodes never share writable memory).

    >>> import numpy as np, autodiff as ad
    >>> X, Y = ad.meshgrid(ad.Variable(np.array([1.0, 2.0, 3.0])), np.array([0.0, 1.0]))
    >>> X.shape, Y()
    ((2, 3), array([[0., 0., 0.],
           [1., 1., 1.]]))
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    xs = [reshape(as_node(x), (-1,)) for x in xi]
    ndim = len(xs)
    grids = []
    for i, x in enumerate(xs):
        place = 1 - i if indexing == "xy" and ndim > 1 and i < 2 else i
        grids.append(reshape(x, (1,) * place + (-1,) + (1,) * (ndim - place - 1)))
    if not sparse and grids:
        shape = np.broadcast_shapes(*(g.shape for g in grids))
        grids = [broadcast_to(g, shape) for g in grids]
    return tuple(grids)


# -- padding ---------------------------------------------------------------------------------
_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pad_widths(pad_width, shape: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
    """NumPy's forms of `pad_width` (an int, (n,), (before, after), one pair per axis, or a
    dict of axis: int or pair) as one (before, after) pair per axis."""
    if isinstance(pad_width, dict):
        table = np.zeros((len(shape), 2), np.intp)
        for axis, width in pad_width.items():
            table[_one_axis("Pad", axis, shape, "axis in pad_width")] = _pad_widths(width, (0,))[0]
        return tuple((int(a), int(b)) for a, b in table)
    try:
        table = _integers("Pad", "pad_width", pad_width)
        if table.dtype.kind not in "iu":
            raise TypeError(
                f"Pad: pad_width must hold integers, got {table.dtype} in {pad_width!r}"
            )
        table = np.broadcast_to(table, (len(shape), 2))
    except ValueError:
        raise ValueError(
            f"Pad: pad_width {pad_width!r} does not fit input of shape {shape}"
        ) from None
    if (table < 0).any():
        raise ValueError(f"Pad: negative pad_width {pad_width!r}")
    return tuple((int(a), int(b)) for a, b in table)


def pad(array, pad_width, mode: str = "constant", **kwargs) -> Node:
    """x padded as np.pad, in mode "constant" (`constant_values`: one number, (before,
    after), or a pair per axis; default 0), "edge" (the edge values repeated), "reflect"
    (mirrored without the edge), "symmetric" (mirrored with it) or "wrap" (the other end).
    `pad_width` takes NumPy's forms: an int, (n,), (before, after), a pair per axis, or a
    dict of axis: width. Every mode but "constant" gathers positions of x along each
    axis, so the gradient adds each padded copy back onto the element it copies.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.array([1.0, 2.0, 3.0]))
    >>> ad.pad(x, 1).shape
    (5,)
    >>> ad.pad(x, (2, 1), mode="reflect")(), ad.pad(x, 1, constant_values=(-1, 9))()
    (array([3., 2., 1., 2., 3., 2.]), array([-1.,  1.,  2.,  3.,  9.]))
    """
    x = as_node(array)
    if not isinstance(mode, str):
        raise TypeError(f"Pad: mode must be one of {_PAD_MODES}, got {type(mode).__name__}")
    if mode not in _PAD_MODES:
        raise ValueError(f"Pad: mode {mode!r} is not supported; use one of {_PAD_MODES}")
    allowed = {"constant": {"constant_values"}, "reflect": {"reflect_type"}}
    allowed["symmetric"] = allowed["reflect"]
    extra = set(kwargs) - allowed.get(mode, set())
    if extra:
        raise ValueError(f"Pad: unsupported keyword arguments for mode {mode!r}: {sorted(extra)}")
    if kwargs.get("reflect_type", "even") != "even":
        raise ValueError(
            f"Pad: reflect_type {kwargs['reflect_type']!r} is not supported (only 'even')"
        )
    widths = _pad_widths(pad_width, x.shape)
    if mode == "constant":
        values = kwargs.get("constant_values", 0)
        if _holds_node(values):  # (np.pad would freeze a node's current value)
            raise TypeError("Pad: constant_values must be numbers, not a node")
        padded = Pad(x, widths=widths)
        if not np.any(values) or padded is x:
            return padded
        interior = np.pad(np.ones(x.shape, bool), widths)
        try:
            border = np.pad(np.zeros(x.shape, x.dtype), widths, constant_values=values)
        except ValueError:
            raise ValueError(
                f"Pad: constant_values {values!r} do not fit input of shape {x.shape}"
            ) from None
        return where(Constant(interior), padded, Constant(border))
    for axis, (before, after) in enumerate(widths):
        if (before or after) and x.shape[axis] == 0:
            raise ValueError(
                f"Pad: cannot extend the empty axis {axis} of input of shape {x.shape} in "
                f"mode {mode!r} (only 'constant' pads an empty axis)"
            )
    for axis, (before, after) in enumerate(widths):
        if before or after:
            positions = np.pad(np.arange(x.shape[axis]), (before, after), mode=mode)  # type: ignore[call-overload]
            x = getitem(x, (slice(None),) * axis + (positions,))
    return x
