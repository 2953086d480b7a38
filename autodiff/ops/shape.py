"""Shape ops: reshape, indexing and slicing, gathers by integer nodes, concatenate, pad.

Indexing with a fixed key (ints, slices, None, `...`, integer or boolean arrays) is `Index`;
its adjoint `IndexAdjoint` scatters a gradient back into zeros (adding where an integer
array repeats a position). Indexing by an integer *node* whose values change between calls
(token ids, say) is `Take`, with adjoint `TakeAdjoint`. Gradients with batch axes get full
slices in front of the key, so the batch axes stay in front. A plan writes a reshape and an
index as views (`lower`), and a concatenation of arrays each given a new leading axis as one
stack of those arrays.
"""

from __future__ import annotations

import builtins
import math
from typing import Sequence

import numpy as np

from ..node import Node, as_node
from ._common import normalize_axes

__all__ = [
    "reshape", "ravel", "expand_dims", "squeeze", "concatenate", "stack", "split", "pad",
    "take", "getitem",
]


class Reshape(Node):
    view = True
    linear = (0,)

    @classmethod
    def infer(cls, x, *, new_shape):
        return new_shape, x.dtype

    @classmethod
    def fold(cls, shape, dtype, x, *, new_shape):
        if new_shape == x.shape:
            return x
        if isinstance(x, Reshape):  # a reshape of a reshape is one reshape
            return Reshape(x.inputs[0], new_shape=new_shape)
        return None

    def eval(self, x):
        return np.reshape(x, self.shape)

    def uniform_value(self, values):
        return values[0]

    def lower(self, w, operands, target):
        w.lines.append(f"{target} = {operands[0]}.reshape({self.shape!r})")
        return True

    def grad(self, g):
        (x,) = self.inputs
        return (reshape(g, g.shape[: g.ndim - self.ndim] + x.shape),)


def reshape(x, shape) -> Node:
    """x with a new shape of the same size (one entry may be -1), as np.reshape.

    >>> import numpy as np, autodiff as ad
    >>> ad.reshape(ad.Variable(np.zeros(6)), (2, -1)).shape
    (2, 3)
    """
    x = as_node(x)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(n) for n in shape)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    known = int(np.prod([n for n in shape if n != -1]))
    if len(unknown) > 1 or builtins.any(n < -1 for n in shape):
        raise ValueError(f"Reshape: invalid target shape {shape}")
    if unknown and known and x.size % known == 0:
        shape = shape[: unknown[0]] + (x.size // known,) + shape[unknown[0] + 1:]
    if int(np.prod(shape)) != x.size or -1 in shape:
        raise ValueError(f"Reshape: cannot reshape input of shape {x.shape} ({x.size} elements) into {shape}")
    return Reshape(x, new_shape=shape)


def expand_dims(x, axis: int) -> Node:
    """x with a new axis of size 1 at `axis`, as np.expand_dims.

    >>> import numpy as np, autodiff as ad
    >>> ad.expand_dims(ad.Variable(np.zeros(3)), 0).shape
    (1, 3)
    """
    x = as_node(x)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise ValueError(f"ExpandDims: axis {axis} is out of bounds for input of shape {x.shape}")
    axis = axis % (x.ndim + 1)
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x, axis=None) -> Node:
    """x without axes of size 1 (all of them, or those in `axis`), as np.squeeze.

    >>> import numpy as np, autodiff as ad
    >>> ad.squeeze(ad.Variable(np.zeros((1, 3, 1)))).shape
    (3,)
    """
    x = as_node(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axes("Squeeze", axis, x.shape)
        for a in axes:
            if x.shape[a] != 1:
                raise ValueError(f"Squeeze: axis {a} of input of shape {x.shape} has size {x.shape[a]}, not 1")
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))


def ravel(x) -> Node:
    """x flattened to one axis.

    >>> import numpy as np, autodiff as ad
    >>> ad.ravel(ad.Variable(np.zeros((2, 3)))).shape
    (6,)
    """
    return reshape(x, (-1,))


# -- indexing with a fixed key --------------------------------------------------------------
def _has_array(index: tuple) -> bool:
    return builtins.any(isinstance(k, np.ndarray) for k in index)


def _normalize_key(key, shape: tuple[int, ...]) -> tuple:
    """A NumPy index as a tuple of ints, slices, None, Ellipsis and integer arrays."""
    key = key if isinstance(key, tuple) else (key,)
    result = []
    for k in key:
        if isinstance(k, (list, np.ndarray)):
            k = np.asarray(k)
            if k.dtype == bool:
                result.extend(np.nonzero(k))
                continue
            if k.dtype.kind not in "iu":
                raise TypeError(f"Index: array indices must be integers or booleans, got {k.dtype}")
            k = k.astype(np.intp)
            k.flags.writeable = False
        elif isinstance(k, (np.integer, bool)) and not isinstance(k, np.bool_):
            k = int(k)
        elif not (k is None or k is Ellipsis or isinstance(k, (int, slice))):
            raise TypeError(f"Index: unsupported index {k!r} of type {type(k).__name__}")
        result.append(k)
    positions = [i for i, k in enumerate(result) if isinstance(k, np.ndarray)]
    if positions and positions != list(range(positions[0], positions[-1] + 1)):
        raise ValueError(
            f"Index: integer-array indices must stand next to each other, got {key!r} "
            f"for input of shape {shape}; index in two steps instead"
        )
    return tuple(result)


def _indexed_shape(index: tuple, shape: tuple[int, ...]) -> tuple[int, ...]:
    try:
        return np.broadcast_to(np.empty((), np.int8), shape)[index].shape
    except IndexError as error:
        raise IndexError(f"Index: {error} (input of shape {shape})") from None


class Index(Node):
    """x[index] for a fixed index (see `_normalize_key`)."""

    view = True
    linear = (0,)

    @classmethod
    def infer(cls, x, *, index):
        return _indexed_shape(index, x.shape), x.dtype

    @classmethod
    def fold(cls, shape, dtype, x, *, index):
        plain = builtins.all(k == slice(None) for k in index if not isinstance(k, np.ndarray))
        return x if plain and not _has_array(index) else None

    def eval(self, x):
        return x[self.index]

    def uniform_value(self, values):
        return values[0]

    def lower(self, w, operands, target):
        w.lines.append(f"{target} = {operands[0]}[{w.bind(self.index, '_key')}]")
        return True

    def grad(self, g):
        (x,) = self.inputs
        nb = g.ndim - self.ndim
        batch = (slice(None),) * nb
        return (IndexAdjoint(g, index=batch + self.index, out_shape=g.shape[:nb] + x.shape),)


class IndexAdjoint(Node):
    """Zeros of `out_shape` with g added at `index`: the transpose of Index."""

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, g, *, index, out_shape):
        return out_shape, g.dtype

    def eval(self, g):
        out = np.zeros(self.shape, g.dtype)
        if _has_array(self.index):
            np.add.at(out, self.index, g)
        else:
            out[self.index] = g
        return out

    def grad(self, g):
        nb = g.ndim - self.ndim
        return (Index(g, index=(slice(None),) * nb + self.index),)


# -- gathering by an integer node -------------------------------------------------------------
class Take(Node):
    """np.take(x, indices, axis) where `indices` is an integer node."""

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, x, indices, *, axis):
        if indices.dtype.kind not in "iu":
            raise TypeError(f"Take: indices must be integers, got {indices.dtype} (input 1)")
        return x.shape[:axis] + indices.shape + x.shape[axis + 1:], x.dtype

    def eval(self, x, indices):
        return np.take(x, indices, axis=self.axis)

    def grad(self, g):
        x, indices = self.inputs
        nb = g.ndim - self.ndim
        return TakeAdjoint(g, indices, axis=self.axis + nb, length=x.shape[self.axis]), None


class TakeAdjoint(Node):
    """Zeros with `length` entries along `axis`, g added at `indices`: the transpose of Take.

    In float64 one bincount computes it: the same sums in the same order as np.add.at,
    several times faster.
    """

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, g, indices, *, axis, length):
        return g.shape[:axis] + (length,) + g.shape[axis + indices.ndim:], g.dtype

    def eval(self, g, indices):
        positions = self.__dict__.get("_positions")
        if positions is None:
            positions = self._bincount_positions()
            object.__setattr__(self, "_positions", positions)
        length = self.length
        if not positions or (indices.size and (indices.min() < -length or indices.max() >= length)):
            out = np.zeros(self.shape, g.dtype)  # (np.add.at raises for an index out of range)
            np.add.at(out, (slice(None),) * self.axis + (indices,), g)
            return out
        base, post, size = positions
        at = base + (np.ravel(indices) % length).reshape(1, indices.size, 1) * post
        return np.bincount(at.ravel(), weights=np.ravel(g), minlength=size).reshape(self.shape)

    def _bincount_positions(self) -> tuple:
        """(the flat position of every (before, after) pair, elements after the axis, size),
        made once; () where bincount does not apply (it sums in float64 only)."""
        if self.dtype != np.float64:
            return ()
        g_shape = self.inputs[0].shape
        pre = math.prod(g_shape[: self.axis])
        post = math.prod(g_shape[self.axis + self.inputs[1].ndim:])
        base = np.arange(pre)[:, None, None] * (self.length * post) + np.arange(post)
        return base.reshape(pre, 1, post), post, math.prod(self.shape)

    def grad(self, g):
        nb = g.ndim - self.ndim
        return Take(g, self.inputs[1], axis=self.axis + nb), None


def take(x, indices, axis: int = 0) -> Node:
    """Elements of x at integer `indices` (a node or array) along `axis`, as np.take.

    >>> import numpy as np, autodiff as ad
    >>> E = ad.Variable(np.arange(6.0).reshape(3, 2))
    >>> ids = ad.Variable(np.array([2, 0]))
    >>> ad.take(E, ids)()
    array([[4., 5.],
           [0., 1.]])
    """
    x, indices = as_node(x), as_node(indices)
    (axis,) = normalize_axes("Take", axis, x.shape)
    return Take(x, indices, axis=axis)


def getitem(x: Node, key) -> Node:
    """x[key] with NumPy's rules; a key that holds an integer Node gathers with `take`.

    >>> import numpy as np, autodiff as ad
    >>> x = ad.Variable(np.arange(6.0).reshape(2, 3))
    >>> ad.getitem(x, (slice(None), 1))(), x[1, ::2]()
    (array([1., 4.]), array([3., 5.]))
    """
    key_tuple = key if isinstance(key, tuple) else (key,)
    nodes = [i for i, k in enumerate(key_tuple) if isinstance(k, Node)]
    if nodes:
        rest = [k for i, k in enumerate(key_tuple) if i != nodes[0]]
        if len(nodes) > 1 or builtins.any(k != slice(None) for k in rest):
            raise TypeError(
                f"Index: a node in an index must come alone or with plain ':' slices, got {key!r}"
            )
        return take(x, key_tuple[nodes[0]], axis=nodes[0])
    return Index(x, index=_normalize_key(key, x.shape))


# -- joining and padding --------------------------------------------------------------------
class Concatenate(Node):
    fresh = True
    jointly_linear = True

    @classmethod
    def fold(cls, shape, dtype, *xs, axis):
        return xs[0] if len(xs) == 1 else None

    @classmethod
    def infer(cls, *xs, axis):
        first = xs[0]
        for i, x in enumerate(xs[1:], start=1):
            if x.ndim != first.ndim or x.shape[:axis] + x.shape[axis + 1:] != first.shape[:axis] + first.shape[axis + 1:]:
                raise ValueError(
                    f"Concatenate: input {i} of shape {x.shape} does not fit input 0 of shape "
                    f"{first.shape} along axis {axis}"
                )
        length = builtins.sum(x.shape[axis] for x in xs)
        return first.shape[:axis] + (length,) + first.shape[axis + 1:], np.result_type(*(x.dtype for x in xs))

    def eval(self, *arrays):
        return np.concatenate(arrays, axis=self.axis)

    def plan_reads(self):
        """A stack: along axis 0, inputs that each add a leading axis to an array of this
        dtype; a plan stacks those arrays in one call."""
        if self.axis == 0 and builtins.all(
            isinstance(x, Reshape) and x.shape == (1,) + x.inputs[0].shape and x.dtype == self.dtype
            for x in self.inputs
        ):
            return [x.inputs[0] for x in self.inputs]
        return None

    def lower(self, w, operands, target):
        if self.plan_reads() is None:
            return False
        w.lines.append(f"{target} = _np.array([{', '.join(operands)}])")
        return True

    def grad(self, g):
        nb = g.ndim - self.ndim
        grads, start = [], 0
        for x in self.inputs:
            stop = start + x.shape[self.axis]
            grads.append(Index(g, index=(slice(None),) * (nb + self.axis) + (slice(start, stop),)))
            start = stop
        return grads


def concatenate(xs: Sequence, axis: int = 0) -> Node:
    """Join nodes along an existing axis, as np.concatenate.

    >>> import numpy as np, autodiff as ad
    >>> ad.concatenate([ad.Variable(np.zeros((2, 3))), np.ones((1, 3))]).shape
    (3, 3)
    """
    xs = [as_node(x) for x in xs]
    if not xs:
        raise ValueError("Concatenate: needs at least one input")
    if xs[0].ndim == 0:
        raise ValueError("Concatenate: 0-d inputs cannot be concatenated")
    (axis,) = normalize_axes("Concatenate", axis, xs[0].shape)
    return Concatenate(*xs, axis=axis)


def stack(xs: Sequence, axis: int = 0) -> Node:
    """Join nodes of one shape along a new axis, as np.stack.

    >>> import numpy as np, autodiff as ad
    >>> ad.stack([ad.Variable(np.zeros(3)), np.ones(3)]).shape
    (2, 3)
    """
    xs = [as_node(x) for x in xs]
    if not xs:
        raise ValueError("Stack: needs at least one input")
    for i, x in enumerate(xs):
        if x.shape != xs[0].shape:
            raise ValueError(f"Stack: input {i} of shape {x.shape} differs from input 0 of shape {xs[0].shape}")
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


def split(x, indices_or_sections, axis: int = 0) -> list[Node]:
    """Split x into pieces along `axis`, as np.split.

    >>> import numpy as np, autodiff as ad
    >>> [p.shape for p in ad.split(ad.Variable(np.zeros((4, 2))), 2)]
    [(2, 2), (2, 2)]
    """
    x = as_node(x)
    (axis,) = normalize_axes("Split", axis, x.shape)
    length = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if indices_or_sections <= 0 or length % indices_or_sections:
            raise ValueError(f"Split: axis {axis} of length {length} does not split into {indices_or_sections} equal parts")
        step = length // indices_or_sections
        bounds = list(range(0, length + 1, step))
    else:
        bounds = [0, *(int(i) for i in indices_or_sections), length]
    lead = (slice(None),) * axis
    return [getitem(x, lead + (slice(a, b),)) for a, b in zip(bounds[:-1], bounds[1:])]


class Pad(Node):
    """x surrounded by zeros: `widths` holds (before, after) per axis."""

    fresh = True
    linear = (0,)

    @classmethod
    def infer(cls, x, *, widths):
        return tuple(n + a + b for n, (a, b) in zip(x.shape, widths)), x.dtype

    @classmethod
    def fold(cls, shape, dtype, x, *, widths):
        return x if not builtins.any(a or b for a, b in widths) else None

    def eval(self, x):
        return np.pad(x, self.widths)

    def grad(self, g):
        nb = g.ndim - self.ndim
        inner = tuple(slice(a, a + n) for n, (a, _) in zip(self.inputs[0].shape, self.widths))
        return (Index(g, index=(slice(None),) * nb + inner),)


def pad(x, pad_width) -> Node:
    """x padded with zeros, as np.pad(x, pad_width) in 'constant' mode.

    >>> import numpy as np, autodiff as ad
    >>> ad.pad(ad.Variable(np.ones((2, 2))), 1).shape
    (4, 4)
    """
    x = as_node(x)
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError:
        raise ValueError(f"Pad: pad_width {pad_width!r} does not fit input of shape {x.shape}") from None
    if (widths < 0).any():
        raise ValueError(f"Pad: negative pad_width {pad_width!r}")
    return Pad(x, widths=tuple((int(a), int(b)) for a, b in widths))
